"""The Edge store in a child process: restarts after it dies, answers during writes, exits
with its owner. Real Qdrant Edge shards, real child processes, real signals.

(Every store behaviour is also run through the child by ``tests/test_vectors_store.py``:
its ``edge-process`` backend.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from tests.server_process import ServerProcess
from visionlens_jlab.vectors import (
    EdgeProcessStore,
    EdgeVectorStore,
    VectorStoreError,
    VectorStoreUnavailableError,
)

from .vectors_fixtures import e0, fan


def wait_gone(pid: int, timeout: float = 30.0) -> None:
    """Wait until process ``pid`` has exited (reaped or a zombie of a dead parent)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still running after {timeout} s")


def test_a_killed_child_fails_the_call_in_flight_and_the_next_call_restarts_it(
    tmp_path: Path,
) -> None:
    store = EdgeProcessStore(tmp_path / "edge")
    try:
        space = store.ensure_space("m", "v", 4).name
        store.upsert(space, [1, 2, 3], fan(3), dataset_ids=1)
        first = store.pid
        assert first is not None
        os.kill(first, signal.SIGSTOP)  # the next call is sent but never answered ...
        failed: list[BaseException] = []

        def count() -> None:
            try:
                store.count(space)
            except BaseException as exc:
                failed.append(exc)

        caller = threading.Thread(target=count)
        caller.start()
        time.sleep(0.2)
        os.kill(first, signal.SIGKILL)  # ... and the child dies under it
        caller.join(timeout=30)
        assert not caller.is_alive()
        assert len(failed) == 1 and isinstance(failed[0], VectorStoreUnavailableError)
        assert "exited" in str(failed[0])
        assert store.count(space) == 3  # a new child, on the same (durable) shards
        assert store.pid not in (None, first)
        assert [h.sample_id for h in store.search(space, e0(), k=3)] == [1, 2, 3]
    finally:
        store.close()


def test_a_search_during_a_large_upsert_answers_correctly(tmp_path: Path) -> None:
    store = EdgeProcessStore(tmp_path / "edge")
    try:
        small = store.ensure_space("small", "v", 4).name
        big = store.ensure_space("big", "v", 256).name
        store.upsert(small, [1, 2, 3], fan(3), dataset_ids=1)
        rng = np.random.default_rng(0)
        vectors = rng.standard_normal((8000, 256)).astype(np.float32)
        errors: list[BaseException] = []

        def write() -> None:
            try:
                store.upsert(big, np.arange(10, 8010), vectors, dataset_ids=2)
            except BaseException as exc:
                errors.append(exc)

        writer = threading.Thread(target=write)
        writer.start()
        answers: list[list[int]] = []
        while writer.is_alive() or not answers:
            answers.append([h.sample_id for h in store.search(small, e0(), k=3)])
        writer.join()
        assert not errors
        assert answers and all(a == [1, 2, 3] for a in answers)
        assert store.count(big) == 8000
    finally:
        store.close()


def test_close_ends_the_child_and_later_calls_are_refused(tmp_path: Path) -> None:
    store = EdgeProcessStore(tmp_path / "edge")
    space = store.ensure_space("m", "v", 4).name
    store.upsert(space, [1, 2], fan(2), dataset_ids=1)
    pid = store.pid
    assert pid is not None
    store.close()
    store.close()
    wait_gone(pid, timeout=5)
    with pytest.raises(VectorStoreError, match="closed"):
        store.count(space)
    with EdgeVectorStore(tmp_path / "edge") as reopened:  # the shards' locks are released
        assert reopened.count(space) == 2


def test_the_child_exits_when_its_owner_dies(tmp_path: Path) -> None:
    root = tmp_path / "edge"
    owner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from visionlens_jlab.vectors import EdgeProcessStore\n"
            "store = EdgeProcessStore(sys.argv[1])\n"
            "store.ensure_space('m', 'v', 4)\n"
            "print(store.pid, flush=True)\n"
            "time.sleep(600)\n",
            str(root),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert owner.stdout is not None
        child = int(owner.stdout.readline())
        owner.kill()  # kill -9: no close, no cleanup
        owner.wait(timeout=30)
        wait_gone(child)  # its request pipe reached end of file
    finally:
        owner.kill()
    with EdgeVectorStore(root) as reopened:
        assert [s.model for s in reopened.spaces()] == ["m"]


def test_a_stopping_server_closes_its_vector_store_process(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", tmp_path).wait_ready()
    try:
        # an embed request opens the store first (its answer: no such dataset)
        answer = server.api("POST", "datasets/none/embed", {"model": "builtin-color-gradient"})
        assert answer.status_code == 404, answer.text
        children = psutil.Process(server.proc.pid).children(recursive=True)
        stores = [p for p in children if "vectors.edge_process" in " ".join(p.cmdline())]
        assert len(stores) == 1, server.log()
        server.signal(signal.SIGTERM)
        assert server.wait_exit(timeout=60) == 0, server.log()
        wait_gone(stores[0].pid, timeout=5)
    finally:
        server.kill()
