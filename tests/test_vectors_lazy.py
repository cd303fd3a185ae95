"""The vector store opens on first use, and deleting a dataset reaches its vectors even then.

Real Qdrant Edge shards on disk and a real DuckDB catalog; "another process holding the
store" is a second opener of the same shard directory, which Edge refuses the same way.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.vectors import (
    EdgeVectorStore,
    LazyVectorStore,
    VectorStoreError,
    VectorStoreLockedError,
    VectorStoreUnavailableError,
)
from visionlens_jlab.vectors.lazy import PENDING_FILE

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


def test_nothing_is_opened_until_asked(catalog: Catalog, data_dir: Path) -> None:
    lazy = LazyVectorStore(catalog, data_dir)
    assert not lazy.is_open
    assert not (data_dir / "vectors").exists()
    store = lazy.get()
    assert lazy.is_open and lazy.get() is store
    assert edge_dir(data_dir).is_dir()
    lazy.close()
    with pytest.raises(VectorStoreError, match="closed"):
        lazy.get()


def test_first_use_reconciles_with_the_catalog(catalog: Catalog, data_dir: Path) -> None:
    a_id, a = add_dataset(catalog, "a", 3)
    b_id, b = add_dataset(catalog, "b", 2)
    space = embed(data_dir, {a_id: a, b_id: b})
    catalog.delete_dataset("a")  # e.g. by a process that died before deleting the vectors
    lazy = LazyVectorStore(catalog, data_dir)
    try:
        assert lazy.get().ids(space).tolist() == b
    finally:
        lazy.close()


def test_delete_reaches_vectors_of_a_store_never_opened(catalog: Catalog, data_dir: Path) -> None:
    a_id, a = add_dataset(catalog, "a", 3)
    b_id, b = add_dataset(catalog, "b", 2)
    space = embed(data_dir, {a_id: a, b_id: b})
    lazy = LazyVectorStore(catalog, data_dir)
    catalog.delete_dataset("b")
    assert lazy.delete_dataset(b_id) == 0  # the open's reconcile already removed them
    lazy.close()
    assert points_on_disk(data_dir, space) == {a_id: a}


def test_delete_with_an_empty_store_opens_nothing(catalog: Catalog, data_dir: Path) -> None:
    a_id, _ = add_dataset(catalog, "a", 3)
    lazy = LazyVectorStore(catalog, data_dir)
    catalog.delete_dataset("a")
    assert lazy.delete_dataset(a_id) == 0
    assert not lazy.is_open and not (data_dir / "vectors").exists()
    lazy.close()


def test_an_open_store_deletes_directly(catalog: Catalog, data_dir: Path) -> None:
    a_id, a = add_dataset(catalog, "a", 3)
    lazy = LazyVectorStore(catalog, data_dir)
    try:
        store = lazy.get()
        space = store.ensure_space("clip", "1", 4).name
        store.upsert(space, a, fan(3), dataset_ids=a_id)
        catalog.delete_dataset("a")
        assert lazy.delete_dataset(a_id) == 3
        assert store.count(space) == 0
    finally:
        lazy.close()


def test_a_delete_while_the_store_is_held_elsewhere_is_finished_on_the_next_open(
    catalog: Catalog, data_dir: Path
) -> None:
    a_id, a = add_dataset(catalog, "a", 2)
    b_id, b = add_dataset(catalog, "b", 3)
    space = embed(data_dir, {a_id: a, b_id: b})
    lazy = LazyVectorStore(catalog, data_dir)
    with EdgeVectorStore(edge_dir(data_dir)):  # held by "another process"
        with pytest.raises(VectorStoreLockedError, match="the vector store is unavailable"):
            lazy.get()
        catalog.delete_dataset("b")
        assert lazy.delete_dataset(b_id) is None
        assert json.loads((data_dir / "vectors" / PENDING_FILE).read_text()) == {
            "dataset_ids": [b_id]
        }
    # The next dataset takes b's dataset id and sample ids: reconcile alone could not tell
    # b's stale vectors from vectors of c's samples.
    c_id, c = add_dataset(catalog, "c", 3)
    assert (c_id, c) == (b_id, b)
    try:
        store = lazy.get()  # the lock is gone: a later call tries again
        assert store.ids(space).tolist() == a
        assert store.count(space, dataset_id=c_id) == 0
    finally:
        lazy.close()
    assert not (data_dir / "vectors" / PENDING_FILE).exists()


def test_an_unreachable_server_is_unavailable_and_its_deletes_wait(
    catalog: Catalog, data_dir: Path
) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: connection refused
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    lazy = LazyVectorStore(catalog, data_dir, url=url)
    with pytest.raises(VectorStoreUnavailableError, match=f"unavailable: .*{url}"):
        lazy.get()
    a_id, _ = add_dataset(catalog, "a", 2)
    catalog.delete_dataset("a")
    assert lazy.delete_dataset(a_id) is None  # a server may hold anything: recorded
    assert lazy.pending_deletes() == [a_id]
    lazy.close()


# ---------------------------------------------------------------- the server


def test_the_server_starts_without_opening_the_store(vl_app: Any, vl_data_dir: Path) -> None:
    assert not vl_app.vectors.is_open
    assert not (vl_data_dir / "vectors").exists()
    store = vl_app.vector_store()
    assert vl_app.vectors.is_open and vl_app.vector_store() is store


async def test_deleting_a_dataset_deletes_its_vectors_on_disk(
    vl_app: Any, vl_data_dir: Path, api: Any
) -> None:
    a_id, a = add_dataset(vl_app.catalog, "a", 2)
    b_id, b = add_dataset(vl_app.catalog, "b", 3)
    space = embed(vl_data_dir, {a_id: a, b_id: b})  # the server has not opened the store
    assert not vl_app.vectors.is_open
    status, _ = await api("DELETE", "datasets/b")
    assert status == 204
    vl_app.vectors.close()  # release the shards to read them afresh
    assert points_on_disk(vl_data_dir, space) == {a_id: a}
