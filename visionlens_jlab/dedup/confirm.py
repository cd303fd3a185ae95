"""The second look at a perceptual-hash match: do the two thumbnails agree pixel for pixel?

A 64-bit pHash alone calls plainly different images duplicates: on a flat or low-contrast
image the DCT coefficients it compares with their median are mostly noise, so unrelated
flat-background images land within a few bits of each other. A pair the hash finds is kept
only if the images' 16x16 grey thumbnails (:func:`~.hashes.image_signature`) also agree:

* every thumbnail pixel is within :data:`MAX_LOCAL_DIFF` of the other thumbnail's pixels
  in its 3x3 neighbourhood (the neighbourhood absorbs the shift of a slight crop, while an
  object present in only one image leaves a pixel far from all its neighbours), and
* the mean absolute pixel difference is within :data:`MAX_MEAN_DIFF`,

both measured against the pair's contrast (the larger standard deviation of the two
thumbnails, at least :data:`MIN_CONTRAST` grey levels): a flat image is judged on absolute
grey levels, so two flat images match only if they look the same.

Calibrated on the demo's planted copies (re-encoded, resized, cropped up to 2 % a side) and
its hash collisions: copies reached 0.62 (local) and 0.16 (mean), different images no less
than 1.16 and 0.4 (``tests/test_dedup_demo.py`` checks both ways).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

THUMB_SIZE = 16
MAX_LOCAL_DIFF = 0.8
MAX_MEAN_DIFF = 0.25
MIN_CONTRAST = 8.0
"""Grey levels: below this standard deviation an image counts as flat."""
PAIRS_PER_BLOCK = 65_536


def thumbnail_array(thumbs: Sequence[bytes | None]) -> np.ndarray:
    """The thumbnails as an ``n x 16 x 16`` float32 array (NaN where there is none)."""
    out = np.full((len(thumbs), THUMB_SIZE, THUMB_SIZE), np.nan, dtype=np.float32)
    for k, thumb in enumerate(thumbs):
        if thumb is not None and len(thumb) == THUMB_SIZE * THUMB_SIZE:
            out[k] = np.frombuffer(thumb, dtype=np.uint8).reshape(THUMB_SIZE, THUMB_SIZE)
    return out


def confirmed(thumbs: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Which pairs ``(i[k], j[k])`` of rows of :func:`thumbnail_array` look like copies."""
    keep = np.zeros(len(i), dtype=bool)
    for start in range(0, len(i), PAIRS_PER_BLOCK):
        a = thumbs[i[start : start + PAIRS_PER_BLOCK]]
        b = thumbs[j[start : start + PAIRS_PER_BLOCK]]
        contrast = np.maximum(_std(a), _std(b))
        contrast = np.maximum(contrast, MIN_CONTRAST)
        local = np.maximum(_local_diff(a, b), _local_diff(b, a))
        mean = np.abs(a - b).mean(axis=(1, 2))
        ok = (local <= MAX_LOCAL_DIFF * contrast) & (mean <= MAX_MEAN_DIFF * contrast)
        keep[start : start + len(a)] = ok  # NaN (no thumbnail) compares False
    return keep


def _std(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1).std(axis=1)


def _local_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair, the largest distance of a pixel of ``a`` from the range of ``b``'s 3x3
    neighbourhood around it."""
    padded = np.pad(b, ((0, 0), (1, 1), (1, 1)), mode="edge")
    shifts = [
        padded[:, dy : dy + THUMB_SIZE, dx : dx + THUMB_SIZE] for dy in range(3) for dx in range(3)
    ]
    stack = np.stack(shifts)
    above = a - stack.max(axis=0)
    below = stack.min(axis=0) - a
    return np.maximum(np.maximum(above, below), 0).max(axis=(1, 2))
