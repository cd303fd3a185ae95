"""The batch-committing dataset writer: failures, orphans of killed ingests, id allocation."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.catalog_fixtures import RowsSource
from tests.ingest_fixtures import count
from visionlens_jlab.catalog import Catalog, ConflictError
from visionlens_jlab.catalog.store import row_group_feed
from visionlens_jlab.catalog.store.ingest_reservations import ID_SPAN
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.records.batches import Batch


def rows(n: int, boxes_per: int = 2) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    samples = [{"file_name": f"img{i}.jpg", "width": 100, "height": 80} for i in range(n)]
    boxes = [
        {"sample_index": i, "label": "cat", "x": 1.0 + k, "y": 2.0, "w": 3.0, "h": 4.0}
        for i in range(n)
        for k in range(boxes_per)
    ]
    return samples, boxes


@pytest.fixture
def small_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commit every 10 rows of a table, so tests see several batch transactions on small data."""
    monkeypatch.setattr(row_group_feed, "COMMIT_ROWS", 10)


def visible(catalog: Catalog, table: str) -> int:
    return int(
        count(
            catalog,
            f"SELECT COUNT(*) FROM {table} WHERE dataset_id IN (SELECT dataset_id FROM datasets)",  # noqa: S608
        )
    )


def test_failure_after_committed_batches_leaves_nothing(
    tmp_path: Path, small_commits: None
) -> None:
    samples, boxes = rows(50)
    seen: list[tuple[int, int, int]] = []
    with Catalog(tmp_path) as catalog:

        def progress(fraction: float, message: str) -> None:
            # between batch transactions: rows are committed, yet no read path sees them
            seen.append(
                (
                    count(catalog, "SELECT COUNT(*) FROM samples"),
                    visible(catalog, "samples"),
                    len(catalog.list_datasets()),
                )
            )

        source = RowsSource(samples, boxes, ["cat"], batch_size=10, fail_after_batches=3)
        with pytest.raises(RuntimeError, match="simulated parser crash"):
            write_dataset(catalog, "ds", source, progress=progress)
        # the three batches read before the crash were committed, 10 rows of a table at a time
        assert [s[0] for s in seen] == sorted(s[0] for s in seen) and seen[-1][0] == 30
        assert all(s[1:] == (0, 0) for s in seen)
        assert catalog.list_datasets() == []
        for table in ("samples", "annotations", "categories"):
            assert count(catalog, f"SELECT COUNT(*) FROM {table}") == 0, table  # noqa: S608
        summary = write_dataset(catalog, "ds", RowsSource(samples, boxes, ["cat"], batch_size=10))
        assert (summary.samples, summary.annotations) == (50, 100)
        assert count(catalog, "SELECT MIN(sample_id) FROM samples") == 1


def test_orphans_of_a_killed_ingest_are_removed_on_open(tmp_path: Path) -> None:
    samples, boxes = rows(5)
    with Catalog(tmp_path) as catalog:
        write_dataset(catalog, "kept", RowsSource(samples, boxes, ["cat"]))
        # what a process killed between batch transactions leaves: rows, no datasets row
        with catalog.write() as cur:
            cur.execute(
                "INSERT INTO samples SELECT sample_id + 100, 99, file_name, location, width, "
                "height, split, source_image_id, tags, fields FROM samples"
            )
            cur.execute(
                "INSERT INTO annotations SELECT * REPLACE (ann_id + 100 AS ann_id, "
                "sample_id + 100 AS sample_id, 99 AS dataset_id) FROM annotations"
            )
            cur.execute(
                "INSERT INTO classifications SELECT 99, sample_id + 100, 'ground_truth', "
                "'indoor', NULL, NULL FROM samples WHERE dataset_id != 99"
            )
        assert count(catalog, "SELECT COUNT(*) FROM samples") == 10
    with Catalog(tmp_path) as catalog:
        assert count(catalog, "SELECT COUNT(*) FROM samples WHERE dataset_id = 99") == 0
        assert count(catalog, "SELECT COUNT(*) FROM annotations WHERE dataset_id = 99") == 0
        assert count(catalog, "SELECT COUNT(*) FROM classifications WHERE dataset_id = 99") == 0
        assert [d["name"] for d in catalog.list_datasets()] == ["kept"]
        assert count(catalog, "SELECT COUNT(*) FROM annotations") == 10  # "kept" untouched
        summary = write_dataset(catalog, "again", RowsSource(samples, boxes, ["cat"]))
        assert summary.samples == 5
        assert {d["name"]: d["num_samples"] for d in catalog.list_datasets()} == {
            "again": 5,
            "kept": 5,
        }


class GatedSource(RowsSource):
    """Yields its first batch, then waits for ``gate`` before the rest."""

    def __init__(self, *args: Any, gate: threading.Event, started: threading.Event, **kw: Any):
        super().__init__(*args, **kw)
        self.gate, self.started = gate, started

    def batches(self) -> Iterator[Batch]:
        for n, batch in enumerate(super().batches()):
            if n == 1:
                self.started.set()
                assert self.gate.wait(30)
            yield batch


def test_concurrent_ingests_get_disjoint_ids(tmp_path: Path, small_commits: None) -> None:
    samples, boxes = rows(30, boxes_per=3)
    gate, started = threading.Event(), threading.Event()
    with Catalog(tmp_path) as catalog:
        slow = GatedSource(samples, boxes, ["cat"], batch_size=10, gate=gate, started=started)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                write_dataset(catalog, "slow", slow)
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        assert started.wait(30)  # "slow" has committed a batch and is still in flight
        with pytest.raises(ConflictError, match="being ingested"):
            write_dataset(catalog, "slow", RowsSource(samples, boxes, ["cat"]))
        write_dataset(catalog, "fast", RowsSource(samples, boxes, ["cat"], batch_size=10))
        gate.set()
        thread.join(30)
        assert not errors, errors
        got = {
            r[0]: r[1:]
            for r in catalog._con.execute(
                "SELECT d.name, MIN(s.sample_id), MAX(s.sample_id), COUNT(DISTINCT s.sample_id) "
                "FROM samples s JOIN datasets d USING (dataset_id) GROUP BY d.name"
            ).fetchall()
        }
        assert got["slow"] == (1, 30, 30)  # dense from 1: it started first
        assert got["fast"][0] > got["slow"][1] and got["fast"][2] == 30
        assert got["fast"][1] < 2**53  # ids travel to the browser as JSON numbers
        assert got["fast"][0] == 1 + ID_SPAN  # past the span reserved by "slow"
        assert count(catalog, "SELECT COUNT(DISTINCT ann_id) FROM annotations") == 180
        assert count(catalog, "SELECT COUNT(DISTINCT dataset_id) FROM samples") == 2
        # annotation ids keep the order of the source file within each dataset
        order = catalog._con.execute(
            "SELECT bool_and(ok) FROM (SELECT ann_id > lag(ann_id) OVER "
            "(PARTITION BY dataset_id ORDER BY sample_id, x) AS ok FROM annotations) "
            "WHERE ok IS NOT NULL"
        ).fetchall()
        assert order == [(True,)]
        # the memory limit for ingests was lifted once both finished
        limit = catalog._con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        assert "MiB" not in limit and limit != "32.0 MiB"


def test_arrow_uses_the_system_allocator_while_writing(tmp_path: Path) -> None:
    # mimalloc, pyarrow's default, keeps freed batch memory; ingests switch to malloc and
    # switch back when the last one ends, whatever the nesting
    import pyarrow as pa

    from visionlens_jlab.records.batches import system_allocator

    def backend() -> str:
        return str(pa.default_memory_pool().backend_name)

    before = backend()
    if before == "system":
        pytest.skip("Arrow already uses the system allocator here (ARROW_DEFAULT_MEMORY_POOL)")
    seen: list[str] = []

    class Spy(RowsSource):
        def batches(self) -> Any:
            seen.append(backend())
            yield from super().batches()

    with Catalog(tmp_path / "data") as catalog:
        write_dataset(catalog, "a", Spy(*rows(3, 1), ["cat"]))
    assert seen == ["system"]
    assert backend() == before
    with system_allocator():
        with system_allocator():
            pass
        assert backend() == "system"  # the outer one still holds
    assert backend() == before


def test_a_stopping_server_interrupts_a_write_stuck_in_one_statement(tmp_path: Path) -> None:
    """The write lock a long statement holds comes free (the transaction rolled back), so
    the server's stop can close the catalog instead of waiting for it (issue #46)."""
    catalog = Catalog(tmp_path / "data")
    inside = threading.Event()
    failed: list[BaseException] = []

    def stuck() -> None:
        try:
            with catalog.write() as cur:
                cur.execute("CREATE TABLE kept_not (n BIGINT)")
                inside.set()
                cur.execute("SELECT sum(a.range * b.range) FROM range(100000000) a, range(100) b")
        except BaseException as exc:  # the interrupt, as the job would see it
            failed.append(exc)

    thread = threading.Thread(target=stuck)
    thread.start()
    assert inside.wait(30)
    started = time.monotonic()
    assert catalog.interrupt_writes(30)
    thread.join(30)
    assert not thread.is_alive() and time.monotonic() - started < 30
    assert len(failed) == 1 and isinstance(failed[0], duckdb.InterruptException), failed
    with catalog.cursor() as cur:  # rolled back
        assert cur.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'kept_not'"
        ).fetchone() == (0,)
    assert catalog.interrupt_writes(0)  # nothing in progress: free at once
    catalog.close()
