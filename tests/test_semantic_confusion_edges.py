"""Edges of the confusion matrix (visionlens_jlab/semantic/confusion.py) the dataset tests
do not reach: a signed mask's negative values (a ground-truth pixel holding one is left out,
as a value past the classes is; a predicted one is refused, naming it), and the summary of
a matrix without a counted pixel (every pixel ignored), whose figures are absent rather than
0 or NaN (in the terminal's summary too)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from visionlens_jlab.semantic.confusion import confusion, image_iou, summary
from visionlens_jlab.semantic.evaluate import semantic_text


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.int64])
def test_negative_ground_truth_is_left_out_and_a_negative_prediction_refused(
    dtype: type,
) -> None:
    """A signed mask's negative values name no class: a ground-truth pixel holding one is
    left out as a value past the classes is (counted here pixel by pixel), a predicted one
    is refused naming it."""
    rng = np.random.default_rng(5)
    gt = rng.integers(-3, 4, (23, 31))
    pred = rng.integers(0, 4, gt.shape)
    expected = np.zeros((4, 4), np.int64)
    for g, p in zip(gt.ravel(), pred.ravel(), strict=True):
        if 0 <= g < 4:
            expected[g, p] += 1
    got = confusion(gt.astype(dtype), pred.astype(dtype), 4)
    np.testing.assert_array_equal(got, expected)
    gt[3, 2], pred[3, 2] = 1, -2  # a counted pixel (an ignored one's prediction is not read)
    with pytest.raises(ValueError, match=r"a predicted pixel has value -2, not a class \(0..3\)"):
        confusion(gt.astype(dtype), pred.astype(dtype), 4)


def test_the_summary_of_no_counted_pixel_has_no_figures() -> None:
    gt = np.full((4, 5), 255, np.uint8)  # every pixel void
    pred = np.zeros((4, 5), np.uint8)
    matrix = confusion(gt, pred, 3, 255)
    assert not matrix.any()
    got = summary(matrix, ["a", "b", "c"], 255)
    for key in ("pixel_accuracy", "mean_accuracy", "mIoU", "fwIoU"):
        assert got[key] is None, key
    assert got["per_class"]["a"] == {"iou": None, "accuracy": None, "pixels": 0}
    assert math.isnan(image_iou(matrix, 255))
    # the terminal's summary shows them as absent, not as 0
    text = semantic_text({**got, "model": "m", "images": 1, "missing": 0, "boundary_iou": None})
    assert "pixel accuracy   -  " in text and "mIoU   -  " in text, text
    assert "0.0" not in text, text
