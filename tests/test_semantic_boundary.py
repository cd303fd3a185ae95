"""The boundary band of a label map (:func:`visionlens_jlab.semantic.boundary.boundary_band`)
equals its definition, a pixel whose ``(2d+1)²`` window holds two labels or crosses the
image's edge, computed with scipy's minimum and maximum filters over the window; on random
and blocky label maps of every shape from one pixel up, widths from 1 to past the image's
size, and several label dtypes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from visionlens_jlab.semantic.boundary import boundary_band


def _by_filters(labels: np.ndarray, d: int) -> np.ndarray:
    size = 2 * d + 1
    band = ndimage.minimum_filter(labels, size=size) != ndimage.maximum_filter(labels, size=size)
    band[:d, :] = True
    band[-d:, :] = True
    band[:, :d] = True
    band[:, -d:] = True
    return band


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64])
def test_band_equals_the_window_definition(dtype: type) -> None:
    rng = np.random.default_rng(7)
    for _ in range(400):
        h, w = (int(v) for v in rng.integers(1, 48, 2))
        d = int(rng.integers(1, 30))
        classes = int(rng.integers(1, 5))
        if rng.random() < 0.5:  # noise: changes everywhere
            labels = rng.integers(0, classes, (h, w))
        else:  # blocks: long runs, windows that hold one label
            blocks = rng.integers(0, classes, (h // 6 + 1, w // 6 + 1))
            labels = np.kron(blocks, np.ones((6, 6), dtype=np.int64))[:h, :w]
        labels = labels.astype(dtype)
        got = boundary_band(labels, d)
        assert got.dtype == bool and got.shape == (h, w)
        np.testing.assert_array_equal(got, _by_filters(labels, d), err_msg=f"{h}x{w}, d={d}")


def test_band_of_rows_each_one_label() -> None:
    """Windows whose rows are each constant but differ: only the vertical changes show them."""
    labels = np.repeat(np.array([0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3]), 20)
    labels = np.tile(labels[:, None], (1, 40)).astype(np.uint8)
    d = 5
    got = boundary_band(labels, d)
    np.testing.assert_array_equal(got, _by_filters(labels, d))
    change = 8 * 20  # the first row of label 3
    inner = got[d:-d, d:-d]
    assert inner[change - d - d : change - d + d].all()  # rows within d of the change
    assert not inner[: change - d - d].any() and not inner[change - d + d :].any()
