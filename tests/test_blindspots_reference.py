"""The engine's fast paths give the answers of a straightforward reference.

The slice tests (shared per-cell sums, grid keys, per-image sums for image attributes,
radix grouping of wide pairs, cached refinement views) and the findings' bootstrap (one
product per chunk of replicate weights) are swapped for the per-cell, per-replicate code
of ``tests/blindspots_reference.py``; the same tests must be recorded with the same
p-values (to float tolerance) and the same findings must come out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from tests.blindspots_reference import (
    reference_bootstrap_ci,
    reference_test_cells,
    weighted_median,
)
from visionlens_jlab.blindspots import BlindSpotEngine, engine, findings, run_engine
from visionlens_jlab.blindspots.slices import UnitView
from visionlens_jlab.blindspots.units import Units

REL = 1e-9


def planted_units(n_images: int, seed: int) -> Units:
    """A detector with planted effects on every metric kind; predictions not in image order."""
    rng = np.random.default_rng(seed)
    scene = rng.choice(["day", "dusk", "night"], n_images, p=[0.5, 0.2, 0.3])
    background = rng.choice(["plain", "gradient"], n_images)
    per = rng.poisson(5, n_images)
    gt_img = np.repeat(np.arange(n_images), per)
    n_gt = gt_img.size
    size = rng.choice(["small", "medium", "large"], n_gt, p=[0.4, 0.4, 0.2])
    truncated = rng.random(n_gt) < 0.15
    classes = np.array([f"class{i}" for i in range(6)])
    found = rng.random(n_gt) < np.where((scene[gt_img] == "night") & (size == "small"), 0.2, 0.9)
    confused = ~found & (rng.random(n_gt) < 0.3)
    iou = np.where(found, rng.uniform(0.5, 1.0, n_gt) - 0.2 * truncated, np.nan)
    extra = rng.poisson(np.where(background == "gradient", 1.2, 0.2))
    pr_img = np.concatenate([gt_img[found], np.repeat(np.arange(n_images), extra)])
    n_pr = pr_img.size
    pr_class = classes[rng.integers(0, 6, n_pr)]
    pr_tp = np.zeros(n_pr, dtype=bool)
    overconfident = pr_class == "class2"  # often wrong, always sure
    n_found = int(found.sum())
    pr_tp[:n_found] = rng.random(n_found) < np.where(overconfident[:n_found], 0.5, 0.9)
    score = np.where(pr_tp | overconfident, rng.beta(12, 1.5, n_pr), rng.beta(4, 3, n_pr))
    return Units(
        dataset="synthetic", model="m", eval_key="m--coco-iou0.5",
        sample_id=np.arange(1, n_images + 1),
        image_columns={
            "split": pa.chunked_array([rng.choice(["train", "val"], n_images)]),
            "fields.scene": pa.chunked_array([scene]),
            "fields.background": pa.chunked_array([background]),
            "measured.brightness": pa.chunked_array([rng.random(n_images)]),
        },
        gt_count=per, gt_img=gt_img, gt_ann=np.arange(1, n_gt + 1), gt_found=found,
        gt_confused=confused, gt_confused_with=np.where(confused, "class0", None).astype(object),  # type: ignore[call-overload]
        gt_located=found | confused, gt_iou=iou,
        object_columns={
            "object.class": pa.chunked_array([classes[rng.integers(0, 6, n_gt)]]),
            "object.size": pa.chunked_array([size]),
            "object.truncated": pa.chunked_array([truncated]),
            "object.crowding": pa.chunked_array([rng.poisson(0.7, n_gt).astype(np.int32)]),
        },
        pr_img=pr_img, pr_ann=np.arange(n_gt + 1, n_gt + 1 + n_pr), pr_tp=pr_tp,
        pr_score=score, pr_class=pa.chunked_array([pr_class]),
    )  # fmt: skip


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None or np.isnan(a) or np.isnan(b):
        return bool(a is None or np.isnan(a)) == bool(b is None or np.isnan(b))
    return bool(np.isclose(a, b, rtol=REL, atol=1e-300))


def _run(units: Units) -> tuple[BlindSpotEngine, dict[str, Any]]:
    eng = BlindSpotEngine(units)
    return eng, run_engine(eng)


def test_unit_view_within_equals_a_masked_view() -> None:
    eng = BlindSpotEngine(planted_units(300, 0))
    metric = eng.metrics["recall"]
    view = eng.view(metric, True)
    mask = np.random.default_rng(0).random(len(metric.y)) < 0.4
    assert np.array_equal(
        view.within(mask[view.sel]).sel, UnitView(metric, eng.confirmation, mask).sel
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_fast_paths_match_the_reference(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    units = planted_units(1500, seed)
    fast_engine, fast = _run(units)
    monkeypatch.setattr(engine, "test_cells", reference_test_cells)
    monkeypatch.setattr(findings, "bootstrap_effect_ci", reference_bootstrap_ci)
    ref_engine, ref = _run(units)

    # the same tests, with the same numbers in both halves
    assert fast_engine.ledger.tests.keys() == ref_engine.ledger.tests.keys()
    assert fast["tested"] == ref["tested"] > 300
    for tid, t in fast_engine.ledger.tests.items():
        r = ref_engine.ledger.tests[tid]
        for ours, theirs in ((t.discovery, r.discovery), (t.confirmation, r.confirmation)):
            assert (ours.n, ours.images) == (theirs.n, theirs.images), t.slice_text
            for name in ("value", "baseline", "p", "z", "adjusted", "mde"):
                assert _close(getattr(ours, name), getattr(theirs, name)), (t.slice_text, name)
        assert _close(t.q_discovery, r.q_discovery) and _close(t.q_confirmation, r.q_confirmation)

    # the same findings, in the same order, with the same evidence and intervals
    assert fast["findings"], "the planted effects must give findings to compare"
    metrics = {f["metric"] for f in fast["findings"]}
    assert {"recall", "localisation", "calibration"} <= metrics, metrics
    assert [f["id"] for f in fast["findings"]] == [f["id"] for f in ref["findings"]]
    for f, r in zip(fast["findings"], ref["findings"], strict=True):
        for key in ("slice", "filter", "evidence", "related", "n", "images", "summary"):
            assert f[key] == r[key], key
        for key in ("value", "baseline", "effect", "q", "p", "mde", "adjusted_effect"):
            assert _close(f[key], r[key]), (f["summary"], key)
        # the fast bootstrap sums weights in float32 (one product per chunk of replicates)
        assert np.allclose(f["ci"], r["ci"], rtol=1e-5, atol=1e-6), f["summary"]
    # every test's outcome (the list's order follows |z|, whose ties float noise may swap)
    assert {t["id"]: t["outcome"] for t in fast["tests"]} == {
        t["id"]: t["outcome"] for t in ref["tests"]
    }


def test_the_references_weighted_median_is_the_lower_median() -> None:
    rng = np.random.default_rng(5)
    values = np.sort(rng.random(31))
    weights = rng.integers(0, 4, size=(5, 31)).astype(float)
    med = weighted_median(values, weights)
    for row in range(5):
        expanded = np.repeat(values, weights[row].astype(int))
        # the lower weighted median: the first value whose cumulative weight reaches half
        assert med[row] in expanded
        assert (expanded <= med[row]).sum() >= expanded.size / 2
        assert (expanded < med[row]).sum() < expanded.size / 2
