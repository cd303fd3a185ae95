"""The embedding job: plan what is missing, run a source of vectors, write them.

One job interface, four sources of the same messages (:mod:`visionlens_jlab.embed.stream`):
a spawned worker process (the ``process`` runner, the server's default), a headless Jupyter
kernel (the ``kernel`` runner, :mod:`visionlens_jlab.jobs.kernel_runner`), a Ray cluster
driven from a worker process (the ``ray`` runner, :mod:`.ray_runner`), or the calling
process itself (the CLI when no server owns the data dir). Whatever computes, this module alone writes: vectors
in batches keyed by sample id (idempotent), then the catalog's space row last
(:mod:`visionlens_jlab.embed.spaces`), so a killed job leaves no half-written space visible
and the next run embeds only what has no vector yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..catalog import Catalog
from ..jobs.accelerator import DEVICES, DTYPES
from ..jobs.job import JobContext
from ..jobs.runners import RunnerError, parse_runner
from ..jobs.stages import StageTimer
from ..media.confine import Confined, confine
from ..media.frame_sampling import FrameSamplingError, parse_frames, sampled_items
from ..media.lookup import dataset_media
from ..vectors import SpaceNotFoundError, VectorStore, space_name
from .base import EmbedError
from .models import ModelSpec
from .spaces import record_space, recorded_spaces
from .stream import check_batch_size

INDEX_FROM = 10_000
"""Build the HNSW index after a job when the space holds at least this many vectors; below,
an exact scan is as fast (see the vectors benchmark)."""
FAILED_EXAMPLES = 5

Source = Callable[[Sequence[tuple[int, str]]], Iterator[tuple[Any, ...]]]
"""Given the ``(sample_id, location)`` items to embed, yields embedding messages."""


@dataclass(frozen=True)
class EmbedOptions:
    """What the user asked for (CLI flags, REST body, notebook arguments)."""

    dataset: str
    spec: ModelSpec
    device: str = "auto"
    batch_size: int | str | None = None
    """Images per forward pass, or ``auto`` (None too): a warm-up (:mod:`.stream`)."""
    runner: str = "process"
    dtype: str = "auto"
    frames: str = "all"
    """Which frames of the videos (:mod:`~visionlens_jlab.media.frame_sampling`)."""

    def __post_init__(self) -> None:
        try:
            parse_frames(self.frames)
        except FrameSamplingError as exc:
            raise EmbedError(str(exc)) from exc
        if self.device not in DEVICES:
            raise EmbedError(f"unknown device {self.device!r}: use {', '.join(DEVICES)}")
        if self.dtype not in DTYPES:
            raise EmbedError(f"unknown dtype {self.dtype!r}: use {', '.join(DTYPES)}")
        check_batch_size(self.batch_size)
        try:
            parse_runner(self.runner)
        except RunnerError as exc:
            raise EmbedError(str(exc)) from exc


@dataclass(frozen=True)
class Plan:
    """What an embedding run does: the items to embed and what it may not read."""

    dataset_id: int
    space: str
    todo: list[tuple[int, str]]
    """``(sample_id, resolved location)`` without a vector yet, inside the media root."""
    skipped: int
    """Samples that already have a vector in the space."""
    confined: Confined
    """The media route's rule applied to every sample (refused and bad names counted)."""
    whole: bool = True
    """Whether the items are every readable sample (no frame left out by sampling)."""


def plan(
    catalog: Catalog,
    store: VectorStore,
    dataset: str,
    spec: ModelSpec,
    frames: str = "all",
    tick: Callable[[], None] | None = None,
) -> Plan:
    """The run's :class:`Plan`. Every runner (worker, kernel, this process) reads only the
    locations it returns: the confinement rule of the image route, applied once here, then
    the frame sampling ``frames`` (``tick``: called while scenes are detected)."""
    dataset_id, media_root, rows = dataset_media(catalog, dataset)
    confined = confine(rows, media_root)
    try:
        items = sampled_items(
            catalog, dataset_id, media_root, confined.items, parse_frames(frames), tick
        )
    except FrameSamplingError as exc:
        raise EmbedError(str(exc)) from exc
    space = space_name(spec.name, spec.version)
    try:
        have = store.ids(space, dataset_id)
    except SpaceNotFoundError:
        have = np.empty(0, np.int64)
    ids = np.fromiter((i for i, _ in items), np.int64, len(items))
    done = np.isin(ids, have, assume_unique=True)
    todo = [item for item, d in zip(items, done, strict=True) if not d]
    whole = len(items) == len(confined.items)
    return Plan(dataset_id, space, todo, int(done.sum()), confined, whole)


def run_embedding(
    ctx: JobContext | None,
    catalog: Catalog,
    store: VectorStore,
    options: EmbedOptions,
    source: Source,
) -> dict[str, Any]:
    """Embed what ``options.dataset`` lacks in the model's space; return the result object."""
    started = time.monotonic()
    spec = options.spec
    if ctx is not None and options.frames != "all":
        ctx.stage("sampling", f"choosing frames ({options.frames})")
    tick = ctx.check_cancelled if ctx is not None else None
    planned = plan(catalog, store, options.dataset, spec, options.frames, tick)
    dataset_id, space, todo, skipped = (
        planned.dataset_id,
        planned.space,
        planned.todo,
        planned.skipped,
    )
    result: dict[str, Any] = {
        "dataset": options.dataset,
        "model": spec.name,
        "version": spec.version,
        "space": space,
        "dim": None,
        "embedded": 0,
        "skipped": skipped,
        "failed": 0,
        "device": None,
        "dtype": None,
        "batch_size": check_batch_size(options.batch_size),  # None under auto: not run yet
        "runner": options.runner,
        "seconds": 0.0,
        "images_per_second": 0.0,
        "pid": None,
        "notice": "",
        "errors": [],
        "stages": None,
        **planned.confined.summary(),
    }
    if not todo and any(r["space"] == space for r in recorded_spaces(catalog, dataset_id)):
        result["dim"] = store.space(space).dim
        result["notice"] = "every sample already has a vector in this space"
        return _finish(result, started, 0.0)
    total = len(todo)
    if ctx is not None:
        ctx.stage("loading", f"loading {spec.label}")
    info: dict[str, Any] = {}
    t_first: float | None = None
    timer = StageTimer()  # the writes here; the source's stages join it
    for message in source(todo):
        kind = message[0]
        if kind == "meta":
            info = dict(message[1])
            store.ensure_space(spec.name, spec.version, int(info["dim"]), "cosine")
            result.update(
                dim=int(info["dim"]),
                device=info["device"],
                dtype=info["dtype"],
                batch_size=info["batch_size"],
                pid=info["pid"],
                notice=info.get("notice", ""),
            )
            t_first = time.monotonic()
            timer.restart()
            if ctx is not None:  # the rate counts from here: model loading is not embedding
                ctx.items("embedding", 0, total, f"{spec.label} loaded on {info['device']}")
        elif kind == "vectors":
            _, ids, vectors, failed = message
            if len(ids):
                with timer.stage("write"):
                    store.upsert(space, ids, vectors, dataset_id)
            result["embedded"] += len(ids)
            result["failed"] += len(failed)
            for sample_id, reason in failed[: max(0, FAILED_EXAMPLES - len(result["errors"]))]:
                result["errors"].append({"sample_id": int(sample_id), "message": str(reason)})
            if ctx is not None:
                done = result["embedded"] + result["failed"]
                ctx.items("embedding", done, total, f"embedded {done}/{total}")
                ctx.check_cancelled()
        elif kind == "stages":
            timer.absorb(message[1])
            result["stages"] = timer.report()
            if ctx is not None:
                ctx.stages(result["stages"])
        elif kind == "done":
            result["dtype"] = message[1].get("dtype", result["dtype"])
            result["batch_size"] = message[1].get("batch_size", result["batch_size"])
            result["reduced_cosine"] = message[1].get("reduced_cosine")
            if "warm_up" in message[1]:  # --batch-size auto: the sizes tried, their rates
                result["batch_warm_up"] = message[1]["warm_up"]
            if "cluster" in message[1]:  # the ray runner: the cluster and the workers used
                result["cluster"] = message[1]["cluster"]
    if t_first is None:
        raise EmbedError("the embedding worker sent no model description")
    embed_seconds = time.monotonic() - t_first
    result["stages"] = timer.report()
    count = store.count(space, dataset_id)
    if ctx is not None:
        ctx.stage("writing", "recording the vector space")
    if store.count(space) >= INDEX_FROM and result["embedded"]:
        if ctx is not None:
            ctx.stage("indexing", "building the search index")
        store.optimize(space)
    record_space(
        catalog,
        dataset_id,
        space=space,
        model=spec.name,
        version=spec.version,
        dim=int(info["dim"]),
        preprocessing=str(info["preprocessing"]),
        count=count,
        complete=planned.whole and count + result["failed"] >= skipped + total,
        info={
            "device": result["device"],
            "dtype": result["dtype"],
            "failed": result["failed"],
            "checkpoint": spec.checkpoint,
            "pretrained": spec.pretrained,
        },
    )
    return _finish(result, started, embed_seconds)


def _finish(result: dict[str, Any], started: float, embed_seconds: float) -> dict[str, Any]:
    result["seconds"] = round(time.monotonic() - started, 3)
    done = result["embedded"]
    result["images_per_second"] = round(done / embed_seconds, 2) if embed_seconds > 0 else 0.0
    return result
