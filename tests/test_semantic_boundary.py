"""The boundary band of a label map (:func:`visionlens_jlab.semantic.boundary.boundary_band`)
equals its definition, a pixel whose ``(2d+1)²`` window holds two labels or crosses the
image's edge, computed with scipy's minimum and maximum filters over the window; on random
and blocky label maps of every shape from one pixel up, widths from 1 to past the image's
size, and several label dtypes. One image's confusion matrix and boundary counts, taken in
one pass, equal the plain matrix and the counts class by class. The band's width is the
paper's ratio of the diagonal at real image sizes, and the mean boundary IoU is over the
classes that have band pixels, one or none."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from visionlens_jlab.semantic.boundary import (
    band_width,
    boundary_band,
    boundary_iou,
    confusion_with_boundary,
)
from visionlens_jlab.semantic.confusion import confusion


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


@pytest.mark.parametrize(
    ("dtype", "classes", "ignore"),
    [
        (np.uint8, 21, 255),  # VOC: the void value past the classes
        (np.uint8, 21, None),
        (np.uint8, 21, 0),  # an ignore index that names a class
        (np.uint16, 200, 65535),  # more bins than 16 bits hold
        (np.int32, 5, -1),
    ],
)
def test_boundary_counts_class_by_class(dtype: type, classes: int, ignore: int | None) -> None:
    rng = np.random.default_rng(classes)
    for _ in range(30):
        h, w = (int(v) for v in rng.integers(8, 90, 2))
        blocks = rng.integers(0, classes, (h // 8 + 1, w // 8 + 1))
        gt = np.kron(blocks, np.ones((8, 8), dtype=np.int64))[:h, :w]
        pred = np.where(rng.random((h, w)) < 0.05, rng.integers(0, classes, (h, w)), gt)
        if ignore is not None:
            gt = np.where(rng.random((h, w)) < 0.1, ignore, gt)
        gt, pred = gt.astype(dtype), pred.astype(dtype)
        matrix, counts = confusion_with_boundary(gt, pred, classes, ignore)
        np.testing.assert_array_equal(matrix, confusion(gt, pred, classes, ignore))
        d = band_width(h, w)
        gt_band, pred_band = _by_filters(gt, d), _by_filters(pred, d)
        counted = (gt >= 0) & (gt < classes) & (gt != ignore if ignore is not None else True)
        for c in range(classes):
            bg = gt_band & (gt == c) & counted
            bp = pred_band & (pred == c) & counted
            expected = [0, 0] if c == ignore else [(bg & bp).sum(), (bg | bp).sum()]
            assert counts[:, c].tolist() == expected, (c, h, w)


def test_boundary_counts_refuse_maps_of_two_sizes() -> None:
    with pytest.raises(ValueError, match="ground truth is 4x3, prediction 3x4"):
        confusion_with_boundary(np.zeros((3, 4), np.uint8), np.zeros((4, 3), np.uint8), 2)


@pytest.mark.parametrize(
    ("height", "width", "d"),
    [
        (375, 500, 12),  # a VOC image: 0.02 x 625 = 12.5, which Python rounds to even
        (512, 512, 14),  # 0.02 x 724.08
        (1024, 2048, 46),  # Cityscapes: 0.02 x 2289.7
        (480, 640, 16),  # 0.02 x 800
        (10, 10, 1),  # 0.28 rounds to 0: at least one pixel
    ],
)
def test_band_width_is_the_papers_ratio_of_the_diagonal(height: int, width: int, d: int) -> None:
    """The authors' ``mask_to_boundary``: ``int(round(0.02 * sqrt(h² + w²)))``, at least 1
    (the widths here worked out by hand from that formula)."""
    assert band_width(height, width) == d
    assert d == max(1, int(round(0.02 * (height * height + width * width) ** 0.5)))


def test_boundary_iou_of_one_class_and_of_none() -> None:
    """The mean is over the classes with band pixels on either side, however few."""
    per, mean = boundary_iou(np.array([[0, 3, 0], [0, 4, 0]]))
    assert np.isnan(per[0]) and per[1] == 0.75 and np.isnan(per[2])
    assert mean == 0.75
    per, mean = boundary_iou(np.zeros((2, 3), np.int64))
    assert np.isnan(per).all() and mean is None
