"""A server stopped the way JupyterHub stops it (SIGINT, or SIGTERM; stdin not a terminal)
runs VisionLens's shutdown, even in the middle of an ingest."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.ingest_fixtures import count, ingest, write_coco
from tests.server_process import ServerProcess
from visionlens_jlab.catalog import Catalog

N_IMAGES = 20_000  # 140K boxes: more than one row group (122,880), so rows commit mid-ingest


@pytest.fixture(scope="module")
def big_coco(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("coco") / "big.json"
    return path, write_coco(path, N_IMAGES, 7, polygon_points=4)


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
