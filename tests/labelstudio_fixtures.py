"""A real Label Studio server for the round-trip tests, on loopback, stopped by PID.

``make test-python`` installs Label Studio into an environment of its own (its pins differ
from VisionLens') and names its command in ``VISIONLENS_LABEL_STUDIO``. The server keeps all
its state in the test's folder (``LABEL_STUDIO_BASE_DATA_DIR``: otherwise it writes under
the home folder), skips its version check, and has a legacy API token set at start (the
flag takes effect only when the data folder is created).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMAND_ENV = "VISIONLENS_LABEL_STUDIO"
DEFAULT_COMMAND = ROOT / ".venv" / "labelstudio" / "bin" / "label-studio"
START_TIMEOUT_S = 600  # migrations on first start: ~40 s idle, minutes on a loaded machine


@dataclass
class LabelStudioServer:
    url: str
    token: str
    python: str
    """Label Studio's interpreter (it has ``label-studio-sdk``: the annotator's side)."""
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop the server's process group (it started it; nothing else is in it)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(30)


def label_studio_command() -> Path:
    """The ``label-studio`` command, or a skip saying how to get it."""
    command = Path(os.environ.get(COMMAND_ENV) or DEFAULT_COMMAND)
    if not command.exists():
        pytest.skip(f"no Label Studio at {command}: `make test-python` installs it ({COMMAND_ENV})")
    return command


def start_label_studio(folder: Path) -> LabelStudioServer:
    """Start Label Studio with its data in ``folder`` and wait until its API answers."""
    command = label_studio_command()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(20)
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(folder),
        "LATEST_VERSION_CHECK": "false",
        "HOME": str(folder),
    }
    log = (folder / "label-studio.log").open("wb")
    process = subprocess.Popen(
        [str(command), "start", "--no-browser", "--internal-host", "127.0.0.1",
         "--port", str(port), "--username", "annotator@example.com",
         "--password", secrets.token_hex(8), "--user-token", token,
         "--enable-legacy-api-token"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    server = LabelStudioServer(
        f"http://127.0.0.1:{port}", token, str(command.with_name("python")), process
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            tail = (folder / "label-studio.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"Label Studio exited ({process.returncode}):\n{tail}")
        try:
            request = urllib.request.Request(
                f"{server.url}/api/current-user/whoami",
                headers={"Authorization": f"Token {token}"},
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                json.loads(response.read())
                return server
        except (urllib.error.URLError, OSError, ValueError):
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(1)


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelStudioServer]:
    """One Label Studio for the whole run: its first start runs its migrations, which take
    minutes on a loaded machine. Each test makes projects of its own."""
    server = start_label_studio(tmp_path_factory.mktemp("label-studio"))
    try:
        yield server
    finally:
        server.stop()
