"""A real JupyterHub on loopback: ``jupyterhub`` + ``configurable-http-proxy`` (npm, installed
in tests/hub/node_modules by the test command), the dummy authenticator with two allowed
users, the simple local-process spawner, and a service token that starts servers and mints
per-user tokens over REST. The hub's log is attached to every failing test that uses it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from tests.server_process import REPO, free_port

HUB_TESTS = REPO / "tests" / "hub"
PROXY = HUB_TESTS / "node_modules" / ".bin" / "configurable-http-proxy"
USERS = ("alice", "bob")
BASE_URL = "/@/space%20word/"
"""JupyterHub's own tests use this prefix to catch base-URL bugs (quoting, '@', spaces)."""


@dataclass
class Hub:
    """A running hub; ``url`` ends with its base URL."""

    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    shared: Path
    service: requests.Session
    tokens: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-30_000:]

    def hub_api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.service.request(method, f"{self.url}hub/api/{path}", timeout=60, **kwargs)

    def home(self, user: str) -> Path:
        return self.log_path.parent / "home" / user

    def server_url(self, user: str, server: str = "") -> str:
        """The proxied URL of a user's (named) server, ending with '/'."""
        return f"{self.url}user/{quote(user)}/" + (f"{quote(server)}/" if server else "")

    def start_server(self, user: str, server: str = "", timeout: float = 180) -> str:
        """Start a user's (named) server through the hub's REST API; returns its URL."""
        path = f"users/{user}/servers/{server}" if server else f"users/{user}/server"
        response = self.hub_api("POST", path)
        assert response.status_code in (201, 202, 400), (response.status_code, response.text)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.hub_api("GET", f"users/{user}").json()
            state = model["servers"].get(server)
            if state and state["ready"]:
                return self.server_url(user, server)
            if not state or not state.get("pending"):
                assert self.proc.poll() is None, "the hub died"
                if not state:
                    raise AssertionError(f"{user}/{server} is not starting: {model}")
            time.sleep(0.25)
        raise AssertionError(f"{user}/{server} not ready after {timeout} s")

    def token(self, user: str) -> str:
        """A token of ``user`` minted by the service (what a notebook or script would hold)."""
        if user not in self.tokens:
            response = self.hub_api(
                "POST",
                f"users/{user}/tokens",
                json={"note": "visionlens tests", "expires_in": 3600},
            )
            assert response.status_code in (200, 201), response.text
            self.tokens[user] = response.json()["token"]
        return self.tokens[user]

    def session(self, user: str) -> requests.Session:
        """A session authenticated as ``user`` (``Authorization: token``, as the hub wants)."""
        session = requests.Session()
        session.trust_env = False
        session.headers["Authorization"] = f"token {self.token(user)}"
        return session


def _wait_for_hub(hub: Hub, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.proc.poll() is not None:
            raise AssertionError(f"the hub exited with {hub.proc.returncode}:\n{hub.log()}")
        try:
            if hub.hub_api("GET", "").status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise AssertionError(f"the hub did not answer in {timeout} s:\n{hub.log()}")


def start_hub(hub_dir: Path, extra_env: dict[str, str] | None = None) -> Hub:
    """Start a hub under ``BASE_URL`` with its files in ``hub_dir``; stop it with
    :func:`stop_hub`. Also used by the UI tests' hub (tests/hub/serve_for_ui.py)."""
    shared = hub_dir / "shared-datasets"
    shared.mkdir(parents=True, exist_ok=True)
    port = free_port()
    service_token = secrets.token_hex(16)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "VL_HUB_DIR": str(hub_dir),
        "VL_HUB_PORT": str(port),
        "VL_HUB_API_PORT": str(free_port()),
        "VL_HUB_PROXY_API_PORT": str(free_port()),
        "VL_HUB_PROXY": str(PROXY),
        "VL_HUB_BASE_URL": BASE_URL,
        "VL_HUB_SERVICE_TOKEN": service_token,
        "VISIONLENS_SHARED_DATASETS": str(shared),
        **(extra_env or {}),
    }
    for key in ("VISIONLENS_DATA_DIR", "VISIONLENS_SERVER_URL", "VISIONLENS_TOKEN"):
        env.pop(key, None)
    log_path = hub_dir / "hub.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(HUB_TESTS / "jupyterhub_config.py")],
            cwd=hub_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    service = requests.Session()
    service.trust_env = False
    service.headers["Authorization"] = f"token {service_token}"
    running = Hub(f"http://127.0.0.1:{port}{BASE_URL}", proc, log_path, shared, service)
    try:
        _wait_for_hub(running)
    except BaseException:
        stop_hub(running)
        raise
    return running


def stop_hub(hub: Hub) -> None:
    """Stop the hub, which stops the proxy and (cleanup_servers) every user server."""
    hub.proc.terminate()
    try:
        hub.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        hub.proc.kill()
        hub.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A JupyterHub under the awkward prefix ``/@/space%20word/``, started once per module."""
    if not PROXY.exists():
        pytest.skip(
            "configurable-http-proxy is not installed: run `npm ci --prefix tests/hub` "
            "(the README's test command does)"
        )
    running = start_hub(tmp_path_factory.mktemp("hub"))
    try:
        yield running
    finally:
        stop_hub(running)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the hub's log to a failing hub test: a dying user server shows up only there."""
    report = yield
    running = getattr(item, "funcargs", {}).get("hub")
    if report.failed and isinstance(running, Hub):
        report.sections.append(("JupyterHub log", running.log()))
    return report
