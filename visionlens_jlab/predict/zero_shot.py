"""Zero-shot classification with an open_clip model's text tower: one label per image.

Each class becomes the prompt ``a photo of a {class}``; the image and text embeddings
(L2-normalised, from :class:`~visionlens_jlab.embed.openclip.OpenClipEmbedder`, which loads
open_clip offline by ``ARCH:TAG`` or from a checkpoint) are compared by cosine, scaled by the
model's own logit scale and soft-maxed over the classes. The image goes through the
embedding job's input pipeline (:mod:`visionlens_jlab.embed.decode`: reduced-size JPEG
decoding on reader threads, a few batches ahead). Messages as :mod:`.stream`'s, with
``("labels", processed ids, [(sample_id, label, score, scores JSON)], failed)``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..embed.decode import iter_batches
from ..embed.device_decode import decoder_for
from ..embed.models import parse_model
from ..jobs.accelerator import BatchSizer, lease_model
from ..jobs.batch_warmup import fixed_batch_size
from ..jobs.stages import StageTimer, Ticker, timed
from .base import PredictError, WorkItem
from .tasks import Task, batch_args

PROMPT = "a photo of a {}"


def clip_spec(model: str) -> Any:
    """The open_clip spec of ``--model``: a checkpoint (folder with ``open_clip_config.json``
    or weights file) or ``ARCH:TAG`` whose weights are cached."""
    if Path(model).expanduser().exists():
        return parse_model(None, str(Path(model).expanduser().resolve()))
    return parse_model(model)


def classify_stream(
    task: Task, request: dict[str, Any], items: Sequence[WorkItem]
) -> Iterator[tuple[Any, ...]]:
    """Label the work items with the best of the prompts (by their images alone); the
    model (``task``'s, :mod:`.tasks.classify`) is held through the accelerator lease
    (:mod:`visionlens_jlab.jobs.accelerator`)."""
    classes = list(request.get("prompts") or [])
    if len(classes) < 2:
        raise PredictError("zero-shot classification needs at least two classes (--classes a,b)")
    clip_spec(request["model"])  # a model that is no open_clip one fails before the lease
    device, dtype = request.get("device", "auto"), request.get("dtype") or "auto"
    with lease_model(
        f"{task.name} {request['model']} ({device}, {dtype})",
        lambda: task.load(request, device),
    ) as embedder:
        yield from _classify(task, embedder, request, classes, items)


class ZeroShot:
    """An embedder's image tower scored against the class prompts' text embeddings."""

    def __init__(self, embedder: Any, model: str, classes: list[str]) -> None:
        if not hasattr(embedder, "embed_text") or not getattr(embedder, "has_text", False):
            raise PredictError(f"{model!r} has no text tower: use a CLIP-like model")
        self.embedder, self.classes = embedder, classes
        self.text = np.asarray(embedder.embed_text([PROMPT.format(c) for c in classes]), np.float32)
        logit_scale = getattr(getattr(embedder, "model", None), "logit_scale", None)
        self.scale = float(logit_scale.detach().exp()) if logit_scale is not None else 100.0
        self.embed_pixels = getattr(embedder, "embed_pixels", embedder.embed_images)

    def rows(self, ids: Sequence[int], pixels: np.ndarray) -> list[tuple[Any, ...]]:
        """``(sample_id, label, score, scores JSON)`` of decoded images (the model's input
        size, :mod:`visionlens_jlab.embed.decode`)."""
        import torch

        if not len(ids):
            return []
        timer = getattr(self.embedder, "timer", None)
        with timed(timer, "forward"):
            images = np.asarray(self.embed_pixels(pixels), np.float32)
        with timed(timer, "postprocess"):
            probs = torch.softmax(torch.from_numpy(self.scale * images @ self.text.T), dim=1)
            rows = []
            for sample_id, p in zip(ids, probs.numpy(), strict=True):
                best = int(p.argmax())
                scores = {c: round(float(v), 6) for c, v in zip(self.classes, p, strict=True)}
                rows.append(
                    (int(sample_id), self.classes[best], float(p[best]), json.dumps(scores))
                )
        return rows


def _classify(
    task: Task,
    embedder: Any,
    request: dict[str, Any],
    classes: list[str],
    items: Sequence[WorkItem],
) -> Iterator[tuple[Any, ...]]:
    zero_shot = ZeroShot(embedder, request["model"], classes)
    size = fixed_batch_size(request.get("batch_size"), task.batch_sizes.get(embedder.device, 32))
    yield (
        "meta",
        {
            "model": request["model"],
            "task": task.name,
            "kind": "zero-shot",
            "device": embedder.device,
            "dtype": embedder.dtype,
            "batch_size": size,
            "labels": classes,
            "pid": os.getpid(),
        },
    )
    args = batch_args(task, request)
    threads = 1 if embedder.device == "cpu" else None  # the forward pass uses every core
    pairs = [(int(i.sample_id), str(i.location)) for i in items]
    timer = embedder.timer = StageTimer(embedder.device)
    # a fresh size for this job: a warm embedder may hold an earlier job's (a warm-up's)
    embedder.sizer = BatchSizer(size, request["model"])
    ticker = Ticker()
    # request["preprocess"]: where the JPEGs are decoded (auto: on a CUDA GPU, nvJPEG)
    try:
        decoder = decoder_for(embedder, request.get("preprocess") or "auto")
    except ValueError as exc:
        raise PredictError(f"preprocess {exc}") from exc
    batches = iter_batches(
        pairs, embedder.input_spec, size, threads=threads, timer=timer, decoder=decoder
    )
    for batch in timer.waiting(batches, ("read", "decode")):
        rows = task.batch(zero_shot, (batch.ids, batch.array()), args) if batch.ids else []
        yield (task.result_kind, list(batch.ids), rows, batch.failed)
        if ticker.due():
            yield ("stages", timer.report())
    yield ("stages", timer.report())
    yield ("done", {"batch_size": getattr(embedder, "max_batch", None) or size})
