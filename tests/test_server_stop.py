"""A server stopped the way JupyterHub stops it (SIGINT, or SIGTERM; stdin not a terminal)
runs VisionLens's shutdown, even in the middle of an ingest; a long ingest stops when it is
cancelled or the server stops, at any stage, and keeps nothing (issue #46)."""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ingest_fixtures import count, ingest, write_coco
from tests.server_process import ServerProcess
from visionlens_jlab.catalog import Catalog

N_IMAGES = 20_000  # 140K boxes: more than one row group (122,880), so rows commit mid-ingest
LONG_IMAGES, LONG_BOXES = 3_000, 200
"""600K boxes, 200 an image (well within max_labels_per_image): parsing, the row-group
transactions and the summarising one each take long enough to be caught in the middle."""
STOP_BOUND = 60.0
"""Generous: proves that a cancel or a stop is honoured (the server exits, the job ends),
not how fast; timings belong in benchmarks."""
STAGES: dict[str, Callable[[str], object]] = {
    "parsing": lambda message: message.startswith("reading "),
    "writing": lambda message: re.fullmatch(r"\d+ samples, [1-9]\d* objects", message),
    "summarising": lambda message: message.startswith("summarising "),
}
"""How a running ingest's progress message says which stage it is in."""


@pytest.fixture(scope="module")
def big_coco(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("coco") / "big.json"
    return path, write_coco(path, N_IMAGES, 7, polygon_points=4)


@pytest.fixture(scope="module")
def long_coco(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("long") / "long.json"
    write_coco(path, LONG_IMAGES, LONG_BOXES, polygon_points=4)
    return path


def wait_for_stage(server: ServerProcess, job_id: str, stage: str) -> dict[str, object]:
    """Wait until the running ingest ``job_id`` is in ``stage`` (see :data:`STAGES`)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = server.api("GET", f"jobs/{job_id}").json()
        assert job["status"] in ("queued", "running"), (stage, job, server.log())
        if job["status"] == "running" and STAGES[stage](job["message"]):
            return job
        time.sleep(0.02)
    raise AssertionError(f"the ingest never reached {stage}:\n{server.log()}")


def wait_for_committed_batches(server: ServerProcess, job_id: str, timeout: float = 120) -> None:
    """Wait until the ingest has committed rows (its message counts boxes written)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = server.api("GET", f"jobs/{job_id}").json()
        assert job["status"] in ("queued", "running"), (job, server.log())
        if "objects" in job["message"] and not job["message"].endswith(" 0 objects"):
            return
        time.sleep(0.02)
    raise AssertionError(f"no batch committed in {timeout} s:\n{server.log()}")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stop_signal_mid_ingest_runs_the_shutdown(
    tmp_path: Path, big_coco: tuple[Path, int], sig: int
) -> None:
    path, n_boxes = big_coco
    data = tmp_path / "data"
    server = ServerProcess(data, tmp_path).wait_ready()
    try:
        assert (data / "server.json").exists()
        response = server.api("POST", "datasets", {"source": str(path), "name": "big"})
        assert response.status_code == 202, response.text
        job_id = response.json()["job"]["id"]
        wait_for_committed_batches(server, job_id)
        server.signal(sig)
        assert server.wait_exit(timeout=60) == 0, server.log()
    finally:
        server.kill()
    log = server.log()
    assert "Shutting down 1 extension" in log or "Shutting down" in log, log
    assert not (data / "server.json").exists(), log
    # The job was cancelled (or had just finished) and the journal says so.
    (record,) = [
        j for j in json.loads((data / "jobs.json").read_text())["jobs"] if j["id"] == job_id
    ]
    assert record["status"] in ("cancelled", "done"), record
    if record["status"] == "cancelled":
        assert "server stopped" in record["message"]
    # Read-only: no orphan cleanup on open, so this sees what the stop itself left behind.
    with Catalog(data, read_only=True) as catalog:
        datasets = catalog.list_datasets()
        samples = count(catalog, "SELECT COUNT(*) FROM samples")
        boxes = count(catalog, "SELECT COUNT(*) FROM annotations")
    if record["status"] == "cancelled":
        assert (datasets, samples, boxes) == ([], 0, 0)
    else:
        assert [d["num_annotations"] for d in datasets] == [n_boxes]
        assert (samples, boxes) == (N_IMAGES, n_boxes)
    with Catalog(data) as catalog:
        if not datasets:
            summary = ingest(catalog, "big", path)
            assert (summary.samples, summary.annotations) == (N_IMAGES, n_boxes)
        assert [d["num_annotations"] for d in catalog.list_datasets()] == [n_boxes]


def test_sigint_without_a_terminal_stops_an_idle_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = ServerProcess(data, tmp_path).wait_ready()
    try:
        server.signal(signal.SIGINT)
        assert server.wait_exit(timeout=60) == 0, server.log()
    finally:
        server.kill()
    assert not (data / "server.json").exists(), server.log()
    with Catalog(data) as catalog:  # released: a new owner can open it
        assert catalog.list_datasets() == []


@pytest.mark.slow
def test_a_cancelled_long_ingest_ends_at_any_stage_and_keeps_nothing(
    tmp_path: Path, long_coco: Path
) -> None:
    data = tmp_path / "data"
    server = ServerProcess(data, tmp_path).wait_ready()
    try:
        for stage in STAGES:
            response = server.api("POST", "datasets", {"source": str(long_coco), "name": stage})
            assert response.status_code == 202, response.text
            job_id = response.json()["job"]["id"]
            wait_for_stage(server, job_id, stage)  # far from done: the stage says so
            assert server.api("DELETE", f"jobs/{job_id}").status_code == 200
            job = server.wait_job(job_id, timeout=STOP_BOUND)  # bound: see STOP_BOUND
            assert job["status"] == "cancelled", (stage, job, server.log())
            assert server.api("GET", f"datasets/{stage}").status_code == 404, stage
        assert server.api("GET", "datasets").json()["datasets"] == []
        server.signal(signal.SIGTERM)
        assert server.wait_exit(timeout=STOP_BOUND) == 0, server.log()
    finally:
        server.kill()
    # Read-only: no orphan cleanup on open, so this sees what the cancels left behind.
    with Catalog(data, read_only=True) as catalog:
        for table in ("samples", "annotations", "categories"):
            assert count(catalog, f"SELECT count(*) FROM {table}") == 0, table  # noqa: S608


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["parsing", "summarising"])
def test_sigterm_while_a_long_ingest_runs_stops_the_server(
    tmp_path: Path, long_coco: Path, stage: str
) -> None:
    """The stages the mid-commit test above leaves out: the parse worker still reading the
    source, and the summarising transaction (one long write)."""
    data = tmp_path / "data"
    server = ServerProcess(data, tmp_path).wait_ready()
    try:
        response = server.api("POST", "datasets", {"source": str(long_coco), "name": "long"})
        assert response.status_code == 202, response.text
        wait_for_stage(server, response.json()["job"]["id"], stage)
        server.signal(signal.SIGTERM)
        assert server.wait_exit(timeout=STOP_BOUND) == 0, server.log()  # bound: see STOP_BOUND
    finally:
        server.kill()
    assert not (data / "server.json").exists(), server.log()
    with Catalog(data) as catalog:  # opens (released), with no half-written dataset
        datasets = catalog.list_datasets()
        rows = [count(catalog, f"SELECT count(*) FROM {t}") for t in ("samples", "annotations")]  # noqa: S608
    if stage == "parsing" or not datasets:
        assert (datasets, rows) == ([], [0, 0]), server.log()
    else:  # the summarising transaction had committed before the signal came
        assert [d["num_annotations"] for d in datasets] == [LONG_IMAGES * LONG_BOXES]
        assert rows == [LONG_IMAGES, LONG_IMAGES * LONG_BOXES]
