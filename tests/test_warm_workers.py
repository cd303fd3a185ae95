"""Model workers kept warm between jobs (visionlens_jlab/jobs/warm_workers.py): a second job
of the same tag runs in the same process with its model still loaded; a failure, a cancel,
another tag or the idle time each end up in a fresh process; and the model registry keeps
a model between leases only where asked to."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from visionlens_jlab.jobs import JobKind, JobManager, WorkerError
from visionlens_jlab.jobs.accelerator import MODELS, ModelRegistry
from visionlens_jlab.jobs.job import JobCancelled, JobContext
from visionlens_jlab.jobs.warm_workers import WarmWorkers

LOADS = 0


def load_counted() -> int:
    global LOADS
    LOADS += 1
    return LOADS


def leased(key: str, n: int) -> Iterator[tuple[int, int, int]]:
    """``n`` items of ``(pid, the model the lease gave, loads so far in this process)``."""
    with MODELS.lease(key, load_counted) as model:
        for _ in range(n):
            yield (os.getpid(), model, LOADS)


def fails(n: int) -> Iterator[int]:
    yield from range(n)
    raise ValueError(f"bad image {n}")


def endless() -> Iterator[int]:
    while True:
        time.sleep(0.05)
        yield 1


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a reaped child is gone; a zombie would still answer, so check its state too
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_second_job_of_the_same_tag_runs_warm_with_its_model_loaded() -> None:
    workers = WarmWorkers(60)
    try:
        reused: list[bool] = []
        first = list(workers.stream(None, "m", leased, "model-a", 3, reused=reused))
        second = list(workers.stream(None, "m", leased, "model-a", 2, reused=reused))
        assert reused == [False, True]
        assert {pid for pid, _, _ in first + second} == {first[0][0]} != os.getpid()
        assert [loads for _, _, loads in second] == [1, 1]  # not loaded again
        assert workers.started == 1 and workers.idle_tags() == ["m"]
        # another model in the same tag's worker is loaded once, the old one dropped
        third = list(workers.stream(None, "m", leased, "model-b", 1))
        assert third[0][2] == 2
        # another tag never gets that worker
        other = list(workers.stream(None, "other", leased, "model-a", 1))
        assert other[0][0] != first[0][0] and workers.started == 2
    finally:
        workers.close()
    assert workers.idle_tags() == []
    assert not alive(first[0][0])


def test_a_failed_job_ends_its_worker_and_the_next_starts_fresh() -> None:
    workers = WarmWorkers(60)
    try:
        with pytest.raises(WorkerError, match="bad image 2"):
            list(workers.stream(None, "t", fails, 2))
        assert workers.idle_tags() == []
        after = list(workers.stream(None, "t", leased, "m", 1))
        assert after[0][2] == 1  # a new process: its first load
        assert workers.started == 2
    finally:
        workers.close()


def test_a_cancelled_job_terminates_its_worker() -> None:
    jobs = JobManager(max_workers=1)
    workers = WarmWorkers(60)
    pids: list[int] = []

    def run(ctx: JobContext) -> None:
        for _ in workers.stream(ctx, "t", endless):
            if not pids:
                pids.append(1)

    try:
        job = jobs.submit(_kind(), run, title="endless")
        deadline = time.monotonic() + 60
        while not pids and time.monotonic() < deadline:
            time.sleep(0.05)
        jobs.cancel(job.id)
        while job.status not in ("cancelled", "failed") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job.status == "cancelled"
        assert workers.idle_tags() == []
    finally:
        jobs.shutdown(5)
        workers.close()


def test_idle_workers_end_after_the_idle_time_and_zero_keeps_none() -> None:
    workers = WarmWorkers(0.5)
    try:
        pid = next(iter(list(workers.stream(None, "t", leased, "m", 1))))[0]
        assert workers.idle_tags() == ["t"]
        deadline = time.monotonic() + 20
        while (workers.idle_tags() or alive(pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert workers.idle_tags() == [] and not alive(pid)
    finally:
        workers.close()
    cold = WarmWorkers(0)
    pid = list(cold.stream(None, "t", leased, "m", 1))[0][0]
    assert cold.idle_tags() == [] and not alive(pid)


def test_the_registry_keeps_a_model_between_leases_only_when_asked() -> None:
    loads: list[str] = []

    def load(name: str) -> str:
        loads.append(name)
        return name

    plain = ModelRegistry()
    for _ in range(2):
        with plain.lease("a", lambda: load("a")):
            pass
    assert loads == ["a", "a"] and plain.resident() == []
    loads.clear()
    warm = ModelRegistry()
    warm.keep_between_leases = True
    for name in ("a", "a", "b", "b", "a"):
        with warm.lease(name, functools.partial(load, name)) as model:
            assert model == name
    assert loads == ["a", "b", "a"] and warm.resident() == ["a"]


def test_cancel_before_any_item_raises_job_cancelled() -> None:
    class Cancelled:
        cancelled = True

    workers = WarmWorkers(60)
    try:
        with pytest.raises(JobCancelled):
            list(workers.stream(Cancelled(), "t", endless))  # type: ignore[arg-type]
        assert workers.idle_tags() == []
    finally:
        workers.close()


def counted_embed(spec_json: dict, items: list[tuple[int, str]]) -> Iterator[tuple]:
    """``embed_stream`` of a real open_clip model, in a worker process, counting the loads
    of its model there (``load_embedder`` wrapped); ends with ``("loads", n)``."""
    from visionlens_jlab.embed import stream as embed_module
    from visionlens_jlab.embed.registry import load_embedder

    def counting(*args: object, **kwargs: object) -> object:
        global LOADS
        LOADS += 1
        return load_embedder(*args, **kwargs)  # type: ignore[arg-type]

    embed_module.load_embedder = counting  # type: ignore[assignment]
    yield from embed_module.embed_stream(spec_json, items, "cpu", 4, "float32")
    yield ("loads", LOADS)


def test_a_second_embedding_job_of_a_real_model_does_not_load_it_again(tmp_path: Path) -> None:
    from visionlens_jlab.embed.models import parse_model

    from .embed_fixtures import photos, save_tiny_clip

    spec = parse_model(None, str(save_tiny_clip(tmp_path))).to_json()
    items = [(i, str(p)) for i, p in enumerate(photos(6))]
    workers = WarmWorkers(60)
    try:
        reused: list[bool] = []
        runs = [
            list(
                workers.stream(
                    None, "embed tiny (cpu, float32)", counted_embed, spec, items, reused=reused
                )
            )
            for _ in range(2)
        ]
    finally:
        workers.close()
    assert reused == [False, True] and workers.started == 1
    loads = [[m[1] for m in run if m[0] == "loads"] for run in runs]
    assert loads == [[1], [1]]  # the second job found the model loaded
    vectors = [np.concatenate([m[2] for m in run if m[0] == "vectors"]) for run in runs]
    assert vectors[0].shape == (6, 32) and np.array_equal(vectors[0], vectors[1])


def _kind() -> JobKind:
    from visionlens_jlab.maps.jobs import MAP_JOB

    return MAP_JOB
