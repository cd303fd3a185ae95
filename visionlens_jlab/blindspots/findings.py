"""Findings: the confirmed, grouped slices with their numbers, evidence and wording.

Every number here is recomputed from the units (the confirmation half) or read from the
test ledger; nothing comes from a language model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import stats
from .candidates import slice_filter
from .engine import BlindSpotEngine
from .ledger import SliceTest
from .metrics import Metric
from .units import FP_SCORE

BOOTSTRAP_REPLICATES = 400
MEDIAN_BINS = 1000
"""IoU resolution of the bootstrapped median (0.001)."""
EVIDENCE = 12

METRIC_WORDS = {
    "recall": ("recall", "objects are missed more often"),
    "precision": ("precision", "confident predictions are wrong more often"),
    "confusion": ("class confusion rate", "objects are taken for another class more often"),
    "localisation": ("median IoU of found objects", "boxes are placed less accurately"),
    "fp_per_image": ("confident false positives per image", "more confident false positives"),
    "calibration": ("calibration error (ECE)", "scores are overconfident"),
}


def finding(engine: BlindSpotEngine, test: SliceTest, related: list[SliceTest]) -> dict[str, Any]:
    """The JSON of one finding (its headline test plus the related tests of its group)."""
    metric = engine.metrics[test.metric]
    inside_all = engine.inside(test)
    half = engine.confirmation[metric.img]
    value = metric.display(inside_all & half)
    baseline = metric.display(~inside_all & half)
    lo, hi = bootstrap_effect_ci(engine, metric, inside_all, engine.options.seed)
    parts = engine.resolve(metric, dict(test.parts))
    units = engine.units
    out = {
        "id": test.id,
        "summary": summary(test, value, baseline),
        "metric": test.metric,
        "slice": [{"attribute": a, "value": v} for a, v in test.parts],
        "filter": slice_filter(
            parts, units.model, units.eval_key, FP_SCORE if test.metric == "precision" else None
        ),
        "value": _num(value),
        "baseline": _num(baseline),
        "effect": _num(value - baseline),
        "ci": [_num(lo), _num(hi)],
        "q": _num(max(test.q_discovery, test.q_confirmation)),
        "p": _num(test.confirmation.p),
        "n": test.confirmation.n,
        "images": test.confirmation.images,
        "mde": _num(test.confirmation.mde),
        "adjusted_effect": _num(test.confirmation.adjusted),
        "discovery": {"n": test.discovery.n, "effect": _num(test.discovery.effect),
                      "q": _num(test.q_discovery)},
        "evidence": evidence(engine, metric, inside_all),
        "related": [{"id": r.id, "slice": r.slice_text, "effect": _num(r.confirmation.effect)}
                    for r in related if r is not test],
        "source": test.source,
        "python": python_call(units.dataset, units.model, test),
    }  # fmt: skip
    if test.metric == "confusion":
        out["confused_with"] = _top_confusion(engine, inside_all)
    kappas = {a: units.vlm_kappas[a] for a, _ in test.parts if a in units.vlm_kappas}
    if kappas:  # a VLM's answer, not a measurement: how far it agreed with known values
        out["vlm_kappa"] = kappas
    return out


def summary(test: SliceTest, value: float, baseline: float) -> str:
    """Templated wording of a finding (used whenever no language model is configured)."""
    name, meaning = METRIC_WORDS[test.metric]
    where = " and ".join(f"{a} = {v}" for a, v in test.parts)
    return (
        f"Where {where}, {meaning}: {name} {value:.3g} vs {baseline:.3g} elsewhere "
        f"(n = {test.confirmation.n}, confirmation half)."
    )


def python_call(dataset: str, model: str, test: SliceTest) -> str:
    """The notebook call that re-runs the engine (same seed: same halves) and shows this."""
    return f"vl.dataset({dataset!r}).blind_spots(model={model!r}).loc[{test.id!r}]"


def evidence(engine: BlindSpotEngine, metric: Metric, inside: np.ndarray) -> list[int]:
    """Sample ids of the slice's images, worst first (most misses, FPs, worst IoU...)."""
    badness = metric.worse * metric.y
    if metric.name in ("recall", "precision", "localisation"):
        badness = badness + 1.0  # a miss or an FP counts 1, a found object 0
    m = len(engine.units.sample_id)
    per_image = np.bincount(metric.img[inside], badness[inside], minlength=m)
    present = np.bincount(metric.img[inside], minlength=m) > 0
    order = np.lexsort((engine.units.sample_id, -per_image))
    order = order[present[order]]
    return [int(s) for s in engine.units.sample_id[order[:EVIDENCE]]]


def bootstrap_effect_ci(
    engine: BlindSpotEngine, metric: Metric, inside: np.ndarray, seed: int
) -> tuple[float, float]:
    """95% percentile interval of value - baseline, resampling images of the confirmation half."""
    half = engine.confirmation[metric.img]
    images = np.flatnonzero(engine.confirmation)
    local = np.full(engine.confirmation.size, -1)
    local[images] = np.arange(images.size)
    img = local[metric.img[half]]
    y, ins = metric.y[half], inside[half]
    # per-image aggregates once; each chunk of replicate weights is then one product
    if metric.name == "localisation":
        replicate = _median_diff(y, ins, img, images.size)
    elif metric.name == "calibration" and metric.score is not None:
        replicate = _ece_diff(metric.score[half], metric.score[half] - y, ins, img, images.size)
    else:
        replicate = _mean_diff(y, ins, img, images.size)
    weights = engine.bootstrap_weights(BOOTSTRAP_REPLICATES)
    draws = [replicate(w8.astype(np.float32)) for w8 in weights]
    return stats.percentile_interval(np.concatenate(draws))


Replicate = Callable[[np.ndarray], np.ndarray]
"""Replicate weights ``[r, images]`` to ``r`` bootstrapped differences."""


def _mean_diff(y: np.ndarray, ins: np.ndarray, img: np.ndarray, m: int) -> Replicate:
    sums = np.stack([np.bincount(img[sel], y[sel] if val else None, minlength=m)
                     for sel in (ins, ~ins) for val in (True, False)], axis=1)  # fmt: skip
    sums32 = sums.astype(np.float32)

    def replicate(w: np.ndarray) -> np.ndarray:
        r = w @ sums32  # one pass over the weights for the four sums
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(r[:, 0] / r[:, 1] - r[:, 2] / r[:, 3])

    return replicate


def _median_diff(y: np.ndarray, ins: np.ndarray, img: np.ndarray, m: int) -> Replicate:
    # per-image histograms of IoU at 0.001 resolution (sparse: a few boxes per image), so
    # each replicate's weighted histogram is one sparse product, not a sort of every box
    from scipy.sparse import csr_matrix

    bins = MEDIAN_BINS
    hists = []
    for sel in (ins, ~ins):
        b = np.minimum((y[sel] * bins).astype(np.int64), bins - 1)
        hists.append(csr_matrix((np.ones(b.size), (img[sel], b)), shape=(m, bins)).T.tocsr())

    def replicate(w: np.ndarray) -> np.ndarray:
        out = []
        for hist in hists:
            cum = np.cumsum(np.asarray((hist @ w.T).T), axis=1)
            idx = (cum < cum[:, -1:] / 2).sum(axis=1)
            med = (np.minimum(idx, bins - 1) + 0.5) / bins
            out.append(np.where(cum[:, -1] > 0, med, np.nan))
        return np.asarray(out[0] - out[1])

    return replicate


def _ece_diff(
    score: np.ndarray, correct: np.ndarray, ins: np.ndarray, img: np.ndarray, m: int
) -> Replicate:
    bins = 10
    b = np.minimum((score * bins).astype(int), bins - 1)
    tables = []
    for sel in (ins, ~ins):
        key = img[sel] * bins + b[sel]
        tables.append([np.bincount(key, v, minlength=m * bins).reshape(m, bins)
                       for v in (None, score[sel], correct[sel])])  # fmt: skip

    def replicate(w: np.ndarray) -> np.ndarray:
        w64 = w.astype(np.float64)
        out = []
        for count, conf, acc in tables:
            c, s, a = w64 @ count, w64 @ conf, w64 @ acc
            with np.errstate(invalid="ignore", divide="ignore"):
                out.append(np.abs(s - a).sum(axis=1) / c.sum(axis=1))
        return np.asarray(out[0] - out[1])

    return replicate


def _top_confusion(engine: BlindSpotEngine, inside: np.ndarray) -> dict[str, int]:
    metric = engine.metrics["confusion"]
    names = engine.units.gt_confused_with[metric.unit_index[inside]]
    values, counts = np.unique([n for n in names if n is not None], return_counts=True)
    top = np.argsort(-counts)[:3]
    return {str(values[i]): int(counts[i]) for i in top}


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 6)
