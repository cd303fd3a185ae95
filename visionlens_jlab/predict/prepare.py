"""A model job's batches made ready for the model: read, decode, run the processor.

Reader threads read each image's bytes and decode them: a JPEG at the smallest DCT scale
that still covers what the model's processor resizes it to (:mod:`.input_size`), else at
full size. The model's own processor (or a torchvision detector's tensor conversion) then
makes its inputs: on the host, or, for a detector whose processor runs on tensors (the
transformers fast processors), on the model's device where the job asks for it (on CUDA by
default, :mod:`.stream`): the decoded uint8 images are copied there and the processor
resizes, normalises and pads them there
(:meth:`~visionlens_jlab.jobs.device_copy.DeviceCopy.processed`). Every step is timed on
the model's stage timer (:mod:`visionlens_jlab.jobs.stages`). :mod:`.stream` runs this for
the next batch while the model works on the current one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from ..embed.decode import OutputSize, open_reduced
from ..jobs.device_copy import DeviceCopy
from ..jobs.stages import StageTimer
from ..media.sources import read_bytes
from .base import WorkItem
from .loading import LoadedModel
from .open_vocab import open_vocab_inputs
from .torchvision_detect import to_tensor
from .vlm import Question, caption_inputs, vlm_inputs

Image.MAX_IMAGE_PIXELS = 200_000_000  # as media/imaging.py: refuse decompression bombs


@dataclass
class Prepared:
    """One batch ready for the model: the processor's tensors and where the images came from."""

    ids: list[int] = field(default_factory=list)
    decoded: list[tuple[int, int]] = field(default_factory=list)  # (h, w) as decoded
    stored: list[tuple[int, int]] = field(default_factory=list)  # (w, h) of the catalog
    inputs: Any = None
    failed: list[tuple[int, str]] = field(default_factory=list)
    copied: Any = None
    """The event of ``inputs``' copy to the GPU (:mod:`visionlens_jlab.jobs.device_copy`),
    or of the processor that made them there; ``None`` where they were not copied ahead
    (a CPU, or not yet)."""


def decode_image(
    data: bytes, out_size: OutputSize | None = None
) -> tuple[Image.Image, tuple[int, int]]:
    """Encoded bytes → an RGB PIL image, a JPEG at the smallest DCT scale that still covers
    ``out_size`` (:mod:`.input_size`: what the model's processor resizes to), else fully;
    and the image's full ``(width, height)``, which boxes map back to."""
    im, full = open_reduced(data, out_size)
    im.load()
    return (im.convert("RGB") if im.mode != "RGB" else im), full


def _read(
    item: WorkItem, timer: StageTimer, out_size: OutputSize | None
) -> tuple[WorkItem, Image.Image | None, str]:
    """``item`` (its size the image's full one where the catalog has none), the image
    decoded as :func:`decode_image` says, and ``""`` or why it could not be read."""
    t0 = time.perf_counter()
    try:
        data = read_bytes(item.location)
        t1 = time.perf_counter()
        image, (width, height) = decode_image(data, out_size)
    except Exception as exc:  # every unreadable image is reported, none stops the job
        return item, None, f"{type(exc).__name__}: {exc}"
    # on a reader thread: busy time, the job's waits say the rest
    timer.add("read", t1 - t0)
    timer.add("decode", time.perf_counter() - t1)
    # boxes map to the full size, whatever size the image decoded at
    return item._replace(width=item.width or width, height=item.height or height), image, ""


def prepare(
    loaded: LoadedModel,
    batch: Sequence[WorkItem],
    prompts: list[str],
    pool: ThreadPoolExecutor,
    questions: Sequence[Question] = (),
    out_size: OutputSize | None = None,
    on_device: DeviceCopy | None = None,
) -> Prepared:
    """Read, decode (at reduced size where ``out_size`` allows) and run the processor over
    one batch (on a background thread); ``on_device``: as :func:`prepare_images` says."""
    n = len(batch)
    reads = list(pool.map(_read, batch, [loaded.timer] * n, [out_size] * n))
    items = [item for item, _, _ in reads]
    images = [(image, error) for _, image, error in reads]
    return prepare_images(loaded, items, images, prompts, questions, on_device)


def prepare_images(
    loaded: LoadedModel,
    batch: Sequence[WorkItem],
    images: Sequence[tuple[Image.Image | None, str]],
    prompts: list[str],
    questions: Sequence[Question] = (),
    on_device: DeviceCopy | None = None,
) -> Prepared:
    """Run the processor over one batch's decoded ``images`` (``(image, "")``, or ``(None,
    reason)`` for an unreadable one, per item); a VLM gets one set of inputs per question.

    ``on_device``: where the model's processor runs on tensors (:func:`processes_tensors`),
    it runs where this copier copies to, the images handed to it as decoded (uint8); the
    inputs then come back on the model's device with their event in ``copied``. On a CPU
    (an inactive copier) that is the same processor on the host, handed unresized tensors."""
    out = Prepared()
    decoded = []
    for item, (image, error) in zip(batch, images, strict=True):
        if image is None:
            out.failed.append((item.sample_id, error))
            continue
        out.ids.append(item.sample_id)
        out.decoded.append((image.height, image.width))
        out.stored.append((item.width or image.width, item.height or image.height))
        decoded.append(image)
    if not decoded:
        return out
    with loaded.timer.stage("preprocess"):
        if on_device is not None and processes_tensors(loaded):
            processor = loaded.processor
            out.inputs, out.copied = on_device.processed(
                [as_tensor(im) for im in decoded],
                lambda tensors: processor(images=tensors, return_tensors="pt"),
                loaded.timer,
            )
        else:
            out.inputs = _processed(loaded, decoded, prompts, questions)
    return out


def processes_tensors(loaded: LoadedModel) -> bool:
    """Whether ``loaded`` is a detector whose processor resizes and normalises torch tensors
    (transformers' fast processors, torchvision backend): wherever the tensors are."""
    return loaded.kind == "detector" and getattr(loaded.processor, "backend", None) == "torchvision"


def _processed(
    loaded: LoadedModel,
    decoded: list[Image.Image],
    prompts: list[str],
    questions: Sequence[Question],
) -> Any:
    """The model's inputs of decoded images: its processor's tensors."""
    if loaded.kind == "torchvision":  # the model resizes and normalises itself
        return [to_tensor(image) for image in decoded]
    if loaded.kind == "open-vocabulary":
        return open_vocab_inputs(loaded, decoded, prompts)
    if loaded.kind == "vlm":
        return [vlm_inputs(loaded.processor, decoded, q) for q in questions]
    if loaded.kind == "captioner":
        return caption_inputs(loaded.processor, loaded.model.config.model_type, decoded)
    processor = loaded.processor
    if processes_tensors(loaded):
        # its resize and normalise run on tensors: handed uint8 tensors, it skips its own
        # slower PIL conversion, and handed them resized, its resize has nothing left to do
        # (same pixel values; benchmarks/results/predict.md)
        tensors = [presized(processor, as_tensor(im)) for im in decoded]
        return processor(images=tensors, return_tensors="pt")
    return processor(images=decoded, return_tensors="pt")


def presized(processor: Any, image: Any) -> Any:
    """``image`` (uint8, channels last in memory as :func:`as_tensor` makes it) resized by
    the tensor processor's own ``resize``, as its preprocessing would resize it.

    Why: the processor stacks its inputs into contiguous channels-first batches before it
    resizes, and torch's antialiased uint8 resize is ~4x faster on channels-last memory
    (2560x1920 to 1066x800 on one core: ~5 ms against ~20). The same call, sizes and filter
    give the same bytes, and the processor's own resize of the result is then to the size
    it already has.
    """
    if not getattr(processor, "do_resize", False) or getattr(processor, "size", None) is None:
        return image
    return processor.resize(image, size=processor.size, resample=processor.resample)


def as_tensor(image: Image.Image) -> Any:
    """An RGB PIL image as a uint8 ``(3, H, W)`` torch tensor."""
    import numpy as np
    import torch

    return torch.from_numpy(np.array(image, dtype=np.uint8)).permute(2, 0, 1)
