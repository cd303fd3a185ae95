"""The ``ray`` runner of embedding jobs: the images decoded and embedded on a Ray cluster.

:func:`ray_embed_stream` yields the same messages as :func:`~.stream.embed_stream`, so
:func:`~.job.run_embedding` writes them exactly as for the other runners; the server runs
it in its long-lived driver process (:mod:`~visionlens_jlab.jobs.ray_driver`), the CLI in
its own process (:func:`~visionlens_jlab.jobs.ray_pool.run_once`). What runs on the cluster is in this module too (it must be installed there,
at the same version): :func:`decode_block` (CPU tasks: read a block's images from their
locations, local or ``gs://``, and decode them at the model's size) and
:class:`EmbedModel` (the warm actor pool: one model per GPU, kept between jobs). The
pipeline and the pool are :mod:`~visionlens_jlab.jobs.ray_pipeline` and
:mod:`~visionlens_jlab.jobs.ray_pool`, shared with the other model jobs.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..jobs.ray_pipeline import (
    Deduplicator,
    RayRunnerError,
    Stage,
    run_pipeline,
    start_task_workers,
    worker_label,
)
from ..jobs.ray_pool import ModelPool, RaySession, never
from ..media.sources import read_bytes
from .decode import InputSpec, decode
from .models import ModelSpec
from .registry import load_embedder
from .stream import DEFAULT_BATCH_SIZE, check_batch_size

READ_THREADS = 4
"""Images read at once by one decode task: GCS reads wait on the network, not the CPU."""


def _read_and_decode(location: str, spec: InputSpec) -> tuple[np.ndarray | None, str]:
    try:
        return decode(read_bytes(location), spec), ""
    except Exception as exc:  # every unreadable image is reported, none stops the job
        return None, f"{type(exc).__name__}: {exc}"


def decode_block(batch: dict[str, np.ndarray], size: int, mode: str) -> dict[str, np.ndarray]:
    """On the cluster (CPU task): a block's locations read and decoded to ``size`` px.

    Unreadable images keep their row (zero pixels) with the reason in ``error``.
    """
    spec = InputSpec(size, mode)
    locations = [str(loc) for loc in batch["location"]]
    with ThreadPoolExecutor(min(READ_THREADS, max(1, len(locations)))) as pool:
        decoded = list(pool.map(lambda loc: _read_and_decode(loc, spec), locations))
    pixels = np.zeros((len(locations), size, size, 3), np.uint8)
    errors = np.empty(len(locations), object)
    for row, (image, error) in enumerate(decoded):
        if image is not None:
            pixels[row] = image
        errors[row] = error
    return {"sample_id": batch["sample_id"].astype(np.int64), "pixels": pixels, "error": errors}


class EmbedModel:
    """On the cluster (one actor per GPU): the embedder, loaded once, applied per batch."""

    def __init__(self, spec_json: dict[str, Any], device: str, dtype: str) -> None:
        self.embedder = load_embedder(ModelSpec.from_json(spec_json), device=device, dtype=dtype)
        self.embed = getattr(self.embedder, "embed_pixels", self.embedder.embed_images)
        self.worker = worker_label()
        self.info = json.dumps({"device": self.embedder.device, "dtype": self.embedder.dtype})

    def describe(self) -> dict[str, Any]:
        """The model's description and input size (what the job's ``meta`` says)."""
        spec: InputSpec = self.embedder.input_spec
        return {
            **self.embedder.info().to_json(),
            "notice": getattr(self.embedder, "notice", ""),
            "input_size": spec.size,
            "input_mode": spec.mode,
        }

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Vectors of the decoded rows (zeros where decoding failed)."""
        n = len(batch["sample_id"])
        ok = np.array([not e for e in batch["error"]], bool)
        vectors = np.zeros((n, self.embedder.dim), np.float32)
        if ok.any():
            vectors[ok] = np.asarray(self.embed(batch["pixels"][ok]), np.float32)
        info = np.full(n, "", object)
        info[0] = self.info  # once per batch: what the actor runs on
        return {
            "sample_id": batch["sample_id"],
            "vector": vectors,
            "error": batch["error"],
            "worker": np.full(n, self.worker, object),
            "info": info,
        }


def ray_embed_stream(
    session: RaySession,
    spec_json: dict[str, Any],
    items: Sequence[tuple[int, str]],
    device: str = "auto",
    batch_size: int | str | None = None,
    dtype: str = "auto",
    cancelled: Callable[[], bool] = never,
) -> Iterator[tuple[Any, ...]]:
    """Embed ``(sample_id, location)`` items on the cluster of ``session`` (its warm
    actors when they hold this model); yields the messages of :mod:`~.stream`, the ``done``
    one with a ``cluster`` summary."""
    cluster, on, pool = _embed_pool(session, spec_json, device, batch_size, dtype)
    size = pool.model.batch_size
    remote = pool.ready(cluster)
    yield (
        "meta",
        {
            **{k: remote[k] for k in ("name", "version", "dim", "preprocessing", "notice")},
            "device": on,
            "dtype": remote["dtype"],
            "batch_size": size,
            "pid": os.getpid(),
        },
    )
    dedup = Deduplicator([i for i, _ in items])
    images: Counter[str] = Counter()
    ran_in = remote["dtype"]
    prepare = Stage(decode_block, {"size": remote["input_size"], "mode": remote["input_mode"]})
    for batch in run_pipeline(items, pool, session.cluster, prepare, cancelled=cancelled):
        ids = np.asarray(batch["sample_id"], np.int64)
        keep = dedup.keep(ids)
        errors = batch["error"]
        ok = keep & np.array([not e for e in errors], bool)
        failed = [(int(i), str(e)) for i, e, k in zip(ids, errors, keep, strict=True) if k and e]
        images.update(w for w, k in zip(batch["worker"], keep, strict=True) if k)
        ran_in = next((json.loads(s)["dtype"] for s in batch["info"] if s), ran_in)
        yield ("vectors", ids[ok], np.asarray(batch["vector"][ok], np.float32), failed)
    yield (
        "done",
        {
            "dtype": ran_in,
            "batch_size": size,
            "reduced_cosine": None,
            "cluster": summary(cluster, images, dedup, pool),
        },
    )


def warm_embed_pool(
    session: RaySession,
    spec_json: dict[str, Any],
    device: str = "auto",
    dtype: str = "auto",
    cancelled: Callable[[], bool] = never,
) -> Iterator[dict[str, Any]]:
    """Load ``spec_json``'s model on the cluster's actors ahead of any job (the server's
    ``ray_warm_model``): a later job of that model, ``device`` and ``dtype`` finds them
    loaded. Yields the model's description once every actor has it."""
    cluster, _, pool = _embed_pool(session, spec_json, device, None, dtype)
    described = pool.ready(cluster)
    pool.wait_loaded()
    yield described


def _embed_pool(
    session: RaySession,
    spec_json: dict[str, Any],
    device: str,
    batch_size: int | str | None,
    dtype: str,
) -> tuple[dict[str, Any], str, ModelPool]:
    """The cluster, the device the actors run on, and the pool of this embedding model
    (warm when the last job or warm-up had the same model, device and dtype)."""
    cluster = session.cluster()
    if device == "cuda" and cluster["gpus"] < 1:
        raise RayRunnerError(
            f"device cuda asked, but the Ray cluster at {session.address} has no GPU"
        )
    on = "cuda" if cluster["gpus"] >= 1 and device != "cpu" else "cpu"
    size = check_batch_size(batch_size) or DEFAULT_BATCH_SIZE[on]
    pool = session.pool_for(
        Stage(EmbedModel, {"spec_json": spec_json, "device": on, "dtype": dtype}, size)
    )
    start_task_workers(cluster, decode_block)  # while the actors start
    return cluster, on, pool


def summary(
    cluster: dict[str, Any], images: Counter[str], dedup: Deduplicator, pool: ModelPool
) -> dict[str, Any]:
    """What the job result says about the cluster: address, nodes, workers and their share,
    and how many model actors the job started (0: the pool was warm)."""
    workers = [
        {"worker": w, "node": w.rsplit(":", 1)[0], "images": n} for w, n in sorted(images.items())
    ]
    return {
        "address": cluster["address"],
        "ray_version": cluster["ray_version"],
        "nodes": cluster["nodes"],
        "gpus": cluster["gpus"],
        "model_actors": len(pool.actors),
        "actors_started": pool.started,
        "workers": workers,
        "nodes_used": sorted({w["node"] for w in workers}),
        "duplicates_dropped": dedup.dropped,
        "missing": dedup.missing,
    }
