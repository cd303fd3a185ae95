"""The server's startup heap is frozen out of the GC's walks, and the probe records pauses."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server_process import ServerProcess
from visionlens_jlab.gc_pauses import GcPauses, freeze_startup_heap


class Node:
    """A cycle-capable object (weak-referenceable, tracked by the GC)."""

    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Give the test process its collectable heap back afterwards."""
    try:
        yield
    finally:
        gc.unfreeze()


def test_freeze_keeps_startup_objects_out_and_still_collects_new_cycles(unfrozen: None) -> None:
    before = [Node()]
    frozen = freeze_startup_heap()
    assert frozen > 1000
    assert not any(o is before for o in gc.get_objects())  # no collection walks it any more
    after = [Node()]
    assert any(o is after for o in gc.get_objects())
    a, b = Node(), Node()
    a.other, b.other = b, a  # garbage made after the freeze is a cycle: only the GC frees it
    dead = weakref.ref(a)
    del a, b
    gc.collect()
    assert dead() is None


def test_pauses_are_recorded_per_collection_until_stopped() -> None:
    pauses = GcPauses()
    pauses.start()
    try:
        before = time.monotonic()
        gc.collect()
        taken = pauses.take()
        assert [generation for generation, _, _, _ in taken].count(2) >= 1
        assert all(ms >= 0 and thread == "MainThread" for _, ms, thread, _ in taken)
        assert all(before <= end <= time.monotonic() for *_, end in taken)
        assert pauses.take() == []  # taken once
    finally:
        pauses.stop()
    gc.collect()
    assert pauses.take() == []


@pytest.mark.parametrize("freeze", [True, False])
def test_a_running_server_freezes_its_startup_heap_unless_told_not_to(
    tmp_path: Path, freeze: bool
) -> None:
    server = ServerProcess(
        tmp_path / "data",
        tmp_path,
        extra_args=(
            "--VisionLensApp.loop_lag_probe_ms=50",
            f"--VisionLensApp.gc_freeze={freeze}",
        ),
    ).wait_ready()
    try:
        probe = server.api("GET", "debug/loop-lag").json()
    finally:
        server.kill()
    # jupyter_server, tornado, duckdb, pyarrow ... imported: far more than 50K objects
    assert (probe["gc_frozen"] > 50_000) if freeze else probe["gc_frozen"] == 0, server.log()
    assert isinstance(probe["gc_pauses"], list)
