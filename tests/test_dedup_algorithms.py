"""The duplicate algorithms against brute force: all-pairs join, IVF self-join, Hamming
pairs, connected components."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visionlens_jlab.dedup.groups import Pairs, components, groups_of, leaks, sample_fields
from visionlens_jlab.dedup.hashes import content_hash, hamming_pairs, hash_images, popcount
from visionlens_jlab.dedup.near import exact_pairs, ivf_self_join, near_duplicate_pairs


def clustered(n: int, dim: int, planted: int, seed: int) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """Clustered unit vectors (a shared direction) with ``planted`` pairs at cosine ~0.98."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(max(10, n // 20), dim))
    x = 0.8 * rng.normal(size=dim) + centers[rng.integers(0, len(centers), n)]
    x += 0.7 * rng.normal(size=(n, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    rows = rng.choice(n, size=2 * planted, replace=False).reshape(-1, 2)
    for a, b in rows:
        noise = rng.normal(size=dim)
        noise -= (noise @ x[a]) * x[a]
        x[b] = 0.98 * x[a] + np.sqrt(1 - 0.98**2) * noise / np.linalg.norm(noise)
    return x.astype(np.float32), {(int(min(a, b)), int(max(a, b))) for a, b in rows}


def brute_force(x: np.ndarray, threshold: float) -> tuple[set[tuple[int, int]], np.ndarray]:
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    i, j = np.nonzero(np.triu(sims >= threshold, 1))
    return set(zip(i.tolist(), j.tolist(), strict=True)), sims.max(axis=1)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 300), threshold=st.floats(0.5, 1.0), seed=st.integers(0, 10**6))
def test_exact_pairs_equal_brute_force(n: int, threshold: float, seed: int) -> None:
    x, _ = clustered(n, 8, min(n // 4, 10), seed)
    want, nearest = brute_force(x, threshold)
    got = exact_pairs(x, threshold)
    assert set(zip(got.i.tolist(), got.j.tolist(), strict=True)) == want
    np.testing.assert_allclose(got.nearest, nearest, atol=1e-5)
    assert (got.i < got.j).all()


def test_exact_pairs_across_blocks(monkeypatch: object) -> None:
    import visionlens_jlab.dedup.near as near

    x, planted = clustered(700, 16, 40, 3)
    want, nearest = brute_force(x, 0.95)
    assert planted <= want
    setattr(near, "BLOCK", 128)  # noqa: B010 - several blocks, ragged last one
    try:
        got = exact_pairs(x, 0.95)
    finally:
        setattr(near, "BLOCK", 4096)  # noqa: B010
    assert set(zip(got.i.tolist(), got.j.tolist(), strict=True)) == want
    np.testing.assert_allclose(got.nearest, nearest, atol=1e-5)


def test_ivf_self_join_finds_the_planted_pairs_and_only_true_ones() -> None:
    x, planted = clustered(6000, 32, 150, 5)
    want, nearest = brute_force(x, 0.95)
    got = ivf_self_join(x, 0.95, seed=1)
    found = set(zip(got.i.tolist(), got.j.tolist(), strict=True))
    assert found <= want  # every pair reported is a true one...
    assert len(found & want) / len(want) >= 0.95  # ...and almost all are reported
    assert len(found) == len(got)  # no pair twice
    np.testing.assert_allclose(
        got.similarity, [x[i] @ x[j] for i, j in zip(got.i, got.j, strict=True)], atol=1e-5
    )
    assert (got.nearest <= nearest + 1e-5).all()  # a lower bound of the true nearest...
    in_pair = np.unique(np.concatenate([got.i, got.j]))
    np.testing.assert_allclose(
        got.nearest[in_pair], nearest[in_pair], atol=1e-5
    )  # exact where it matters
    assert near_duplicate_pairs(x, 0.95, exact=True).method == "exact"
    assert near_duplicate_pairs(x[:100], 0.95).method == "exact"


def test_ivf_self_join_in_small_blocks_gives_the_same_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The memory bounds (rows assigned at a time, the largest similarity block) change
    how the work is cut, never the answer: a large group joined a few rows at a time and
    the assignment in ragged chunks give the same pairs and nearest similarities."""
    import visionlens_jlab.dedup.near as near

    x, _ = clustered(3000, 32, 60, 9)
    x[:600] = x[:600] * 0.2 + x[0] * 0.8  # one crowded region: a large group
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    want = ivf_self_join(x, 0.95, seed=2)
    for name, value in (("ASSIGN_ROWS", 97), ("JOIN_BLOCK_ELEMENTS", 5_000)):
        monkeypatch.setattr(near, name, value)
        got = ivf_self_join(x, 0.95, seed=2)
        monkeypatch.undo()
        assert (got.i.tolist(), got.j.tolist()) == (want.i.tolist(), want.j.tolist())
        np.testing.assert_allclose(got.nearest, want.nearest, atol=1e-6)
    assert len(want) > 0


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 400), distance=st.integers(0, 12), seed=st.integers(0, 10**6))
def test_hamming_pairs_equal_brute_force(n: int, distance: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64)
    for k in range(0, n - 1, 7):  # near copies: flip a few bits
        flips = rng.choice(64, size=int(rng.integers(0, 9)), replace=False)
        hashes[k + 1] = hashes[k] ^ np.uint64(sum(1 << int(b) for b in flips))
    d = popcount((hashes[:, None] ^ hashes[None, :]).ravel()).reshape(n, n)
    i, j = np.nonzero(np.triu(d <= distance, 1))
    got_i, got_j, got_d = hamming_pairs(hashes, distance)
    assert list(zip(got_i.tolist(), got_j.tolist(), strict=True)) == list(
        zip(i.tolist(), j.tolist(), strict=True)
    )
    assert got_d.tolist() == d[i, j].tolist()


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 60), edges=st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59))))
def test_components_equal_a_union_find(n: int, edges: list[tuple[int, int]]) -> None:
    edges = [(a, b) for a, b in edges if a < n and b < n]
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            a = parent[a]
        return a

    for a, b in edges:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    i = np.array([a for a, _ in edges], dtype=np.int64)
    j = np.array([b for _, b in edges], dtype=np.int64)
    assert components(n, i, j).tolist() == [find(a) for a in range(n)]


def test_groups_fields_and_leaks() -> None:
    ids = np.array([10, 11, 12, 13, 14], dtype=np.int64)
    splits = ["train", "val", "test", "train", None]
    near = Pairs("near", np.array([0, 1]), np.array([1, 2]), np.array([0.99, 0.97], np.float32))
    exact = Pairs("exact", np.array([3]), np.array([4]), np.array([1.0], np.float32))
    labels = components(5, np.r_[near.i, exact.i], np.r_[near.j, exact.j])
    assert groups_of(ids, labels) == [[10, 11, 12], [13, 14]]
    fields = sample_fields(ids, labels, np.array([0.99, 0.99, 0.97, -2, 1.0], np.float32))
    assert fields["dup_group"][1].tolist() == [10, 10, 10, 13, 13]
    assert fields["dup_count"][1].tolist() == [2, 2, 2, 1, 1]
    assert fields["nearest_similarity"][0].tolist() == [10, 11, 12, 14]
    np.testing.assert_allclose(fields["uniqueness"][1], [0.01, 0.01, 0.03, 0.0], atol=1e-6)
    # val 11 has train 10 as a duplicate; test 12's duplicate is val 11 (no leak); 14 has no split
    assert leaks(ids, splits, [near, exact]) == [
        {
            "sample_id": 11,
            "split": "val",
            "duplicate_id": 10,
            "duplicate_split": "train",
            "similarity": 0.99,
            "kind": "near",
            "kinds": ["near"],
        }
    ]


def test_a_leak_found_by_several_kinds_is_listed_once() -> None:
    ids = np.array([10, 11, 12], dtype=np.int64)
    splits: list[str | None] = ["train", "val", "train"]
    exact = Pairs("exact", np.array([0]), np.array([1]), np.array([1.0], np.float32))
    perceptual = Pairs("perceptual", np.array([0]), np.array([1]), np.array([1.0], np.float32))
    near = Pairs("near", np.array([0, 1]), np.array([1, 2]), np.array([0.999, 0.98], np.float32))
    rows = leaks(ids, splits, [exact, perceptual, near])
    assert [(r["sample_id"], r["duplicate_id"]) for r in rows] == [(11, 10), (11, 12)]
    assert [(r["kind"], r["kinds"], r["similarity"]) for r in rows] == [
        ("exact", ["exact", "perceptual", "near"], 1.0),
        ("near", ["near"], 0.98),
    ]


def test_hash_images_survives_missing_and_corrupt_files(tmp_path: Path) -> None:
    from .dedup_fixtures import PHOTOS

    good = tmp_path / "good.jpg"
    good.write_bytes(PHOTOS[0].read_bytes())
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8 not really a jpeg")
    rows = list(
        hash_images([(1, str(good)), (2, str(tmp_path / "missing.jpg")), (3, str(corrupt))])
    )
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[0][1] == content_hash(PHOTOS[0].read_bytes()) and rows[0][2] is not None
    assert rows[0][3] is not None and len(rows[0][3]) == 256
    assert rows[1][1:] == (None, None, None)  # unreadable: nobody's duplicate
    assert rows[2][1] == content_hash(corrupt.read_bytes()) and rows[2][2:] == (None, None)
