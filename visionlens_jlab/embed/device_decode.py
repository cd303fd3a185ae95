"""JPEG decoding, resizing and cropping on the model's device: nvJPEG on a CUDA GPU.

On a GPU the host's decoding is what bounds an embedding job: a CPU core decodes a few
hundred 640x480 JPEGs a second, the GPU embeds thousands. Here the host only reads the
files and their headers; each batch's JPEGs are decoded together by
``torchvision.io.decode_jpeg(device="cuda")`` (nvJPEG, batched), turned upright by their
EXIF orientation (nvJPEG ignores it), resized (bicubic, antialiased: Pillow's filter, as
the host path's) and centre-cropped or squashed on the device, all on a side CUDA stream so
that the next batch is decoded while the model computes this one. What nvJPEG cannot take
(another format, a CMYK JPEG, a file it fails on) is decoded on the host as before
(:func:`~.decode.decode`) and copied up, so every image the host path reads is read here.

The same code runs with ``device="cpu"`` (torchvision's libjpeg decoder): the stand-in the
tests run on machines without a GPU.
"""

from __future__ import annotations

import functools
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from .decode import InputSpec, decode

ORIENTATION = 0x0112
"""The EXIF orientation tag."""

DEVICE_MODES = ("RGB", "L")
"""JPEG colour modes nvJPEG decodes to RGB; others (CMYK, YCCK) go to the host."""

DECODE_PLACES = ("auto", "host", "device")
"""Where a job that embeds images decodes its JPEGs: ``host`` (reduced-size decoding on the
CPU's threads, :mod:`.decode`), ``device`` (on the model's device, here: nvJPEG on a GPU,
libjpeg through torchvision on a CPU), ``auto`` (the device on a CUDA GPU, for a model that
takes pixels there; else the host)."""


def decoder_for(embedder: Any, place: str) -> DeviceDecoder | None:
    """The device decoder of a job of ``embedder`` decoding at ``place``
    (:data:`DECODE_PLACES`; anything else raises ``ValueError``), or None: the host."""
    if place not in DECODE_PLACES:
        raise ValueError(f"must be one of {', '.join(DECODE_PLACES)}, got {place!r}")
    takes = bool(getattr(embedder, "takes_device_pixels", False))
    if place == "host" or not takes or (place == "auto" and embedder.device != "cuda"):
        return None
    return DeviceDecoder(embedder.input_spec, embedder.device)


@dataclass
class DeviceBatch:
    """One batch decoded on the device: uint8 ``[n, size, size, 3]`` pixels there (channels
    last, as the host path's arrays), the samples that could not be read, and the event
    after which the pixels are written (``None`` on a CPU)."""

    ids: list[int] = field(default_factory=list)
    pixels: Any = None
    failed: list[tuple[int, str]] = field(default_factory=list)
    ready: Any = None

    def array(self) -> Any:
        """The pixels, once the device has written them: the consumer's stream waits for
        the decoding stream's event (the GPU waits, not the host)."""
        if self.ready is not None:
            import torch

            current = torch.cuda.current_stream()
            current.wait_event(self.ready)
            self.pixels.record_stream(current)  # its memory is not reused before the model reads it
        return self.pixels


@dataclass(frozen=True)
class _Header:
    jpeg: bool
    orientation: int


def _header(data: bytes) -> _Header:
    """Whether nvJPEG can decode ``data``, and its EXIF orientation, from its header only."""
    with Image.open(io.BytesIO(data)) as im:
        orientation = int(im.getexif().get(ORIENTATION, 1) or 1)
        return _Header(im.format == "JPEG" and im.mode in DEVICE_MODES, orientation)


def upright(x: Any, orientation: int) -> Any:
    """A ``[3, H, W]`` tensor turned as EXIF ``orientation`` says (as Pillow's
    ``ImageOps.exif_transpose``)."""
    import torch

    if orientation == 2:
        return x.flip(-1)
    if orientation == 3:
        return x.flip(-2, -1)
    if orientation == 4:
        return x.flip(-2)
    if orientation == 5:
        return x.transpose(-2, -1)
    if orientation == 6:
        return torch.rot90(x, -1, (-2, -1))
    if orientation == 7:
        return x.transpose(-2, -1).flip(-2, -1)
    if orientation == 8:
        return torch.rot90(x, 1, (-2, -1))
    return x


def target_size(width: int, height: int, spec: InputSpec) -> tuple[int, int]:
    """``(width, height)`` an image is resized to before its centre crop (or the square it
    is squashed to): as :func:`~.decode.fit`."""
    if spec.mode == "square":
        return spec.size, spec.size
    s = spec.size / min(width, height)
    return max(spec.size, round(width * s)), max(spec.size, round(height * s))


class DeviceDecoder:
    """Decodes batches of encoded images into model-sized pixels on ``device``."""

    def __init__(self, spec: InputSpec, device: str) -> None:
        import torch

        self.spec = spec
        self.device = device
        self._torch = torch
        self._stream = torch.cuda.Stream() if device == "cuda" else None

    def decode(self, items: list[tuple[int, bytes]], failed: list[tuple[int, str]]) -> DeviceBatch:
        """``(sample_id, encoded bytes)`` items → one :class:`DeviceBatch`, in their order;
        ``failed`` (the reads that already failed) is extended by the images that cannot
        be decoded."""
        torch = self._torch
        out = DeviceBatch(failed=list(failed))
        on_device: list[tuple[int, bytes, int]] = []
        on_host: list[tuple[int, bytes]] = []
        for sample_id, data in items:
            try:
                header = _header(data)
            except (UnidentifiedImageError, OSError, ValueError) as exc:
                out.failed.append((sample_id, f"{type(exc).__name__}: {exc}"))
                continue
            if header.jpeg:
                on_device.append((sample_id, data, header.orientation))
            else:
                on_host.append((sample_id, data))
        if self._stream is None:
            self._batched(on_device, on_host, out, [sample_id for sample_id, _ in items])
        else:
            # every kernel of the batch, the final stack included, on the side stream
            # before its event: work queued on another stream would race the decoding
            with torch.cuda.stream(self._stream):
                self._batched(on_device, on_host, out, [sample_id for sample_id, _ in items])
                out.ready = torch.cuda.Event()
                out.ready.record(self._stream)
        return out

    def _batched(
        self,
        on_device: list[tuple[int, bytes, int]],
        on_host: list[tuple[int, bytes]],
        out: DeviceBatch,
        order: list[int],
    ) -> None:
        """Decode into ``out``: its ids in ``order`` and their pixels stacked."""
        torch = self._torch
        decoded = self._decoded(on_device, on_host, out)
        out.ids = [sample_id for sample_id in order if sample_id in decoded]
        size = self.spec.size
        out.pixels = (
            torch.stack([decoded[sample_id] for sample_id in out.ids])
            if out.ids
            else torch.empty((0, size, size, 3), dtype=torch.uint8, device=self.device)
        )

    def _decoded(
        self,
        on_device: list[tuple[int, bytes, int]],
        on_host: list[tuple[int, bytes]],
        out: DeviceBatch,
    ) -> dict[int, Any]:
        """``{sample_id: [size, size, 3] uint8 on the device}`` of every decodable image;
        the others go to ``out.failed``."""
        decoded = dict(self._decode_jpegs(on_device, on_host))
        for sample_id, data in on_host:
            try:
                pixels = decode(data, self.spec)
            except Exception as exc:  # every unreadable image is reported, none stops the job
                out.failed.append((sample_id, f"{type(exc).__name__}: {exc}"))
                continue
            decoded[sample_id] = self._torch.from_numpy(pixels).to(self.device)
        return decoded

    def _decode_jpegs(
        self, items: list[tuple[int, bytes, int]], on_host: list[tuple[int, bytes]]
    ) -> list[tuple[int, Any]]:
        """The JPEGs decoded together and fitted; a batch nvJPEG refuses is decoded image
        by image, and an image it refuses alone goes to ``on_host``."""
        if not items:
            return []
        from torchvision.io import ImageReadMode, decode_jpeg

        torch = self._torch
        encoded = [torch.frombuffer(bytearray(data), dtype=torch.uint8) for _, data, _ in items]
        try:
            images = decode_jpeg(encoded, mode=ImageReadMode.RGB, device=self.device)
        except RuntimeError:
            images = []
            for (sample_id, data, _), one in zip(items, encoded, strict=True):
                try:
                    images.append(decode_jpeg(one, mode=ImageReadMode.RGB, device=self.device))
                except RuntimeError:
                    on_host.append((sample_id, data))
                    images.append(None)
        turned = [
            (sample_id, upright(image, orientation))
            for (sample_id, _, orientation), image in zip(items, images, strict=True)
            if image is not None
        ]
        return self._fitted(turned)

    def _fitted(self, images: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
        """``[3, H, W]`` uint8 images → ``[size, size, 3]`` uint8, resized in groups of one
        size (one interpolation call per group, not per image)."""
        torch = self._torch
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for index, (_, image) in enumerate(images):
            groups[(int(image.shape[-2]), int(image.shape[-1]))].append(index)
        fitted: dict[int, Any] = {}
        size = self.spec.size
        for (height, width), indexes in groups.items():
            batch = torch.stack([images[i][1] for i in indexes]).float()
            nw, nh = target_size(width, height, self.spec)
            resized = _resized(batch, nh, nw, self.spec.mode, height, width)
            left, top = (nw - size) // 2, (nh - size) // 2
            crop = resized[:, :, top : top + size, left : left + size]
            pixels = crop.round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1)
            for i, one in zip(indexes, pixels, strict=True):
                fitted[i] = one
        return [(images[i][0], fitted[i]) for i in range(len(images))]


def _resized(batch: Any, nh: int, nw: int, mode: str, height: int, width: int) -> Any:
    """``[n, 3, height, width]`` float → ``[n, 3, nh, nw]`` with the host path's filter:
    antialiased bicubic (Pillow's) for a centre crop; Pillow's box filter for a squash,
    as two products with its weights (torch has no box filter)."""
    import torch

    if mode == "center_crop":
        return torch.nn.functional.interpolate(batch, size=(nh, nw), mode="bicubic", antialias=True)
    rows = torch.tensor(box_weights(height, nh), device=batch.device)
    cols = torch.tensor(box_weights(width, nw), device=batch.device)
    return torch.einsum("oh,nchw,pw->ncop", rows, batch, cols)


@functools.lru_cache(maxsize=64)  # a loop per output pixel: once per size, not per batch
def box_weights(size: int, out: int) -> np.ndarray:
    """``[out, size]`` float32 weights of Pillow's box filter resampling ``size`` pixels to
    ``out`` (``ImagingResample``'s coefficients: each output pixel averages the input
    pixels whose centres its footprint covers, at least one)."""
    scale = size / out
    support = 0.5 * max(scale, 1.0)
    weights = np.zeros((out, size), np.float64)
    for o in range(out):
        centre = (o + 0.5) * scale
        lo = max(0, int(centre - support + 0.5))
        hi = min(size, int(centre + support + 0.5))
        taps = (np.arange(lo, hi) - centre + 0.5) / max(scale, 1.0)
        w = ((taps > -0.5) & (taps <= 0.5)).astype(np.float64)
        weights[o, lo:hi] = w / w.sum() if w.sum() else 0.0
    weights = weights.astype(np.float32)
    weights.flags.writeable = False  # shared by every batch of this size
    return weights
