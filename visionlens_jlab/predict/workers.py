"""Model jobs on a CPU over several worker processes, each running torch on one thread.

Measured on the 2-core machine (benchmarks/results/caption.md): one process whose torch
uses both cores is slower than two processes with one intra-op thread each over half the
images, and it collapses when another process takes a core (its threads wait for each
other at every operator). So a CPU job splits its images into contiguous shards, one per
worker process (:func:`~visionlens_jlab.jobs.processes.stream_from_workers`): as many as
the compute threads the job may use (:func:`~visionlens_jlab.worker_priority.compute_threads`),
fewer where that many copies of the model would not fit in the memory available. A CUDA
job keeps one process (the GPU is the parallel part). The job (:mod:`.job`) still writes
alone: it sees one ``meta``, the result messages of all workers in arrival order, and one
``done``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..jobs.job import JobContext
from ..jobs.processes import stream_from_workers
from ..jobs.warm_workers import WarmWorkers
from ..worker_priority import compute_threads
from .base import WorkItem
from .job import Source

MEMORY_HEADROOM = 3.0
"""A worker holds its model's weights, torch's own allocations and the activations of a
batch: budgeted at this many times the weights' bytes."""
MIN_SHARD = 2
"""No worker for fewer images than this: loading the model costs more than it saves."""


def worker_count(
    requested: int | None,
    *,
    on_cuda: bool,
    threads: int,
    model_bytes: int | None,
    available_bytes: int | None,
    images: int,
) -> int:
    """How many worker processes a model job runs: ``requested`` (``--workers``) or the
    compute ``threads``, capped so that each holds a copy of a ``model_bytes`` model in
    ``available_bytes`` (:data:`MEMORY_HEADROOM`; unknown sizes cap nothing) and each has
    :data:`MIN_SHARD` images; always 1 on CUDA."""
    if on_cuda:
        return 1
    n = requested if requested else threads
    if model_bytes and available_bytes:
        n = min(n, int(available_bytes // (model_bytes * MEMORY_HEADROOM)))
    return max(1, min(n, images // MIN_SHARD))


def model_bytes(model: str) -> int | None:
    """The weights' size on disk of a checkpoint folder or file (None: a hub id or a
    torchvision spec, whose size is not known before loading)."""
    path = Path(model)
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        return None
    weights = [f for f in path.rglob("*") if f.suffix in (".safetensors", ".bin", ".pt", ".pth")]
    return sum(f.stat().st_size for f in weights) or None


def available_memory() -> int | None:
    """Bytes of memory available now (psutil), None where unknown."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # no psutil or no reading: cap nothing
        return None


def cuda_visible() -> bool:
    """Whether this machine has an NVIDIA GPU, without importing torch in the server."""
    return os.path.exists("/proc/driver/nvidia/version")


def single_thread_stream(
    request: dict[str, Any], items: Sequence[WorkItem]
) -> Iterator[tuple[Any, ...]]:
    """:func:`~.stream.predict_stream` with torch on one intra-op thread (a shard's worker)."""
    import torch

    from .stream import predict_stream

    torch.set_num_threads(1)
    yield from predict_stream(request, items)


def sharded_source(
    ctx: JobContext | None, workers: int | None = None, warm: WarmWorkers | None = None
) -> Source:
    """The ``process`` runner (and the CLI's): the request's images over
    :func:`worker_count` spawned worker processes, their messages merged into one stream
    (one ``meta``, the results in arrival order, one ``done`` with the smallest batch
    size any worker ended at). A worker's failure or the job's cancel ends all of them.
    With ``warm`` (the server's), the workers are kept between jobs of the same model,
    settings and worker count (:mod:`visionlens_jlab.jobs.warm_workers`)."""

    def source(request: dict[str, Any], items: Sequence[WorkItem]) -> Iterator[tuple[Any, ...]]:
        device = request.get("device") or "auto"
        n = worker_count(
            workers,
            on_cuda=device == "cuda" or (device == "auto" and cuda_visible()),
            threads=compute_threads(),
            model_bytes=model_bytes(request["model"]),
            available_bytes=available_memory(),
            images=len(items),
        )
        share = -(-len(items) // n)
        shards = [list(items[k * share : (k + 1) * share]) for k in range(n)]
        func = single_thread_stream if n > 1 else _predict_stream()
        reused: list[bool] = []
        if warm is None:
            messages = stream_from_workers(ctx, func, (request,), shards)
        else:
            tag = " ".join(
                str(request.get(key)) for key in ("task", "model", "device", "dtype", "decode")
            )
            messages = warm.stream_shards(ctx, f"predict {tag}", func, (request,), shards, reused)
        meta_sent, sizes, depths, dtypes, warm_ups = False, [], [], [], []
        for message in messages:
            if message[0] == "meta":
                if not meta_sent:
                    meta_sent = True
                    yield ("meta", {**message[1], "workers": n})
            elif message[0] == "done":
                sizes.append(message[1].get("batch_size"))
                depths.append(message[1].get("read_ahead") or 1)
                dtypes.append(message[1].get("dtype"))
                if "warm_up" in message[1]:  # --batch-size auto: each worker found its own
                    warm_ups.append(message[1]["warm_up"])
            else:
                yield message
        done: dict[str, Any] = {
            "batch_size": min((s for s in sizes if s), default=None),
            "read_ahead": max(depths, default=1),
        }
        if any(dtypes):  # float32 if any worker's dtype auto check fell back to it
            done["dtype"] = "float32" if "float32" in dtypes else next(d for d in dtypes if d)
        if warm is not None:
            done["warm_workers"] = sum(reused)
        if warm_ups:
            done["warm_up"] = (
                warm_ups[0]
                if len(warm_ups) == 1
                else {"settled": all(w["settled"] for w in warm_ups), "per_worker": warm_ups}
            )
        yield ("done", done)

    return source


def _predict_stream() -> Any:
    from .stream import predict_stream

    return predict_stream
