"""Background work leaves the CPU to the server's event loop (issue #15's load test): worker
processes lower their priority, their compute threads and DuckDB's leave a core, all set by
the server's configuration (a real server via pytest-jupyter)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.jobs import stream_from_worker
from visionlens_jlab.worker_priority import NICE_ENV, THREADS_ENV, compute_threads


def nice_and_threads() -> Iterator[tuple[int, int]]:
    yield os.nice(0), compute_threads()


def worker_view() -> tuple[int, int]:
    (seen,) = stream_from_worker(None, nice_and_threads)
    return seen


@pytest.fixture
def vl_settings() -> dict[str, Any]:
    return {"worker_nice": 4, "worker_threads": 3, "catalog_threads": 1}


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities here")
def test_workers_of_a_server_run_at_the_configured_priority(vl_app: Any) -> None:
    assert os.environ[NICE_ENV] == "4" and os.environ[THREADS_ENV] == "3"
    parent = os.nice(0)
    assert worker_view() == (min(19, parent + 4), 3)
    with vl_app.catalog.cursor() as cur:
        assert cur.execute("SELECT current_setting('threads')").fetchall() == [(1,)]


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities here")
def test_worker_priority_defaults_and_off(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.nice(0)
    monkeypatch.delenv(NICE_ENV, raising=False)
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert worker_view() == (min(19, parent + 10), os.cpu_count() or 1)  # the CLI alone
    monkeypatch.setenv(NICE_ENV, "0")
    assert worker_view()[0] == parent


def test_catalog_threads_bound_duckdb(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path, threads=1)
    try:
        with catalog.cursor() as cur:
            assert cur.execute("SELECT current_setting('threads')").fetchall() == [(1,)]
    finally:
        catalog.close()
