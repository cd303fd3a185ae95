"""The int8 first pass of the search matrix: its candidates always hold the exact top k,
and search through it answers exactly what a float32 brute force answers.

Real DuckDB and Qdrant Edge for the search through the server's cache; numpy brute force
as the reference. Needs numba (the kernel), as the server does to use the pass at all.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.search import Query, search
from visionlens_jlab.search.matrix_cache import DatasetMatrix, VectorMatrixCache
from visionlens_jlab.search.quantized import MAX_CANDIDATE_SHARE, Int8Rows
from visionlens_jlab.vectors import EdgeVectorStore

from .vectors_fixtures import add_dataset, catalog_fixture, edge_fixture  # noqa: F401 - fixtures


def _clustered(n: int, dim: int, seed: int, degenerate: bool = False) -> np.ndarray:
    """Unit vectors in clusters around a shared direction (as CLIP's are); ``degenerate``
    adds exact duplicates and a zero row (ties and a row with no direction)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(4, n // 20), dim))
    x = 0.8 * rng.normal(size=dim) + centres[rng.integers(0, len(centres), n)]
    x += 0.6 * rng.normal(size=(n, dim))
    if degenerate:
        x[10:20] = x[0]  # ten copies of row 0
        x[5] = 0
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms == 0, 1, norms)).astype(np.float32)


@pytest.mark.parametrize("dim", [64, 512])
def test_candidates_hold_the_exact_top_k(dim: int) -> None:
    x = _clustered(4000, dim, seed=dim, degenerate=True)
    quantized = Int8Rows.build(x, chunk=1000)  # several chunks
    assert quantized is not None
    rng = np.random.default_rng(1)
    used = 0
    for trial in range(60):
        q = x[rng.integers(len(x))] if trial % 2 else rng.normal(size=dim).astype(np.float32)
        k = int(rng.choice([1, 10, 50, 200]))
        rows = None if trial % 3 else np.sort(rng.choice(len(x), 1500, replace=False))
        kept = quantized.candidates(q, k, rows)
        if kept is None:
            continue
        used += 1
        pool = np.arange(len(x)) if rows is None else rows
        assert np.all(np.diff(kept) > 0) and set(kept.tolist()) <= set(pool.tolist())
        assert len(kept) <= MAX_CANDIDATE_SHARE * len(pool)
        # float32 brute force: every row above the k-th score is kept, and of the rows
        # tied with it enough to make k
        dots = x @ q
        kth = np.sort(dots[pool])[::-1][k - 1]
        above = {int(r) for r in pool if dots[r] > kth}
        assert above <= set(kept.tolist())
        assert np.count_nonzero(dots[kept] >= kth) >= k
    assert used >= 40  # the pass is taken on data like this, not skipped


def test_top_k_through_the_int8_pass_equals_the_float32_scan() -> None:
    x = _clustered(3000, 128, seed=7)
    ids = np.arange(100, 3100, dtype=np.int64)
    plain = DatasetMatrix(ids, x, "cosine", None)
    fast = DatasetMatrix(ids, x, "cosine", None, quantized=Int8Rows.build(x))
    rng = np.random.default_rng(2)
    for trial in range(40):
        q = rng.normal(size=128).astype(np.float32)
        rows = None if trial % 2 else np.sort(rng.choice(len(x), 2000, replace=False))
        for k in (1, 25, 3000):
            got, want = fast.top_k(q, k, rows), plain.top_k(q, k, rows)
            assert [h.sample_id for h in got] == [h.sample_id for h in want]
            np.testing.assert_allclose(
                [h.score for h in got], [h.score for h in want], rtol=1e-5, atol=1e-6
            )


def test_identical_rows_fall_back_to_the_float32_scan() -> None:
    x = np.tile(_clustered(1, 32, seed=3), (500, 1))  # every score tied
    quantized = Int8Rows.build(x)
    assert quantized is not None
    assert quantized.candidates(x[0], 5, None) is None  # every row within the bound
    fast = DatasetMatrix(np.arange(500), x, "dot", None, quantized=quantized)
    assert len(fast.top_k(x[0], 5)) == 5


@pytest.mark.parametrize("distance", ["cosine", "dot"])
def test_search_through_the_cache_with_the_int8_pass_equals_brute_force(
    edge: EdgeVectorStore, catalog: Catalog, distance: str
) -> None:
    n, dim = 2500, 64
    dataset_id, ids = add_dataset(catalog, "ds", n)
    x = _clustered(n, dim, seed=11) * (1 if distance == "cosine" else 3)
    space = edge.ensure_space(f"m-{distance}", "v1", dim, distance)
    edge.upsert(space.name, ids, x, dataset_id)
    stored_ids, stored = edge.get_vectors(space.name, ids)
    cache = VectorMatrixCache(2**24, quantize_min_rows=0)
    matrix = cache.get(edge, space, dataset_id, n)
    assert matrix is not None and matrix.quantized is None  # built by the first search
    assert cache.nbytes >= stored.nbytes + stored.size  # float32 + int8 codes counted
    rng = np.random.default_rng(5)
    id_arr = np.asarray(ids)
    for trial in range(12):
        like = int(id_arr[rng.integers(n)])
        flt = None if trial % 2 else {"ids": id_arr[rng.choice(n, 1200, replace=False)].tolist()}
        out = search(catalog, edge, "ds", Query(like=like), filter_spec=flt, k=30, cache=cache)
        assert out["strategy"] == "memory"
        q = stored[np.searchsorted(stored_ids, like)]
        if distance == "cosine":
            q = q / np.linalg.norm(q)
        pick = np.arange(n) if flt is None else np.searchsorted(stored_ids, np.sort(flt["ids"]))
        dots = stored[pick] @ q
        want = stored_ids[pick[np.argsort(-dots, kind="stable")[:30]]].tolist()
        assert [r["sample_id"] for r in out["results"]] == want
    assert matrix.quantized is not None and not matrix.quantize
    assert cache.nbytes >= stored.nbytes + stored.size
