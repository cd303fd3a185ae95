"""The Ray runner's model actors on the session's real cluster (loopback addresses), driven
as the server drives them (a long-lived driver process), and the test cluster's own
processes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from visionlens_jlab.jobs.ray_driver import RayDriver
from visionlens_jlab.jobs.ray_pipeline import Stage, run_pipeline
from visionlens_jlab.jobs.ray_pool import RaySession

from .ray_fixtures import RayTestCluster, wait_until
from .ray_slow_model import SlowModel, as_is

pytestmark = pytest.mark.timeout(600)


def cancel_a_running_block(
    session: RaySession,
    rows: int,
    seconds: float,
    started: str,
    cancelled: Callable[[], bool],
) -> Iterator[dict[str, Any]]:
    """In the driver: one :class:`SlowModel` actor runs a block of ``rows`` one row per
    batch; once its first batch started, the call is cancelled. Yields how the call ended
    and how many batches the model ran."""
    import ray

    pool = session.pool_for(Stage(SlowModel, {"seconds": seconds, "started": started}, 1))
    pool.ready(session.cluster())
    actor = pool.actors[0]
    call = actor.run.remote({"sample_id": np.arange(rows)}, 1)
    wait_until(Path(started).exists, 120, step=0.05)
    ray.cancel(call)
    try:
        ray.get(call)
        ended = "finished"
    except ray.exceptions.TaskCancelledError:
        ended = "cancelled"
    except ray.exceptions.RayTaskError as exc:
        ended = type(exc.cause).__name__
    yield {"ended": ended, "batches": ray.get(actor.describe.remote())["batches"]}


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
    assert outcome["ended"] != "finished", outcome
    assert 1 <= outcome["batches"] < rows, outcome


GONE_NODE = "ab" * 28
"""A node id the cluster does not have (a node lost after the cluster was read)."""


def fill_from_a_stale_view(
    session: RaySession, started: str, cancelled: Callable[[], bool]
) -> Iterator[dict[str, Any]]:
    """In the driver: a pool filled from the cluster's nodes plus one that is gone, then 40
    rows through it in blocks of 4. Yields the rows that came back, the nodes of the actors
    that answered, and the pool's size after the job."""
    cluster = session.cluster()
    stale = {**cluster, "node_cpus": {**cluster["node_cpus"], GONE_NODE: 2.0}}
    pool = session.pool_for(Stage(SlowModel, {"seconds": 0.0, "started": started}, 2))
    pool.ready(stale)
    items = [(i, f"row-{i}") for i in range(40)]
    blocks = run_pipeline(
        items, pool, session.cluster, Stage(as_is), block_rows=4, cancelled=cancelled
    )
    rows = sorted(int(i) for block in blocks for i in block["sample_id"])
    import ray

    nodes = sorted(ray.get([actor.describe.remote() for actor in pool.actors]), key=str)
    yield {"rows": rows, "nodes": [d["node"] for d in nodes], "alive": cluster["nodes"]}


def test_actors_are_pinned_one_per_node_and_one_on_a_lost_node_is_dropped(
    ray_cluster: RayTestCluster, tmp_path: Path
) -> None:
    # Spread (not pinned), the gone node's actor landed beside another on a node alive:
    # on 2-CPU nodes they held every CPU there, and the decode tasks never started (a hang)
    driver = RayDriver(ray_cluster.address, idle_timeout=120)
    try:
        [got] = list(driver.stream(None, fill_from_a_stale_view, str(tmp_path / "started")))
    finally:
        driver.close()
    assert got["rows"] == list(range(40))
    assert sorted(got["nodes"]) == got["alive"]  # one actor per node alive, none twice


def test_the_clusters_processes_include_the_heads_client_server(
    ray_cluster: RayTestCluster,
) -> None:
    # its command line names only the cluster's address: stop() must find it all the same
    titles = []
    for proc in ray_cluster.own():
        with contextlib.suppress(psutil.Error):  # one that ended meanwhile
            titles.append(" ".join(proc.cmdline()))
    assert any("ray.util.client.server" in t for t in titles), titles
