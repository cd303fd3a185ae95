"""Diversity's density weight above ``exact_max`` (#49 item 4): the scale path estimates
each pool row's density against a random sample of rows and must weigh the choice as the
exact path does, so that on uneven data its picks are not the outliers; and a seed fixes
it. Small inputs with a small ``exact_max`` force the scale path."""

from __future__ import annotations

import numpy as np

from visionlens_jlab.select.greedy import Weighted, choose
from visionlens_jlab.select.vector_gains import Diversity

SIZES = [1200, 700, 400, 250, 150]  # the dense clusters


def uneven(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Five dense clusters of uneven size (2,700 rows) and 60 lone outliers scattered
    between and around them: the rows, and which are outliers."""
    rng = np.random.default_rng(seed)
    d = 16
    centres = rng.normal(size=(5, d)) * 2.0
    parts = [c + 0.15 * rng.normal(size=(m, d)) for c, m in zip(centres, SIZES, strict=True)]
    dense = np.concatenate(parts)
    lone = rng.normal(size=(60, d)) * 2.5
    x = np.concatenate([dense, lone]) + 8.0 * np.eye(d)[0]  # off the origin: unit rows differ
    outlier = np.zeros(len(x), dtype=bool)
    outlier[len(dense) :] = True
    return x.astype(np.float32), outlier


def scale(
    x: np.ndarray,
    labelled: np.ndarray | None = None,
    *,
    density: bool = True,
    dims: int = 16,
    pool: int = 10_000,
    density_sample: int = 256,
) -> Diversity:
    """Diversity forced onto its scale path (``exact_max`` 500). By default every row is
    in its pool and nothing is projected (16-d rows, 16 components), so what differs from
    the exact path is the density estimated against 256 sampled rows."""
    return Diversity(
        x,
        labelled,
        exact_max=500,
        dims=dims,
        pool=pool,
        density=density,
        density_sample=density_sample,
    )


def test_the_scale_path_is_density_weighted_like_the_exact_path():
    x, outlier = uneven()
    n, k = len(x), 20
    exact = choose(n, k, [Weighted(Diversity(x))], seed=2).positions
    approx = choose(n, k, [Weighted(scale(x))], seed=2).positions
    plain = choose(n, k, [Weighted(scale(x, density=False))], seed=2).positions
    # the plain greedy's picks are mostly outliers (what the scale path did before)
    assert outlier[plain].sum() >= k // 2
    # the weighted ones, exact or estimated, mostly are not: at most a quarter each
    assert outlier[exact].sum() <= k // 4
    assert outlier[approx].sum() <= k // 4
    # and both reach every dense cluster
    cluster = np.repeat(np.arange(5), SIZES)
    for got in (exact, approx):
        assert set(cluster[got[~outlier[got]]].tolist()) == set(range(5))


def test_the_scale_path_equals_the_exact_path_when_nothing_is_estimated():
    """With a density sample of every row, a pool of every row and no projection, the
    scale path is the exact weighted greedy (labelled rows fix the first pick)."""
    x, _ = uneven(1)
    n = len(x)
    lab = np.zeros(n, dtype=bool)
    lab[[3, 1500, 2400]] = True
    exact = choose(n, 25, [Weighted(Diversity(x, lab))], seed=0).positions
    approx = choose(n, 25, [Weighted(scale(x, lab, density_sample=n))], seed=0).positions
    assert np.array_equal(exact, approx)


def test_the_scale_path_is_fixed_by_its_seed():
    x, _ = uneven(2)
    n = len(x)
    # projection and pool estimated too
    runs = [choose(n, 30, [Weighted(scale(x, dims=8, pool=1500))], seed=s) for s in (5, 5, 6)]
    assert np.array_equal(runs[0].positions, runs[1].positions)
    assert np.array_equal(runs[0].contributions, runs[1].contributions)
    assert not np.array_equal(runs[0].positions, runs[2].positions)
