"""An aborted request stops its DuckDB statement (issue #16: quick filter changes at 1M).

The grid aborts a facets or samples request when its filter changes again. The server must
then interrupt the statement that request is running, not run it to its end while the next
requests wait. The server here has one request thread, and a facet provider whose first
statement would run for many minutes: the next request can only be answered once that
statement has stopped. Real server, real catalog, a real socket that closes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from visionlens_jlab.catalog.plan.facets import unregister_facet_provider
from visionlens_jlab.catalog.reads.queries import register_facet_provider
from visionlens_jlab.catalog.store.read_cancel import ReadCancelledError, ReadScope

from .conftest import ApiCall
from .evaluate_fixtures import write_scene

ENDLESS = "SELECT count(*) FROM range(1000000000000) t(i) WHERE i % 7 = 3"
"""A statement DuckDB needs many minutes for: only an interrupt ends it within the test."""


class SlowFacet:
    """A facet provider whose first call runs :data:`ENDLESS`; later calls add nothing."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.outcome: list[str] = []  # what ended the endless statement
        self._cursor: duckdb.DuckDBPyConnection | None = None

    def __call__(
        self, cur: duckdb.DuckDBPyConnection, dataset_id: int, samples_table: str
    ) -> list[dict[str, Any]]:
        if self._cursor is None:
            self._cursor = cur
            self.started.set()
            try:
                cur.execute(ENDLESS).fetchall()
                self.outcome.append("finished")
            except duckdb.InterruptException:
                self.outcome.append("interrupted")
                raise
        return []

    def stop(self) -> None:
        """Teardown: end the statement if the server did not (so the server can stop)."""
        if self._cursor is not None and not self.outcome:
            self._cursor.interrupt()


@pytest.fixture
def vl_settings() -> dict[str, Any]:
    return {"request_threads": 1}


@pytest.fixture
def slow_facet() -> Iterator[SlowFacet]:
    provider = SlowFacet()
    register_facet_provider(provider)
    yield provider
    provider.stop()
    # providers are registered for the life of the process; this one is the test's alone
    unregister_facet_provider(provider)


async def open_and_abandon(port: int, path: str, headers: dict[str, str], started: Any) -> None:
    """Send a GET on a raw connection, wait until the server runs its statement, hang up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}\r\n".encode())
    await writer.drain()
    for _ in range(600):
        if started.is_set():
            break
        await asyncio.sleep(0.05)
    assert started.is_set(), "the facets request never reached its statement"
    writer.close()
    await writer.wait_closed()


async def test_an_aborted_facets_request_stops_its_statement(
    vl_app: Any,
    api: ApiCall,
    slow_facet: SlowFacet,
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
) -> None:
    write_scene(vl_app.catalog)
    _, before = await api("GET", "datasets/scene/samples", params={"limit": 100})
    path = f"{jp_base_url.rstrip('/')}/visionlens/api/datasets/scene/facets"
    await open_and_abandon(jp_http_port, path, jp_auth_header, slow_facet.started)

    # the one request thread is free again only if the endless statement was interrupted
    status, page = await api("GET", "datasets/scene/samples", params={"limit": 100}, timeout=60)
    assert status == 200, page
    assert slow_facet.outcome == ["interrupted"]
    assert page["total"] == before["total"] > 0
    assert [s["sample_id"] for s in page["samples"]] == [s["sample_id"] for s in before["samples"]]

    # the catalog is fine: facets answer, a write commits and shows in the next read
    status, answer = await api("GET", "datasets/scene/facets")
    assert status == 200, answer
    assert answer["total"] == before["total"]
    status, tagged = await api(
        "POST", "datasets/scene/tags", {"filter": {}, "add": ["after-abort"]}
    )
    assert (status, tagged["updated"]) == (200, before["total"])
    _, page = await api(
        "POST", "datasets/scene/samples/query", {"filter": {"tags": {"any": ["after-abort"]}}}
    )
    assert page["total"] == before["total"]


def test_a_cancelled_scope_refuses_new_cursors_and_others_are_untouched(vl_data_dir: Any) -> None:
    from visionlens_jlab.catalog import Catalog

    with Catalog(vl_data_dir) as catalog:
        write_scene(catalog)
        scope = ReadScope()
        scope.cancel()

        def read() -> int:
            with catalog.cursor() as cur:
                (n,) = cur.execute("SELECT count(*) FROM samples").fetchall()[0]
                return int(n)

        with pytest.raises(ReadCancelledError):
            scope.run(read)
        assert ReadScope().run(read) == read() > 0
