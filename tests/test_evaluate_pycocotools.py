"""Property test: the COCO protocol equals pycocotools' COCOeval on random data, to 1e-9."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visionlens_jlab.evaluate import evaluate_arrays
from visionlens_jlab.evaluate.coco import STAT_NAMES

from .evaluate_fixtures import coco_input, pycocotools_eval

# Coordinates on a coarse grid and a few sizes, so that ties in IoU, exact-threshold IoUs,
# boxes on area-range boundaries (32*32 = 1024) and nested crowd regions all occur often.
SIZES = [4, 8, 16, 32, 40, 64, 96, 120]
box = st.tuples(
    st.integers(0, 12).map(lambda v: v * 8.0),
    st.integers(0, 12).map(lambda v: v * 8.0),
    st.sampled_from(SIZES).map(float),
    st.sampled_from(SIZES).map(float),
)


@st.composite
def coco_case(draw):
    n_images = draw(st.integers(1, 5))
    n_cats = draw(st.integers(1, 3))
    gt_anns: list[dict[str, Any]] = []
    dets: list[dict[str, Any]] = []
    for img in range(1, n_images + 1):
        for _ in range(draw(st.integers(0, 6))):
            x, y, w, h = draw(box)
            area = draw(st.sampled_from([w * h, w * h * 0.5, 1024.0, 9216.0]))
            gt_anns.append(
                {
                    "id": len(gt_anns) + 1,
                    "image_id": img,
                    "category_id": draw(st.integers(1, n_cats)),
                    "bbox": [x, y, w, h],
                    "area": area,
                    "iscrowd": int(draw(st.integers(0, 5)) == 0),
                }
            )
        for _ in range(draw(st.integers(0, 8))):
            x, y, w, h = draw(box)
            jitter = draw(st.sampled_from([0.0, 0.5, 1.0, 3.0]))
            dets.append(
                {
                    "image_id": img,
                    "category_id": draw(st.integers(1, n_cats)),
                    "bbox": [x + jitter, y, w, h - jitter / 2 if h > 4 else h],
                    # few distinct scores: ties inside and across images are common
                    "score": draw(st.sampled_from([0.9, 0.8, 0.5, 0.5, 0.3, 0.1])),
                }
            )
    gt = {
        "images": [{"id": i, "width": 200, "height": 200} for i in range(1, n_images + 1)],
        "categories": [{"id": c, "name": f"c{c}"} for c in range(1, n_cats + 1)],
        "annotations": gt_anns,
    }
    return gt, dets


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coco_case())
def test_coco_stats_equal_pycocotools(case):
    gt, dets = case
    expected = pycocotools_eval(gt, dets)
    report, outcomes = evaluate_arrays(coco_input(gt, dets), "coco", 0.5)
    got = np.array([report.stats[name] for name in STAT_NAMES])
    np.testing.assert_allclose(got, expected.stats, rtol=0, atol=1e-9)
    _check_per_box(expected, outcomes, len(dets))


def _check_per_box(expected, outcomes, n_dets):
    """The stored per-box outcome at IoU 0.5 is pycocotools' match (area all, maxDets 100)."""
    want_status = np.full(n_dets, 3)  # not in any evalImg: beyond maxDets -> ignored
    want_gt = np.full(n_dets, -1)
    for e in expected.evalImgs:
        if e is None or e["aRng"] != [0, 1e10]:
            continue
        for k, det_id in enumerate(e["dtIds"]):
            matched_gt = int(e["dtMatches"][0, k])
            if e["dtIgnore"][0, k]:
                want_status[det_id - 1] = 3
            else:
                want_status[det_id - 1] = 0 if matched_gt else 1
                want_gt[det_id - 1] = matched_gt - 1 if matched_gt else -1
    assert outcomes.dt_status.tolist() == want_status.tolist()
    tp = outcomes.dt_status == 0
    assert outcomes.dt_other[tp].tolist() == want_gt[tp].tolist()


def test_many_detections_per_image_respects_max_dets():
    """150 predictions in one image/class: only the 100 best count (maxDets), AR1/AR10 differ."""
    rng = np.random.default_rng(3)
    gt_anns: list[dict[str, Any]] = []
    dets: list[dict[str, Any]] = []
    for i in range(60):
        x, y = float(rng.integers(0, 400)), float(rng.integers(0, 400))
        gt_anns.append(
            {
                "id": i + 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [x, y, 30, 40],
                "area": 1200.0,
                "iscrowd": 0,
            }
        )
        for _ in range(2 + (i % 2)):
            dets.append(
                {
                    "image_id": 1,
                    "category_id": 1,
                    "bbox": [x + float(rng.normal(0, 3)), y + float(rng.normal(0, 3)), 30, 40],
                    "score": float(rng.random()),
                }
            )
    gt = {"images": [{"id": 1}], "categories": [{"id": 1, "name": "a"}], "annotations": gt_anns}
    assert len(dets) == 150
    expected = pycocotools_eval(gt, dets)
    report, _ = evaluate_arrays(coco_input(gt, dets), "coco", 0.5)
    np.testing.assert_allclose([report.stats[n] for n in STAT_NAMES], expected.stats, atol=1e-12)
    assert report.stats["AR1"] < report.stats["AR10"] < report.stats["AR100"]


def test_equal_iou_tie_goes_to_the_later_ground_truth_as_in_pycocotools():
    """D1 overlaps G1 and G2 with IoU 0.6 each; D2 only fits G1. pycocotools lets D1 take the
    later ground truth in order, which decides whether D2 is a TP."""
    g1 = {
        "image_id": 1,
        "category_id": 1,
        "bbox": [0.0, 0.0, 20.0, 10.0],
        "area": 200.0,
        "iscrowd": 0,
    }
    g2 = {
        "image_id": 1,
        "category_id": 1,
        "bbox": [10.0, 0.0, 20.0, 10.0],
        "area": 200.0,
        "iscrowd": 0,
    }
    dets = [
        {"image_id": 1, "category_id": 1, "bbox": [5.0, 0.0, 20.0, 10.0], "score": 0.9},
        {"image_id": 1, "category_id": 1, "bbox": [0.0, 0.0, 20.0, 10.0], "score": 0.8},
    ]
    results = []
    for order in ([g1, g2], [g2, g1]):
        anns = [dict(a, id=i + 1) for i, a in enumerate(order)]
        gt = {"images": [{"id": 1}], "categories": [{"id": 1, "name": "a"}], "annotations": anns}
        expected = pycocotools_eval(gt, dets)
        report, _ = evaluate_arrays(coco_input(gt, dets), "coco", 0.5)
        np.testing.assert_allclose(
            [report.stats[n] for n in STAT_NAMES], expected.stats, atol=1e-12
        )
        results.append(report.stats["AP50"])
    assert results[0] != results[1]  # the order really matters here


def test_small_chunks_give_identical_results(monkeypatch):
    """The matching processes each rank in chunks of candidates; tiny chunks change nothing."""
    import json

    from visionlens_jlab.evaluate import coco

    from .paths import DATASETS

    root = DATASETS / "coco-val2014-100"
    gt = json.loads((root / "annotations/instances_val2014_100.json").read_text())
    dets = json.loads((root / "results/instances_val2014_fakebbox100_results.json").read_text())
    expected = json.loads((root / "expected/cocoeval_stats_full_precision.json").read_text())
    monkeypatch.setattr(coco, "CHUNK", 3)
    report, _ = evaluate_arrays(coco_input(gt, dets), "coco", 0.5)
    np.testing.assert_allclose(
        [report.stats[n] for n in STAT_NAMES], expected["bbox"], rtol=0, atol=1e-12
    )


def test_false_positives_explained_in_slices_identically(monkeypatch):
    """The false positives are explained a slice at a time; tiny slices change nothing."""
    import json

    from visionlens_jlab.evaluate import analysis

    from .paths import DATASETS

    root = DATASETS / "coco-val2014-100"
    gt = json.loads((root / "annotations/instances_val2014_100.json").read_text())
    dets = json.loads((root / "results/instances_val2014_fakebbox100_results.json").read_text())
    _, whole = evaluate_arrays(coco_input(gt, dets), "coco", 0.5)
    errors = set(whole.dt_error[whole.dt_status == analysis.FP].tolist())
    assert {analysis.DUPLICATE, analysis.CLASS_CONFUSION, analysis.LOCALIZATION} <= errors
    assert (whole.gt_confused >= 0).any()  # a miss explained by a class confusion
    monkeypatch.setattr(analysis, "FP_CHUNK", 3)
    _, sliced = evaluate_arrays(coco_input(gt, dets), "coco", 0.5)
    for name, value in vars(whole).items():
        if name == "fp_pairs":  # what the explanations read (tests/test_image_pairs.py)
            continue
        if name == "tide":  # each object's TIDE error: its own arrays
            for part, array in vars(value).items():
                np.testing.assert_array_equal(getattr(sliced.tide, part), array, err_msg=part)
            continue
        np.testing.assert_array_equal(getattr(sliced, name), value, err_msg=name)
