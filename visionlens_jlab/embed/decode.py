"""The input pipeline: read image bytes (local or GCS), decode at reduced size, batch.

JPEG decoding is the bottleneck of embedding on a CPU (and of feeding a GPU). libjpeg can
decode at 1/2, 1/4 or 1/8 scale (DCT scaling, PIL's ``draft``), so a 640x480 photo for a
224 px model decodes as 320x240, and for the 64 px built-in embedder as 80x60. Decoding runs
on a thread pool (Pillow releases the GIL while decoding and resizing), a few batches ahead
of the model on the model jobs' read-ahead (:mod:`visionlens_jlab.jobs.read_ahead`), so
reading, decoding and the forward pass overlap.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageOps

from ..jobs.read_ahead import ReadAhead
from ..jobs.stages import StageTimer
from ..media.sources import read_bytes

if TYPE_CHECKING:
    from .device_decode import DeviceDecoder

Image.MAX_IMAGE_PIXELS = 200_000_000  # as media/imaging.py: refuse decompression bombs


@dataclass(frozen=True)
class InputSpec:
    """How a model wants its pixels: ``size`` px, either squashed to a square (``square``)
    or resized on the shortest side and centre-cropped (``center_crop``, CLIP's way)."""

    size: int
    mode: str = "center_crop"


@dataclass
class Batch:
    """Decoded images of one batch, and the samples that could not be read."""

    ids: list[int] = field(default_factory=list)
    pixels: list[np.ndarray] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)

    def array(self) -> np.ndarray:
        """The pixels as one uint8 ``[n, size, size, 3]`` array."""
        return np.stack(self.pixels) if self.pixels else np.empty((0, 0, 0, 3), np.uint8)


OutputSize = Callable[[int, int], tuple[float, float]]
"""``(width, height)`` of an image → the ``(width, height)`` a model's preprocessing resizes
it to (the decoded image must cover it, so that resizing only shrinks)."""


def dct_scale(width: int, height: int, out_width: float, out_height: float) -> int:
    """The JPEG DCT scale denominator (8, 4, 2, or 1: full size) of the smallest decode of
    a ``width`` x ``height`` image that still covers ``out_width`` x ``out_height``."""
    return next((k for k in (8, 4, 2) if width / k >= out_width and height / k >= out_height), 1)


def open_reduced(data: bytes, out_size: OutputSize | None) -> tuple[Image.Image, tuple[int, int]]:
    """Encoded bytes opened for decoding: a JPEG at the smallest DCT scale (libjpeg's 1/2,
    1/4, 1/8: PIL's ``draft``) that still covers ``out_size(width, height)``; other formats,
    or ``out_size`` None, at full size; and the image's full ``(width, height)`` (its
    ``size`` is the size it decodes to)."""
    im = Image.open(io.BytesIO(data))
    full = im.size
    if im.format == "JPEG" and out_size is not None:
        w, h = full
        scale = dct_scale(w, h, *out_size(w, h))
        if scale > 1:
            im.draft("RGB", (max(1, w // scale), max(1, h // scale)))
    return im, full


def decode(data: bytes, spec: InputSpec) -> np.ndarray:
    """Encoded image bytes → uint8 ``[size, size, 3]`` RGB, EXIF orientation applied."""
    # both sides must cover the model's size: its shortest side after a crop or a squash
    return fit(open_reduced(data, lambda w, h: (spec.size, spec.size))[0], spec)


def fit(im: Image.Image, spec: InputSpec) -> np.ndarray:
    """A PIL image → uint8 ``[size, size, 3]`` RGB as ``spec`` says, EXIF orientation applied."""
    upright = ImageOps.exif_transpose(im.convert("RGB") if im.mode != "RGB" else im)
    assert upright is not None
    if spec.mode == "square":
        out = upright.resize((spec.size, spec.size), Image.Resampling.BOX)
    else:
        w, h = upright.size
        s = spec.size / min(w, h)
        nw, nh = max(spec.size, round(w * s)), max(spec.size, round(h * s))
        resized = upright.resize((nw, nh), Image.Resampling.BICUBIC)
        left, top = (nw - spec.size) // 2, (nh - spec.size) // 2
        out = resized.crop((left, top, left + spec.size, top + spec.size))
    return np.asarray(out, dtype=np.uint8)


def _load(
    item: tuple[int, str], spec: InputSpec, timer: StageTimer | None
) -> tuple[int, np.ndarray | None, str]:
    sample_id, data, error = _read(item, timer)
    if data is None:
        return sample_id, None, error
    t0 = time.perf_counter()
    try:
        pixels = decode(data, spec)
    except Exception as exc:  # every unreadable image is reported, none stops the job
        return sample_id, None, f"{type(exc).__name__}: {exc}"
    if timer is not None:  # on a decoder thread: busy time, the job's waits say the rest
        timer.add("decode", time.perf_counter() - t0)
    return sample_id, pixels, ""


def _read(item: tuple[int, str], timer: StageTimer | None) -> tuple[int, bytes | None, str]:
    sample_id, location = item
    t0 = time.perf_counter()
    try:
        data = read_bytes(location)
    except Exception as exc:  # every unreadable image is reported, none stops the job
        return sample_id, None, f"{type(exc).__name__}: {exc}"
    if timer is not None:
        timer.add("read", time.perf_counter() - t0)
    return sample_id, data, ""


def decode_threads() -> int:
    """Decoder threads: every core (the forward pass releases the GIL too)."""
    return max(1, min(8, os.cpu_count() or 1))


def iter_batches(
    items: Iterable[tuple[int, str]],
    spec: InputSpec,
    batch_size: int | Callable[[], int],
    *,
    threads: int | None = None,
    prefetch_batches: int = 2,
    timer: StageTimer | None = None,
    decoder: DeviceDecoder | None = None,
) -> Iterator[Any]:
    """Decode ``(sample_id, location)`` items into batches of ``batch_size`` (or of what it
    answers as each batch is cut: a warm-up's growing size), in order, on
    the model jobs' read-ahead (:class:`~visionlens_jlab.jobs.read_ahead.ReadAhead`): up to
    ``prefetch_batches`` batches decoded ahead of the consumer (as many as decoding is
    slower than the model), their images on ``threads`` decoder threads; the decoder
    threads' read and decode times go to ``timer``. With a ``decoder``
    (:mod:`.device_decode`) the threads only read, and each batch is decoded on the
    model's device: the batches are its :class:`~.device_decode.DeviceBatch` objects."""
    source = iter(items)

    size = batch_size if callable(batch_size) else lambda: batch_size

    def cut() -> list[tuple[int, str]]:
        return list(islice(source, max(1, size())))

    with ThreadPoolExecutor(threads or decode_threads(), thread_name_prefix="vl-decode") as pool:

        def on_device(batch: list[tuple[int, str]]) -> Any:
            assert decoder is not None
            reads = list(pool.map(lambda item: _read(item, timer), batch))
            t0 = time.perf_counter()
            out = decoder.decode(
                [(sample_id, data) for sample_id, data, _ in reads if data is not None],
                [(sample_id, error) for sample_id, data, error in reads if data is None],
            )
            if timer is not None:  # the host's share: headers, launches, non-JPEG decodes
                timer.add("decode", time.perf_counter() - t0)
            return out

        def decoded(batch: list[tuple[int, str]]) -> Batch:
            out = Batch()
            for sample_id, pixels, error in pool.map(lambda item: _load(item, spec, timer), batch):
                if pixels is None:
                    out.failed.append((sample_id, error))
                else:
                    out.ids.append(sample_id)
                    out.pixels.append(pixels)
            return out

        prepare = decoded if decoder is None else on_device
        for _, batch, _ in ReadAhead(cut, prepare, max_depth=max(1, prefetch_batches)):
            yield batch


def as_arrays(images: Sequence[object] | np.ndarray, spec: InputSpec) -> np.ndarray:
    """PIL images or uint8 arrays (any size) → uint8 ``[n, size, size, 3]`` in ``spec``."""
    if (
        isinstance(images, np.ndarray)
        and images.ndim == 4
        and images.shape[1:]
        == (
            spec.size,
            spec.size,
            3,
        )
    ):
        return np.ascontiguousarray(images, dtype=np.uint8)
    out = []
    for image in images:
        if isinstance(image, np.ndarray):
            if image.shape[:2] == (spec.size, spec.size) and image.ndim == 3:
                out.append(np.ascontiguousarray(image[..., :3], dtype=np.uint8))
                continue
            image = Image.fromarray(np.asarray(image, dtype=np.uint8))
        if not isinstance(image, Image.Image):
            raise TypeError(f"expected a PIL image or a uint8 array, got {type(image).__name__}")
        out.append(fit(image, spec))
    return np.stack(out) if out else np.empty((0, spec.size, spec.size, 3), np.uint8)
