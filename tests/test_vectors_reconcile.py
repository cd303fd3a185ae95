"""The catalog stays the authority: dataset deletes reach the vectors, and reconcile repairs drift."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.vectors import (
    VectorStore,
    delete_dataset_vectors,
    missing_ids,
    reconcile,
)

from .vectors_fixtures import OpenStore, add_dataset, fan, open_store_fixture, store_fixture  # noqa: F401 - fixtures


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    cat = Catalog(tmp_path / "catalog")
    yield cat
    cat.close()


def index(store: VectorStore, space: str, dataset_id: int, ids: list[int]) -> None:
    store.upsert(space, ids, fan(len(ids)), dataset_ids=dataset_id)


def test_reconcile_after_a_crash_between_catalog_and_vector_delete(
    catalog: Catalog, open_store: OpenStore
) -> None:
    a_id, a = add_dataset(catalog, "a", 3)
    b_id, b = add_dataset(catalog, "b", 4)
    store = open_store()
    clip = store.ensure_space("clip", "1", 4).name
    dino = store.ensure_space("dino", "1", 4).name
    for space in (clip, dino):
        index(store, space, a_id, a)
        index(store, space, b_id, b)
    index(store, dino, b_id, [987654])  # a point whose sample never existed

    catalog.delete_dataset("a")  # ... and the server dies before the vector delete
    store.close()
    store = open_store()

    dry = reconcile(catalog, store, dry_run=True)
    assert dry.spaces[clip].removed == 3 and store.count(clip) == 7  # dry run deletes nothing

    report = reconcile(catalog, store)
    assert report.catalog_samples == 4
    assert (report.spaces[clip].points, report.spaces[clip].removed) == (7, 3)
    assert (report.spaces[dino].points, report.spaces[dino].removed) == (8, 4)
    assert report.spaces[clip].missing == report.spaces[dino].missing == 0
    assert store.ids(clip).tolist() == b
    assert store.ids(dino).tolist() == b
    assert reconcile(catalog, store).spaces[clip].removed == 0  # idempotent
    assert report.to_json()["spaces"][clip]["removed"] == 3


def test_reconcile_reports_samples_without_vectors(catalog: Catalog, store: VectorStore) -> None:
    a_id, a = add_dataset(catalog, "a", 5)
    b_id, b = add_dataset(catalog, "b", 2)
    space = store.ensure_space("clip", "1", 4).name
    index(store, space, a_id, a[:3])  # an embedding job cancelled after 3 of 5
    report = reconcile(catalog, store)
    assert report.spaces[space].missing == 4
    assert missing_ids(catalog, store, space).tolist() == a[3:] + b
    assert missing_ids(catalog, store, space, dataset_id=a_id).tolist() == a[3:]


def test_reconcile_removes_points_filed_under_another_dataset(
    catalog: Catalog, store: VectorStore
) -> None:
    a_id, a = add_dataset(catalog, "a", 2)
    b_id, b = add_dataset(catalog, "b", 2)
    space = store.ensure_space("clip", "1", 4).name
    index(store, space, a_id, a)
    # A stale vector: sample b[0]'s id, but written for dataset a (an id reused after a delete).
    store.upsert(space, [b[0]], fan(1), dataset_ids=a_id)
    report = reconcile(catalog, store)
    assert report.spaces[space].removed == 1
    assert report.spaces[space].missing == 2
    assert store.ids(space).tolist() == a


def test_delete_dataset_vectors_after_catalog_delete(catalog: Catalog, store: VectorStore) -> None:
    a_id, a = add_dataset(catalog, "a", 3)
    b_id, b = add_dataset(catalog, "b", 2)
    clip = store.ensure_space("clip", "1", 4).name
    dino = store.ensure_space("dino", "1", 8).name
    index(store, clip, a_id, a)
    index(store, clip, b_id, b)
    store.upsert(dino, a, fan(3, 8), dataset_ids=a_id)

    # The call the server makes on DELETE /datasets/a:
    dataset_id = catalog.get_dataset("a")["id"]
    catalog.delete_dataset("a")
    assert delete_dataset_vectors(store, dataset_id) == 6

    assert store.ids(clip).tolist() == b
    assert store.count(dino) == 0
    assert reconcile(catalog, store).spaces[clip].removed == 0


def test_delete_dataset_vectors_failure_is_logged_not_raised(
    catalog: Catalog, store: VectorStore, caplog: pytest.LogCaptureFixture
) -> None:
    a_id, a = add_dataset(catalog, "a", 2)
    space = store.ensure_space("clip", "1", 4).name
    index(store, space, a_id, a)
    store.close()  # the store is unusable: the catalog delete must still succeed
    catalog.delete_dataset("a")
    assert delete_dataset_vectors(store, a_id) is None
    assert f"could not delete the vectors of dataset {a_id}" in caplog.text
