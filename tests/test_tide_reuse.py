"""TIDE taking the evaluation's own COCO match (``tide_errors(..., coco=match)``) gives
exactly what its own match at 0.5 gives, wherever the two could differ: equal IoUs (the tie
rules differ), crowd regions (COCO matches them, TIDE leaves them out), more than 100
predictions in an image (TIDE keeps 100 per image, COCO 100 per image and class), a match
kept at another threshold, predictions COCO does not evaluate (LVIS' rules) and ground
truth ignored besides crowd regions. The comparisons with ``tidecv`` itself run through
:func:`~visionlens_jlab.evaluate.evaluate_arrays`, which takes the reuse path
(tests/test_evaluate_tide.py, tests/test_evaluate_lvis.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from visionlens_jlab.evaluate.boxes import Boxes
from visionlens_jlab.evaluate.coco import IOU_THRESHOLDS, CocoMatch, match_coco
from visionlens_jlab.evaluate.similarity import PairSimilarity, box_similarity
from visionlens_jlab.evaluate.tide import TideErrors, tide_errors

from .evaluate_fixtures import coco_input
from .test_evaluate_pycocotools import coco_case


def random_boxes(seed: int) -> tuple[Boxes, Boxes]:
    """Boxes on a coarse grid (equal IoUs, duplicated ground truth), crowd regions, a few
    distinct scores, and some images with 150 predictions."""
    rng = np.random.default_rng(seed)
    n_images, n_cats = 12, 3
    n_gt = 120
    g_image = rng.integers(0, n_images, n_gt)
    g_cat = rng.integers(0, n_cats, n_gt)
    g_xy = rng.integers(0, 6, (n_gt, 2)) * 10.0
    g_wh = rng.integers(2, 5, (n_gt, 2)) * 10.0
    dup = rng.random(n_gt) < 0.15  # a copy of the previous box of the list: equal IoUs
    dup[0] = False
    for column in (g_image, g_cat, g_xy, g_wh):
        for i in np.flatnonzero(dup):
            column[i] = column[i - 1]
    crowd = rng.random(n_gt) < 0.1
    counts = np.where(rng.random(n_images) < 0.3, 150, rng.integers(0, 20, n_images))
    d_image = np.repeat(np.arange(n_images), counts)
    n_dt = len(d_image)
    d_cat = rng.integers(0, n_cats, n_dt)
    d_xy = rng.integers(0, 6, (n_dt, 2)) * 10.0 + rng.choice([0.0, 0.0, 2.5, 5.0], (n_dt, 2))
    d_wh = rng.integers(2, 5, (n_dt, 2)) * 10.0
    score = rng.choice([0.9, 0.8, 0.5, 0.3, 0.1], n_dt)
    gt = Boxes(
        np.arange(n_gt), g_image, g_cat, g_xy[:, 0], g_xy[:, 1], g_wh[:, 0], g_wh[:, 1],
        g_wh[:, 0] * g_wh[:, 1], crowd=crowd,
    )  # fmt: skip
    dt = Boxes(
        np.arange(n_dt), d_image, d_cat, d_xy[:, 0], d_xy[:, 1], d_wh[:, 0], d_wh[:, 1],
        d_wh[:, 0] * d_wh[:, 1], score=score,
    )  # fmt: skip
    return gt, dt


def n_cats_of(gt: Boxes, dt: Boxes) -> int:
    return int(max(gt.cat.max(initial=-1), dt.cat.max(initial=-1))) + 1


def assert_same(got: TideErrors | None, want: TideErrors | None) -> None:
    assert (got is None) == (want is None)
    if got is None or want is None:
        return
    assert got.to_dict() == want.to_dict()
    np.testing.assert_array_equal(got.objects.dt_error, want.objects.dt_error)
    np.testing.assert_array_equal(got.objects.gt_missed, want.objects.gt_missed)


def both(
    gt: Boxes, dt: Boxes, sim: PairSimilarity, match: CocoMatch
) -> tuple[TideErrors | None, TideErrors | None]:
    """TIDE on ``match`` and on its own match."""
    return tide_errors(gt, dt, sim, coco=match), tide_errors(gt, dt, sim)


@pytest.mark.parametrize("seed", range(10))
def test_reusing_the_coco_match_equals_tides_own(seed):
    gt, dt = random_boxes(seed)
    sim = box_similarity(gt, dt)
    match = match_coco(gt, dt, n_cats_of(gt, dt), IOU_THRESHOLDS, similarity=sim)
    # the cases the reuse must leave to TIDE's own match are all there
    assert match.tied.any()
    assert np.bincount(dt.image).max() > 100
    got, want = both(gt, dt, sim, match)
    assert want is not None and want.counts["Dupe"] > 0
    assert_same(got, want)


@pytest.mark.parametrize("seed", range(3))
def test_matches_it_cannot_reuse(seed):
    """A match kept at another threshold, predictions COCO leaves out and ground truth it
    ignores besides crowd regions: TIDE matches those (or everything) itself."""
    gt, dt = random_boxes(seed)
    n_cats = n_cats_of(gt, dt)
    sim = box_similarity(gt, dt)
    at_75 = match_coco(gt, dt, n_cats, IOU_THRESHOLDS, similarity=sim, gt_at=5)
    assert_same(*both(gt, dt, sim, at_75))
    keep = np.random.default_rng(seed).random(len(dt)) < 0.7
    partial = match_coco(gt, dt, n_cats, IOU_THRESHOLDS, similarity=sim, keep=keep)
    assert_same(*both(gt, dt, sim, partial))
    ignoring = replace(sim, gt_ignore=np.arange(len(gt)) % 7 == 0)
    odd = match_coco(gt, dt, n_cats, IOU_THRESHOLDS, similarity=ignoring)
    assert_same(*both(gt, dt, sim, odd))


def test_ties_are_flagged_where_the_tie_rule_decides():
    """Two copies of a ground truth: COCO takes the later, TIDE the first; the prediction is
    flagged, and TIDE's errors still point to the first copy's place."""
    gt = Boxes(
        np.arange(3), np.zeros(3, np.int64), np.zeros(3, np.int64), np.array([0.0, 0.0, 50.0]),
        np.zeros(3), np.full(3, 20.0), np.full(3, 20.0), np.full(3, 400.0),
    )  # fmt: skip
    dt = Boxes(
        np.arange(2), np.zeros(2, np.int64), np.zeros(2, np.int64), np.array([1.0, 50.0]),
        np.zeros(2), np.full(2, 20.0), np.full(2, 20.0), np.full(2, 400.0),
        score=np.array([0.9, 0.8]),
    )  # fmt: skip
    sim = box_similarity(gt, dt)
    match = match_coco(gt, dt, 1, IOU_THRESHOLDS, similarity=sim)
    assert match.dt_gt.tolist() == [1, 2]  # the later copy
    assert match.tied.tolist() == [True, False]
    got, want = both(gt, dt, sim, match)
    assert got is not None and want is not None
    assert want.objects.gt_missed.tolist() == [False, True, False]  # TIDE took the first
    assert_same(got, want)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coco_case())
def test_grid_cases_reuse_equals_own(case):
    gt_json, dets = case
    inp = coco_input(gt_json, dets)
    gt, dt = inp.gt, inp.dt
    sim = box_similarity(gt, dt)
    match = match_coco(gt, dt, n_cats_of(gt, dt), IOU_THRESHOLDS, similarity=sim)
    assert_same(*both(gt, dt, sim, match))
