"""The parsers' read-ahead threads (``ingest/prefetch.py``, the COCO SQL path's
``sql_read_ahead.read_ahead``): how far ahead they run, and that they stop when their consumer does."""

from __future__ import annotations

import threading
import time
from array import array
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tests.test_ingest_coco_sql import GOOD, write_coco
from visionlens_jlab.ingest.coco import sql_source as coco_sql
from visionlens_jlab.ingest.coco.dataset import TOP_KEYS
from visionlens_jlab.ingest.coco.jsonstream import scan_layout
from visionlens_jlab.ingest.prefetch import prefetch
from visionlens_jlab.records.batches import Batch


def _settled(count: list[int]) -> int:
    """``count[0]`` once it has not changed for 0.3 s (the producer is blocked)."""
    last, since = -1, time.monotonic()
    while time.monotonic() - since < 0.3:
        if count[0] != last:
            last, since = count[0], time.monotonic()
        time.sleep(0.01)
    return last


def _batches(n: int, rows: int, made: list[int]) -> Any:
    def make() -> Any:
        for i in range(n):
            made[0] += 1
            yield Batch(samples=pa.table({"x": pa.array([i] * rows, pa.int64())}))

    return make


def test_prefetch_runs_ahead_by_bytes_then_stops() -> None:
    made = [0]
    # 800-byte batches, at most 4000 bytes ahead: five queued, the sixth waits to be put
    it = prefetch(_batches(50, 100, made), depth=2, ahead_bytes=4000)
    first = next(it)
    assert first.samples is not None and first.samples.column("x")[0].as_py() == 0
    assert _settled(made) == 1 + 5 + 1
    firsts = [b.samples.column("x")[0].as_py() for b in it if b.samples is not None]
    assert firsts == list(range(1, 50))


def test_prefetch_keeps_depth_for_large_batches() -> None:
    made = [0]
    it = prefetch(_batches(20, 10_000, made), depth=2, ahead_bytes=1000)  # 80 KB each
    next(it)
    assert _settled(made) == 1 + 2 + 1
    it.close()
    assert not any(t.name == "visionlens-parse" and t.is_alive() for t in threading.enumerate())


def test_prefetch_reraises_the_parsers_error() -> None:
    def make() -> Any:
        yield Batch(samples=pa.table({"x": [1]}))
        raise ValueError("bad record")

    it = prefetch(make)
    next(it)
    with pytest.raises(ValueError, match="bad record"):
        next(it)


def test_sql_read_ahead_stops_with_its_consumer(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(coco_sql, "BATCH_ROWS", 7)
    monkeypatch.setattr(coco_sql, "SQL_MIN_BYTES", 0)
    path = write_coco(tmp_path / "a.json", [{**GOOD, "id": i + 1} for i in range(200)])
    source = coco_sql.SqlAnnotationSource(
        scan_layout(str(path), TOP_KEYS),
        "annotations",
        categories={1: "cat", 2: "dog"},
        images={1: 0, 2: 1},
        predictions=False,
        id_sink=array("q"),
        slow_row=lambda record: None,
    )
    assert source.usable()
    batches = source.batches()
    assert next(batches).num_rows == 7
    batches.close()  # the reader thread has stopped, so the connection could be closed
    assert not any(t.name == "visionlens-coco-sql" for t in threading.enumerate())
    assert source.consumed == 7
