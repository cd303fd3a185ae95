"""The embedded store is reconciled on open only when it may have drifted from the catalog.

A holder that closes the store with every write done leaves a stamp of both states; the
next opener skips reconcile's read of every point when both still match it. Real Qdrant Edge
shards and a real DuckDB catalog; "another process" writes the store by opening its shard
directory directly (as the ``embed`` CLI does), or the catalog without the store.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.vectors import EdgeVectorStore, LazyVectorStore, VectorStoreError, lazy
from visionlens_jlab.vectors.in_step import STAMP_FILE
from visionlens_jlab.vectors.lazy import delete_dataset_and_vectors

from .vectors_fixtures import (  # noqa: F401 - the fixtures
    add_dataset,
    catalog_fixture,
    data_dir_fixture,
    edge_dir,
    embed,
    fan,
    no_qdrant_server_fixture,
    points_on_disk,
)

pytestmark = pytest.mark.usefixtures("no_qdrant_server")


@pytest.fixture
def reconciles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the reconciles the lazy store runs (the real one still runs)."""
    calls: list[int] = []
    real = lazy.reconcile

    def counted(catalog: Catalog, store: object) -> object:
        calls.append(1)
        return real(catalog, store)  # type: ignore[arg-type]

    monkeypatch.setattr(lazy, "reconcile", counted)
    return calls


def stamp(data_dir: Path) -> Path:
    return data_dir / "vectors" / STAMP_FILE


def open_and_close(catalog: Catalog, data_dir: Path) -> None:
    held = LazyVectorStore(catalog, data_dir)
    held.get()
    assert not stamp(data_dir).exists()  # open: whatever happens now, no stamp vouches for it
    held.close()


def test_a_clean_close_lets_the_next_open_skip_reconcile(
    catalog: Catalog, data_dir: Path, reconciles: list[int]
) -> None:
    a_id, a = add_dataset(catalog, "a", 3)
    space = embed(data_dir, {a_id: a})
    open_and_close(catalog, data_dir)
    assert len(reconciles) == 1 and stamp(data_dir).is_file()
    held = LazyVectorStore(catalog, data_dir)
    try:
        store = held.get()
        assert len(reconciles) == 1 and store.ids(space).tolist() == a
        # writes in step through the held store: a subset's new samples and their points
        b_id, b = add_dataset(catalog, "b", 2)
        store.upsert(space, b, fan(2), dataset_ids=b_id)
    finally:
        held.close()
    open_and_close(catalog, data_dir)
    assert len(reconciles) == 1


def test_a_catalog_changed_without_the_store_is_reconciled(
    catalog: Catalog, data_dir: Path, reconciles: list[int]
) -> None:
    a_id, a = add_dataset(catalog, "a", 3)
    b_id, b = add_dataset(catalog, "b", 2)
    space = embed(data_dir, {a_id: a, b_id: b})
    open_and_close(catalog, data_dir)
    catalog.delete_dataset("b")  # by a process that died before deleting the vectors
    open_and_close(catalog, data_dir)
    assert len(reconciles) == 2
    assert points_on_disk(data_dir, space) == {a_id: a}


def test_a_store_changed_elsewhere_is_reconciled(
    catalog: Catalog, data_dir: Path, reconciles: list[int]
) -> None:
    a_id, a = add_dataset(catalog, "a", 3)
    space = embed(data_dir, {a_id: a})
    open_and_close(catalog, data_dir)
    with EdgeVectorStore(edge_dir(data_dir)) as store:  # e.g. a crashed ingest's points
        store.upsert(space, [a[-1] + 100], fan(1), dataset_ids=a_id)
    open_and_close(catalog, data_dir)
    assert len(reconciles) == 2
    assert points_on_disk(data_dir, space) == {a_id: a}


def test_a_failed_write_leaves_no_stamp(
    catalog: Catalog, data_dir: Path, reconciles: list[int]
) -> None:
    a_id, a = add_dataset(catalog, "a", 3)
    space = embed(data_dir, {a_id: a})
    held = LazyVectorStore(catalog, data_dir)
    try:
        with pytest.raises(VectorStoreError):
            held.get().upsert(space, [a[0]], fan(1, dim=5), dataset_ids=a_id)  # wrong size
    finally:
        held.close()
    assert not stamp(data_dir).exists()
    open_and_close(catalog, data_dir)
    assert len(reconciles) == 2 and stamp(data_dir).is_file()


def test_a_process_that_dies_holding_the_store_leaves_no_stamp(
    data_dir: Path, reconciles: list[int]
) -> None:
    with Catalog(data_dir) as catalog:
        a_id, a = add_dataset(catalog, "a", 3)
        embed(data_dir, {a_id: a})
        open_and_close(catalog, data_dir)
    dies = (
        "import os, sys\n"
        "from visionlens_jlab.features import load\n"
        "from visionlens_jlab.catalog import Catalog\n"
        "from visionlens_jlab.vectors import LazyVectorStore\n"
        "load()\n"
        "LazyVectorStore(Catalog(sys.argv[1]), sys.argv[1]).get()\n"
        "os._exit(9)\n"
    )
    done = subprocess.run([sys.executable, "-c", dies, str(data_dir)], check=False, timeout=120)
    assert done.returncode == 9 and not stamp(data_dir).exists()
    with Catalog(data_dir) as catalog:
        open_and_close(catalog, data_dir)
    assert len(reconciles) == 2


def test_an_unreadable_stamp_is_a_reconcile(
    catalog: Catalog, data_dir: Path, reconciles: list[int]
) -> None:
    a_id, a = add_dataset(catalog, "a", 3)
    embed(data_dir, {a_id: a})
    open_and_close(catalog, data_dir)
    stamp(data_dir).write_text("{not json")
    open_and_close(catalog, data_dir)
    assert len(reconciles) == 2 and stamp(data_dir).is_file()


def test_a_dataset_deleted_by_a_command_keeps_the_store_in_step(
    catalog: Catalog, data_dir: Path, reconciles: list[int]
) -> None:
    a_id, a = add_dataset(catalog, "a", 3)
    b_id, b = add_dataset(catalog, "b", 2)
    space = embed(data_dir, {a_id: a, b_id: b})
    open_and_close(catalog, data_dir)
    delete_dataset_and_vectors(catalog, "b")  # visionlens delete b
    assert points_on_disk(data_dir, space) == {a_id: a} and stamp(data_dir).is_file()
    open_and_close(catalog, data_dir)
    assert len(reconciles) == 1  # the store was opened before the catalog changed
