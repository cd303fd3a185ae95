"""``builtin-color-gradient``: a weight-free embedder (numpy only) for machines without models.

It is no neural network and knows nothing about semantics: it describes how an image looks
(colours where, edges which way, coarse layout), which is what near-duplicate detection and
a rough "more like this" need, and it works offline with nothing to download. From a
64x64 RGB image (squashed, so a slight resize or crop changes little):

* colour: a 4x4x4-bin RGB histogram in each 2x2 quadrant (256 values, square-rooted:
  the Hellinger form, so one dominant colour does not swamp the rest);
* gradients: an 8-bin unsigned orientation histogram, magnitude-weighted, in each cell of a
  4x4 grid (128 values, HOG-like, square-rooted);
* layout: an 8x8 grey thumbnail, mean-removed and scaled to unit variance (64 values).

Each block is L2-normalised, weighted, and centred by a fixed constant (the block of a
uniform image: the same on every dataset, so cosine thresholds mean the same everywhere),
then the whole vector is L2-normalised. Re-encoded or slightly resized copies score ~0.98+,
unrelated photos ~0.3-0.7 (tests/test_embed_builtin.py checks both).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import Embedder, l2_normalise
from .decode import InputSpec, as_arrays

NAME = "builtin-color-gradient"
VERSION = "1"
SIZE = 64
COLOR_BINS = 4  # per channel
GRID = 4  # gradient cells per side
ORIENTATIONS = 8
LAYOUT = 8  # grey thumbnail side
WEIGHTS = (1.0, 1.0, 0.8)  # colour, gradients, layout
DIM = 4 * COLOR_BINS**3 + GRID * GRID * ORIENTATIONS + LAYOUT * LAYOUT


class ColorGradientEmbedder(Embedder):
    """Colour histograms + gradient-orientation histograms + coarse layout, numpy only."""

    name = NAME
    version = VERSION
    dim = DIM
    input_size = SIZE
    preprocessing = (
        f"RGB squashed to {SIZE}x{SIZE} (JPEG DCT-scaled decode, box filter); "
        f"{COLOR_BINS}^3-bin colour histogram per 2x2 quadrant (sqrt), {ORIENTATIONS}-bin "
        f"gradient orientation histogram per {GRID}x{GRID} cell (sqrt), {LAYOUT}x{LAYOUT} "
        "grey layout (standardised); blocks L2-normalised, weighted "
        f"{WEIGHTS}, centred by fixed constants, L2-normalised"
    )
    input_spec = InputSpec(SIZE, "square")

    def __init__(self) -> None:
        self._centre = _raw_features(np.full((1, SIZE, SIZE, 3), 128, np.uint8))[0] * 0.5

    def embed_images(self, images: Sequence[Any] | np.ndarray) -> np.ndarray:
        """Embed PIL images or uint8 arrays (any size): float32 ``[n, DIM]``."""
        pixels = as_arrays(images, self.input_spec)
        if len(pixels) == 0:
            return np.empty((0, DIM), np.float32)
        return l2_normalise(_raw_features(pixels) - self._centre)


def _raw_features(pixels: np.ndarray) -> np.ndarray:
    """Weighted, block-normalised features of uint8 ``[n, SIZE, SIZE, 3]`` images."""
    n = len(pixels)
    blocks = [_colour(pixels), _gradients(pixels), _layout(pixels)]
    out = [l2_normalise(b) * w for b, w in zip(blocks, WEIGHTS, strict=True)]
    return np.concatenate(out, axis=1).reshape(n, DIM)


def _colour(pixels: np.ndarray) -> np.ndarray:
    n = len(pixels)
    q = (pixels >> (8 - 2)).astype(np.int32)  # 4 bins per channel
    code = (q[..., 0] * COLOR_BINS + q[..., 1]) * COLOR_BINS + q[..., 2]
    half = SIZE // 2
    quadrant = (np.arange(SIZE) // half)[:, None] * 2 + (np.arange(SIZE) // half)[None, :]
    bins = COLOR_BINS**3
    index = (np.arange(n)[:, None, None] * 4 + quadrant[None]) * bins + code
    hist = np.bincount(index.ravel(), minlength=n * 4 * bins).astype(np.float32)
    return np.sqrt(hist.reshape(n, 4 * bins) / (half * half))


def _grey(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def _gradients(pixels: np.ndarray) -> np.ndarray:
    n = len(pixels)
    g = _grey(pixels)
    gx = np.zeros_like(g)
    gy = np.zeros_like(g)
    gx[:, :, 1:-1] = g[:, :, 2:] - g[:, :, :-2]
    gy[:, 1:-1, :] = g[:, 2:, :] - g[:, :-2, :]
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), np.pi)  # unsigned orientation
    orient = np.minimum((angle * (ORIENTATIONS / np.pi)).astype(np.int32), ORIENTATIONS - 1)
    cell = SIZE // GRID
    cells = (np.arange(SIZE) // cell)[:, None] * GRID + (np.arange(SIZE) // cell)[None, :]
    per = GRID * GRID * ORIENTATIONS
    index = np.arange(n)[:, None, None] * per + cells[None] * ORIENTATIONS + orient
    hist = np.bincount(index.ravel(), weights=magnitude.ravel(), minlength=n * per)
    return np.sqrt(hist.astype(np.float32).reshape(n, per) / (cell * cell * 255.0))


def _layout(pixels: np.ndarray) -> np.ndarray:
    n = len(pixels)
    k = SIZE // LAYOUT
    small = _grey(pixels).reshape(n, LAYOUT, k, LAYOUT, k).mean(axis=(2, 4)).reshape(n, -1)
    small -= small.mean(axis=1, keepdims=True)
    std = small.std(axis=1, keepdims=True)
    return np.divide(small, std, out=np.zeros_like(small), where=std > 1e-3)
