"""The VectorStore contract, run against both real adapters (Qdrant Edge, qdrant-client local)."""

from __future__ import annotations

import numpy as np
import pytest

from visionlens_jlab.vectors import (
    SpaceNotFoundError,
    VectorStore,
    VectorStoreError,
    matrix_read,
    read_matrix,
    space_name,
)

from .vectors_fixtures import OpenStore, e0, fan, open_store_fixture, store_fixture  # noqa: F401 - fixtures


def ids_of(hits: list) -> list[int]:
    return [h.sample_id for h in hits]


def test_ensure_space_is_idempotent_and_keeps_model_metadata(store: VectorStore) -> None:
    info = store.ensure_space("ViT-B-32", "laion2b_s34b_b79k", 4)
    again = store.ensure_space("ViT-B-32", "laion2b_s34b_b79k", 4)
    assert again == info
    assert (info.model, info.version, info.dim, info.distance) == (
        "ViT-B-32",
        "laion2b_s34b_b79k",
        4,
        "cosine",
    )
    assert info.name == space_name("ViT-B-32", "laion2b_s34b_b79k")
    assert [s.name for s in store.spaces()] == [info.name]
    assert store.space(info.name) == info


def test_space_clash_and_bad_definitions_are_explained(store: VectorStore) -> None:
    store.ensure_space("m", "v1", 4)
    with pytest.raises(VectorStoreError, match="holds 4-d cosine vectors, not 8-d cosine"):
        store.ensure_space("m", "v1", 8)
    with pytest.raises(VectorStoreError, match="unknown distance"):
        store.ensure_space("m", "v2", 4, "hamming")
    with pytest.raises(VectorStoreError, match="dimension"):
        store.ensure_space("m", "v2", 0)
    with pytest.raises(VectorStoreError, match="model name"):
        store.ensure_space(" ", "v2", 4)
    with pytest.raises(SpaceNotFoundError):
        store.count("nope")


def test_similar_names_get_distinct_spaces() -> None:
    # Same slug, different exact names: the hash keeps them apart.
    assert space_name("ViT-B/32", "x") != space_name("vit_b_32", "x")
    assert space_name("ViT-B/32", "x").startswith("vit-b-32-x-")


@pytest.mark.parametrize("distance", ["cosine", "dot", "euclid"])
def test_search_returns_nearest_first(store: VectorStore, distance: str) -> None:
    space = store.ensure_space("m", "v", 4, distance).name
    vectors = fan(20)
    ids = np.arange(100, 120)
    shuffle = np.random.default_rng(1).permutation(20)  # insertion order must not matter
    assert store.upsert(space, ids[shuffle], vectors[shuffle], dataset_ids=1) == 20
    hits = store.search(space, e0(), k=5)
    assert ids_of(hits) == [100, 101, 102, 103, 104]
    scores = [h.score for h in hits]
    assert scores == (sorted(scores) if distance == "euclid" else sorted(scores, reverse=True))
    assert ids_of(store.search(space, e0(), k=5, exact=True)) == [100, 101, 102, 103, 104]
    # A batch answers each query on its own.
    batch = store.search_batch(space, np.stack([e0(), -e0()]), k=2)
    assert ids_of(batch[0]) == [100, 101]
    assert ids_of(batch[1]) == [119, 118]


def test_search_filters_by_dataset_and_by_ids(store: VectorStore) -> None:
    space = store.ensure_space("m", "v", 4).name
    vectors = fan(10)
    ids = np.arange(1, 11)
    datasets = [1 if i % 2 else 2 for i in ids]  # odd ids in dataset 1, even in dataset 2
    store.upsert(space, ids, vectors, datasets)
    assert ids_of(store.search(space, e0(), k=3, dataset_id=2)) == [2, 4, 6]
    assert ids_of(store.search(space, e0(), k=3, sample_ids=[9, 5, 7])) == [5, 7, 9]
    assert ids_of(store.search(space, e0(), k=3, sample_ids=[9, 5, 6], dataset_id=1)) == [5, 9]
    assert store.search(space, e0(), k=3, sample_ids=[]) == []
    assert store.count(space) == 10
    assert store.count(space, dataset_id=1) == 5
    got_ids, got_datasets = store.points(space)
    assert got_ids.tolist() == list(range(1, 11))
    assert got_datasets.tolist() == datasets
    assert store.ids(space, dataset_id=2).tolist() == [2, 4, 6, 8, 10]


def test_upsert_replaces_and_get_vectors_keeps_order(store: VectorStore) -> None:
    space = store.ensure_space("m", "v", 4).name
    vectors = fan(6)
    store.upsert(space, [1, 2, 3, 4, 5, 6], vectors * 3.0, dataset_ids=[1, 1, 1, 2, 2, 2])
    # Move sample 6 onto an axis no other vector has, and into dataset 1.
    e2 = np.array([0, 0, 2, 0], dtype=np.float32)
    store.upsert(space, [6], e2.reshape(1, -1), dataset_ids=1)
    assert store.count(space) == 6
    assert ids_of(store.search(space, e2, k=1)) == [6]
    assert store.count(space, dataset_id=1) == 4
    got_ids, got = store.get_vectors(space, [3, 42, 1, 6])
    assert got_ids.tolist() == [3, 1, 6]
    # Cosine spaces store normalized vectors.
    np.testing.assert_allclose(got, np.stack([vectors[2], vectors[0], e2 / 2]), atol=1e-5)
    empty_ids, empty = store.get_vectors(space, [])
    assert empty_ids.shape == (0,) and empty.shape == (0, 4)


def test_read_matrix_gathers_batches_in_the_order_asked_without_the_missing(
    store: VectorStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matrix_read, "READ_BATCH", 3)  # several batches, one partly empty
    space = store.ensure_space("m", "v", 4, "dot").name
    vectors = np.arange(40, dtype=np.float32).reshape(10, 4)
    store.upsert(space, range(10), vectors, dataset_ids=1)
    asked = np.array([9, 100, 101, 102, 0, 5, 200, 3], dtype=np.int64)
    done: list[tuple[int, int]] = []
    ids, matrix = read_matrix(store, space, asked, lambda d, t: done.append((d, t)))
    assert ids.tolist() == [9, 0, 5, 3]
    np.testing.assert_array_equal(matrix, vectors[[9, 0, 5, 3]])
    assert done == [(3, 8), (6, 8), (8, 8)]
    none_ids, none = read_matrix(store, space, np.array([77], dtype=np.int64), dim=4)
    assert none_ids.shape == (0,) and none.shape == (0, 4)
    empty_ids, empty = read_matrix(store, space, np.empty(0, dtype=np.int64), dim=4)
    assert empty_ids.shape == (0,) and empty.shape == (0, 4)


def test_delete_by_ids_and_by_dataset(store: VectorStore) -> None:
    a = store.ensure_space("a", "1", 4).name
    b = store.ensure_space("b", "1", 4).name
    for space in (a, b):
        store.upsert(space, [1, 2, 3, 4, 5], fan(5), dataset_ids=[1, 1, 2, 2, 2])
    store.delete([1], space=a)
    assert store.ids(a).tolist() == [2, 3, 4, 5]
    assert store.ids(b).tolist() == [1, 2, 3, 4, 5]
    store.delete([5, 999])  # every space; unknown ids are fine
    assert store.ids(a).tolist() == [2, 3, 4]
    assert store.ids(b).tolist() == [1, 2, 3, 4]
    assert store.delete_dataset(2) == 4  # 3, 4 in a; 3, 4 in b
    assert store.ids(a).tolist() == [2]
    assert store.ids(b).tolist() == [1, 2]
    assert ids_of(store.search(b, e0(), k=10)) == [1, 2]
    assert store.delete_dataset(2) == 0


def test_bad_vectors_are_refused_with_a_clear_message(store: VectorStore) -> None:
    space = store.ensure_space("m", "v", 4).name
    with pytest.raises(VectorStoreError, match="expected vectors of dimension 4"):
        store.upsert(space, [1], np.ones((1, 3)), dataset_ids=1)
    bad = fan(2)
    bad[1, 2] = np.nan
    with pytest.raises(VectorStoreError, match="NaN"):
        store.upsert(space, [1, 2], bad, dataset_ids=1)
    with pytest.raises(VectorStoreError, match="2 sample ids for 3 vectors"):
        store.upsert(space, [1, 2], fan(3), dataset_ids=1)
    with pytest.raises(VectorStoreError, match=">= 0"):
        store.upsert(space, [-1], fan(1), dataset_ids=1)
    with pytest.raises(VectorStoreError, match="dimension 4"):
        store.search(space, np.ones(5))
    with pytest.raises(VectorStoreError, match="k must be"):
        store.search(space, e0(), k=0)
    assert store.count(space) == 0  # nothing half-written


def test_two_models_with_different_dims_side_by_side_survive_reopen(
    open_store: OpenStore,
) -> None:
    store = open_store()
    small = store.ensure_space("clip", "a", 4).name
    big = store.ensure_space("dino", "b", 6, "euclid").name
    store.upsert(small, [1, 2, 3], fan(3, 4), dataset_ids=1)
    store.upsert(big, [2, 3], fan(2, 6), dataset_ids=1)
    store.close()

    store = open_store()
    by_name = {s.name: s for s in store.spaces()}
    assert (by_name[small].dim, by_name[small].distance) == (4, "cosine")
    assert (by_name[big].dim, by_name[big].distance, by_name[big].model) == (6, "euclid", "dino")
    assert store.count(small) == 3 and store.count(big) == 2
    assert ids_of(store.search(small, e0(4), k=3)) == [1, 2, 3]
    assert ids_of(store.search(big, e0(6), k=3)) == [2, 3]
    store.drop_space(small)
    store.drop_space(small)  # twice is fine
    store.close()

    store = open_store()
    assert [s.name for s in store.spaces()] == [big]
    assert store.count(big) == 2
    with pytest.raises(SpaceNotFoundError):
        store.search(small, e0(4))


def test_closed_store_refuses_work(store: VectorStore) -> None:
    space = store.ensure_space("m", "v", 4).name
    store.close()
    store.close()
    with pytest.raises(VectorStoreError, match="closed"):
        store.upsert(space, [1], fan(1), dataset_ids=1)
