"""The selection loop and its strategies on the cases the broader tests leave open, each
against its definition computed here (or apricot): a strategy whose gains are all equal,
balance's own value for a missing field and a target that leaves values out, ProbCover's
purity radius and coverage where it is 0 (one row, identical rows), TypiClust's
typicality past one block of rows and its small clusters, and the PCA projection of the
scale path."""

from __future__ import annotations

from collections import Counter

import apricot
import numpy as np
import pytest

from visionlens_jlab.select.greedy import Weighted, choose
from visionlens_jlab.select.score_gains import Balance, Static
from visionlens_jlab.select.vector_cover import (
    SAME_POINT,
    Coverage,
    Representativeness,
    purity_delta,
    similarity,
)
from visionlens_jlab.select.vector_gains import Diversity, Typicality, typicality_of
from visionlens_jlab.select.vector_space import projected, unit_rows


def test_a_strategy_whose_gains_are_all_equal_adds_nothing():
    """Equal gains scale to 0 (not 0 / 0): the other strategy decides, and every recorded
    contribution is finite, the last pick's (one candidate open) included."""
    values = np.array([0.2, 0.9, 0.5, 0.7])
    got = choose(4, 4, [Weighted(Static("same", np.ones(4))), Weighted(Static("score", values))])
    assert got.positions.tolist() == np.argsort(-values).tolist()
    assert np.isfinite(got.contributions).all()
    assert (got.contributions[:, 0] == 0).all()
    assert got.contributions[:-1, 1].tolist() == [1.0, 1.0, 1.0]  # the best open one: 1


def test_balance_gives_a_missing_value_its_share_and_a_target_leaves_values_out():
    values = ["a"] * 6 + [None] * 6 + ["b"] * 6 + ["c"] * 3
    got = choose(len(values), 8, [Weighted(Balance(values))], seed=0).positions
    assert Counter(values[p] for p in got) == {"a": 2, None: 2, "b": 2, "c": 2}
    target = {"a": 2, "b": 1}  # c and the missing value: never chosen
    picked = [
        values[p]
        for p in choose(len(values), 21, [Weighted(Balance(values, target))], seed=0).positions
    ]
    assert len(picked) == 12 and set(picked) == {"a", "b"}
    for m in (1, 2, 3):  # the counts follow the shares at every step of three
        assert Counter(picked[: 3 * m]) == {"a": 2 * m, "b": m}


def purity_of(d: np.ndarray, labels: np.ndarray, radius: float) -> float:
    """The share of the balls ``d < radius`` around the rows that hold one label only."""
    return float(np.mean([(labels[d[i] < radius] == labels[i]).all() for i in range(len(d))]))


def plain_purity_radius(x: np.ndarray, labels: np.ndarray, purity: float) -> float:
    """ProbCover's rule by its definition: the largest radius at which at least ``purity``
    of the balls hold one label. A ball changes only when the radius passes a distance
    between rows, so the largest such distance (of two rows of different labels: others
    change no purity) at which the share holds is the radius."""
    d = np.linalg.norm(x[:, None] - x[None], axis=2)
    cross = np.unique(d[labels[:, None] != labels[None, :]])
    share = [np.mean(~((d < r) & (labels[:, None] != labels[None, :])).any(axis=1)) for r in cross]
    return float(cross[np.flatnonzero(np.array(share) >= purity)].max())


def three_clusters() -> tuple[np.ndarray, np.ndarray]:
    """Three clusters of 60 unit rows, two of them close (k-means finds them exactly)."""
    rng = np.random.default_rng(0)
    d = 8
    centres = np.eye(d)[:3].copy()
    centres[1] = centres[0] + 0.4 * np.eye(d)[1]
    labels = np.repeat(np.arange(3), 60)
    return unit_rows(
        (centres[labels] + 0.08 * rng.normal(size=(180, d))).astype(np.float32)
    ), labels


@pytest.mark.parametrize("purity", [0.75, 0.9])
def test_the_purity_radius_by_its_definition(purity: float):
    """Some radii keep the balls pure, larger ones reach into the neighbouring cluster: the
    radius is the largest that keeps ``purity`` of them pure, not a grid point under it."""
    x, labels = three_clusters()
    expect = plain_purity_radius(x.astype(np.float64), labels, purity)
    dist = np.linalg.norm(x[:, None].astype(np.float64) - x[None], axis=2)
    radii = np.quantile(dist[np.triu_indices(180, 1)], [0.001, 0.2])
    assert radii[0] < expect < radii[1]  # neither the smallest nor the largest radius
    got = purity_delta(x, purity, 3, np.random.default_rng(1))
    assert got == pytest.approx(expect, rel=1e-5)
    assert purity_of(dist, labels, got * (1 - 1e-6)) >= purity
    assert purity_of(dist, labels, got * (1 + 1e-4)) < purity  # the largest: a hair more fails


def test_the_purity_radius_is_met_where_small_balls_are_impure():
    """Every row its own cluster (as many clusters as rows): a ball is pure while it holds
    its centre alone, and already at the 0.1 % quantile of the distances more than 5 % of
    them hold more. The rule is still met (a small enough ball is pure): the radius keeps
    95 % of the balls pure, where it was that impure smallest quantile."""
    rng = np.random.default_rng(0)
    x = unit_rows(rng.normal(size=(180, 8)).astype(np.float32))
    alone = np.arange(180)
    dist = np.linalg.norm(x[:, None].astype(np.float64) - x[None], axis=2)
    smallest = np.quantile(dist[np.triu_indices(180, 1)], 0.001)
    assert purity_of(dist, alone, smallest) < 0.95
    got = purity_delta(x, 0.95, 180, np.random.default_rng(1))
    assert purity_of(dist, alone, got * (1 - 1e-6)) >= 0.95
    assert got == pytest.approx(plain_purity_radius(x.astype(np.float64), alone, 0.95), rel=1e-5)


def test_the_coverage_radius_and_choice_follow_the_seeds_clusters():
    """Rows without a cluster structure: each seed's k-means draws other clusters, so the
    purity radius differs, and so does the choice (it was one grid radius, and one choice,
    for every seed)."""
    x = np.random.default_rng(0).normal(size=(400, 4)).astype(np.float32)
    deltas, choices = set(), set()
    for seed in range(5):
        gain = Coverage(x)
        choices.add(tuple(choose(400, 10, [Weighted(gain)], seed=seed).positions.tolist()))
        deltas.add(gain.delta)
    assert len(deltas) > 1
    assert len(choices) > 1


def test_representativeness_counts_the_labelled_rows_as_chosen():
    """Facility location from a labelled start makes apricot's choice from that initial
    subset."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 16))[rng.integers(6, size=300)] * 3 + rng.normal(size=(300, 16))
    x = x.astype(np.float32)
    labelled = np.zeros(300, dtype=bool)
    labelled[[5, 77, 150, 200]] = True
    sim = similarity(unit_rows(x), unit_rows(x)).astype(np.float64)
    theirs = apricot.FacilityLocationSelection(
        20, metric="precomputed", optimizer="naive", initial_subset=np.flatnonzero(labelled)
    ).fit(sim)
    ours = choose(300, 20, [Weighted(Representativeness(x, labelled))]).positions
    assert ours.tolist() == np.asarray(theirs.ranking).tolist()


def test_typicality_past_one_block_of_rows():
    """Over more rows than one distance block (1,024): each row's own distance is left out
    in every block, not only the first."""
    rng = np.random.default_rng(4)
    x = unit_rows(rng.normal(size=(1500, 8)).astype(np.float32)).astype(np.float64)
    d = np.linalg.norm(x[:, None] - x[None], axis=2)
    expect = 1 / (np.sort(d, axis=1)[:, 1:21].mean(axis=1) + 1e-5)
    assert np.allclose(typicality_of(x.astype(np.float32), 20), expect, rtol=1e-4)


def test_typicality_defers_small_clusters_and_breaks_size_ties_by_cluster():
    """Clusters of ``min_cluster_size`` rows or fewer come after every larger one's next
    turn; clusters of one size take their turns by cluster number."""
    rng = np.random.default_rng(0)
    d = 16
    sizes = [30, 30, 30, 5]
    centres = np.eye(d)[: len(sizes)] * 10
    x = np.concatenate([c + rng.normal(size=(s, d)) for c, s in zip(centres, sizes, strict=True)])
    gain = Typicality(x.astype(np.float32), budget=4)
    got = choose(len(x), 7, [Weighted(gain)], seed=0).positions
    clusters = gain.clusters
    size = np.bincount(clusters)
    assert sorted(size.tolist()) == sorted(sizes)  # k-means found the planted clusters
    big = [int(j) for j in np.flatnonzero(size == 30)]  # in cluster order
    small = int(np.flatnonzero(size == 5)[0])
    assert small not in clusters[got].tolist()  # deferred past three rounds of the others
    assert clusters[got].tolist() == (big * 3)[:7]


def test_the_projection_keeps_the_leading_components():
    """The scale path's rows: unit rows on their first principal components (sklearn's PCA
    of the same rows), so their distances are PCA's (up to each component's sign)."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(2)
    x = (rng.normal(size=(400, 24)) * np.linspace(5, 0.1, 24)).astype(np.float32)
    ours = projected(x, 6, np.random.default_rng(0))
    theirs = PCA(n_components=6).fit_transform(unit_rows(x).astype(np.float64))
    assert np.allclose(np.abs(ours), np.abs(theirs), atol=1e-4)


def test_the_scale_pool_keeps_the_isolated_rows():
    """k-center at scale chooses within a pool of half the most isolated rows and half
    random ones: five far rows among 3,000 are in it, and the plain greedy takes them
    first, as the exact greedy does."""
    rng = np.random.default_rng(5)
    d = 16
    x = rng.normal(size=(3000, d)) * 0.2 + 5 * np.eye(d)[0]
    far = np.arange(3000, 3005)
    x = np.concatenate([x, 5 * np.eye(d)[1:6]]).astype(np.float32)
    div = Diversity(x, exact_max=500, pool=60, density=False)
    got = choose(len(x), 6, [Weighted(div)], seed=0).positions
    assert set(far.tolist()) <= set(got.tolist())


def test_coverage_from_labelled_rows_whose_balls_overlap():
    """Labelled rows of one cluster cover overlapping balls: each row they cover leaves the
    balls it is in once, so a gain is the count of uncovered rows in its ball and each pick
    covers the most of them (brute force)."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(4, 16))[rng.integers(4, size=240)] * 3 + rng.normal(size=(240, 16))
    u = unit_rows(x.astype(np.float32)).astype(np.float64)
    near = np.linalg.norm(u[:, None] - u[None], axis=2) < 0.45
    first = np.flatnonzero(near[0])[:4]  # row 0 and rows within its ball
    labelled = np.zeros(240, dtype=bool)
    labelled[first] = True
    assert len(first) == 4 and (near[np.ix_(first, first)]).all()  # the balls overlap
    covered = near[labelled].any(axis=0)
    gain = Coverage(x.astype(np.float32), labelled, delta=0.45)
    start = gain.start(240, np.random.default_rng(0))
    counts = (near & ~covered[None, :]).sum(axis=1)
    assert np.array_equal(start[~labelled], counts[~labelled])  # gains before any pick
    picks = choose(240, 10, [Weighted(Coverage(x.astype(np.float32), labelled, delta=0.45))])
    chosen: list[int] = []
    for p in picks.positions.tolist():
        counts = (near & ~covered[None, :]).sum(axis=1).astype(float)
        counts[labelled] = -1
        counts[chosen] = -1
        assert p == int(np.argmax(counts))
        covered |= near[p]
        chosen.append(p)


@pytest.mark.parametrize("neighbours", [None, 0])
def test_coverage_of_one_row_and_of_identical_rows(neighbours: int | None):
    """One cluster only: the purity radius is 0 (one row, or every row identical). A ball
    still holds its centre and its duplicates (the rounding of the squared distance put
    them above 0, outside a 0 ball: a lone row's gain was 0), K picks are K distinct rows,
    as many as there are when K is larger, the same for a seed, and nothing divides by 0."""
    rng = np.random.default_rng(0)
    with np.errstate(divide="raise", invalid="raise"):
        for dim in (3, 64, 448):
            one = rng.normal(size=(1, dim)).astype(np.float32)
            gain = Coverage(one, neighbours=neighbours)
            assert gain.start(1, np.random.default_rng(0)).tolist() == [1.0]
            assert gain.delta == 0.0
            assert choose(
                1, 3, [Weighted(Coverage(one, neighbours=neighbours))]
            ).positions.tolist() == [0]
            same = np.repeat(one * 7.0, 20, axis=0)
            gain = Coverage(same, neighbours=neighbours)
            assert (gain.start(20, np.random.default_rng(0)) == 20).all()  # every copy
            # 0 up to the rounding: the largest pairwise distance, computed as ±2e-6, not 0
            assert gain.delta is not None and gain.delta**2 <= SAME_POINT
            assert (gain.picked(5)[np.arange(20) != 5] == 0).all()  # one pick covers all
            for k in (5, 20, 30):
                runs = [
                    choose(20, k, [Weighted(Coverage(same, neighbours=neighbours))], seed=3)
                    for _ in range(2)
                ]
                got = runs[0].positions
                assert len(got) == min(k, 20) == len(set(got.tolist()))
                assert np.array_equal(got, runs[1].positions)
                assert np.isfinite(runs[0].contributions).all()


@pytest.mark.parametrize("neighbours", [None, 0])
def test_coverage_with_a_budget_past_the_distinct_rows(neighbours: int | None):
    """Three distinct rows, eight copies each, shuffled: the first three picks are one copy
    of each (a copy's ball covers its copies, then theirs are worth nothing), and a budget
    of 5 or 30 takes distinct rows up to all 24, the same for a seed."""
    rng = np.random.default_rng(1)
    which = rng.permutation(np.repeat(np.arange(3), 8))
    x = (rng.normal(size=(3, 16)) * 3)[which].astype(np.float32)
    with np.errstate(divide="raise", invalid="raise"):
        for k in (5, 30):
            got = [
                choose(24, k, [Weighted(Coverage(x, neighbours=neighbours))], seed=s).positions
                for s in (2, 2, 9)
            ]
            assert len(got[0]) == min(k, 24) == len(set(got[0].tolist()))
            assert sorted(which[got[0][:3]].tolist()) == [0, 1, 2]
            assert np.array_equal(got[0], got[1])
            assert sorted(which[got[2][:3]].tolist()) == [0, 1, 2]
