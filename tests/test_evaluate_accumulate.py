"""``accumulate_coco``: pycocotools' precision and recall arrays bit for bit, and the cells
an evaluation reads computed alone (``cells``) with the same numbers."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

from visionlens_jlab.evaluate.coco import (
    AREA_RANGES,
    BBOX_STATS,
    IOU_THRESHOLDS,
    MAX_DETS,
    accumulate_coco,
    match_coco,
    summary_cells,
)

from .evaluate_fixtures import coco_input, pycocotools_eval
from .test_evaluate_pycocotools import coco_case


def _accumulated(gt, dets, **kwargs):
    inp = coco_input(gt, dets)
    n_cats = len(inp.classes)
    match = match_coco(inp.gt, inp.dt, n_cats, IOU_THRESHOLDS)
    return accumulate_coco(inp.gt, inp.dt, match, n_cats, MAX_DETS, **kwargs)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coco_case())
def test_precision_and_recall_are_pycocotools_bit_for_bit(case):
    gt, dets = case
    expected = pycocotools_eval(gt, dets)
    precision, recall = _accumulated(gt, dets)
    assert _same_bits(precision, np.asarray(expected.eval["precision"], dtype=float))
    assert _same_bits(recall, np.asarray(expected.eval["recall"], dtype=float))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coco_case())
def test_only_the_cells_asked_for_are_computed_with_the_same_numbers(case):
    gt, dets = case
    full_p, full_r = _accumulated(gt, dets)
    cells = summary_cells(BBOX_STATS, tuple(AREA_RANGES), MAX_DETS)
    part_p, part_r = _accumulated(gt, dets, cells=cells)
    for a in range(len(AREA_RANGES)):
        for m in range(len(MAX_DETS)):
            if (a, m) in cells:
                assert _same_bits(part_p[..., a, m], full_p[..., a, m].copy())
                assert _same_bits(part_r[..., a, m], full_r[..., a, m].copy())
            else:
                assert (part_p[..., a, m] == -1).all() and (part_r[..., a, m] == -1).all()


def test_summary_cells_are_those_the_summary_and_the_per_class_table_read():
    # bbox/segm: every area at maxDets 100, area "all" at 1 and 10 (AR1, AR10)
    assert summary_cells(BBOX_STATS, tuple(AREA_RANGES), MAX_DETS) == {
        (0, 2), (1, 2), (2, 2), (3, 2), (0, 0), (0, 1),
    }  # fmt: skip
