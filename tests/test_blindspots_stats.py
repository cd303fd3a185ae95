"""The blind-spot statistics against scipy and against explicit (looped) computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from visionlens_jlab.blindspots import stats


def test_bh_matches_scipy_and_skips_nan() -> None:
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.random(200), rng.random(20) * 1e-4])
    assert stats.bh_qvalues(p) == pytest.approx(sps.false_discovery_control(p), rel=1e-12)
    with_nan = np.array([0.01, np.nan, 0.04, 0.03])
    q = stats.bh_qvalues(with_nan)
    assert np.isnan(q[1])
    assert q[[0, 2, 3]] == pytest.approx(sps.false_discovery_control([0.01, 0.04, 0.03]))


def test_cmh_textbook_and_single_stratum() -> None:
    # Agresti, Categorical Data Analysis: two strata, computed by hand below
    a = np.array([[10.0, 20.0]])
    b = np.array([[5.0, 15.0]])
    c = np.array([[8.0, 9.0]])
    d = np.array([[12.0, 30.0]])
    odds, stat, p = stats.cmh_test(a, b, c, d)
    n = a + b + c + d
    num = (a - (a + b) * (a + c) / n).sum()
    var = ((a + b) * (c + d) * (a + c) * (b + d) / (n * n * (n - 1))).sum()
    assert stat[0] == pytest.approx(num * num / var)
    assert odds[0] == pytest.approx((a * d / n).sum() / (b * c / n).sum())
    assert p[0] == pytest.approx(sps.chi2.sf(num * num / var, 1))
    # one stratum: CMH is the chi-square with the (n - 1) / n factor
    o1, s1, _ = stats.cmh_test(a[:, :1], b[:, :1], c[:, :1], d[:, :1])
    chi = sps.chi2_contingency([[10, 5], [8, 12]], correction=False).statistic
    assert s1[0] == pytest.approx(chi * (n[0, 0] - 1) / n[0, 0])
    assert o1[0] == pytest.approx(10 * 12 / (5 * 8))


def test_cluster_variance_matches_a_loop() -> None:
    rng = np.random.default_rng(4)
    img = rng.integers(0, 40, 300)
    y = (rng.random(300) < 0.3).astype(float)
    yi, ni = np.bincount(img, y, 40), np.bincount(img, minlength=40).astype(float)
    keep = ni > 0
    yi, ni = yi[keep], ni[keep]
    r = yi.sum() / ni.sum()
    m = keep.sum()
    loop = m / (m - 1) * sum((yi[i] - r * ni[i]) ** 2 for i in range(m)) / ni.sum() ** 2
    ours = stats.cluster_variance_of_ratio(
        np.array((yi * yi).sum()), np.array((yi * ni).sum()), np.array((ni * ni).sum()),
        np.array(yi.sum()), np.array(ni.sum()), np.array(float(m)),
    )  # fmt: skip
    assert float(ours) == pytest.approx(loop, rel=1e-12)


def test_ece_matches_a_loop() -> None:
    rng = np.random.default_rng(5)
    s = rng.random(500)
    ok = rng.random(500) < s**2
    total = 0.0
    for b in range(10):
        sel = (s >= b / 10) & (s < (b + 1) / 10)
        if sel.any():
            total += sel.sum() * abs(s[sel].mean() - ok[sel].mean())
    assert stats.expected_calibration_error(s, ok) == pytest.approx(total / 500)


def test_mantel_haenszel_risk_difference_equal_effects() -> None:
    # every stratum has the same risk difference 0.2: the pooled estimate is exactly that
    n1 = np.array([50.0, 200.0, 10.0])
    n0 = np.array([100.0, 40.0, 30.0])
    p0 = np.array([0.1, 0.5, 0.3])
    rd = stats.mantel_haenszel_risk_difference((p0 + 0.2) * n1, n1, p0 * n0, n0)
    assert float(rd) == pytest.approx(0.2)


def test_minimum_detectable_effect_formula() -> None:
    mde = stats.minimum_detectable_effect(
        np.array(0.25), np.array(100.0), np.array(100.0), 0.05, np.array(1.0)
    )
    z = sps.norm.ppf(0.975) + sps.norm.ppf(0.8)
    assert float(mde) == pytest.approx(z * np.sqrt(0.25 * 0.02))


def test_bootstrap_weights_are_poisson_one() -> None:
    w = np.concatenate(list(stats.image_bootstrap_weights(20_000, 30, seed=1, chunk=7)))
    assert w.shape == (30, 20_000)
    counts = np.bincount(w.astype(int).ravel(), minlength=6)[:6] / w.size
    assert counts == pytest.approx(sps.poisson.pmf(np.arange(6), 1.0), abs=0.002)
