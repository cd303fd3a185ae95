"""What runs a model over images, wherever it runs: a worker process, or the CLI itself.

:func:`predict_stream` loads the model (:mod:`.loading`), reads and decodes the images
itself (local or GCS), runs the model's own processor and post-processing, and yields
messages; it never touches the catalog (the server, or the CLI when no server runs,
writes). Messages are plain tuples of picklable values:

* ``("meta", {"model", "task", "kind", "device", "dtype", "batch_size", "labels", "pid"})``
  before any result (``labels``: the model's class names, or the prompts it was given);
* ``("boxes", processed ids, [(sample_id, label, x, y, w, h, score)], failed)``: boxes in
  pixels of the sample's stored size, clipped to the image;
* ``("captions", processed ids, [caption per id], failed)``;
* ``("labels", processed ids, [(sample_id, label, score, scores JSON)], failed)``
  (zero-shot classification, :mod:`.zero_shot`);
* ``("answers", processed ids, [[answer per question] per id], failed)`` (a VLM's
  answers to the request's questions, each one of its closed answers or ``unknown``,
  :mod:`.vlm`);
* ``("stages", {...})``: where the time went so far (:mod:`visionlens_jlab.jobs.stages`),
  at most every second and once before ``done``, with ``batch``: the batch size now and,
  with ``--batch-size auto``, the warm-up's state (:mod:`visionlens_jlab.jobs.batch_warmup`);
* ``("done", {"batch_size", "read_ahead", "dtype"[, "warm_up", "reduced_check"]})``: the
  batch size at the end (smaller than the meta's after an out-of-memory error,
  :mod:`visionlens_jlab.jobs.accelerator`; the warm-up's choice under ``auto``), the most batches that were prepared at once
  (:mod:`visionlens_jlab.jobs.read_ahead`), the dtype the job ran in (float32 where ``auto``
  tried a reduced one that did not match it, :mod:`.reduced_check`, which then says so).

``failed`` is ``[(sample_id, reason)]`` for images that could not be read: reported, never
processed (so a later run tries them again).

``request["preprocess"]`` (optional): where a detector's tensor processor (transformers'
fast processors) resizes and normalises, and where zero-shot classification decodes its
JPEGs (:mod:`visionlens_jlab.embed.device_decode`): ``auto`` (default: on the GPU on CUDA,
where the host's cores would otherwise bound the job, else on the host), ``device`` or
``host``.

Where the time goes on a CPU, and what this does about it: the model's forward pass takes
most of it and uses every core already (intra-op threads), so the images of the next batch
are read, decoded (JPEGs at reduced size where the processor shrinks them anyway) and run
through the processor on a background thread (:mod:`.prepare`) while the model works on
the current one; inference runs under ``torch.inference_mode`` (no autograd
bookkeeping) and convolutional backbones in channels-last layout (oneDNN's fast path).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..jobs.accelerator import lease_model, warmed_sizer
from ..jobs.device_copy import DeviceCopy
from ..jobs.feed import Feed
from ..jobs.stages import StageTimer, Ticker
from .base import PredictError, WorkItem
from .input_size import output_size, resize_of
from .loading import LoadedModel
from .open_vocab import open_vocab_detect, prompt_chunks
from .prepare import Prepared, prepare
from .reduced_check import checks_reduced, settle_reduced
from .tasks import BatchArgs, Task, batch_args, task_of
from .torchvision_detect import run_detector
from .vlm import MAX_NEW_TOKENS as VLM_NEW_TOKENS
from .vlm import Question, decode_answers, generation_inputs, map_answer

MAX_NEW_TOKENS = 40
READ_AHEAD_DEPTH = 4
"""At most this many batches prepared ahead of the model (each on its own thread)."""


def _to_device(loaded: LoadedModel, inputs: Any) -> dict[str, Any]:
    import torch

    with loaded.timer.stage("transfer"):
        return {key: _moved(loaded, torch, key, value) for key, value in inputs.items()}


def _moved(loaded: LoadedModel, torch: Any, key: str, value: Any) -> Any:
    """One input on the model's device, in its dtype (channels-last pixels on a CPU)."""
    if isinstance(value, torch.Tensor):
        value = value.to(loaded.device)
        if value.is_floating_point():
            value = value.to(loaded.model.dtype)
        if key == "pixel_values" and value.ndim == 4 and loaded.device == "cpu":
            value = value.contiguous(memory_format=torch.channels_last)
    return value


def detect(
    loaded: LoadedModel, batch: Prepared, prompts: list[str], min_score: float
) -> list[tuple[Any, ...]]:
    """The boxes of one prepared batch: ``(sample_id, label, x, y, w, h, score)`` rows."""
    timer = loaded.timer
    if loaded.kind == "torchvision":  # boxes come in the decoded image's pixels
        with timer.stage("forward"):
            results = run_detector(
                loaded.model, loaded.device, batch.inputs, min_score, loaded.dtype, timer
            )
    elif loaded.kind == "open-vocabulary":  # prompted with the class names
        with timer.stage("forward"):  # its post-processing is per prompt chunk, inside
            results = open_vocab_detect(
                loaded, batch.inputs, prompts, batch.decoded, min_score, _to_device
            )
    else:
        inputs = _to_device(loaded, batch.inputs)
        with timer.stage("forward"):
            outputs = loaded.model(**inputs)
        with timer.stage("postprocess"):
            results = loaded.processor.post_process_object_detection(
                outputs, threshold=min_score, target_sizes=batch.decoded
            )
    with timer.stage("postprocess"):
        return _rows(loaded, batch, prompts, results)


def _rows(
    loaded: LoadedModel, batch: Prepared, prompts: list[str], results: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """Post-processed ``boxes``/``scores``/``labels`` per image → rows in the stored size."""
    rows: list[tuple[Any, ...]] = []
    for sample_id, (h, w), (sw, sh), result in zip(
        batch.ids, batch.decoded, batch.stored, results, strict=True
    ):
        fx, fy = sw / w, sh / h
        boxes = result["boxes"].double().cpu().numpy()  # float32 widths could overrun the image
        scores = result["scores"].float().cpu().numpy()
        labels = result["labels"].cpu().numpy()
        for (x1, y1, x2, y2), score, label in zip(boxes, scores, labels, strict=True):
            x1, x2 = min(max(x1, 0.0), w) * fx, min(max(x2, 0.0), w) * fx
            y1, y2 = min(max(y1, 0.0), h) * fy, min(max(y2, 0.0), h) * fy
            if x2 <= x1 or y2 <= y1:
                continue  # wholly outside the image
            if loaded.kind == "open-vocabulary":
                name = prompts[int(label)]
            else:
                name = loaded.labels.get(int(label), str(int(label)))
            rows.append(
                (
                    sample_id,
                    name,
                    float(x1),
                    float(y1),
                    float(x2 - x1),
                    float(y2 - y1),
                    float(score),
                )
            )
    return rows


def caption(loaded: LoadedModel, batch: Prepared) -> list[str]:
    """Greedy-decoded captions of one prepared batch (less the prompt a decoder-only model
    repeats before them)."""
    inputs = generation_inputs(loaded.model, _to_device(loaded, batch.inputs))
    with loaded.timer.stage("forward"):
        generated = loaded.model.generate(
            **inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=False, num_beams=1
        ).cpu()
    with loaded.timer.stage("postprocess"):
        prompt = batch.inputs.get("input_ids")
        if prompt is not None:
            return decode_answers(loaded.processor, prompt, generated)
        texts = loaded.processor.batch_decode(generated, skip_special_tokens=True)
        return [t.strip() for t in texts]


def answer(loaded: LoadedModel, batch: Prepared, questions: Sequence[Question]) -> list[list[str]]:
    """Greedy-decoded answers of one prepared batch: per image, one closed answer (or
    ``unknown``) per question."""
    per_question = []
    for question, inputs in zip(questions, batch.inputs, strict=True):
        moved = generation_inputs(loaded.model, _to_device(loaded, inputs))
        with loaded.timer.stage("forward"):
            generated = loaded.model.generate(
                **moved, max_new_tokens=VLM_NEW_TOKENS, do_sample=False, num_beams=1
            ).cpu()
        with loaded.timer.stage("postprocess"):
            texts = decode_answers(loaded.processor, inputs["input_ids"], generated)
            per_question.append([map_answer(t, question.answers) for t in texts])
    return [list(row) for row in zip(*per_question, strict=True)]


def predict_stream(request: dict[str, Any], items: Sequence[WorkItem]) -> Iterator[tuple[Any, ...]]:
    """Run ``request`` (``model``, ``task``, ``device``, ``dtype``, ``batch_size``,
    ``min_score``, ``prompts``, ``classes``: the names the user gave, or None) over
    ``items``; yields the messages described above, as its task
    (:mod:`.tasks`) computes them."""
    yield from task_of(request["task"]).stream(request, items)


def model_stream(
    task: Task, request: dict[str, Any], items: Sequence[WorkItem]
) -> Iterator[tuple[Any, ...]]:
    """The messages of a task run by a loaded model (:class:`.tasks.model.ModelTask`),
    the model held through this process's accelerator lease
    (:mod:`visionlens_jlab.jobs.accelerator`)."""
    device, dtype = request.get("device", "auto"), request.get("dtype") or "auto"
    with lease_model(
        f"{task.name} {request['model']} ({device}, {dtype})",
        lambda: task.load(request, device),
    ) as loaded:
        yield from _run(task, loaded, request, items)


def result_message(
    task: Task, loaded: LoadedModel, batch: Prepared, args: BatchArgs
) -> tuple[Any, ...]:
    """The result message of one prepared batch."""
    if not batch.ids:
        return (task.result_kind, [], [], batch.failed)
    return (task.result_kind, batch.ids, task.batch(loaded, batch, args), batch.failed)


def ready(loaded: LoadedModel, request: dict[str, Any]) -> dict[str, Any]:
    """Check ``request`` fits ``loaded`` and make it ready to run (channels-last on a CPU);
    returns the meta message's description of the model (less batch size and pid)."""
    import torch

    prompts = list(request.get("prompts") or [])
    if loaded.kind == "open-vocabulary":
        if not prompts:
            raise PredictError("an open-vocabulary detector needs class names (--classes a,b)")
        prompt_chunks(loaded.processor, loaded.model.config, prompts)  # each class fits
    if loaded.device == "cpu" and loaded.kind in ("detector", "open-vocabulary"):
        loaded.model = loaded.model.to(memory_format=torch.channels_last)
    return {
        "model": request["model"],
        "task": request["task"],
        "kind": loaded.kind,
        "device": loaded.device,
        "dtype": loaded.dtype,
        "labels": prompts
        if loaded.kind == "open-vocabulary"
        else sorted(set(loaded.labels.values())),
    }


def preprocesses_on_device(request: dict[str, Any], copier: DeviceCopy) -> bool:
    """Whether a detector's tensor processor runs on the model's device (see
    :func:`.prepare.prepare_images`): the request's ``preprocess`` says ``device`` or
    ``host``; by default on CUDA, where the GPU resizes and normalises far faster than the
    host's cores can keep it fed. ``device`` on a CPU is the same path on the host (tests)."""
    where = request.get("preprocess") or "auto"
    if where not in ("auto", "device", "host"):
        raise PredictError(f"unknown preprocess {where!r}: use auto, device or host")
    return where == "device" or (where == "auto" and copier.active)


def _run(
    task: Task, loaded: LoadedModel, request: dict[str, Any], items: Sequence[WorkItem]
) -> Iterator[tuple[Any, ...]]:
    """The messages of ``request`` over ``items`` with ``loaded``, on the model jobs'
    pipeline (:class:`~visionlens_jlab.jobs.feed.Feed`): batches are cut at the current
    batch size as they are read; after an out-of-memory error the failed batch is read
    again in halves, and every later batch is cut at the smaller size."""
    import torch

    args = batch_args(task, request)
    prompts, questions = args.prompts, args.questions
    # a number: that size; auto or none: grown on the first batches while it pays
    sizer = warmed_sizer(
        request.get("batch_size"), task.batch_sizes[loaded.device], loaded.device, request["model"]
    )
    yield ("meta", {**ready(loaded, request), "batch_size": sizer.size, "pid": os.getpid()})
    timer = loaded.timer = StageTimer(loaded.device)
    ticker = Ticker()
    # --decode reduced: JPEGs decode no larger than the model's processor needs
    reduced = request.get("decode") == "reduced"
    out_size = output_size(resize_of(loaded)) if reduced else None
    readers = max(1, min(4, os.cpu_count() or 1))
    copier = DeviceCopy(loaded.device)
    on_device = copier if preprocesses_on_device(request, copier) else None
    to_check = [True] if checks_reduced(request, loaded) else []
    done: dict[str, Any] = {}
    with (
        ThreadPoolExecutor(readers, thread_name_prefix="vl-read") as pool,
        torch.inference_mode(),
    ):

        def prepared_batch(batch: list[WorkItem]) -> Prepared:
            prepared = prepare(loaded, batch, prompts, pool, questions, out_size, on_device)
            # on CUDA: copied while the model computes the batch before, unless the
            # processor already made them there
            if copier.active and prepared.copied is None:
                with timer.stage("transfer"):
                    prepared.inputs, prepared.copied = copier.send(prepared.inputs)
            return prepared

        def compute(batch: list[WorkItem], prepared: Prepared) -> tuple[Any, ...]:
            copier.wait(prepared.inputs, prepared.copied)
            if to_check and prepared.ids:  # dtype auto: the first batch in both dtypes
                to_check.clear()
                message, checked = settle_reduced(
                    loaded, lambda: result_message(task, loaded, prepared, args)
                )
                done["reduced_check"] = checked
                return message
            return result_message(task, loaded, prepared, args)

        # the next batches are read and processed while the model runs on this one: as
        # many at once as preparing is slower than computing (jobs/feed.py)
        feed = Feed(
            items, sizer, prepared_batch, compute, max_depth=READ_AHEAD_DEPTH, on_wait=timer.waited
        )
        for message in feed:
            yield message
            if ticker.due():
                yield ("stages", {**timer.report(), "batch": sizer.report()})
    yield ("stages", {**timer.report(), "batch": sizer.report()})
    done.update(sizer.report(), read_ahead=feed.deepest, dtype=loaded.dtype)
    yield ("done", done)
