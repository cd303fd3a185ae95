"""The model job: plan what is missing, run a source of results, write them as they come.

As the embedding job (:mod:`visionlens_jlab.embed.job`): one job function and any source
of the same messages (:mod:`.stream`): a spawned worker process (the ``process`` runner,
the server's default), the calling process (the CLI when no server owns the data dir), or
another runner that yields them. Whatever computes, this module alone writes, in chunks
(one transaction each, at most every :data:`.writers.FLUSH_SECONDS`, and whatever is pending when
the job is cancelled or fails), so a run that stops resumes: the next run with the same
parameters skips the samples done. Where the results go is the task's writer
(:meth:`.tasks.Task.writer`, :mod:`.writers`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa

from ..catalog import Catalog
from ..catalog.reads.queries import sample_ids
from ..jobs.job import JobContext, JobPaused
from ..jobs.stages import StageTimer
from ..media.frame_sampling import FrameSamplingError, parse_frames, sampled_items
from ..media.lookup import dataset_samples
from .base import PredictError, PredictOptions, WorkItem
from .model_runs import dataset_class_names
from .tasks import task_of
from .writers import FLUSH_SECONDS, ResultWriter

FAILED_EXAMPLES = 5

Source = Callable[[dict[str, Any], Sequence[WorkItem]], Iterator[tuple[Any, ...]]]
"""Given the request and the work list, yields the messages of :mod:`.stream`."""


def request_of(options: PredictOptions, prompts: list[str]) -> dict[str, Any]:
    """What a source needs (JSON-able: it may travel to a worker or a remote runner)."""
    return {
        "model": options.model,
        "task": options.task,
        "device": options.device,
        "dtype": options.dtype,
        "batch_size": options.batch_size,
        "min_score": options.score_threshold,
        "prompts": prompts,
        "classes": list(options.classes) if options.classes else None,
        "questions": list(options.questions) if options.questions else None,
        "decode": options.decode,
    }


def _params(options: PredictOptions, prompts: list[str], writer: ResultWriter) -> dict[str, Any]:
    """What makes two runs the same run (resume) rather than a new one (start over)."""
    return {
        "model": options.model,
        "task": options.task,
        "min_score": options.score_threshold,
        "prompts": prompts,
        **writer.params(),
    }


def run_prediction(
    ctx: JobContext | None,
    catalog: Catalog,
    options: PredictOptions,
    source: Source,
    *,
    flush_seconds: float = FLUSH_SECONDS,
) -> dict[str, Any]:
    """Run ``options.model`` over what ``options.dataset`` (or its view) lacks; return the
    result object (the CLI's ``--json``).

    A job that yields (captions) stops after a batch when its job context says to make
    way: what it computed is written, the source closed (a worker process ends, and its
    model with it), and :class:`JobPaused` carries the result so far (:func:`combined`)."""
    started = time.monotonic()
    read = dataset_samples(catalog, options.dataset, ("width", "height"))
    if options.filter:
        wanted = set(sample_ids(catalog, options.dataset, options.filter).to_pylist())
        keep = [s in wanted for s in read.samples["sample_id"].to_pylist()]
        read = replace(read, samples=read.samples.filter(pa.array(keep, pa.bool_())))
    dataset_id = read.dataset_id
    columns = (read.samples[c].to_pylist() for c in ("sample_id", "width", "height"))
    # boxes are written in the stored width and height (0 where the catalog has none)
    sizes = {int(s): (int(w or 0), int(h or 0)) for s, w, h in zip(*columns, strict=True)}
    confined = read.confine()
    if ctx is not None and options.frames != "all":
        ctx.stage("sampling", f"choosing frames ({options.frames})")
    try:
        items = sampled_items(
            catalog,
            dataset_id,
            read.media_root,
            confined.items,
            parse_frames(options.frames),
            ctx.check_cancelled if ctx is not None else None,
        )
    except FrameSamplingError as exc:
        raise PredictError(str(exc)) from exc
    classes = dataset_class_names(catalog, dataset_id)
    prompts = list(options.classes or classes)
    writer = task_of(options.task).writer(catalog, dataset_id, options)
    params = _params(options, prompts, writer)
    recorded, done = writer.state()
    fresh = recorded != params
    if fresh:
        done = np.empty(0, np.int64)
    todo = _todo(items, sizes, done)
    result: dict[str, Any] = {
        "dataset": options.dataset,
        "model": options.model,
        "name": writer.name,
        "task": options.task,
        "processed": 0,
        "skipped": len(items) - len(todo),
        "failed": 0,
        "predictions": 0,
        "device": None,
        "dtype": None,
        "batch_size": options.batch_size,
        "runner": options.runner,
        "images_per_second": 0.0,
        "seconds": 0.0,
        "unknown_classes": [],
        "errors": [],
        "paused": 0,
        "stages": None,
        **confined.summary(),
    }
    if not todo and not fresh:
        result["seconds"] = round(time.monotonic() - started, 3)
        return result
    if ctx is not None:
        ctx.stage("loading", f"loading {options.model}")
    t_first: float | None = None
    paused = False
    timer = StageTimer()  # the writes here; the source's stages join it
    stream = source(request_of(options, prompts), todo)
    try:
        for message in stream:
            kind = message[0]
            if kind == "meta":
                # the workers' clocks start as they send their meta: this one starts as it
                # arrives, before the writer's set-up, so their stages fit in its wall time
                timer.restart()
                info = message[1]
                result.update(device=info["device"], dtype=info["dtype"])
                result["batch_size"] = info["batch_size"]
                if "workers" in info:  # the worker processes that share the images
                    result["workers"] = info["workers"]
                if fresh:
                    writer.start(params)
                writer.use_labels(info["labels"], classes)
                t_first = time.monotonic()
                if ctx is not None:  # the rate counts from here: loading is not predicting
                    ctx.items("predicting", 0, len(todo), f"{options.model} on {info['device']}")
            elif kind in ("boxes", "captions", "labels", "answers"):
                _, ids, results, failed = message
                with timer.stage("write"):
                    writer.add(list(ids), list(results))
                result["processed"] += len(ids)
                result["failed"] += len(failed)
                for sample_id, reason in failed[: max(0, FAILED_EXAMPLES - len(result["errors"]))]:
                    result["errors"].append({"sample_id": int(sample_id), "message": str(reason)})
                with timer.stage("write"):
                    writer.flush(seconds=flush_seconds)
                if ctx is not None:
                    n = result["processed"] + result["failed"]
                    note = f"{n}/{len(todo)} images, batch {result['batch_size']}"
                    ctx.items("predicting", n, len(todo), note)
                    ctx.check_cancelled()
                    if n < len(todo) and ctx.should_make_way():
                        paused = True
                        break
            elif kind == "stages":
                timer.absorb(message[1])
                size = message[1].get("batch", {}).get("batch_size", result["batch_size"])
                if size != result["batch_size"]:  # the warm-up (or an out-of-memory) set it
                    result["batch_size"] = size
                    if ctx is not None:  # shown now, also when it settles after the last batch
                        n = result["processed"] + result["failed"]
                        note = f"{n}/{len(todo)} images, batch {size}"
                        ctx.items("predicting", n, len(todo), note)
                result["stages"] = timer.report()
                if ctx is not None:
                    ctx.stages(result["stages"])
            elif kind == "done":  # smaller than at the start after an out-of-memory error
                result["batch_size"] = message[1].get("batch_size", result["batch_size"])
                if "cluster" in message[1]:  # the ray runner: the cluster and the workers used
                    result["cluster"] = message[1]["cluster"]
                if message[1].get("dtype"):  # float32 where dtype auto's check fell back
                    result["dtype"] = message[1]["dtype"]
                if "warm_up" in message[1]:  # --batch-size auto: the sizes tried, their rates
                    result["batch_warm_up"] = message[1]["warm_up"]
                if "read_ahead" in message[1]:  # batches prepared at once, at most
                    result["read_ahead"] = message[1]["read_ahead"]
                if "warm_workers" in message[1]:  # the process runner's, kept from a job before
                    result["warm_workers"] = message[1]["warm_workers"]
    finally:
        close = getattr(stream, "close", None)
        if close is not None:  # ends the worker, and frees its accelerator, right now
            close()
        if t_first is not None:  # what was computed is kept, also when cancelled or failing
            with timer.stage("write"):
                writer.flush(force=True)
    if t_first is None:
        raise PredictError("the model worker sent no model description")
    seconds = time.monotonic() - t_first
    result["stages"] = timer.report()
    result["predictions"] = writer.predictions
    result["unknown_classes"] = sorted(writer.unknown)
    result["images_per_second"] = round(result["processed"] / seconds, 2) if seconds > 0 else 0.0
    result["seconds"] = round(time.monotonic() - started, 3)
    if paused:
        raise JobPaused(result)
    return result


def combined(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The result of a job that paused (:class:`JobPaused`) ``len(parts) - 1`` times: the
    last run's, with the counts and seconds of every run summed and the first run's
    ``skipped`` (the images done before the job began)."""
    out = dict(parts[-1])
    out["skipped"] = parts[0]["skipped"]
    for key in ("processed", "failed", "predictions", "seconds"):
        out[key] = sum(part[key] for part in parts)
    out["seconds"] = round(out["seconds"], 3)
    busy = sum(p["processed"] / p["images_per_second"] for p in parts if p["images_per_second"])
    out["images_per_second"] = round(out["processed"] / busy, 2) if busy > 0 else 0.0
    out["errors"] = [e for part in parts for e in part["errors"]][:FAILED_EXAMPLES]
    out["unknown_classes"] = sorted({c for part in parts for c in part["unknown_classes"]})
    out["paused"] = len(parts) - 1
    return out


def _todo(
    items: list[tuple[int, str]], sizes: dict[int, tuple[int, int]], done: np.ndarray
) -> list[WorkItem]:
    ids = np.fromiter((i for i, _ in items), np.int64, len(items))
    keep = ~np.isin(ids, done)
    return [WorkItem(i, loc, *sizes[i]) for (i, loc), k in zip(items, keep, strict=True) if k]
