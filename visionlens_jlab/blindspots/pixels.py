"""Per-image attributes measured from pixels, on fixed-size thumbnails (worker-process side).

Measured, never asked of a VLM (small VLMs judge lighting and clarity poorly). Every image
is measured at the same scale (longest side :data:`MEASURE_SIZE`), so sharpness (Laplacian
variance) is comparable between images of different resolutions. Thumbnails come from the
cache when pre-generation made them; otherwise the original is read and the thumbnail is
rendered (and cached, so the grid benefits too).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from PIL import Image

from ..media import sources
from ..media.cache import ThumbnailCache, cache_key
from ..media.imaging import render_thumbnail

THUMB_SIZE = 256
"""The cached thumbnail read (the size pre-generation makes)."""
MEASURE_SIZE = 128
"""Longest side the pixels are measured at (JPEG thumbnails decode straight to it)."""
GRAY_TOLERANCE = 3.0
"""Mean channel spread (0-255) below which an image counts as grayscale (JPEG chroma noise)."""
CHUNK = 256
PIXEL_COLUMNS = ("brightness", "contrast", "saturation", "sharpness", "grayscale")


@dataclass(frozen=True)
class ImageRef:
    """One image to measure."""

    sample_id: int
    location: str


def measure_pixels(rgb: np.ndarray) -> tuple[float, float, float, float, bool]:
    """``(brightness, contrast, saturation, sharpness, grayscale)`` of an ``[h, w, 3]`` image."""
    px = rgb.astype(np.float32)
    lum = px[..., 0] * 0.299 + px[..., 1] * 0.587 + px[..., 2] * 0.114
    hi, lo = px.max(axis=-1), px.min(axis=-1)
    saturation = float(np.mean(np.where(hi > 0, (hi - lo) / np.maximum(hi, 1), 0.0)))
    if lum.shape[0] > 2 and lum.shape[1] > 2:
        lap = 4 * lum[1:-1, 1:-1] - lum[:-2, 1:-1] - lum[2:, 1:-1] - lum[1:-1, :-2] - lum[1:-1, 2:]
        sharpness = float(lap.var())
    else:
        sharpness = 0.0
    return (
        round(float(lum.mean()) / 255, 4),
        round(float(lum.std()) / 255, 4),
        round(saturation, 4),
        round(sharpness, 2),
        bool(float(np.mean(hi - lo)) < GRAY_TOLERANCE),
    )


def thumbnail_bytes(cache: ThumbnailCache, location: str) -> bytes:
    """The cached 256-px thumbnail of ``location``, rendered (and cached) when missing."""
    version = sources.version(location)
    for variant in ("auto", "jpeg"):
        entry = cache.get(cache_key(location, version, THUMB_SIZE, variant))
        if entry is not None and entry.error is None:
            return entry.data
    data, _ = render_thumbnail(sources.read_bytes(location), THUMB_SIZE, "auto", name=location)
    cache.put(cache_key(location, version, THUMB_SIZE, "auto"), data, account=False)
    return data


def decode_for_measure(data: bytes) -> np.ndarray:
    """RGB pixels of a thumbnail at :data:`MEASURE_SIZE` (JPEG DCT scaling when possible)."""
    with Image.open(io.BytesIO(data)) as im:
        if im.format == "JPEG":
            im.draft("RGB", (MEASURE_SIZE, MEASURE_SIZE))
        if max(im.size) > MEASURE_SIZE:
            im.thumbnail((MEASURE_SIZE, MEASURE_SIZE), Image.Resampling.BOX)
        return np.asarray(im.convert("RGB"))


def measure_images(cache_root: str, refs: list[ImageRef]) -> Iterator[pa.Table]:
    """Worker entry point: measure ``refs`` in chunks; unreadable images get nulls."""
    cache = ThumbnailCache(cache_root)  # writes unaccounted: the server enforces the cap
    for start in range(0, len(refs), CHUNK):
        chunk = refs[start : start + CHUNK]
        rows: list[tuple[float, float, float, float, bool] | None] = []
        for ref in chunk:
            try:
                rows.append(
                    measure_pixels(decode_for_measure(thumbnail_bytes(cache, ref.location)))
                )
            except Exception:  # one bad image must not fail the job: its attributes stay null
                rows.append(None)
        ok = np.array([r is not None for r in rows])
        columns = {
            name: pa.array(
                [r[i] if r is not None else None for r in rows],
                pa.bool_() if name == "grayscale" else pa.float64(),
                mask=~ok,
            )
            for i, name in enumerate(PIXEL_COLUMNS)
        }
        yield pa.table({"sample_id": pa.array([r.sample_id for r in chunk], pa.int64()), **columns})
