"""Shared fixtures: a data dir per test and a real Jupyter server with VisionLens enabled."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.features import load as load_features

load_features()  # every test's catalog has the features' tables (as the entry points do)

pytest_plugins = [
    "pytest_jupyter.jupyter_server",
    "tests.media_fixtures",
    "tests.hub_fixtures",
    "tests.labelstudio_fixtures",
    "tests.ray_fixtures",
    "tests.segment_fixtures",
]

_ENV_KEYS = (
    "VISIONLENS_DATA_DIR",
    "VISIONLENS_SERVER_URL",
    "VISIONLENS_TOKEN",
    "VISIONLENS_WORKER_NICE",
    "VISIONLENS_WORKER_THREADS",
)


@pytest.fixture(autouse=True)
def _restore_visionlens_env() -> Iterator[None]:
    """The server extension exports variables for kernels; keep tests independent of that."""
    saved = {k: os.environ.get(k) for k in _ENV_KEYS}
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def vl_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty VisionLens data directory, also exported as ``VISIONLENS_DATA_DIR``."""
    data_dir = tmp_path / "vl-data"
    monkeypatch.setenv("VISIONLENS_DATA_DIR", str(data_dir))
    return data_dir


@pytest.fixture
def vl_settings() -> dict[str, Any]:
    """Extra ``VisionLensApp`` settings of the test server: a test module overrides this
    fixture (rather than ``jp_server_config``) to turn one on."""
    return {}


@pytest.fixture
def jp_server_config(vl_data_dir: Path, vl_settings: dict[str, Any]) -> dict[str, Any]:
    """VisionLens on a server that refuses every request a handler did not authenticate."""
    return {
        "ServerApp": {
            "jpserver_extensions": {"visionlens_jlab": True},
            "allow_unauthenticated_access": False,
        },
        "VisionLensApp": {"data_dir": str(vl_data_dir), **vl_settings},
    }


@pytest.fixture
def vl_app(jp_serverapp: Any) -> Any:
    """The running VisionLensApp (owner of the catalog and the jobs)."""
    return jp_serverapp.web_app.settings["visionlens_jlab"]


ApiCall = Callable[..., Awaitable[tuple[int, Any]]]


@pytest.fixture
def api(jp_fetch: Any) -> ApiCall:
    """Call the VisionLens REST API; returns ``(status, parsed JSON or raw bytes)``."""

    async def call(
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 20,
    ) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"method": method, "raise_error": False}
        kwargs["request_timeout"] = timeout  # seconds; a route that starts a worker may need more
        if body is not None:
            kwargs["body"] = json.dumps(body)
        elif method in ("POST", "PUT", "PATCH"):
            kwargs["body"] = "{}"
        if params:
            kwargs["params"] = params
        if headers:
            kwargs["headers"] = headers
        response = await jp_fetch("visionlens", "api", *path.strip("/").split("/"), **kwargs)
        raw = response.body
        if response.headers.get("Content-Type", "").startswith("application/json") and raw:
            return response.code, json.loads(raw)
        return response.code, raw

    return call


@pytest.fixture
def wait_job(api: ApiCall) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
    """Poll a job (as returned by the API) through the API until it finishes."""

    async def wait(job: dict[str, Any], timeout: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status, state = await api("GET", f"jobs/{job['id']}")
            assert status == 200, state
            if state["status"] in ("done", "failed", "cancelled"):
                return state
            assert time.monotonic() < deadline, f"job still {state['status']}"
            await asyncio.sleep(0.05)

    return wait


@pytest.fixture
def wait_midway(api: ApiCall) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Poll a job through the API until its ``stage`` is past ``progress`` (the job is
    mid-way); it failing, finishing or taking longer than ``timeout`` fails the test."""

    async def wait(
        job: dict[str, Any], stage: str, progress: float = 0.0, timeout: float = 60.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            _, state = await api("GET", f"jobs/{job['id']}")
            if state["stage"] == stage and (state["progress"] or 0) > progress:
                return dict(state)
            assert state["status"] in ("queued", "running"), state
            assert time.monotonic() < deadline, state
            await asyncio.sleep(0.05)

    return wait
