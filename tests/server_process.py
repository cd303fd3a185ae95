"""A real ``jupyter server`` with VisionLens in a child process (stdin not a terminal, as
under JupyterHub), for tests that stop, kill or starve it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
TOKEN = "vl-test-token"


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _default_sigint() -> None:
    """SIGINT's default action in the server, as a terminal or JupyterHub's spawner gives it.

    A process started in the background by a shell without job control (``cmd &`` in a
    script, as CI runners do) inherits SIGINT *ignored*, and an ignored signal stays ignored
    across ``exec``: the server would then rightly leave SIGINT alone
    (``visionlens_jlab.stop_signals``) and the tests that stop it with SIGINT would wait in
    vain. Runs in the child between fork and exec.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class ServerProcess:
    """``python -m jupyter_server`` on loopback with VisionLens on ``data_dir``.

    Its output goes to ``log_path`` (read it with :meth:`log` when a test fails).
    """

    def __init__(
        self,
        data_dir: Path,
        work_dir: Path,
        *,
        extra_args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = work_dir / f"server-{self.port}.log"
        root = work_dir / "root"
        root.mkdir(parents=True, exist_ok=True)
        args = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--allow-root",
            f"--port={self.port}",
            "--ip=127.0.0.1",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.jpserver_extensions=visionlens_jlab=True",
            f"--IdentityProvider.token={TOKEN}",
            f"--VisionLensApp.data_dir={data_dir}",
            *extra_args,
        ]
        full_env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            "JUPYTER_RUNTIME_DIR": str(work_dir / "runtime"),
            **(env or {}),
        }
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=REPO,
            preexec_fn=_default_sigint,
        )
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {TOKEN}"

    def wait_ready(self, timeout: float = 120.0) -> ServerProcess:
        """Block until VisionLens answers, or fail with the server's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if self.session.get(self.api_url("datasets"), timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server not ready after {timeout} s:\n{self.log()}")

    def api_url(self, path: str) -> str:
        return f"{self.url}visionlens/api/{path.lstrip('/')}"

    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        """Call the REST API with the token (token requests need no XSRF cookie, as with
        any Jupyter client); returns the response (JSON bodies via ``.json()``)."""
        return self.session.request(method, self.api_url(path), json=body, timeout=timeout)

    def wait_job(
        self,
        job_id: str,
        until: tuple[str, ...] = ("done", "failed", "cancelled"),
        timeout: float = 120.0,
    ) -> dict[str, Any]:
        """Poll a job until its status is one of ``until``."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.api("GET", f"jobs/{job_id}").json()
            if state["status"] in until:
                return state
            assert time.monotonic() < deadline, f"job still {state}\n{self.log()}"
            time.sleep(0.05)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float = 60.0) -> int:
        """Wait for the process to exit by itself; returns its exit code."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"server still running {timeout} s later:\n{self.log()}") from None
        self._log.close()
        return code

    def kill(self) -> None:
        """SIGKILL (no cleanup at all), as a crash or the OOM killer would."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self._log.close()

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-20_000:]
