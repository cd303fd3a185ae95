"""Vectorised slice tests: every value of an attribute grouping against the rest at once.

For a grouping (one attribute, or a pair: their values combined into cells), one pass of
``bincount`` gives each cell's sums; per-image sums give cluster-robust variances (images
are the clusters), and per-stratum sums give the stratified test (Cochran-Mantel-Haenszel
for rates, inverse-variance weighted differences otherwise). A cell's p-value is the larger
of the clustered test and the stratified test divided by the design effect: a slice is
only significant if it differs overall *and* within strata (size and class for objects,
class and object count for predictions, object count for images).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import stats
from .candidates import Attribute
from .metrics import Metric, attribute_codes

IMAGE_BLOCK = 8192
"""Images per block when summing per (image, cell): bounds memory to block x cells."""


@dataclass
class CellStats:
    """Arrays over the cells of one grouping on one half of the images."""

    n: np.ndarray  # units inside
    images: np.ndarray  # images with units inside
    value: np.ndarray  # mean of y inside
    baseline: np.ndarray  # mean of y outside
    p: np.ndarray
    z: np.ndarray  # clustered z of value - baseline (strength, for ranking)
    adjusted: np.ndarray  # stratified effect: MH odds ratio (rates) or weighted difference
    strat_diff: np.ndarray  # inverse-variance weighted within-stratum difference
    strat_p: np.ndarray  # its p, divided by the design effect
    mde: np.ndarray
    deff: np.ndarray


def cell_codes(metric: Metric, attrs: list[Attribute]) -> tuple[np.ndarray, int]:
    """Combined cell code of each unit (-1 where an attribute has no value) and cell count."""
    codes = np.zeros(len(metric.y), dtype=np.int64)
    k = 1
    for attr in attrs:
        c = attribute_codes(metric, attr)
        width = len(attr.values)
        codes = np.where((codes < 0) | (c < 0), -1, codes * width + c)
        k *= width
    return codes, k


def strata_codes(
    metric: Metric, attrs: list[Attribute], use: np.ndarray, extra: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    """Stratum of each used unit, leaving out strata the grouping itself slices by;
    ``extra`` (codes per unit) adds strata, e.g. membership in stronger findings."""
    sliced = {a.name for a in attrs if a.level != "image"}
    codes = np.zeros(int(use.sum()), dtype=np.int64)
    k = 1
    if extra is not None:
        width = int(extra.max()) + 1 if extra.size else 1
        codes, k = extra[use].astype(np.int64), width
    for name, c in metric.strata.items():
        if name in sliced:
            continue
        width = int(c.max()) + 1 if c.size else 1
        codes = codes * width + c[use]
        k *= width
    return codes, k


def test_cells(
    metric: Metric,
    attrs: list[Attribute],
    half: np.ndarray,
    alpha: float,
    unit_mask: np.ndarray | None = None,
    extra_strata: np.ndarray | None = None,
) -> CellStats:
    """Test every cell of ``attrs`` against the rest, on the units of images in ``half``
    (and in ``unit_mask``: a parent slice to test within)."""
    use = half[metric.img]
    if unit_mask is not None:
        use = use & unit_mask
    y, img = metric.y[use], metric.img[use]
    c_all, k = cell_codes(metric, attrs)
    c = c_all[use]
    m = half.size
    valid = c >= 0
    cv, yv = c[valid], y[valid]
    n_k = np.bincount(cv, minlength=k).astype(float)
    y_k = np.bincount(cv, yv, minlength=k)
    q_k = np.bincount(cv, yv * yv, minlength=k)
    n_tot, y_tot, q_tot = float(y.size), float(y.sum()), float((y * y).sum())
    n_out, y_out, q_out = n_tot - n_k, y_tot - y_k, q_tot - q_k

    y_img = np.bincount(img, y, minlength=m)
    n_img = np.bincount(img, minlength=m).astype(float)
    syy, syn, snn = (y_img * y_img).sum(), (y_img * n_img).sum(), (n_img * n_img).sum()
    m_all = float((n_img > 0).sum())
    if all(a.level == "image" for a in attrs):
        # a cell holds whole images: its per-image sums are the images' sums
        img_cell = np.full(m, -1, dtype=np.int64)
        img_cell[img[valid]] = cv
        ok = (img_cell >= 0) & (n_img > 0)
        ic = img_cell[ok]
        syy_k = np.bincount(ic, y_img[ok] ** 2, minlength=k)
        syn_k = np.bincount(ic, y_img[ok] * n_img[ok], minlength=k)
        snn_k = np.bincount(ic, n_img[ok] ** 2, minlength=k)
        m_k = np.bincount(ic, minlength=k).astype(float)
        syy_o, syn_o, snn_o, m_o = syy - syy_k, syn - syn_k, snn - snn_k, m_all - m_k
    else:
        syy_k, syn_k, snn_k, m_k, cross = _per_image_cell_sums(img[valid], cv, yv, k, y_img, n_img)
        cy, cyn, cny, cn, full = cross
        syy_o = syy - 2 * cy + syy_k
        syn_o = syn - cyn - cny + syn_k
        snn_o = snn - 2 * cn + snn_k
        m_o = m_all - full

    with np.errstate(invalid="ignore", divide="ignore"):
        value, baseline = y_k / n_k, y_out / n_out
        v_in = stats.cluster_variance_of_ratio(syy_k, syn_k, snn_k, y_k, n_k, m_k)
        v_out = stats.cluster_variance_of_ratio(syy_o, syn_o, snn_o, y_out, n_out, m_o)
        z = (value - baseline) / np.sqrt(v_in + v_out)
        p_crude = np.where(np.isfinite(z), stats.normal_two_sided_p(z), np.nan)
        var_in = np.maximum(q_k / n_k - value**2, 0)
        var_out = np.maximum(q_out / n_out - baseline**2, 0)
        iid = var_in / n_k + var_out / n_out
        deff = np.where(iid > 0, np.maximum((v_in + v_out) / iid, 1.0), 1.0)
        pooled = np.maximum(q_tot / n_tot - (y_tot / n_tot) ** 2, 0)
        mde = stats.minimum_detectable_effect(pooled, n_k, n_out, alpha, deff)

    s, n_s = strata_codes(metric, attrs, use, extra_strata)
    sv = s[valid]
    key = cv * n_s + sv
    sn = np.bincount(key, minlength=k * n_s).reshape(k, n_s).astype(float)
    sy = np.bincount(key, yv, minlength=k * n_s).reshape(k, n_s)
    sq = np.bincount(key, yv * yv, minlength=k * n_s).reshape(k, n_s)
    tn = np.bincount(s, minlength=n_s).astype(float)
    ty = np.bincount(s, y, minlength=n_s)
    tq = np.bincount(s, y * y, minlength=n_s)
    strat_diff, zs = stats.stratified_mean_difference(sy, sq, sn, ty - sy, tq - sq, tn - sn)
    strat_p = stats.normal_two_sided_p(zs / np.sqrt(deff))
    if metric.binary:
        adjusted, stat, _ = stats.cmh_test(sy, sn - sy, ty - sy, (tn - ty) - (sn - sy))
        p_strat = strat_p = _chi2_sf(stat / deff)
        strat_diff = stats.mantel_haenszel_risk_difference(sy, sn, ty - sy, tn - sn)
    else:
        adjusted, p_strat = strat_diff, strat_p
    p = np.fmax(p_crude, p_strat)
    p = np.where((n_k > 1) & (n_out > 1), p, np.nan)
    return CellStats(n_k, m_k, value, baseline, p, z, adjusted, strat_diff, strat_p, mde, deff)


def _chi2_sf(stat: np.ndarray) -> np.ndarray:
    from scipy.stats import chi2

    return np.asarray(chi2.sf(np.nan_to_num(stat), 1))


def _per_image_cell_sums(
    img: np.ndarray, c: np.ndarray, y: np.ndarray, k: int, y_img: np.ndarray, n_img: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Sums over images of per-(image, cell) totals, in blocks of images.

    Returns ``sum Y_ik^2, sum Y_ik N_ik, sum N_ik^2, images with units in k`` and the
    cross sums with the image totals that give the rest's variance without a second pass.
    """
    out = [np.zeros(k) for _ in range(9)]
    order = np.argsort(img, kind="stable")
    img, c, y = img[order], c[order], y[order]
    m = y_img.size
    bounds = np.searchsorted(img, np.arange(0, m + IMAGE_BLOCK, IMAGE_BLOCK))
    for b, lo in enumerate(range(0, m, IMAGE_BLOCK)):
        i0, i1 = bounds[b], bounds[b + 1]
        if i0 == i1:
            continue
        hi = min(m, lo + IMAGE_BLOCK)
        rows = hi - lo
        key = (img[i0:i1] - lo) * k + c[i0:i1]
        a_y = np.bincount(key, y[i0:i1], minlength=rows * k).reshape(rows, k)
        a_n = np.bincount(key, minlength=rows * k).reshape(rows, k).astype(float)
        ty, tn = y_img[lo:hi, None], n_img[lo:hi, None]
        out[0] += (a_y * a_y).sum(0)
        out[1] += (a_y * a_n).sum(0)
        out[2] += (a_n * a_n).sum(0)
        out[3] += (a_n > 0).sum(0)
        out[4] += (ty * a_y).sum(0)
        out[5] += (ty * a_n).sum(0)
        out[6] += (tn * a_y).sum(0)
        out[7] += (tn * a_n).sum(0)
        out[8] += ((a_n == tn) & (tn > 0)).sum(0)
    return out[0], out[1], out[2], out[3], tuple(out[4:])
