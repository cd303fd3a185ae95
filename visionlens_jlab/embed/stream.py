"""What computes embeddings, wherever it runs: a worker process, a kernel, or the CLI.

:func:`embed_stream` loads the model, reads and decodes the images itself (local or GCS),
and yields messages; it never touches the catalog or the vector store — the caller (the
server, or the CLI when no server runs) writes. Messages are plain tuples:

* ``("meta", {...})``: model name, version, dim, preprocessing, device, dtype, batch size,
  notice, pid of the process computing — before any vectors;
* ``("vectors", sample_ids int64[n], vectors float32[n, dim], failed [(id, reason)])``;
* ``("stages", {...})``: where the time went so far (:mod:`visionlens_jlab.jobs.stages`),
  at most every second and once before ``done``;
* ``("done", {"dtype", "reduced_cosine", "batch_size"[, "warm_up"]})``: ``batch_size`` the
  size the job ended at; ``warm_up`` (``auto``, an open_clip model) the sizes tried and
  their images/s (:mod:`visionlens_jlab.jobs.batch_warmup`).

The batch size: a number is kept (halved on out-of-memory only); ``auto`` or none grows
from the device's default on the first batches while images/s improves, as the detectors'
(``docs/models.md``, "Batch size warm-up"). The weight-free built-in embedder has no batch
to grow: it runs at the default.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..jobs.accelerator import BatchSizer, lease_model, warmed_sizer
from ..jobs.batch_warmup import AUTO
from ..jobs.stages import StageTimer, Ticker
from .base import Embedder, EmbedError
from .decode import InputSpec, iter_batches
from .device_decode import DECODE_PLACES, decoder_for
from .models import BUILTIN, ModelSpec
from .registry import load_embedder

DEFAULT_BATCH_SIZE = {"cpu": 32, "cuda": 256}
MAX_BATCH_SIZE = 4096


def check_batch_size(batch_size: int | str | None) -> int | None:
    """``batch_size`` validated (``None``, or ``auto``: a warm-up from the device's
    default)."""
    if batch_size is None or batch_size == AUTO:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise EmbedError(f"batch size must be an integer or auto, got {batch_size!r}")
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise EmbedError(f"batch size must be in 1..{MAX_BATCH_SIZE}, got {batch_size}")
    return batch_size


def embed_stream(
    spec_json: dict[str, Any],
    items: Sequence[tuple[int, str]],
    device: str = "auto",
    batch_size: int | str | None = None,
    dtype: str = "auto",
    decode: str = "auto",
) -> Iterator[tuple[Any, ...]]:
    """Embed ``(sample_id, location)`` items; yields the messages described above. The
    model is held through the accelerator lease (:mod:`visionlens_jlab.jobs.accelerator`).
    ``decode``: where JPEGs are decoded (:data:`~.device_decode.DECODE_PLACES`)."""
    if decode not in DECODE_PLACES:
        raise EmbedError(f"decode must be one of {', '.join(DECODE_PLACES)}, got {decode!r}")
    spec = ModelSpec.from_json(spec_json)
    with lease_model(
        f"embed {spec.label} ({device}, {dtype})",
        lambda: load_embedder(spec, device=device, dtype=dtype),
    ) as embedder:
        yield from _embed(embedder, items, batch_size, decode)


def _embed(
    embedder: Embedder,
    items: Sequence[tuple[int, str]],
    batch_size: int | str | None,
    decode: str = "auto",
) -> Iterator[tuple[Any, ...]]:
    sizer = _job_sizer(embedder, check_batch_size(batch_size))
    yield (
        "meta",
        {
            **embedder.info().to_json(),
            "batch_size": sizer.size,
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
    decoder = decoder_for(embedder, decode)
    batches = iter_batches(
        items, spec_in, lambda: sizer.size, threads=threads, timer=timer, decoder=decoder
    )
    for batch in timer.waiting(batches, ("read", "decode")):
        if batch.ids:
            with timer.stage("forward"):
                vectors = np.asarray(embed_pixels(batch.array()), dtype=np.float32)
        else:
            vectors = np.empty((0, embedder.dim), np.float32)
        yield ("vectors", np.asarray(batch.ids, dtype=np.int64), vectors, batch.failed)
        if ticker.due():
            yield ("stages", {**timer.report(), "batch": sizer.report()})
    yield ("stages", {**timer.report(), "batch": sizer.report()})
    done = {"dtype": embedder.dtype, "reduced_cosine": getattr(embedder, "reduced_cosine", None)}
    yield ("done", {**done, **sizer.report()})


def _job_sizer(embedder: Embedder, asked: int | None) -> BatchSizer:
    """The job's batch size, handed to an embedder that cuts its own batches (open_clip:
    its out-of-memory back-off and its warm-up time the forward passes); a fresh one per
    job, since a warm embedder outlives its jobs."""
    default = DEFAULT_BATCH_SIZE.get(embedder.device, 32)
    what = f"{embedder.name} ({embedder.version})"
    if not embedder.batches_itself:  # the built-in embedder: nothing to grow
        return BatchSizer(asked or default, what)
    embedder.sizer = warmed_sizer(asked, default, embedder.device, what)
    return embedder.sizer
