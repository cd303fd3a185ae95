"""Readers of the server's catalog never fail because an ingest runs (issue #15).

DuckDB's memory limit is one setting of the whole instance; the server's catalog keeps its
own limit while ingests run (only the CLI, which reads nothing else, lowers it).
"""

from __future__ import annotations

import threading
from typing import Any

from tests.catalog_fixtures import RowsSource
from tests.test_catalog_writer import GatedSource, rows
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.plan.facets import facets
from visionlens_jlab.catalog.reads.queries import samples_page
from visionlens_jlab.catalog.store.catalog import SERVER_MEMORY_LIMIT
from visionlens_jlab.catalog.store.ingest_reservations import INGEST_MEMORY_LIMIT
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset

READERS = 8


def memory_limit(catalog: Catalog) -> str:
    with catalog.cursor() as cur:
        return str(cur.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])


def test_readers_page_and_facet_while_an_ingest_runs(vl_app: Any) -> None:
    catalog: Catalog = vl_app.catalog
    samples, boxes = rows(4000, boxes_per=3)
    write_dataset(catalog, "browse", RowsSource(samples, boxes, ["cat"]))
    limit_before = memory_limit(catalog)
    gate, started = threading.Event(), threading.Event()
    ingest_errors: list[BaseException] = []

    def ingest() -> None:
        source = GatedSource(samples, boxes, ["cat"], batch_size=500, gate=gate, started=started)
        try:
            write_dataset(catalog, "incoming", source)
        except BaseException as exc:
            ingest_errors.append(exc)

    ingest_thread = threading.Thread(target=ingest)
    ingest_thread.start()
    assert started.wait(60)  # the ingest has committed a batch and is still in flight
    assert memory_limit(catalog) == limit_before  # readers keep the server's limit

    errors: list[BaseException] = []
    done = [0]
    lock = threading.Lock()

    def read(worker: int) -> None:
        try:
            for n in range(6):
                page = samples_page(
                    catalog, "browse", None, offset=(worker * 60 + n * 120) % 4000, limit=60
                )
                assert page["total"] == 4000 and len(page["samples"]) == 60
                facet = facets(catalog, "browse", {"labels": {"classes": ["cat"]}})
                assert facet["total"] == 4000
                with lock:
                    done[0] += 1
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=read, args=(w,)) for w in range(READERS)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join(120)
    gate.set()
    ingest_thread.join(120)
    assert not errors, errors[:3]
    assert done[0] == READERS * 6
    assert not ingest_errors, ingest_errors
    assert {d["name"] for d in catalog.list_datasets()} == {"browse", "incoming"}
    assert memory_limit(catalog) == limit_before


def test_server_and_cli_memory_limits(vl_app: Any, tmp_path: Any) -> None:
    # the server fixes its limit at open; the CLI lowers its own only while it ingests
    assert memory_limit(vl_app.catalog) == memory_limit_of(SERVER_MEMORY_LIMIT, tmp_path / "s")
    with Catalog(tmp_path / "cli", ingest_memory_limit=INGEST_MEMORY_LIMIT) as cli:
        before = memory_limit(cli)
        seen: list[str] = []

        class Watched(RowsSource):
            def batches(self) -> Any:
                seen.append(memory_limit(cli))
                yield from super().batches()

        samples, boxes = rows(10)
        write_dataset(cli, "one", Watched(samples, boxes, ["cat"]))
        assert seen == [memory_limit_of(INGEST_MEMORY_LIMIT, tmp_path / "i")]
        assert memory_limit(cli) != seen[0]  # lifted again (DuckDB's default reads back ~before)
        assert memory_limit(cli).split()[-1] == before.split()[-1]


def memory_limit_of(limit: str, data_dir: Any) -> str:
    """How DuckDB reports ``limit`` (e.g. '1GB' reads back as '953.6 MiB')."""
    with Catalog(data_dir, memory_limit=limit) as catalog:
        return memory_limit(catalog)
