"""The model job: plan what is missing, run a source of results, write them as they come.

As the embedding job (:mod:`visionlens_jlab.embed.job`): one job function and any source
of the same messages (:mod:`.stream`): a spawned worker process (the ``process`` runner,
the server's default), the calling process (the CLI when no server owns the data dir), or
another runner that yields them. Whatever computes, this module alone writes, in chunks
(one transaction each, at most every :data:`FLUSH_SECONDS`, and whatever is pending when
the job is cancelled or fails), so a run that stops resumes: the next run with the same
parameters skips the samples done. Detections become a prediction set like an imported one
(:mod:`visionlens_jlab.catalog.writes.model_runs`); captions the ``computed.caption``
field (:mod:`visionlens_jlab.catalog.extensions.captions`); a VLM's answers the
``computed.vlm_<question>`` fields (:mod:`visionlens_jlab.catalog.extensions.vlm`), written
the same way.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa

from ..catalog import Catalog
from ..catalog.extensions.captions import (
    CAPTION,
    PRODUCER_PREFIX,
    append_texts,
    start_texts,
    text_run_state,
)
from ..catalog.extensions.vlm import Question, register_question
from ..catalog.reads.queries import sample_ids
from ..catalog.writes.model_runs import (
    BOX_COLUMNS,
    CLASSIFICATION_COLUMNS,
    append_model_predictions,
    dataset_class_names,
    model_run_state,
    start_model_run,
)
from ..jobs.job import JobContext, JobPaused
from ..media.lookup import dataset_samples
from .base import PredictError, PredictOptions, WorkItem
from .classes import class_map, unknown_class_warning
from .vlm import questions_of

VLM_PRODUCER = "vlm:"

FLUSH_SECONDS = 10.0
"""Results wait at most this long in memory before a write: every write refreshes the
model's derived structures (whole-model work), so writing each small batch would cost
quadratic time on a large dataset, while a crash loses at most this much work."""
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
    }


def _params(options: PredictOptions, prompts: list[str]) -> dict[str, Any]:
    """What makes two runs the same run (resume) rather than a new one (start over)."""
    params: dict[str, Any] = {
        "model": options.model,
        "task": options.task,
        "min_score": options.score_threshold,
        "prompts": prompts,
    }
    if options.task == "vlm":
        params["questions"] = [q.to_dict() for q in _questions(options)]
    return params


def _questions(options: PredictOptions) -> tuple[Question, ...]:
    return questions_of({"questions": list(options.questions or ())})


def _text_fields(options: PredictOptions) -> list[str]:
    """The computed fields a caption or VLM run writes."""
    if options.task == "vlm":
        return [q.field for q in _questions(options)]
    return [CAPTION]


class _Writer:
    """Buffers a run's results and writes them in chunks."""

    def __init__(self, catalog: Catalog, dataset_id: int, options: PredictOptions) -> None:
        self.catalog, self.dataset_id, self.options = catalog, dataset_id, options
        self.mapping: dict[str, str] = {}
        self.unknown: Counter[str] = Counter()
        self.ids: list[int] = []
        self.rows: list[tuple[Any, ...]] = []
        self.texts: list[Any] = []  # a caption, or a VLM's answers, per sample
        self.fields = _text_fields(options)
        self.predictions = 0
        self.last = time.monotonic()

    def add(self, ids: list[int], results: list[Any]) -> None:
        self.ids.extend(ids)
        if self.options.task in ("caption", "vlm"):
            self.texts.extend(results)
            return
        for row in results:
            label = self.mapping.get(row[1])
            if label is None:
                self.unknown[row[1]] += 1
                label = row[1]
            self.rows.append((row[0], label, *row[2:]))

    def flush(self, *, force: bool = False, seconds: float = FLUSH_SECONDS) -> None:
        """Write what is pending (now with ``force``, else once ``seconds`` have passed).
        The buffers are emptied first: a chunk whose write fails is not retried here (the
        job fails; the next run computes those samples again)."""
        if not self.ids or (not force and time.monotonic() - self.last < seconds):
            return
        ids, rows, texts = self.ids, self.rows, self.texts
        self.ids, self.rows, self.texts = [], [], []
        self.last = time.monotonic()
        if self.options.task == "caption":
            append_texts(self.catalog, self.dataset_id, ids, {CAPTION: texts})
            self.predictions += len(texts)
            return
        if self.options.task == "vlm":  # one answer per question per sample
            columns = {f: [row[i] for row in texts] for i, f in enumerate(self.fields)}
            append_texts(self.catalog, self.dataset_id, ids, columns)
            self.predictions += len(texts) * len(self.fields)
            return
        warnings = [unknown_class_warning(dict(self.unknown))] if self.unknown else []
        boxes = labels = None
        if self.options.task == "classify":  # (sample_id, label, score, scores) rows
            labels = _table(CLASSIFICATION_COLUMNS, rows, _CLASSIFICATION_TYPES)
        else:
            boxes = _table(BOX_COLUMNS, rows, _BOX_TYPES)
        self.predictions = append_model_predictions(
            self.catalog,
            self.dataset_id,
            self.options.run_name,
            np.asarray(ids, np.int64),
            boxes,
            labels,
            warnings=warnings,
        )


_BOX_TYPES = (pa.int64(), pa.string(), *[pa.float64()] * 5)
_CLASSIFICATION_TYPES = (pa.int64(), pa.string(), pa.float64(), pa.string())


def _table(names: tuple[str, ...], rows: list[tuple[Any, ...]], types: tuple[Any, ...]) -> pa.Table:
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[]] * len(names)
    return pa.table({n: pa.array(c, t) for n, c, t in zip(names, columns, types, strict=True)})


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
    classes = dataset_class_names(catalog, dataset_id)
    prompts = list(options.classes or classes)
    params = _params(options, prompts)
    if options.task in ("caption", "vlm"):
        if options.task == "vlm":  # custom questions' fields become filterable here
            for question in _questions(options):
                register_question(question)
        recorded, done = text_run_state(catalog, dataset_id, _text_fields(options))
        fresh = recorded != params
    else:
        state = model_run_state(catalog, options.dataset, options.run_name)
        done, fresh = state.done, state.params != params
    if fresh:
        done = np.empty(0, np.int64)
    todo = _todo(confined.items, sizes, done)
    result: dict[str, Any] = {
        "dataset": options.dataset,
        "model": options.model,
        "name": {"caption": CAPTION, "vlm": "vlm"}.get(options.task, options.run_name),
        "task": options.task,
        "processed": 0,
        "skipped": len(confined.items) - len(todo),
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
        **confined.summary(),
    }
    if not todo and not fresh:
        result["seconds"] = round(time.monotonic() - started, 3)
        return result
    writer = _Writer(catalog, dataset_id, options)
    if ctx is not None:
        ctx.stage("loading", f"loading {options.model}")
    t_first: float | None = None
    paused = False
    stream = source(request_of(options, prompts), todo)
    try:
        for message in stream:
            kind = message[0]
            if kind == "meta":
                info = message[1]
                result.update(device=info["device"], dtype=info["dtype"])
                result["batch_size"] = info["batch_size"]
                if "workers" in info:  # the worker processes that share the images
                    result["workers"] = info["workers"]
                if fresh and options.task in ("caption", "vlm"):
                    producer = PRODUCER_PREFIX if options.task == "caption" else VLM_PRODUCER
                    fields = _text_fields(options)
                    start_texts(catalog, dataset_id, fields, producer + options.run_name, params)
                elif fresh:
                    start_model_run(catalog, dataset_id, options.run_name, options.model, params)
                writer.mapping = class_map(info["labels"], classes)
                t_first = time.monotonic()
                if ctx is not None:  # the rate counts from here: loading is not predicting
                    ctx.items("predicting", 0, len(todo), f"{options.model} on {info['device']}")
            elif kind in ("boxes", "captions", "labels", "answers"):
                _, ids, results, failed = message
                writer.add(list(ids), list(results))
                result["processed"] += len(ids)
                result["failed"] += len(failed)
                for sample_id, reason in failed[: max(0, FAILED_EXAMPLES - len(result["errors"]))]:
                    result["errors"].append({"sample_id": int(sample_id), "message": str(reason)})
                writer.flush(seconds=flush_seconds)
                if ctx is not None:
                    n = result["processed"] + result["failed"]
                    ctx.items("predicting", n, len(todo), f"{n}/{len(todo)} images")
                    ctx.check_cancelled()
                    if n < len(todo) and ctx.should_make_way():
                        paused = True
                        break
            elif kind == "done":  # smaller than at the start after an out-of-memory error
                result["batch_size"] = message[1].get("batch_size", result["batch_size"])
                if "cluster" in message[1]:  # the ray runner: the cluster and the workers used
                    result["cluster"] = message[1]["cluster"]
    finally:
        close = getattr(stream, "close", None)
        if close is not None:  # ends the worker, and frees its accelerator, right now
            close()
        if t_first is not None:  # what was computed is kept, also when cancelled or failing
            writer.flush(force=True)
    if t_first is None:
        raise PredictError("the model worker sent no model description")
    seconds = time.monotonic() - t_first
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
