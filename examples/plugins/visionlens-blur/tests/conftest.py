"""A real Jupyter server with VisionLens, and this plugin installed (pip) into a folder on
``sys.path`` unless it is installed in the environment already (``make setup`` does)."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]
PACKAGE_DIR = Path(__file__).resolve().parents[1]
DIST = "visionlens-blur"


@pytest.fixture(scope="session")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """The plugin's entry point is visible to this process and the workers it spawns; the
    folder it was installed into (for subprocesses' PYTHONPATH), None if already installed."""
    try:
        importlib.metadata.distribution(DIST)
        yield None
        return
    except importlib.metadata.PackageNotFoundError:
        pass
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(PACKAGE_DIR)],
        check=True,
    )  # fmt: skip
    sys.path.insert(0, str(target))  # spawned workers inherit sys.path
    yield str(target)
    sys.path.remove(str(target))


@pytest.fixture
def jp_server_config(tmp_path: Path, installed_plugin: str | None) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"visionlens_jlab": True}},
        "VisionLensApp": {"data_dir": str(tmp_path / "vl-data"), "plugin_folder": "off"},
    }


ApiCall = Callable[..., Awaitable[tuple[int, Any]]]


@pytest.fixture
def api(jp_fetch: Any) -> ApiCall:
    """Call the VisionLens REST API: ``(status, parsed JSON)``."""

    async def call(method: str, path: str, body: Any = None, params: Any = None) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"method": method, "raise_error": False}
        if body is not None or method == "POST":
            kwargs["body"] = json.dumps(body or {})
        if params:
            kwargs["params"] = params
        response = await jp_fetch("visionlens", "api", *path.strip("/").split("/"), **kwargs)
        return response.code, json.loads(response.body) if response.body else None

    return call


@pytest.fixture
def wait_job(api: ApiCall) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
    async def wait(job: dict[str, Any], timeout: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            _, state = await api("GET", f"jobs/{job['id']}")
            if state["status"] in ("done", "failed", "cancelled"):
                return dict(state)
            assert time.monotonic() < deadline, state
            await asyncio.sleep(0.05)

    return wait
