"""Statistics of the blind-spot finder: intervals, tests, FDR, bootstrap by image.

Pure numpy/scipy, vectorised where the slice engine calls them for thousands of slices.
Objects of one image share its conditions (light, background, the model's mood), so box
outcomes are *clustered* by image: variances here are cluster-robust (sums per image), and
bootstrap intervals resample images, never boxes. Treating boxes as independent makes
p-values too small by the design effect (1 + (boxes per image - 1) * intra-image correlation).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np
from scipy import stats as sps
from scipy.special import ndtr

Z_POWER = float(sps.norm.ppf(0.8))
"""The z of 80% power, for minimum detectable effects."""


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (adjusted p-values) of ``p``, in the input order.

    NaN p-values (tests that could not run) are left out of the count and stay NaN.
    """
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = ok.size
    if m == 0:
        return q
    order = ok[np.argsort(p[ok], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return q


def cmh_test(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cochran-Mantel-Haenszel test over strata (last axis) of 2x2 tables ``[[a, b], [c, d]]``.

    Returns ``(common odds ratio (Mantel-Haenszel), chi-square statistic, p)``, without
    continuity correction; leading axes are independent sets of strata (vectorised).
    Strata with fewer than 2 units carry no information and are skipped.
    """
    a, b, c, d = (np.asarray(x, dtype=float) for x in (a, b, c, d))
    n = a + b + c + d
    use = n > 1
    n_safe = np.where(use, n, 1.0)
    r1, r2, c1, c2 = a + b, c + d, a + c, b + d
    expected = np.where(use, r1 * c1 / n_safe, 0.0)
    var = np.where(use, r1 * r2 * c1 * c2 / (n_safe * n_safe * (n_safe - 1).clip(min=1)), 0.0)
    num = (a - expected).sum(axis=-1)
    v = var.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = np.where(v > 0, num * num / np.where(v > 0, v, 1.0), 0.0)
        odds = (np.where(use, a * d / n_safe, 0).sum(axis=-1)) / (
            np.where(use, b * c / n_safe, 0).sum(axis=-1)
        )
    return odds, stat, sps.chi2.sf(stat, 1)


def mantel_haenszel_risk_difference(
    a: np.ndarray, n1: np.ndarray, c: np.ndarray, n0: np.ndarray
) -> np.ndarray:
    """Mantel-Haenszel common risk difference over strata (last axis).

    ``a`` events among ``n1`` exposed and ``c`` among ``n0`` unexposed per stratum:
    ``sum (a n0 - c n1) / N / sum n1 n0 / N``. Robust with sparse strata, unlike inverse-
    variance weights estimated from 0/1 data.
    """
    a, n1, c, n0 = (np.asarray(x, dtype=float) for x in (a, n1, c, n0))
    n = n1 + n0
    n_safe = np.where(n > 0, n, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((a * n0 - c * n1) / n_safe).sum(axis=-1) / (n1 * n0 / n_safe).sum(axis=-1)


def stratified_mean_difference(
    s_in: np.ndarray,
    ss_in: np.ndarray,
    n_in: np.ndarray,
    s_out: np.ndarray,
    ss_out: np.ndarray,
    n_out: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Inverse-variance weighted difference of means over strata (last axis) and its z.

    Inputs per stratum: sums, sums of squares and counts of a unit value inside and outside
    a slice. Strata where either side has fewer than 2 units are skipped. Returns
    ``(difference, z)``; the continuous-metric counterpart of :func:`cmh_test`.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        m_in, m_out = s_in / n_in, s_out / n_out
        v_in = np.maximum(ss_in / n_in - m_in * m_in, 0) / np.maximum(n_in - 1, 1)
        v_out = np.maximum(ss_out / n_out - m_out * m_out, 0) / np.maximum(n_out - 1, 1)
        var = v_in + v_out
        use = (n_in > 1) & (n_out > 1) & (var > 0)
        w = np.where(use, 1.0 / np.where(use, var, 1.0), 0.0)
        diff = (w * np.where(use, m_in - m_out, 0.0)).sum(axis=-1) / w.sum(axis=-1)
        z = diff * np.sqrt(w.sum(axis=-1))
    return diff, z


def normal_two_sided_p(z: np.ndarray | float) -> np.ndarray:
    """Two-sided p of a standard-normal statistic (NaN stays NaN)."""
    # ndtr directly: scipy.stats.norm.sf's argument checks cost more than the maths here
    return np.asarray(2 * ndtr(-np.abs(np.asarray(z, dtype=float))))


def minimum_detectable_effect(
    unit_var: np.ndarray, n_in: np.ndarray, n_out: np.ndarray, alpha: float, deff: np.ndarray
) -> np.ndarray:
    """Smallest true difference a two-sided test at ``alpha`` finds with 80% power.

    ``unit_var`` is the per-unit variance under no effect (``p (1 - p)`` for rates) and
    ``deff`` the design effect of clustering.
    """
    z = _z_two_sided(alpha) + Z_POWER
    with np.errstate(invalid="ignore", divide="ignore"):
        return z * np.sqrt(unit_var * (1 / n_in + 1 / n_out) * np.maximum(deff, 1.0))


@lru_cache(maxsize=16)
def _z_two_sided(alpha: float) -> float:
    return float(sps.norm.ppf(1 - alpha / 2))


def expected_calibration_error(
    scores: np.ndarray, correct: np.ndarray, bins: int = 10, weights: np.ndarray | None = None
) -> float:
    """ECE: mean |score - accuracy| over ``bins`` equal-width score bins, weighted by size."""
    scores = np.asarray(scores, dtype=float)
    if scores.size == 0:
        return float("nan")
    w = np.ones_like(scores) if weights is None else np.asarray(weights, dtype=float)
    b = np.minimum((scores * bins).astype(int), bins - 1)
    count = np.bincount(b, w, minlength=bins)
    conf = np.bincount(b, w * scores, minlength=bins)
    acc = np.bincount(b, w * np.asarray(correct, dtype=float), minlength=bins)
    total = count.sum()
    return float(np.abs(conf - acc).sum() / total) if total > 0 else float("nan")


def cluster_variance_of_ratio(
    y_sq: np.ndarray, yn: np.ndarray, n_sq: np.ndarray, y: np.ndarray, n: np.ndarray, m: np.ndarray
) -> np.ndarray:
    """Cluster-robust variance of ``sum(y) / sum(n)`` from per-cluster sums.

    Inputs are totals over the clusters (images) of a slice: ``sum Y_i^2``, ``sum Y_i N_i``,
    ``sum N_i^2``, ``sum Y_i``, ``sum N_i`` and the number of clusters ``m``. Linearisation:
    ``Var = m / (m - 1) * sum (Y_i - r N_i)^2 / (sum N_i)^2``.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        r = y / n
        resid = y_sq - 2 * r * yn + r * r * n_sq
        return np.where(m > 1, m / np.maximum(m - 1, 1) * np.maximum(resid, 0) / (n * n), np.nan)


def image_bootstrap_weights(
    n_images: int, replicates: int, seed: int, chunk: int = 100
) -> Iterator[np.ndarray]:
    """Poisson(1) weights per image (uint8), ``chunk`` replicates at a time (``[r, n_images]``).

    Resampling images, not boxes: a box gets its image's weight. The Poisson bootstrap
    equals the multinomial one for large samples and needs no fixed total.
    """
    rng = np.random.default_rng(seed)
    done = 0
    while done < replicates:
        r = min(chunk, replicates - done)
        # inverse CDF of Poisson(1) on float32 uniforms, by comparisons with the CDF:
        # several times faster than rng.poisson or searchsorted
        u = rng.random((r, n_images), dtype=np.float32)
        w = np.zeros((r, n_images), dtype=np.uint8)
        for edge in _POISSON1_CDF:
            w += u >= edge
        yield w
        done += r


_POISSON1_CDF = np.cumsum([np.exp(-1.0) / np.prod(np.arange(1, k + 1)) for k in range(12)])[
    :-1
].astype(np.float32)
"""P(X <= k) of Poisson(1), k = 0..10 (beyond: probability < 1e-8)."""


def percentile_interval(samples: np.ndarray, conf: float = 0.95) -> tuple[float, float]:
    """The percentile interval of bootstrap replicates (NaN replicates dropped)."""
    s = np.asarray(samples, dtype=float)
    s = s[~np.isnan(s)]
    if s.size == 0:
        return (float("nan"), float("nan"))
    lo, hi = np.quantile(s, [(1 - conf) / 2, (1 + conf) / 2])
    return (float(lo), float(hi))
