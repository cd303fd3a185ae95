"""A request may run a Ray job only on the cluster the administrator configured (issue
#46): naming another one (``runner: "ray:HOST:PORT"``) is a 403 before anything connects."""

from __future__ import annotations

from typing import Any

import pytest

from visionlens_jlab.jobs.ray_pipeline import RayRunnerError, RunnerNotAllowedError, server_address

from .embed_fixtures import add_photos

CLUSTER = "127.0.0.1:1"  # the administrator's cluster; nothing listens: nothing may connect


@pytest.fixture
def vl_settings() -> dict[str, Any]:
    return {"ray_address": CLUSTER}


async def test_a_request_cannot_pick_another_ray_cluster(api: Any, vl_app: Any) -> None:
    add_photos(vl_app, "d", 2)  # the dataset is checked first
    for runner in ("ray:10.0.0.5:6379", "ray:ray://elsewhere:10001", "ray:127.0.0.1:2"):
        status, answer = await api(
            "POST",
            "datasets/d/embed",
            {"model": "builtin-color-gradient", "runner": runner},
        )
        assert status == 403, (runner, answer)
        assert "c.VisionLensApp.ray_address" not in answer["message"]  # one is configured
        assert "use the runner 'ray'" in answer["message"], answer
        status, answer = await api(
            "POST", "datasets/d/predict", {"model": "org/model", "runner": runner}
        )
        assert status == 403, (runner, answer)
    assert vl_app.jobs.list() == []  # refused before anything was queued or connected


def test_only_the_configured_cluster_may_be_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with pytest.raises(RunnerNotAllowedError, match="c.VisionLensApp.ray_address"):
        server_address("10.0.0.5:6379", None)  # none configured: no request may name one
    with pytest.raises(RunnerNotAllowedError):
        server_address("10.0.0.5:6379", CLUSTER)
    monkeypatch.setenv("RAY_ADDRESS", CLUSTER)  # the server's environment configures too
    with pytest.raises(RunnerNotAllowedError):
        server_address("10.0.0.5:6379", None)
    for requested in (CLUSTER, None):  # the configured one, named or not
        try:
            assert server_address(requested, None) == CLUSTER
        except RayRunnerError as exc:  # Ray not installed here: a different refusal
            assert "pip install" in str(exc)
