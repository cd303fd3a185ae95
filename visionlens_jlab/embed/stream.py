"""What computes embeddings, wherever it runs: a worker process, a kernel, or the CLI.

:func:`embed_stream` loads the model, reads and decodes the images itself (local or GCS),
and yields messages; it never touches the catalog or the vector store — the caller (the
server, or the CLI when no server runs) writes. Messages are plain tuples:

* ``("meta", {...})``: model name, version, dim, preprocessing, device, dtype, batch size,
  notice, pid of the process computing — before any vectors;
* ``("vectors", sample_ids int64[n], vectors float32[n, dim], failed [(id, reason)])``;
* ``("stages", {...})``: where the time went so far (:mod:`visionlens_jlab.jobs.stages`),
  at most every second and once before ``done``;
* ``("done", {"dtype", "reduced_cosine", "batch_size"})``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..jobs.accelerator import lease_model
from ..jobs.stages import StageTimer, Ticker
from .base import Embedder, EmbedError
from .decode import InputSpec, iter_batches
from .models import BUILTIN, ModelSpec
from .registry import load_embedder

DEFAULT_BATCH_SIZE = {"cpu": 32, "cuda": 256}
MAX_BATCH_SIZE = 4096


def check_batch_size(batch_size: int | None) -> int | None:
    """``batch_size`` validated (``None``: pick by device)."""
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise EmbedError(f"batch size must be an integer, got {batch_size!r}")
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise EmbedError(f"batch size must be in 1..{MAX_BATCH_SIZE}, got {batch_size}")
    return batch_size


def embed_stream(
    spec_json: dict[str, Any],
    items: Sequence[tuple[int, str]],
    device: str = "auto",
    batch_size: int | None = None,
    dtype: str = "auto",
) -> Iterator[tuple[Any, ...]]:
    """Embed ``(sample_id, location)`` items; yields the messages described above. The
    model is held through the accelerator lease (:mod:`visionlens_jlab.jobs.accelerator`)."""
    spec = ModelSpec.from_json(spec_json)
    with lease_model(
        f"embed {spec.label} ({device}, {dtype})",
        lambda: load_embedder(spec, device=device, dtype=dtype),
    ) as embedder:
        yield from _embed(embedder, items, batch_size)


def _embed(
    embedder: Embedder, items: Sequence[tuple[int, str]], batch_size: int | None
) -> Iterator[tuple[Any, ...]]:
    size = check_batch_size(batch_size) or DEFAULT_BATCH_SIZE.get(embedder.device, 32)
    yield (
        "meta",
        {
            **embedder.info().to_json(),
            "batch_size": size,
            "notice": getattr(embedder, "notice", ""),
            "pid": os.getpid(),
        },
    )
    spec_in: InputSpec = embedder.input_spec
    embed_pixels = getattr(embedder, "embed_pixels", embedder.embed_images)
    # On the CPU the forward pass already uses every core: one decoder thread (prefetching
    # while the model runs) avoids oversubscribing them.
    threads = 1 if embedder.device == "cpu" and embedder.name != BUILTIN.name else None
    # an embedder that times its own preprocessing and transfer (open_clip) reads the timer;
    # any other one's call is its forward pass
    timer = embedder.timer = StageTimer(embedder.device)
    ticker = Ticker()
    batches = iter_batches(items, spec_in, size, threads=threads, timer=timer)
    for batch in timer.waiting(batches, ("read", "decode")):
        if batch.ids:
            with timer.stage("forward"):
                vectors = np.asarray(embed_pixels(batch.array()), dtype=np.float32)
        else:
            vectors = np.empty((0, embedder.dim), np.float32)
        yield ("vectors", np.asarray(batch.ids, dtype=np.int64), vectors, batch.failed)
        if ticker.due():
            yield ("stages", timer.report())
    yield ("stages", timer.report())
    yield (
        "done",
        {
            "dtype": embedder.dtype,
            "reduced_cosine": getattr(embedder, "reduced_cosine", None),
            "batch_size": getattr(embedder, "max_batch", None) or size,
        },
    )
