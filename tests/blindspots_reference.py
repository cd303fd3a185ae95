"""A straightforward reference of the blind-spot engine's cell tests and bootstrap.

One cell at a time, with boolean masks, per-image sums by ``np.unique`` and the variance
formulas written as defined; no shared sums, no grid keys, no screening shortcuts beyond
the engine's documented rule. ``tests/test_blindspots_reference.py`` runs the engine with
these in place of the fast paths and requires the same tests, p-values and findings.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from visionlens_jlab.blindspots import stats
from visionlens_jlab.blindspots.candidates import Attribute
from visionlens_jlab.blindspots.engine import BlindSpotEngine
from visionlens_jlab.blindspots.findings import MEDIAN_BINS
from visionlens_jlab.blindspots.metrics import Metric, attribute_codes
from visionlens_jlab.blindspots.slices import CellStats, UnitView


def _cluster_variance(y: np.ndarray, img: np.ndarray) -> tuple[float, int]:
    """Linearised cluster-robust variance of ``mean(y)`` with images as clusters."""
    images, inverse = np.unique(img, return_inverse=True)
    m = images.size
    if m < 2:
        return float("nan"), m
    big_y = np.bincount(inverse, y)
    big_n = np.bincount(inverse).astype(float)
    r = y.sum() / y.size
    return float(m / (m - 1) * ((big_y - r * big_n) ** 2).sum() / y.size**2), m


def _strata(view: UnitView, attrs: list[Attribute], extra: np.ndarray | None) -> np.ndarray:
    sliced = {a.name for a in attrs if a.level != "image"}
    columns = [] if extra is None else [extra[view.sel]]
    columns += [c[view.sel] for name, c in view.metric.strata.items() if name not in sliced]
    if not columns:
        return np.zeros(view.sel.size, dtype=np.int64)
    return np.unique(np.stack(columns, axis=1), axis=0, return_inverse=True)[1].ravel()


def reference_test_cells(
    view: UnitView,
    attrs: list[Attribute],
    alpha: float,
    extra_strata: np.ndarray | None = None,
    screen: float | None = None,
    only: np.ndarray | None = None,
) -> CellStats:
    """:func:`visionlens_jlab.blindspots.slices.test_cells`, one cell at a time."""
    metric: Metric = view.metric
    y, img = metric.y[view.sel], metric.img[view.sel]
    codes = [attribute_codes(metric, a)[view.sel] for a in attrs]
    widths = [len(a.values) for a in attrs]
    valued = np.all([c >= 0 for c in codes], axis=0)
    cell = np.full(y.size, -1)
    cell[valued] = np.ravel_multi_index([c[valued] for c in codes], widths)
    stratum = _strata(view, attrs, extra_strata)
    n_strata = int(stratum.max()) + 1 if stratum.size else 1
    k = int(np.prod(widths))
    out = {f: np.full(k, np.nan) for f in CellStats.__dataclass_fields__}
    pooled = max(float(np.mean(y * y) - np.mean(y) ** 2), 0.0)
    for j in range(k):
        ins = cell == j
        rest = ~ins
        n_in, n_out = int(ins.sum()), int(rest.sum())
        out["n"][j] = n_in
        with np.errstate(invalid="ignore", divide="ignore"):
            value, baseline = y[ins].mean() if n_in else np.nan, y[rest].mean()
        out["value"][j], out["baseline"][j] = value, baseline
        iid = (np.var(y[ins]) / n_in if n_in else np.nan) + np.var(y[rest]) / n_out
        tables = [
            np.bincount(stratum[side], w, minlength=n_strata).astype(float)
            for side in (ins, rest)
            for w in (y[side], y[side] ** 2, None)
        ]
        s_in, q_in, c_in, s_out, q_out, c_out = tables
        with np.errstate(invalid="ignore", divide="ignore"):
            if metric.binary:
                adjusted, stat, _ = stats.cmh_test(s_in, c_in - s_in, s_out, c_out - s_out)
                strat_diff = stats.mantel_haenszel_risk_difference(s_in, c_in, s_out, c_out)
                zs = np.sign(strat_diff) * np.sqrt(np.nan_to_num(stat))
            else:
                strat_diff, zs = stats.stratified_mean_difference(
                    s_in, q_in, c_in, s_out, q_out, c_out
                )
                adjusted = strat_diff
            p_naive = np.fmax(
                stats.normal_two_sided_p((value - baseline) / np.sqrt(iid)),
                stats.normal_two_sided_p(zs),
            )
        v, images = iid, np.nan
        need = n_in > 1 and n_out > 1 and (only is None or bool(only[j]))
        if need and (screen is None or p_naive < screen):
            v_in, images = _cluster_variance(y[ins], img[ins])
            v_out, _ = _cluster_variance(y[rest], img[rest])
            v = v_in + v_out
        with np.errstate(invalid="ignore", divide="ignore"):
            deff = np.maximum(v / iid, 1.0) if iid > 0 else 1.0
            v = np.maximum(v, iid)
            z = (value - baseline) / np.sqrt(v)
            p_crude = float(stats.normal_two_sided_p(z)) if np.isfinite(z) else np.nan
            strat_p = float(stats.normal_two_sided_p(zs / np.sqrt(deff)))
            mde = stats.minimum_detectable_effect(
                np.asarray(pooled), np.asarray(n_in), np.asarray(n_out), alpha, np.asarray(deff)
            )
        p = np.fmax(p_crude, strat_p)
        if only is not None and not only[j]:
            p = 1.0
        if not (n_in > 1 and n_out > 1):
            p = np.nan
        row: dict[str, Any] = {"images": images, "p": p, "z": z, "adjusted": adjusted, "strat_diff": strat_diff,
               "strat_p": strat_p, "mde": mde, "deff": deff}  # fmt: skip
        for name, x in row.items():
            out[name][j] = x
    return CellStats(**out)


def reference_bootstrap_ci(
    engine: BlindSpotEngine, metric: Metric, inside: np.ndarray, seed: int
) -> tuple[float, float]:
    """The findings' bootstrap interval, one replicate at a time: each unit weighted by its
    image's Poisson weight, the metric's display value recomputed inside and outside."""
    from visionlens_jlab.blindspots.findings import BOOTSTRAP_REPLICATES

    half = engine.confirmation[metric.img]
    local = np.cumsum(engine.confirmation) - 1
    img = local[metric.img[half]]
    y, ins = metric.y[half], inside[half]
    draws = []
    for chunk in engine.bootstrap_weights(BOOTSTRAP_REPLICATES):
        for w_img in chunk.astype(float):
            w = w_img[img]
            sides = []
            for sel in (ins, ~ins):
                if metric.name == "localisation":
                    binned = np.minimum((y[sel] * MEDIAN_BINS).astype(int), MEDIAN_BINS - 1)
                    order = np.argsort(binned, kind="stable")
                    med = weighted_median(binned[order], w[sel][order][None, :])[0]
                    sides.append((med + 0.5) / MEDIAN_BINS)
                elif metric.name == "calibration" and metric.score is not None:
                    score = metric.score[half][sel]
                    sides.append(
                        stats.expected_calibration_error(score, score - y[sel], weights=w[sel])
                        if w[sel].sum() > 0
                        else np.nan
                    )
                else:
                    total = w[sel].sum()
                    sides.append((w[sel] * y[sel]).sum() / total if total > 0 else np.nan)
            draws.append(sides[0] - sides[1])
    return stats.percentile_interval(np.asarray(draws))


def weighted_median(values_sorted: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted (lower) medians of ``values_sorted`` (ascending) for each row of ``weights``."""
    cum = np.cumsum(weights, axis=-1)
    half = cum[..., -1:] / 2
    idx = (cum < half).sum(axis=-1)
    out = values_sorted[np.minimum(idx, values_sorted.size - 1)].astype(float)
    return np.where(cum[..., -1] > 0, out, np.nan)
