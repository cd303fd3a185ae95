"""The ``ray`` runner of model jobs: detectors, captioners, zero-shot classifiers and VLMs
on a Ray cluster, through the embedding jobs' pipeline
(:func:`~visionlens_jlab.jobs.ray_pipeline.run_pipeline`).

:func:`ray_predict_stream` yields the messages of :mod:`.stream`, so
:func:`~.job.run_prediction` writes them exactly as for the other runners; the server runs
it in its long-lived driver process (:mod:`~visionlens_jlab.jobs.ray_driver`: cancel
cancels the job's work on the cluster, the model actors stay loaded for the next job of
the same model and settings). On the cluster, CPU tasks read and decode the images (:func:`decode_images`;
zero-shot classification decodes at the model's input size with the embedding jobs'
:func:`~visionlens_jlab.embed.ray_runner.decode_block`), and :class:`PredictModel` actors
(the warm pool of :mod:`~visionlens_jlab.jobs.ray_pool`, one model per GPU) run the same model code as the process runner, what the task
declares (:meth:`.tasks.Task.on_cluster`): :class:`ModelBatches` or :class:`ZeroShotBatches`.
Each sample's results come back as its own JSON message (:mod:`.wire`), so a batch that Ray
computes twice after a lost worker is written once (the first copy of each sample is kept).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from PIL import Image

from ..embed.decode import OutputSize
from ..embed.ray_runner import READ_THREADS, decode_block, summary
from ..jobs.accelerator import BatchSizer
from ..jobs.batch_warmup import fixed_batch_size
from ..jobs.ray_pipeline import (
    BLOCK_ROWS,
    Deduplicator,
    RayRunnerError,
    Stage,
    run_pipeline,
    start_task_workers,
    worker_label,
)
from ..jobs.ray_pool import ModelPool, RaySession, never
from ..media.sources import read_bytes
from .base import PredictError, WorkItem
from .input_size import output_size, resize_of
from .prepare import decode_image, prepare_images
from .stream import ready, result_message
from .tasks import Task, batch_args, task_of
from .wire import decode_message, encode_message
from .zero_shot import ZeroShot

BLOCK_BATCHES = 4
"""Model batches per block. An actor answers a whole block at once, so a block is
both the unit of progress (and of what a cancel keeps) and what spreads over the actors:
a detector or captioner costs far more per image than an embedder, so its blocks are a few
batches, not the embedding jobs' :data:`~visionlens_jlab.jobs.ray_pipeline.BLOCK_ROWS`."""
NO_PIXELS = np.zeros((1, 1, 3), np.uint8)


def _read(location: str, out_size: OutputSize | None) -> tuple[np.ndarray, tuple[int, int], str]:
    try:
        image, full = decode_image(read_bytes(location), out_size)
        return np.asarray(image), full, ""
    except Exception as exc:  # every unreadable image is reported, none stops the job
        return NO_PIXELS, (0, 0), f"{type(exc).__name__}: {exc}"


def decode_images(
    batch: dict[str, np.ndarray], resize: dict[str, float] | None = None
) -> dict[str, np.ndarray]:
    """On the cluster (CPU task): a block's images read (local or ``gs://``) and decoded to
    RGB, JPEGs at the smallest DCT scale that covers the model's ``resize``
    (:mod:`.input_size`), others at their full size (the model's processor resizes them,
    as in the process runner).

    Unreadable images keep their row (one black pixel) with the reason in ``error``."""
    locations = [str(loc) for loc in batch["location"]]
    out_size = output_size(resize)
    with ThreadPoolExecutor(min(READ_THREADS, max(1, len(locations)))) as pool:
        decoded = list(pool.map(lambda loc: _read(loc, out_size), locations))
    pixels = np.empty(len(locations), object)
    errors = np.empty(len(locations), object)
    width, height = batch["width"].astype(np.int64), batch["height"].astype(np.int64)
    for row, (image, (w, h), error) in enumerate(decoded):
        pixels[row], errors[row] = image, error
        # boxes map back to the full size, whatever size the image decoded at
        width[row], height[row] = width[row] or w, height[row] or h
    return {
        "sample_id": batch["sample_id"].astype(np.int64),
        "width": width,
        "height": height,
        "pixels": pixels,
        "error": errors,
    }


class PredictModel:
    """On the cluster (one actor per GPU): the model of the request's task, loaded once
    (:meth:`.tasks.Task.on_cluster`), applied per batch."""

    def __init__(self, request: dict[str, Any], device: str) -> None:
        self.model = task_of(request["task"]).on_cluster(request, device)
        self.worker = worker_label()

    def describe(self) -> dict[str, Any]:
        """The model's description (the job's ``meta``) and, for zero-shot classification,
        its ``input`` size (the images are decoded at it, as for embeddings)."""
        return {
            **self.model.described,
            "batch_size": self.model.sizer.size,
            "input": self.model.input,
        }

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each row's results as one JSON message of :mod:`.wire` (empty where the image
        could not be read: ``error`` says why)."""
        import torch

        ids = [int(i) for i in batch["sample_id"]]
        errors = [str(e) for e in batch["error"]]
        ok = [row for row, error in enumerate(errors) if not error]
        with torch.inference_mode():
            messages = self.model.compute(batch, ids, ok) if ok else []
        per_sample: dict[int, tuple[Any, ...]] = {}
        for message in messages:
            per_sample.update(split(message))
        out = np.full(len(ids), "", object)
        for row in ok:
            out[row] = encode_message(per_sample[ids[row]]).decode()
        info = np.full(len(ids), "", object)
        info[0] = json.dumps({**self.model.described, "batch_size": self.model.sizer.size})
        return {
            "sample_id": np.asarray(ids, np.int64),
            "message": out,
            "error": np.asarray(errors, object),
            "worker": np.full(len(ids), self.worker, object),
            "info": info,
        }


class ModelBatches:
    """An actor's model of a task run by a loaded model (:class:`.tasks.model.ModelTask`):
    decoded images through :func:`.prepare.prepare_images` and
    :func:`.stream.result_message`, as in the process runner."""

    def __init__(self, task: Task, request: dict[str, Any], device: str) -> None:
        self.task = task
        self.args = batch_args(task, request)
        self.loaded = task.load(request, device)
        self.described = ready(self.loaded, request)
        # the images come decoded no larger than the processor needs (:mod:`.input_size`)
        reduced = request.get("decode") == "reduced"
        self.input: dict[str, Any] = {"resize": resize_of(self.loaded) if reduced else None}
        size = fixed_batch_size(request.get("batch_size"), task.batch_sizes[device])
        self.sizer = BatchSizer(size, request["model"])

    def compute(
        self, batch: dict[str, np.ndarray], ids: list[int], ok: list[int]
    ) -> list[tuple[Any, ...]]:
        """The result messages of the readable rows ``ok``, in slices of the batch size
        (halved after an out-of-memory error, as in the process runner)."""
        items = [
            WorkItem(ids[r], "", int(batch["width"][r]), int(batch["height"][r]))
            for r in range(len(ids))
        ]

        def compute(rows: list[int]) -> tuple[Any, ...]:
            images = [(Image.fromarray(np.asarray(batch["pixels"][r], np.uint8)), "") for r in rows]
            args = self.args
            prepared = prepare_images(
                self.loaded, [items[r] for r in rows], images, args.prompts, args.questions
            )
            return result_message(self.task, self.loaded, prepared, args)

        return self.sizer.run(ok, compute)


class ZeroShotBatches:
    """An actor's zero-shot classifier (:class:`.zero_shot.ZeroShot`): images decoded at
    the model's input size."""

    def __init__(self, task: Task, request: dict[str, Any], device: str) -> None:
        self.task = task
        self.args = batch_args(task, request)
        if len(self.args.prompts) < 2:
            raise PredictError(
                "zero-shot classification needs at least two classes (--classes a,b)"
            )
        embedder = task.load(request, device)
        self.zero_shot = ZeroShot(embedder, request["model"], self.args.prompts)
        self.described: dict[str, Any] = {
            "model": request["model"],
            "task": task.name,
            "kind": "zero-shot",
            "device": embedder.device,
            "dtype": embedder.dtype,
            "labels": self.args.prompts,
        }
        self.input = {"size": embedder.input_spec.size, "mode": embedder.input_spec.mode}
        size = fixed_batch_size(request.get("batch_size"), task.batch_sizes[device])
        self.sizer = BatchSizer(size, request["model"])

    def compute(
        self, batch: dict[str, np.ndarray], ids: list[int], ok: list[int]
    ) -> list[tuple[Any, ...]]:
        """The ``labels`` messages of the readable rows ``ok``, in slices of the batch size."""

        def classify(rows: list[int]) -> tuple[Any, ...]:
            done = [ids[r] for r in rows]
            pixels = np.stack([batch["pixels"][r] for r in rows])
            return (
                self.task.result_kind,
                done,
                self.task.batch(self.zero_shot, (done, pixels), self.args),
                [],
            )

        return self.sizer.run(ok, classify)


def split(message: tuple[Any, ...]) -> dict[int, tuple[Any, ...]]:
    """A result message cut into one message per processed sample."""
    kind, ids, results, _ = message
    if kind in ("captions", "answers"):  # one result per id, in order
        return {int(i): (kind, [int(i)], [r], []) for i, r in zip(ids, results, strict=True)}
    rows: dict[int, list[Any]] = {int(i): [] for i in ids}
    for row in results:  # boxes and labels start with their sample id
        rows[int(row[0])].append(row)
    return {i: (kind, [i], r, []) for i, r in rows.items()}


def ray_predict_stream(
    session: RaySession,
    request: dict[str, Any],
    items: Sequence[WorkItem],
    cancelled: Callable[[], bool] = never,
) -> Iterator[tuple[Any, ...]]:
    """Run ``request`` (as :func:`.stream.predict_stream`'s) over ``items`` on the cluster
    of ``session`` (its warm actors when they hold this model and settings); yields the
    messages of :mod:`.stream`, the ``done`` one with a ``cluster`` summary
    (:func:`~visionlens_jlab.embed.ray_runner.summary`)."""
    cluster = session.cluster()
    device = request.get("device") or "auto"
    if device == "cuda" and cluster["gpus"] < 1:
        raise RayRunnerError(
            f"device cuda asked, but the Ray cluster at {session.address} has no GPU"
        )
    on = "cuda" if cluster["gpus"] >= 1 and device != "cpu" else "cpu"
    batch_size = fixed_batch_size(
        request.get("batch_size"), task_of(request["task"]).batch_sizes[on]
    )
    pool = session.pool_for(Stage(PredictModel, {"request": request, "device": on}, batch_size))
    start_task_workers(cluster, decode_images)  # while the actors start
    info = pool.ready(cluster)
    for key in ("visionlens_version", "ray_version", "actor_pid", "node"):
        info.pop(key)
    size = info.pop("input")
    # zero-shot classification decodes at the model's input size, as embeddings do
    prepare = (
        Stage(decode_block, size)
        if "size" in size
        else Stage(decode_images, {"resize": size.get("resize")})
    )
    yield ("meta", {**info, "batch_size": batch_size, "pid": os.getpid()})
    yield from _stream(session, pool, cluster, request, items, prepare, cancelled)


def _stream(
    session: RaySession,
    pool: ModelPool,
    cluster: dict[str, Any],
    request: dict[str, Any],
    items: Sequence[WorkItem],
    prepare: Stage,
    cancelled: Callable[[], bool],
) -> Iterator[tuple[Any, ...]]:
    """The pipeline's blocks as messages: one result message per block (first copies
    only), then ``done`` with the cluster summary."""
    kind = task_of(request["task"]).result_kind
    dedup = Deduplicator([i.sample_id for i in items])
    images: Counter[str] = Counter()
    batch_size = pool.model.batch_size
    columns = {"width": [int(i.width) for i in items], "height": [int(i.height) for i in items]}
    pairs = [(int(i.sample_id), str(i.location)) for i in items]
    rows = min(BLOCK_ROWS, BLOCK_BATCHES * (batch_size or 1))
    for batch in run_pipeline(
        pairs, pool, session.cluster, prepare, columns=columns, block_rows=rows, cancelled=cancelled
    ):
        info = next((json.loads(s) for s in batch["info"] if s), None)
        if info is not None:
            batch_size = min(batch_size or info["batch_size"], info["batch_size"])
        ids = np.asarray(batch["sample_id"], np.int64)
        keep = dedup.keep(ids)
        done: list[int] = []
        results: list[Any] = []
        failed: list[tuple[int, str]] = []
        for sample_id, message, error, kept in zip(
            ids.tolist(), batch["message"], batch["error"], keep, strict=True
        ):
            if not kept:
                continue
            if error:
                failed.append((sample_id, str(error)))
                continue
            _, one, rows, _ = decode_message(str(message).encode())
            done += one
            results += rows
        images.update(w for w, k in zip(batch["worker"], keep, strict=True) if k)
        yield (kind, done, results, failed)
    done_info = {"batch_size": batch_size, "cluster": summary(cluster, images, dedup, pool)}
    yield ("done", done_info)
