"""The embedding strategies of the selection loop (#49 items 2 and 4) against plain
reference implementations written here, on small random inputs."""

from __future__ import annotations

import numpy as np
import pytest

from visionlens_jlab.select.greedy import Gain, Weighted, choose
from visionlens_jlab.select.vector_cover import facility_objective, similarity
from visionlens_jlab.select.vector_gains import (
    Coverage,
    Diversity,
    Representativeness,
    Similar,
    Typicality,
    typicality_of,
)


def blobs(n: int, d: int = 16, centres: int = 6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, d)) * 3
    sizes = rng.integers(1, 10, size=centres)
    which = rng.choice(centres, size=n, p=sizes / sizes.sum())
    return (c[which] + rng.normal(size=(n, d))).astype(np.float32)


def unit(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def mask(n: int, where: list[int]) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    m[where] = True
    return m


def scaled(gains: np.ndarray, open_: np.ndarray) -> np.ndarray:
    """``gains`` scaled to [0, 1] over the open candidates (min to 0, max to 1; all equal:
    all 0). Closed and ``-inf`` candidates get ``-inf``."""
    out = np.full(gains.shape, -np.inf)
    live = open_ & np.isfinite(gains)
    if not live.any():
        return out
    values = gains[live]
    lo, hi = float(values.min()), float(values.max())
    out[live] = (values - lo) / (hi - lo) if hi > lo else 0.0
    return out


def plain_loop(n, k, strategies, seed):
    """The spine's loop as first written (scaling over all n each pick)."""
    rng = np.random.default_rng(seed)
    gains = [s.gain.start(n, rng).astype(np.float64) for s in strategies]
    w = np.array([s.weight for s in strategies])
    open_ = np.ones(n, dtype=bool)
    out = []
    for _ in range(min(k, n)):
        total = (np.stack([scaled(g, open_) for g in gains]) * w[:, None]).sum(axis=0)
        best = int(np.argmax(total))
        if not np.isfinite(total[best]):
            break
        out.append(best)
        open_[best] = False
        for i, s in enumerate(strategies):
            now = s.gain.picked(best)
            if isinstance(now, tuple):
                gains[i] = gains[i].copy()
                gains[i][now[0]] = now[1]
            elif now is not None:
                gains[i] = now.astype(np.float64)
    return out


class Noisy:
    """A toy gain: random start, a random pick-dependent change after each pick."""

    def __init__(self, name: str, seed: int) -> None:
        self.name, self.rng = name, np.random.default_rng(seed)

    def start(self, n, rng):
        self.g = self.rng.random(n)
        return self.g.copy()

    def picked(self, position):
        self.g = self.g * self.rng.random(self.g.size)
        return self.g.copy()


def test_fast_loop_equals_the_plain_loop():
    x = blobs(300)
    for seed in range(3):
        for pair in ("noisy", "vectors"):

            def strategies(seed: int = seed, pair: str = pair) -> list[Weighted]:
                if pair == "noisy":
                    return [Weighted(Noisy("a", seed), 1.0), Weighted(Noisy("b", seed + 9), 0.4)]
                return [Weighted(Diversity(x), 2.0), Weighted(Similar(x, x[:3]), 0.5)]

            expect = plain_loop(300, 25, strategies(), seed)
            assert choose(300, 25, strategies(), seed=seed).positions.tolist() == expect


def plain_k_center(x, k, chosen):
    u = unit(x)
    out = list(chosen)
    d = np.min(np.linalg.norm(u[:, None, :] - u[None, out, :], axis=2), axis=1)
    picks = []
    for _ in range(k):
        d[out] = -1
        best = int(np.argmax(d))
        picks.append(best)
        out.append(best)
        d = np.minimum(d, np.linalg.norm(u - u[best], axis=1))
    return picks


def test_diversity_is_k_center_greedy():
    x = blobs(400)
    got = choose(400, 30, [Weighted(Diversity(x, density=False))], seed=3).positions.tolist()
    assert got[1:] == plain_k_center(x, 29, [got[0]])
    lab = mask(400, [5, 77, 300])
    got = choose(400, 30, [Weighted(Diversity(x, lab, density=False))], seed=3).positions.tolist()
    assert got == plain_k_center(x, 30, [5, 77, 300])


def plain_density(x, neighbours=10):
    """TypiClust's typicality over all rows: 1 / (mean distance to the nearest others + 1e-5)."""
    u = unit(x)
    d = np.sort(np.linalg.norm(u[:, None] - u[None], axis=2), axis=1)[:, 1 : neighbours + 1]
    return 1 / (d.mean(axis=1) + 1e-5)


def test_diversity_is_density_weighted_k_center_greedy():
    x = blobs(400)
    w = plain_density(x)
    w /= w.max()
    lab = mask(400, [5, 77, 300])
    got = choose(400, 30, [Weighted(Diversity(x, lab))], seed=3).positions.tolist()
    u = unit(x)
    d = np.min(np.linalg.norm(u[:, None] - u[None, [5, 77, 300]], axis=2), axis=1)
    expect: list[int] = []
    for _ in range(30):
        g = w * d
        g[lab] = -1
        g[expect] = -1
        expect.append(int(np.argmax(g)))
        d = np.minimum(d, np.linalg.norm(u - u[expect[-1]], axis=1))
    assert got == expect
    assert got != plain_k_center(x, 30, [5, 77, 300])  # the weight changes the choice here


def test_diversity_passes_over_outliers_but_not_small_clusters():
    """Uneven density: a dense cloud, a sparse halo of lone outliers around it, and a far
    small cluster of 6. Plain k-center's first picks are halo outliers; the density-weighted
    choice takes the cloud and the small cluster before any outlier."""
    rng = np.random.default_rng(0)
    d = 16
    cloud = rng.normal(size=(300, d)) * 0.2
    halo = rng.normal(size=(12, d))
    halo *= 3.0 / np.linalg.norm(halo, axis=1, keepdims=True)
    small = rng.normal(size=(6, d)) * 0.05 + 4.0
    x = (np.concatenate([cloud, halo, small]) + 10 * np.eye(d)[0]).astype(np.float32)
    outlier = np.zeros(len(x), dtype=bool)
    outlier[300:312] = True
    plain = choose(len(x), 4, [Weighted(Diversity(x, density=False))], seed=0).positions
    weighted = choose(len(x), 4, [Weighted(Diversity(x))], seed=0).positions
    assert outlier[plain].sum() >= 2
    assert not outlier[weighted].any()
    assert (weighted >= 312).any()  # the small cluster is reached


def test_diversity_first_pick_comes_from_the_seed():
    x = blobs(400)
    firsts = {int(choose(400, 1, [Weighted(Diversity(x))], seed=s).positions[0]) for s in range(6)}
    assert len(firsts) > 1
    again = choose(400, 10, [Weighted(Diversity(x))], seed=4).positions
    assert np.array_equal(again, choose(400, 10, [Weighted(Diversity(x))], seed=4).positions)


def plain_facility(x, k):
    s = similarity(unit(x), unit(x))
    cur = np.zeros(len(x))
    picks: list[int] = []
    for _ in range(k):
        gain = np.maximum(s - cur[:, None], 0).sum(axis=0)
        gain[picks] = -1
        best = int(np.argmax(gain))
        picks.append(best)
        cur = np.maximum(cur, s[:, best])
    return picks


def test_representativeness_is_facility_location_greedy():
    x = blobs(300)
    got = choose(300, 15, [Weighted(Representativeness(x))]).positions
    ref = plain_facility(x, 15)
    assert facility_objective(x, got) == pytest.approx(facility_objective(x, ref), rel=1e-6)
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert facility_objective(x, got) >= facility_objective(
            x, rng.choice(300, 15, replace=False)
        )


def test_typicality_by_its_definition():
    x = blobs(500, centres=8)
    lab = mask(500, [1, 2, 3])
    gain = Typicality(x, budget=6, labelled=lab)
    got = choose(500, 14, [Weighted(gain)], seed=2).positions.tolist()
    labels = gain.clusters
    c = labels.max() + 1
    assert c == 9  # budget + labelled
    u = unit(x)
    typ = np.zeros(500)
    for j in range(c):
        m = np.flatnonzero(labels == j)
        kk = min(20, m.size // 2)
        for i in m:
            d = np.sort(np.linalg.norm(u[m] - u[i], axis=1))[1 : kk + 1]
            typ[i] = 1 / (d.mean() + 1e-5) if kk else 0
    count = np.bincount(labels[lab], minlength=c)
    sizes = np.bincount(labels, minlength=c)
    taken = lab.copy()
    for pick in got:
        late = count + (sizes <= 5) * 500
        j = min(range(c), key=lambda j: (late[j], -sizes[j], j))
        open_ = np.flatnonzero((labels == j) & ~taken)
        assert pick == open_[np.argmax(typ[open_])]
        count[j] += 1
        taken[pick] = True
    assert np.allclose(typicality_of(u[labels == 0], 20), typ[labels == 0])


def brute_uncovered(u, centres, delta, covered):
    return ((np.linalg.norm(u[:, None] - u[None, centres], axis=2) < delta).any(axis=1)) | covered


def test_coverage_counts_equal_brute_force():
    x = blobs(300)
    u = unit(x)
    lab = mask(300, [10, 20])
    gain = Coverage(x, lab, delta=0.35)
    picks = choose(300, 12, [Weighted(gain)]).positions.tolist()
    near = np.linalg.norm(u[:, None] - u[None], axis=2) < 0.35
    covered = near[:, lab].any(axis=1)
    for p in picks:
        counts = (near & ~covered[:, None]).sum(axis=0).astype(float)
        counts[lab] = -1
        counts[picks[: picks.index(p)]] = -1
        assert p == int(np.argmax(counts))
        covered |= near[:, p]
    assert int(gain._covered.sum()) == int(covered.sum())
    assert 0 < Coverage(x).start(300, np.random.default_rng(0)).max()  # the purity rule's radius


def test_coverage_with_per_row_radii_by_its_definition():
    """Row i is covered by a centre within max(delta, its distance to its 5th nearest other
    row); each pick covers the most uncovered rows (ties: the lower row)."""
    x = blobs(300)
    u = unit(x)
    lab = mask(300, [10, 20])
    gain = Coverage(x, lab)
    picks = choose(300, 12, [Weighted(gain)]).positions.tolist()
    d = np.linalg.norm(u[:, None] - u[None], axis=2)
    assert gain.delta is not None
    radius = np.maximum(gain.delta, np.sort(d, axis=1)[:, 5])
    covers = d <= radius[None, :] + 1e-6  # covers[c, i]: c covers i
    covered = covers[lab].any(axis=0)
    for j, p in enumerate(picks):
        counts = (covers & ~covered[None, :]).sum(axis=1).astype(float)
        counts[lab] = -1
        counts[picks[:j]] = -1
        assert p == int(np.argmax(counts))
        covered |= covers[p]
    assert int(gain._covered.sum()) == int(covered.sum())
    assert (radius > gain.delta).any()  # some rows lie sparser than the purity radius


def test_coverage_reaches_rows_sparser_than_its_radius():
    """A dense cloud and a sparse one, the sparse rows' spacing above the radius: the fixed
    ball spends every pick on the dense cloud, the per-row radius reaches the sparse one."""
    rng = np.random.default_rng(1)
    d = 16
    dense = rng.normal(size=(300, d)) * 0.1 + 4 * np.eye(d)[0]
    sparse_ = rng.normal(size=(100, d)) * 0.5 + 4 * np.eye(d)[1]
    x = np.concatenate([dense, sparse_]).astype(np.float32)
    fixed = choose(400, 8, [Weighted(Coverage(x, delta=0.1))]).positions
    ours = choose(400, 8, [Weighted(Coverage(x, delta=0.1, neighbours=5))]).positions
    assert (fixed < 300).all()
    assert (ours >= 300).sum() >= 3


def test_diversity_covers_a_planted_long_tail():
    """#49 item 5: many small clusters (Zipf sizes, 600 down to 5 rows): the diverse choice
    reaches at least 95 % of them (density weighting must not skip the small ones), where
    random reaches well under."""
    rng = np.random.default_rng(3)
    clusters, d = 60, 32
    sizes = np.maximum((600 / np.arange(1, clusters + 1)).astype(int), 5)
    centres = rng.normal(size=(clusters, d)) * 10
    x = np.concatenate([c + rng.normal(size=(s, d)) for c, s in zip(centres, sizes, strict=True)])
    which = np.repeat(np.arange(clusters), sizes)
    k = 90
    for seed in range(3):
        got = choose(len(x), k, [Weighted(Diversity(x.astype(np.float32)))], seed=seed).positions
        assert len(set(which[got].tolist())) >= 0.95 * clusters
    drawn = np.random.default_rng(0).choice(len(x), k, replace=False)
    assert len(set(which[drawn].tolist())) < 0.8 * clusters


def test_labelled_rows_are_never_chosen():
    x = blobs(300)
    lab = mask(300, list(range(0, 300, 3)))
    gains: list[Gain] = [
        Diversity(x, lab),
        Typicality(x, 10, lab),
        Coverage(x, lab, delta=0.3),
        Representativeness(x, lab),
        Similar(x, x[:4], lab),
    ]
    for g in gains:
        got = choose(300, 40, [Weighted(g)]).positions
        assert not lab[got].any(), g.name
        assert len(set(got.tolist())) == len(got)


def test_similar_is_the_highest_cosine():
    x = blobs(200)
    ref = x[:3] * 2
    g = Similar(x, ref).start(200, np.random.default_rng(0))
    assert np.allclose(g, (unit(x) @ unit(ref).T).max(axis=1), atol=1e-5)
    assert np.allclose(Similar(x, ref, unlike=True).start(200, np.random.default_rng(0)), -g)


def test_weights_move_the_choice():
    x = blobs(400)
    ref = x[:2]

    def closeness(w_div, w_sim):
        got = choose(
            400, 20, [Weighted(Diversity(x), w_div), Weighted(Similar(x, ref), w_sim)]
        ).positions
        return (unit(x[got]) @ unit(ref).T).max(axis=1).mean()

    assert closeness(1.0, 5.0) > closeness(1.0, 1.0) > closeness(5.0, 1.0)


def test_progress_raising_stops_the_loop():
    x = blobs(200)
    seen = []

    def stop(done, k):
        seen.append(done)
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        choose(200, 10, [Weighted(Diversity(x))], progress=stop)
    assert seen == [1, 2, 3]


def test_the_scale_paths_choose_valid_rows():
    x = blobs(3000, d=48)
    lab = mask(3000, list(range(0, 3000, 50)))
    div = Diversity(x, lab, exact_max=500, dims=8, pool=800)
    got = choose(3000, 50, [Weighted(div)], seed=1).positions
    assert not lab[got].any() and len(set(got.tolist())) == 50
    assert set(got.tolist()) <= set(div._cand.tolist())
    typ = Typicality(x, 40, exact_max=500, dims=8, keep=4, sample=64)
    got = choose(3000, 40, [Weighted(typ)], seed=1).positions
    assert len(set(typ.clusters[got].tolist())) == 40  # one per cluster first
    rep = Representativeness(x, clients=300, pool=500)
    assert len(choose(3000, 20, [Weighted(rep)]).positions) == 20


class Closing:
    """A toy gain reporting only what changed: a pick closes its right neighbour (``-inf``)
    and halves its left one."""

    name = "closing"

    def start(self, n, rng):
        self.g = np.linspace(1.0, 2.0, n)
        return self.g.copy()

    def picked(self, position):
        right, left = position + 1, position - 1
        pos = [p for p in (left, right) if 0 <= p < self.g.size]
        self.g[left] /= 2 if left >= 0 else 1
        vals = [self.g[left] if p == left else -np.inf for p in pos]
        return np.array(pos), np.array(vals)


def test_sparse_updates_and_closing():
    got = choose(10, 10, [Weighted(Closing())]).positions.tolist()
    # 9 halves 8; so 7 comes next, closing 8 and halving 6; then 5, 3, 1 alike, closing
    # 6, 4, 2; 0 (halved) is all that is left open
    assert got == [9, 7, 5, 3, 1, 0]
    assert choose(10, 10, [Weighted(Closing())]).contributions.shape == (len(got), 1)
