"""The Ray runner's model actors on the session's real cluster (loopback addresses), driven
as the server drives them (a long-lived driver process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from visionlens_jlab.jobs.ray_driver import RayDriver

from .ray_fixtures import RayTestCluster
from .ray_slow_model import cancel_a_running_block

pytestmark = pytest.mark.timeout(600)


def test_a_cancelled_call_stops_its_block_after_the_batch_in_hand(
    ray_cluster: RayTestCluster, tmp_path: Path
) -> None:
    driver = RayDriver(ray_cluster.address, idle_timeout=120)
    try:
        rows = 200  # 200 batches of 0.1 s: 20 s when nothing stops it
        started = str(tmp_path / "started")
        [outcome] = list(driver.stream(None, cancel_a_running_block, rows, 0.1, started))
    finally:
        driver.close()
    assert Path(started).exists()  # the call ran before it was cancelled
    assert outcome["ended"] != "finished", outcome
    assert 1 <= outcome["batches"] < rows, outcome
