"""How the dataset writer cuts an ingest into transactions (``catalog/store/row_group_feed.py``) and
which JSON it trusts: the CLI streams the parser into one transaction, the server commits
buffered row groups, and only this package's parsers skip DuckDB's JSON validation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from tests.catalog_fixtures import RowsSource
from tests.ingest_fixtures import count, write_coco
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.store import ingest_reservations, row_group_feed
from visionlens_jlab.catalog.store.ingest_reservations import INGEST_MEMORY_LIMIT
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.ingest.coco import sql_source
from visionlens_jlab.ingest.open import open_dataset
from visionlens_jlab.records.batches import Batch, as_checked_json


def rows(n: int, boxes_per: int = 2) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    samples = [{"file_name": f"img{i}.jpg", "width": 100, "height": 80} for i in range(n)]
    boxes = [
        {"sample_index": i, "label": "cat", "x": float(k), "y": 2.0, "w": 3.0, "h": 4.0}
        for i in range(n)
        for k in range(boxes_per)
    ]
    return samples, boxes


def cli_catalog(path: Path) -> Catalog:
    """A catalog opened as the CLI opens it (a process that does nothing else meanwhile)."""
    return Catalog(path, ingest_memory_limit="64MB")


def ingest_commits(catalog: Catalog, samples: list[Any], boxes: list[Any]) -> list[int]:
    """Write a dataset in ``catalog``; the samples committed after each transaction."""
    seen: list[int] = []

    def progress(fraction: float, message: str) -> None:
        if not message.startswith("summarising"):  # that stage's note commits nothing
            seen.append(count(catalog, "SELECT COUNT(*) FROM samples"))

    summary = write_dataset(
        catalog, "ds", RowsSource(samples, boxes, ["cat"], batch_size=7), progress=progress
    )
    assert (summary.samples, summary.annotations) == (len(samples), len(boxes))
    # ids follow the source order, whatever the transactions
    got = catalog._con.execute(
        "SELECT sample_id - (SELECT MIN(sample_id) FROM samples), x FROM annotations "
        "ORDER BY ann_id"
    ).fetchall()
    assert got == [(b["sample_index"], b["x"]) for b in boxes]
    return seen


def test_the_cli_streams_one_transaction_and_the_server_commits_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(row_group_feed, "COMMIT_ROWS", 10)
    samples, boxes = rows(25)
    with cli_catalog(tmp_path / "cli") as catalog:
        assert catalog.ingests_alone
        assert ingest_commits(catalog, samples, boxes) == [25]  # one, whatever COMMIT_ROWS
    with Catalog(tmp_path / "server") as catalog:
        assert not catalog.ingests_alone
        seen = ingest_commits(catalog, samples, boxes)
    # one transaction per 10 rows of either table (50 boxes: at least 5), none held open
    # while the parser works
    assert len(seen) >= 5 and seen == sorted(seen) and seen[-1] == 25


def test_a_parser_error_inside_the_cli_transaction_keeps_its_type_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    samples, boxes = rows(30)
    with cli_catalog(tmp_path) as catalog:
        source = RowsSource(samples, boxes, ["cat"], batch_size=10, fail_after_batches=2)
        # raised inside DuckDB's read of the stream, yet reported as the parser raised it
        with pytest.raises(RuntimeError, match="simulated parser crash"):
            write_dataset(catalog, "ds", source)
        for table in ("samples", "annotations", "categories", "datasets"):
            assert count(catalog, f"SELECT COUNT(*) FROM {table}") == 0, table  # noqa: S608
        summary = write_dataset(catalog, "ds", RowsSource(samples, boxes, ["cat"]))
        assert (summary.samples, summary.annotations) == (30, 60)


class JsonSource(RowsSource):
    """Boxes whose ``attributes`` column is typed ``arrow.json``, holding ``text``."""

    def __init__(self, text: str, *, json_checked: bool) -> None:
        super().__init__(*rows(3, 1), ["cat"])
        self.text = text
        self.json_checked = json_checked

    def batches(self) -> Iterator[Batch]:
        for batch in super().batches():
            boxes = batch.annotations
            assert boxes is not None
            column = pa.array([self.text] * boxes.num_rows, pa.string())
            boxes = boxes.set_column(
                boxes.schema.get_field_index("attributes"), "attributes", column
            )
            yield Batch(batch.samples, as_checked_json(boxes, ("attributes",)))


@pytest.mark.parametrize("alone", [True, False])
def test_an_untrusted_producer_gets_the_json_validation(tmp_path: Path, alone: bool) -> None:
    open_catalog = cli_catalog if alone else Catalog
    with open_catalog(tmp_path) as catalog:
        # a plugin format's JSON is validated by DuckDB, arrow.json or not
        with pytest.raises(Exception, match="(?i)json"):
            write_dataset(catalog, "bad", JsonSource("{not json", json_checked=False))
        assert count(catalog, "SELECT COUNT(*) FROM annotations") == 0
        write_dataset(catalog, "good", JsonSource('{"occluded":true}', json_checked=False))
        write_dataset(catalog, "trusted", JsonSource('{"occluded":true}', json_checked=True))
        got = catalog._con.execute(
            "SELECT d.name, a.attributes::VARCHAR FROM annotations a JOIN datasets d "
            "USING (dataset_id) GROUP BY ALL ORDER BY 1"
        ).fetchall()
        assert got == [("good", '{"occluded":true}'), ("trusted", '{"occluded":true}')]


@pytest.mark.parametrize("trusted", [True, False])
def test_the_feed_hands_duckdb_arrow_json_only_from_a_trusted_parser(trusted: bool) -> None:
    source = JsonSource('{"a":1}', json_checked=trusted)
    feed = row_group_feed.RowGroupFeed(source.batches(), json_checked=trusted, live=True)
    types = {}
    for table, reader in feed.streams():
        types[table] = reader.schema.field("attributes" if table == "annotations" else "fields")
        reader.read_all()
    # DuckDB stores an arrow.json column as JSON without parsing it; a string column it parses
    assert isinstance(types["annotations"].type, pa.JsonType) is trusted
    assert types["samples"].type == pa.string()


def test_plugin_formats_never_skip_the_json_validation(tmp_path: Path) -> None:
    from visionlens_jlab.ingest import open as open_module
    from visionlens_jlab.plugins.api import IngestFormat
    from visionlens_jlab.plugins.registry import default_registry

    registry = default_registry()
    fmt = IngestFormat(
        name="claims-trust",
        detect=lambda path: False,
        open=lambda *, context: JsonSource("{not json", json_checked=True),
    )
    registry.ingest_formats["claims-trust"] = ("test-plugin", fmt)
    try:
        parsed = open_module.open_plugin_format(str(tmp_path), "claims-trust", None, None)
    finally:
        del registry.ingest_formats["claims-trust"]
    assert parsed.json_checked is False
    with cli_catalog(tmp_path / "data") as catalog:
        with pytest.raises(Exception, match="(?i)json"):
            write_dataset(catalog, "p", parsed)


def test_coco_through_the_sql_path_is_stored_the_same_by_the_cli_and_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_source, "SQL_MIN_BYTES", 1)  # the DuckDB path on a small file
    monkeypatch.setattr(row_group_feed, "COMMIT_ROWS", 100)
    path = tmp_path / "coco.json"
    write_coco(path, 60, 5)
    tables = []
    for name, catalog in (
        ("cli", cli_catalog(tmp_path / "cli")),
        ("server", Catalog(tmp_path / "server")),
    ):
        with catalog:
            parsed = open_dataset(str(path), "coco")
            assert parsed.json_checked is True
            write_dataset(catalog, name, parsed)
            tables.append(
                catalog._con.execute(
                    "SELECT ann_id, sample_id, label, x, y, w, h, area, iscrowd, source_ann_id, "
                    "segmentation::VARCHAR, attributes::VARCHAR, json_valid(segmentation) "
                    "FROM annotations ORDER BY ann_id"
                ).fetchall()
            )
    assert len(tables[0]) == 300 and tables[0] == tables[1]
    assert all(row[-1] for row in tables[0])  # the SQL path's JSON is valid by construction


def test_the_servers_ingest_job_hands_the_writer_the_parsers_json_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's ingest parses in a spawned worker (``importing/jobs.py``): the parser's
    ``json_checked`` and its ``arrow.json`` columns must cross the pipe to the writer, or
    DuckDB validates again every segmentation the COCO parser already checked."""
    from visionlens_jlab.catalog.writes import dataset_writer
    from visionlens_jlab.importing.jobs import submit_ingest
    from visionlens_jlab.jobs import JobManager

    handed: list[bool] = []
    types: set[pa.DataType] = set()

    class Spy(row_group_feed.RowGroupFeed):
        def __init__(self, batches: Iterator[Batch], *, json_checked: bool, live: bool) -> None:
            super().__init__(batches, json_checked=json_checked, live=live)
            handed.append(json_checked)

        def streams(self) -> Iterator[tuple[str, pa.RecordBatchReader]]:
            for table, reader in super().streams():
                if table == "annotations":
                    types.add(reader.schema.field("segmentation").type)
                yield table, reader

    monkeypatch.setattr(dataset_writer, "RowGroupFeed", Spy)
    path = tmp_path / "coco.json"
    # big enough for the DuckDB JSON path, the one whose columns are arrow.json (a patched
    # threshold would not reach the spawned worker)
    write_coco(path, 6000, 7)
    assert path.stat().st_size >= 1.2 * sql_source.SQL_MIN_BYTES  # the annotations array alone
    jobs = JobManager(max_workers=1)
    with Catalog(tmp_path / "vl") as catalog:
        try:
            done = jobs.wait(submit_ingest(jobs, catalog, source=str(path), name="c").id, 120)
        finally:
            jobs.shutdown()
        assert done.status == "done", done.error
        valid = count(catalog, "SELECT COUNT(*) FROM annotations WHERE json_valid(segmentation)")
    assert handed == [True]
    assert types and all(isinstance(t, pa.JsonType) for t in types)
    assert valid == 6000 * 7


def test_the_cli_limit_does_not_starve_the_final_summaries(tmp_path: Path) -> None:
    # The CLI streams under a low memory limit; the last transaction aggregates the whole
    # dataset (box summaries, facet parts), which needs more than that limit at this size
    # (60K images / 300K boxes failed with DuckDB's OutOfMemoryException before the limit
    # was lifted for it).
    ingest_under_the_cli_limit(tmp_path)


def test_a_dataset_too_big_for_the_finishing_limit_is_retried_under_the_catalogs_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a finishing limit below the streaming one (on one thread the summaries fit in the
    # streaming limit at this size): the last transaction fails, rolls back, and runs again
    # under the catalog's own limit
    monkeypatch.setattr(ingest_reservations, "INGEST_FINISH_MEMORY_LIMIT", "8MB")
    seen: list[tuple[bool, str]] = []
    lift = ingest_reservations.IngestReservations.lift_ingest_memory_limit

    def spy(self: Catalog, *, to_default: bool = False) -> None:
        lift(self, to_default=to_default)
        threads = self._con.execute("SELECT current_setting('threads')").fetchall()[0][0]
        seen.append((to_default, str(threads)))

    monkeypatch.setattr(ingest_reservations.IngestReservations, "lift_ingest_memory_limit", spy)
    ingest_under_the_cli_limit(tmp_path)
    # the retry runs on the catalog's own threads (DuckDB's default here), as on its own limit
    default = duckdb.connect().execute("SELECT current_setting('threads')").fetchall()[0][0]
    assert seen == [(False, "1"), (True, str(default))]


def ingest_under_the_cli_limit(tmp_path: Path, n: int = 60_000, per: int = 5) -> None:
    samples = [{"file_name": f"img{i}.jpg", "width": 100, "height": 80} for i in range(n)]
    boxes = [
        {"sample_index": i, "label": f"c{k % 7}", "x": float(k), "y": 2.0, "w": 3.0, "h": 4.0}
        for i in range(n)
        for k in range(per)
    ]
    classes = [f"c{k}" for k in range(7)]
    with Catalog(tmp_path / "cli", ingest_memory_limit=INGEST_MEMORY_LIMIT) as catalog:
        source = RowsSource(samples, boxes, classes, batch_size=5000)
        summary = write_dataset(catalog, "big", source)
        assert (summary.samples, summary.annotations) == (n, n * per)
        got = catalog._con.execute(
            "SELECT (SELECT COUNT(*) FROM datasets), SUM(n) FROM box_summaries"
        ).fetchall()
        assert got == [(1, n * per)]


def test_the_cli_finishes_on_one_thread_and_gives_the_catalog_its_threads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A parallel aggregate holds a hash table per thread: at two threads the box summaries
    # of the 100K extra_keys file overran the finishing limit in some runs, and the retry
    # under the catalog's own limit raised the CLI's peak by ~110 MB
    samples, boxes = rows(40)
    with Catalog(tmp_path, threads=2, ingest_memory_limit=INGEST_MEMORY_LIMIT) as catalog:

        def threads() -> int:
            return int(count(catalog, "SELECT current_setting('threads')"))

        seen: list[tuple[bool, int]] = []
        lift = catalog.lift_ingest_memory_limit

        def spy(*, to_default: bool = False) -> None:
            lift(to_default=to_default)
            seen.append((to_default, threads()))

        monkeypatch.setattr(catalog, "lift_ingest_memory_limit", spy)
        write_dataset(catalog, "ds", RowsSource(samples, boxes, ["cat"], batch_size=7))
        assert seen == [(False, 1)]
        assert threads() == 2
