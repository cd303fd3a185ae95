"""The server's in-memory vector matrices: exact against brute force in every distance,
dropped after every kind of write, within the memory cap; and the coverage warning.

Real DuckDB catalog and real Qdrant Edge store; the brute-force reference is numpy here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.embed.spaces import record_space
from visionlens_jlab.search import Query, search
from visionlens_jlab.search.matrix_cache import VectorMatrixCache
from visionlens_jlab.vectors import EdgeVectorStore, QdrantClientVectorStore

from .vectors_fixtures import add_dataset, catalog_fixture, edge_fixture  # noqa: F401 - fixtures

N, DIM = 300, 8


def _vectors(seed: int, n: int = N) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)


@pytest.mark.parametrize("distance", ["cosine", "dot", "euclid"])
def test_top_k_equals_the_store_exact_scan_and_brute_force(
    edge: EdgeVectorStore, catalog: Catalog, distance: str
) -> None:
    dataset_id, ids = add_dataset(catalog, "ds", N)
    vectors = _vectors(1)
    space = edge.ensure_space(f"m-{distance}", "v1", DIM, distance)
    edge.upsert(space.name, ids, vectors, dataset_id)
    stored_ids, stored = edge.get_vectors(space.name, ids)  # cosine: normalized by the store
    cache = VectorMatrixCache(2**20)
    matrix = cache.get(edge, space, dataset_id, N)
    assert matrix is not None and matrix.ids.tolist() == ids
    query = _vectors(2, 1)[0]
    rows = np.sort(np.random.default_rng(3).choice(N, 40, replace=False))
    for k, subset in [(10, None), (N + 5, None), (7, rows), (3, rows[:2])]:
        got = matrix.top_k(query, k, subset)
        want = edge.search(
            space.name, query, min(k, 10_000), dataset_id=dataset_id, exact=True,
            sample_ids=None if subset is None else np.array(ids)[subset],
        )  # fmt: skip
        assert [h.sample_id for h in got] == [h.sample_id for h in want]
        np.testing.assert_allclose([h.score for h in got], [h.score for h in want], rtol=1e-4)
        # brute force, independent of both
        pick = np.arange(N) if subset is None else subset
        q = query / np.linalg.norm(query) if distance == "cosine" else query
        if distance == "euclid":
            keys = np.linalg.norm(stored[pick] - q, axis=1)
        else:
            keys = -(stored[pick] @ q)
        order = np.argsort(keys, kind="stable")[:k]
        assert [h.sample_id for h in got] == stored_ids[pick[order]].tolist()


def test_search_through_the_cache_and_every_write_drops_it(
    edge: EdgeVectorStore, catalog: Catalog
) -> None:
    dataset_id, ids = add_dataset(catalog, "ds", N)
    vectors = _vectors(4)
    space = edge.ensure_space("m", "v1", DIM)
    edge.upsert(space.name, ids, vectors, dataset_id)
    cache = VectorMatrixCache(2**20)
    like = Query(like=ids[0])

    def top(**kw: Any) -> list[int]:
        out = search(catalog, edge, "ds", like, k=5, cache=cache, **kw)
        assert out["strategy"] == "memory"
        return [r["sample_id"] for r in out["results"]]

    first = top()
    assert first[0] == ids[0] and cache.nbytes > 0
    flt = {"ids": ids[100:110]}
    assert set(top(filter_spec=flt)) <= set(ids[100:110])
    # upsert: sample 150 becomes a copy of the query: it must come second at once
    edge.upsert(space.name, [ids[150]], vectors[:1] * 2, dataset_id)
    assert top()[:2] in ([ids[0], ids[150]], [ids[150], ids[0]])
    # delete: gone from the results
    edge.delete([ids[150]])
    assert ids[150] not in top()
    # a write of another dataset drops it too (the generation is store-wide)
    other_id, other_ids = add_dataset(catalog, "other", 3)
    gen = edge.generation()
    edge.upsert(space.name, other_ids, vectors[:3], other_id)
    assert edge.generation() != gen
    assert cache.count(edge, space.name, other_id) == 3
    edge.delete_dataset(other_id)
    assert cache.count(edge, space.name, other_id) == 0
    # a dropped and recreated space with other vectors
    edge.drop_space(space.name)
    space = edge.ensure_space("m", "v1", DIM)
    edge.upsert(space.name, ids, vectors[::-1].copy(), dataset_id)
    got = search(catalog, edge, "ds", like, k=3, cache=cache)
    want = search(catalog, edge, "ds", like, k=3)  # no cache: the store's exact scan
    assert want["strategy"] == "dataset"
    assert [r["sample_id"] for r in got["results"]] == [r["sample_id"] for r in want["results"]]
    np.testing.assert_allclose(
        [r["score"] for r in got["results"]], [r["score"] for r in want["results"]], rtol=1e-5
    )


def test_file_names_come_from_the_cache_and_follow_a_reingest(
    edge: EdgeVectorStore, catalog: Catalog
) -> None:
    """Names are read once per matrix; a re-ingest under the same name (same ids, other
    file names) drops the vectors, hence the matrix and its names."""
    dataset_id, ids = add_dataset(catalog, "ds", N)
    space = edge.ensure_space("m", "v1", DIM)
    edge.upsert(space.name, ids, _vectors(5), dataset_id)
    cache = VectorMatrixCache(2**20)

    def names(name: str) -> dict[int, str]:
        out = search(catalog, edge, name, Query(like=ids[7]), k=20, cache=cache)
        assert out["strategy"] == "memory" and len(out["results"]) == 20
        return {r["sample_id"]: r["file_name"] for r in out["results"]}

    def catalog_names(found: dict[int, str]) -> dict[int, str]:
        with catalog.cursor() as cur:
            rows = cur.execute(
                "SELECT sample_id, file_name FROM samples WHERE list_contains(?, sample_id)",
                [list(found)],
            ).fetchall()
        return {int(r[0]): str(r[1]) for r in rows}

    first = names("ds")
    assert first == catalog_names(first) and all(v.startswith("ds_") for v in first.values())
    matrix = cache.get(edge, space, dataset_id, N)
    assert matrix is not None and matrix.file_names is not None  # read once, kept
    catalog.delete_dataset("ds")
    edge.delete_dataset(dataset_id)
    # the same samples under other file names (a re-ingest from another annotation file)
    dataset_id, ids = add_dataset(catalog, "ds2", N)
    edge.upsert(space.name, ids, _vectors(5), dataset_id)
    second = names("ds2")
    assert second == catalog_names(second) and all(v.startswith("ds2_") for v in second.values())


def test_memory_cap_and_least_recently_used_first_out(
    edge: EdgeVectorStore, catalog: Catalog, tmp_path: Path
) -> None:
    space = edge.ensure_space("m", "v1", DIM)
    one = N * DIM * 4 + N * 8  # matrix + ids
    datasets = []
    for name in ("a", "b", "c"):
        dataset_id, ids = add_dataset(catalog, name, N)
        edge.upsert(space.name, ids, _vectors(5), dataset_id)
        datasets.append((dataset_id, ids))
    cache = VectorMatrixCache(2 * one)
    for dataset_id, _ in datasets:
        assert cache.get(edge, space, dataset_id, N) is not None
    assert cache.nbytes == 2 * one  # "a" went first
    small = VectorMatrixCache(N * DIM * 4 - 1)
    assert small.get(edge, space, datasets[0][0], N) is None
    out = search(catalog, edge, "a", Query(like=datasets[0][1][0]), k=3, cache=small)
    assert out["strategy"] == "dataset"  # too big for the cap: searched in the store
    local = QdrantClientVectorStore.local(str(tmp_path / "q"), prefix="t_")
    try:  # other clients may write a Qdrant server: never cached
        assert cache.get(local, space, datasets[0][0], N) is None
    finally:
        local.close()


def test_coverage_warning(edge: EdgeVectorStore, catalog: Catalog) -> None:
    dataset_id, ids = add_dataset(catalog, "ds", N)
    space = edge.ensure_space("m", "v1", DIM)
    edge.upsert(space.name, ids[:-20], _vectors(6)[:-20], dataset_id)
    like = Query(like=ids[0])
    cache = VectorMatrixCache(2**20)

    def warning() -> str | None:
        found: str | None = search(catalog, edge, "ds", like, k=3, cache=cache)["warning"]
        return found

    assert "not finished" in (warning() or "")  # vectors, but no finished run recorded

    def record(complete: bool, info: dict[str, int]) -> None:
        record_space(
            catalog, dataset_id, space=space.name, model="m", version="v1", dim=DIM,
            preprocessing="p", count=N - 20, complete=complete, info=info,
        )  # fmt: skip

    record(False, {})
    assert f"only {N - 20:,} of the {N:,} samples" in (warning() or "")
    record(True, {})
    assert f"only {N - 20:,} of the {N:,} samples" in (warning() or "")  # finished, 20 short
    record(True, {"failed": 20})
    assert warning() is None  # the 20 others had unreadable images
