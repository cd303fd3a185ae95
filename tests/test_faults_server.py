"""Server faults survived, on a real ``jupyter server`` process: kill -9 mid-ingest and a
restart, a parse worker killed mid-job, and a full disk under the data directory."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.ingest_fixtures import count, write_coco, write_yolo
from tests.server_process import ServerProcess
from tests.test_server_stop import N_IMAGES, wait_for_committed_batches
from tests.vectors_fixtures import add_dataset, fan
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.jobs.journal import INTERRUPTED
from visionlens_jlab.vectors import open_vector_store, reconcile

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def big_coco(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("coco") / "big.json"
    return path, write_coco(path, N_IMAGES, 7, polygon_points=4)


def stop(server: ServerProcess) -> None:
    server.signal(signal.SIGTERM)
    assert server.wait_exit() == 0, server.log()


def test_kill_9_mid_ingest_then_restart(tmp_path: Path, big_coco: tuple[Path, int]) -> None:
    path, n_boxes = big_coco
    data = tmp_path / "data"
    with Catalog(data) as catalog:  # a dataset with vectors from before the crash
        dataset_id, kept = add_dataset(catalog, "kept", 20)
        store = open_vector_store(data)
        space = store.ensure_space("clip", "1", 4).name
        store.upsert(space, kept, fan(len(kept)), dataset_ids=dataset_id)
        store.close()
    server = ServerProcess(data, tmp_path).wait_ready()
    try:
        job = server.api("POST", "datasets", {"source": str(path), "name": "big"}).json()["job"]
        wait_for_committed_batches(server, job["id"])
    finally:
        server.kill()
    assert (data / "server.json").exists()  # left behind: the pid in it is dead

    server = ServerProcess(data, tmp_path).wait_ready()  # a stale server.json is no obstacle
    try:
        jobs = {j["id"]: j for j in server.api("GET", "jobs").json()["jobs"]}
        assert jobs[job["id"]]["status"] == "failed"
        assert jobs[job["id"]]["error"] == INTERRUPTED
        names = [d["name"] for d in server.api("GET", "datasets").json()["datasets"]]
        assert names == ["kept"]
        # run it again: the same ingest works
        again = server.api("POST", "datasets", {"source": str(path), "name": "big"}).json()["job"]
        assert server.wait_job(again["id"])["status"] == "done", server.log()
    finally:
        stop(server)
    with Catalog(data) as catalog:
        listing = {d["name"]: d for d in catalog.list_datasets()}
        assert listing["big"]["num_annotations"] == n_boxes
        assert count(catalog, "SELECT COUNT(*) FROM samples") == N_IMAGES + 20
        store = open_vector_store(data)
        try:
            report = reconcile(catalog, store)
            assert (report.spaces[space].removed, report.spaces[space].points) == (0, 20)
            assert sorted(store.ids(space).tolist()) == kept
        finally:
            store.close()


def parse_workers(
    server: ServerProcess, besides: frozenset[int] = frozenset()
) -> list[psutil.Process]:
    """The server's spawned worker processes, oldest first, leaving out the pids ``besides``
    (such as the worker that lists the embedding models at server start)."""
    children = psutil.Process(server.proc.pid).children(recursive=True)
    workers = [
        p for p in children if "spawn_main" in " ".join(p.cmdline()) and p.pid not in besides
    ]
    return sorted(workers, key=lambda p: p.create_time())


def settled_workers(server: ServerProcess) -> frozenset[int]:
    """The worker pids once the server's start-up work is over: the model listing (started
    after the server answers, behind the start-up GC freeze) has run and its worker is gone,
    and the set has not changed for a second."""
    assert server.api("GET", "models", timeout=120).ok, server.log()
    seen = frozenset(p.pid for p in parse_workers(server))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = frozenset(p.pid for p in parse_workers(server))
        if now == seen:
            return now
        seen = now
    return seen


def new_worker(server: ServerProcess, before: frozenset[int]) -> psutil.Process:
    """The one worker process started after ``before`` was taken, once it runs."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = parse_workers(server, besides=before)
        if workers:
            (worker,) = workers
            return worker
        time.sleep(0.02)
    raise AssertionError(f"no worker process started:\n{server.log()}")


def test_a_killed_worker_fails_only_its_job(tmp_path: Path, big_coco: tuple[Path, int]) -> None:
    path, _ = big_coco
    small = tmp_path / "small"
    write_yolo(small, 30, 2, splits=("train",))
    server = ServerProcess(tmp_path / "data", tmp_path).wait_ready()
    try:
        before = settled_workers(server)
        doomed = server.api("POST", "datasets", {"source": str(path), "name": "big"}).json()
        worker = new_worker(server, before)  # parsing: the job is mid-way
        worker.send_signal(signal.SIGKILL)
        failed = server.wait_job(doomed["job"]["id"])
        assert failed["status"] == "failed" and "worker process died" in failed["error"]
        # the server and its other work go on
        other = server.api("POST", "datasets", {"source": str(small), "name": "small"}).json()
        assert server.wait_job(other["job"]["id"])["status"] == "done", server.log()
        listing = server.api("GET", "datasets").json()["datasets"]
        assert [(d["name"], d["num_samples"]) for d in listing] == [("small", 30)]
    finally:
        stop(server)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MiB tmpfs (needs root and mount; skipped where the test cannot mount)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_fails_the_ingest_clearly_and_loses_nothing(
    tmp_path: Path, small_disk: Path, big_coco: tuple[Path, int]
) -> None:
    path, _ = big_coco
    small = tmp_path / "small"
    write_yolo(small, 40, 3, splits=("train",))
    data = small_disk / "data"
    server = ServerProcess(data, tmp_path).wait_ready()
    try:
        first = server.api("POST", "datasets", {"source": str(small), "name": "small"}).json()
        assert server.wait_job(first["job"]["id"])["status"] == "done", server.log()
        page = server.api("GET", "datasets/small/samples?limit=100").json()
        big = server.api("POST", "datasets", {"source": str(path), "name": "big"}).json()
        failed = server.wait_job(big["job"]["id"], timeout=300)
        assert failed["status"] == "failed", failed
        assert "no space left on the disk" in failed["error"] and str(data) in failed["error"]
        # what was there is intact, and the server still answers
        assert server.api("GET", "datasets/small/samples?limit=100").json() == page
        assert [d["name"] for d in server.api("GET", "datasets").json()["datasets"]] == ["small"]
    finally:
        stop(server)
    shutil.rmtree(data / "thumbnails", ignore_errors=True)  # room for the reopen
    with Catalog(data) as catalog:
        assert [(d["name"], d["num_samples"]) for d in catalog.list_datasets()] == [("small", 40)]
        assert count(catalog, "SELECT COUNT(*) FROM samples") == 40
