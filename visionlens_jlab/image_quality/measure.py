"""Raw image-quality properties of one image, from its cached thumbnail (worker side).

cleanvision (``issue_managers/image_property.py``) measures each property on the decoded
original; here the same properties are measured on the 256-px thumbnail the grid already
caches, which is what makes this fast (a ~0.5 ms decode instead of a full-size one):

* brightness of each pixel, ``sqrt(0.241 R² + 0.691 G² + 0.068 B²) / 255`` (for a
  single-channel image the grey value / 255), and its 99th and 5th percentiles, which the
  dark and light scores are;
* the entropy of the image's histogram (PIL's: all bands' bins together);
* at cleanvision's blur resolution (longest side :data:`BLUR_SIZE`, the size computed from
  the original's width and height exactly as cleanvision does): the standard deviation of
  the grey image's edges (the 3x3 "find edges" kernel, borders kept) and the standard
  deviation of its 256-bin grey histogram;
* whether the image has a single (grey) channel, which is cleanvision's grayscale test
  (the file's mode is ``L``; the thumbnail keeps single-channel images single-channel).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from PIL import Image

from ..blindspots.pixels import thumbnail_bytes
from ..media.cache import ThumbnailCache

BLUR_SIZE = 64
"""Longest side the blur properties are measured at (cleanvision's resolution for them)."""
CHUNK = 256
RAW_COLUMNS = (
    "brightness_p99",
    "brightness_p5",
    "entropy",
    "blurriness",
    "grayscale_hist_std",
    "single_channel",
)
# brightness² · 255² as float32: squaring uint8 levels is exact in float32 and one BLAS
# matrix-vector product weighs the channels, ~5x faster than per-channel lookup tables (the
# weighted sum rounds at float32's 24 bits, a relative 1e-7 that moves no percentile past a
# threshold)
_WEIGHTS = np.array([0.241, 0.691, 0.068], np.float32)


@dataclass(frozen=True)
class QualityRef:
    """One image to measure: its sample id, location and size (from the samples table)."""

    sample_id: int
    location: str
    width: int | None
    height: int | None


def blur_size(width: int, height: int) -> tuple[int, int]:
    """The size cleanvision measures blur at: longest side :data:`BLUR_SIZE`, never enlarged,
    each side ``max(int(side // ratio), 1)``."""
    ratio = max(width, height) / BLUR_SIZE
    if ratio <= 1:
        return width, height
    return max(int(width // ratio), 1), max(int(height // ratio), 1)


def _percentiles(squared: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """Percentiles (numpy's default linear interpolation) of ``sqrt(squared)``: the order
    statistics are taken on the squares (same order), interpolated after the root."""
    n = squared.size
    positions = [q / 100 * (n - 1) for q in qs]
    kth = sorted(
        {int(np.floor(p)) for p in positions}
        | {min(int(np.floor(p)) + 1, n - 1) for p in positions}
    )
    part = np.partition(squared, kth)
    out = []
    for p in positions:
        lo = int(np.floor(p))
        hi = min(lo + 1, n - 1)
        a, b = np.sqrt(float(part[lo])), np.sqrt(float(part[hi]))
        out.append(a + (b - a) * (p - lo))
    return out


def edge_std(gray: np.ndarray) -> float:
    """Standard deviation of PIL's ``FIND_EDGES`` of a grey image (8 × centre minus the 8
    neighbours, clipped to 0-255; the one-pixel border keeps the input's values)."""
    g = gray.astype(np.int32)
    edges = g.copy()
    if g.shape[0] > 2 and g.shape[1] > 2:
        c = g[1:-1, 1:-1]
        neighbours = (
            g[:-2, :-2] + g[:-2, 1:-1] + g[:-2, 2:] + g[1:-1, :-2]
            + g[1:-1, 2:] + g[2:, :-2] + g[2:, 1:-1] + g[2:, 2:]
        )  # fmt: skip
        edges[1:-1, 1:-1] = np.clip(8 * c - neighbours, 0, 255)
    return float(edges.std())


def measure_image(data: bytes, width: int | None, height: int | None) -> tuple[float, ...]:
    """The :data:`RAW_COLUMNS` of one encoded thumbnail; ``width``/``height`` are the
    original's (the blur resolution depends on them), or None to use the thumbnail's."""
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        single = im.mode == "L"
        rgb = im if single or im.mode == "RGB" else im.convert("RGB")
        levels = np.asarray(rgb, np.float32)
        levels *= levels
        squared = (levels if single else levels @ _WEIGHTS).ravel()
        p99, p5 = (v / 255 for v in _percentiles(squared, (99, 5)))
        entropy = float(rgb.entropy())
        w, h = (width, height) if width and height else rgb.size
        target = blur_size(w, h)
        if (target[0] > target[1]) != (rgb.size[0] > rgb.size[1]):  # EXIF-rotated thumbnail
            target = (target[1], target[0])
        # grey first, then resized: a third of the resampling work of cleanvision's order
        # (resize, then grey), which rounds differently by at most a level here and there
        gray_image = rgb if single else rgb.convert("L")
        if target != gray_image.size:
            gray_image = gray_image.resize(target, Image.Resampling.BICUBIC)
        gray = np.asarray(gray_image)
    hist = np.bincount(gray.ravel(), minlength=256)
    return (
        float(p99),
        float(p5),
        entropy,
        edge_std(gray),
        float(hist.std()),
        float(single),
    )


def measure_quality(cache_root: str, refs: list[QualityRef]) -> Iterator[pa.Table]:
    """Worker entry point: the raw properties of ``refs`` in chunks of :data:`CHUNK`
    (``sample_id`` + :data:`RAW_COLUMNS`); an unreadable image gets nulls."""
    cache = ThumbnailCache(cache_root)  # writes unaccounted: the server enforces the cap
    for start in range(0, len(refs), CHUNK):
        chunk = refs[start : start + CHUNK]
        rows = np.full((len(chunk), len(RAW_COLUMNS)), np.nan)
        for k, ref in enumerate(chunk):
            try:
                data = thumbnail_bytes(cache, ref.location)
                rows[k] = measure_image(data, ref.width, ref.height)
            except Exception:  # one bad image must not fail the job: its scores stay unset
                continue
        ok = ~np.isnan(rows[:, 0])
        columns = {
            name: pa.array(rows[:, i], pa.float64(), mask=~ok) for i, name in enumerate(RAW_COLUMNS)
        }
        yield pa.table({"sample_id": pa.array([r.sample_id for r in chunk], pa.int64()), **columns})
