"""The blind-spot statistics against scipy and against explicit (looped) computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from visionlens_jlab.blindspots import stats


def test_wilson_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    n = rng.integers(1, 500, 50)
    k = (rng.random(50) * (n + 1)).astype(int).clip(0, n)
    ours = stats.wilson_interval(k, n)
    for i in range(50):
        ci = sps.binomtest(int(k[i]), int(n[i])).proportion_ci(method="wilson")
        assert ours[i] == pytest.approx([ci.low, ci.high], abs=1e-12)
    assert np.isnan(stats.wilson_interval(0, 0)).all()


def test_fisher_and_chi2_match_scipy() -> None:
    rng = np.random.default_rng(2)
    tables = rng.integers(0, 60, size=(40, 4))
    tables[:, 0] += 1
    a, b, c, d = tables.T
    chi = stats.chi2_2x2_p(a, b, c, d)
    for i, (w, x, y, z) in enumerate(tables):
        ref = sps.chi2_contingency([[w, x], [y, z]], correction=False)
        assert chi[i] == pytest.approx(ref.pvalue, rel=1e-9)
        assert stats.fisher_exact_p(w, x, y, z) == pytest.approx(
            sps.fisher_exact([[w, x], [y, z]]).pvalue, rel=1e-12
        )
    # the design effect divides the statistic: deff 2 == the table with halved counts
    halved = stats.chi2_2x2_p(a, b, c, d, deff=2.0)
    assert halved == pytest.approx(stats.chi2_2x2_p(a / 2, b / 2, c / 2, d / 2), rel=1e-9)
    # a design effect below 1 is never used to make p smaller
    assert stats.chi2_2x2_p(a, b, c, d, deff=0.5) == pytest.approx(chi)


def test_fisher_exact_by_hypergeometric_sum() -> None:
    # two-sided: the probabilities of all tables at most as likely as the observed one
    a, b, c, d = 7, 2, 3, 9
    r1, c1, n = a + b, a + c, a + b + c + d
    probs = [sps.hypergeom.pmf(x, n, c1, r1) for x in range(0, min(r1, c1) + 1)]
    observed = sps.hypergeom.pmf(a, n, c1, r1)
    expected = sum(p for p in probs if p <= observed * (1 + 1e-7))
    assert stats.fisher_exact_p(a, b, c, d) == pytest.approx(expected, rel=1e-9)


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


def test_ece_and_weighted_median_match_loops() -> None:
    rng = np.random.default_rng(5)
    s = rng.random(500)
    ok = rng.random(500) < s**2
    total = 0.0
    for b in range(10):
        sel = (s >= b / 10) & (s < (b + 1) / 10)
        if sel.any():
            total += sel.sum() * abs(s[sel].mean() - ok[sel].mean())
    assert stats.expected_calibration_error(s, ok) == pytest.approx(total / 500)
    values = np.sort(rng.random(31))
    weights = rng.integers(0, 4, size=(5, 31)).astype(float)
    med = stats.weighted_median(values, weights)
    for row in range(5):
        expanded = np.repeat(values, weights[row].astype(int))
        # the lower weighted median: the first value whose cumulative weight reaches half
        assert med[row] in expanded
        assert (expanded <= med[row]).sum() >= expanded.size / 2
        assert (expanded < med[row]).sum() < expanded.size / 2


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
