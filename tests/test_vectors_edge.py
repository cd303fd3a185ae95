"""What only the embedded store does: on-disk layout, locking, recovery, out-of-process indexing."""

from __future__ import annotations

import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from visionlens_jlab.vectors import (
    EdgeVectorStore,
    QdrantClientVectorStore,
    VectorStoreError,
    VectorStoreLockedError,
    instance_prefix,
    open_vector_store,
)
from visionlens_jlab.vectors.edge_spaces import SPACE_FILE

from .vectors_fixtures import e0, fan


def test_default_store_is_edge_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VISIONLENS_QDRANT_URL", raising=False)
    with open_vector_store(tmp_path) as store:
        assert isinstance(store, EdgeVectorStore)
        space = store.ensure_space("ViT-B-32", "openai", 4).name
        store.upsert(space, [7], fan(1), dataset_ids=1)
    space_dir = tmp_path / "vectors" / "edge" / space
    assert (space_dir / SPACE_FILE).exists() and (space_dir / "shard").is_dir()


def test_second_opener_gets_a_clear_lock_error(tmp_path: Path) -> None:
    with EdgeVectorStore(tmp_path) as store:
        store.ensure_space("m", "v", 4)
        with pytest.raises(VectorStoreLockedError, match="in use by another process"):
            EdgeVectorStore(tmp_path)
    with QdrantClientVectorStore.local(str(tmp_path / "q")):
        with pytest.raises(VectorStoreLockedError, match="in use by another process"):
            QdrantClientVectorStore.local(str(tmp_path / "q"))


def test_half_created_space_and_trash_are_cleaned_on_open(tmp_path: Path) -> None:
    with EdgeVectorStore(tmp_path) as store:
        space = store.ensure_space("m", "v", 4).name
        store.upsert(space, [1], fan(1), dataset_ids=1)
    (tmp_path / "half" / "shard").mkdir(parents=True)  # crashed before space.json
    (tmp_path / ".trash-old-1234").mkdir()  # crashed in the middle of a drop
    with EdgeVectorStore(tmp_path) as store:
        assert [s.name for s in store.spaces()] == [space]
        assert store.count(space) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [space]


def test_a_broken_space_does_not_keep_the_store_from_opening(tmp_path: Path) -> None:
    with EdgeVectorStore(tmp_path) as store:
        good = store.ensure_space("good", "1", 4).name
        bad = store.ensure_space("bad", "1", 4).name
        store.upsert(good, [1], fan(1), dataset_ids=1)
    shutil.rmtree(tmp_path / bad / "shard")  # e.g. a disk problem
    with EdgeVectorStore(tmp_path) as store:
        assert [s.name for s in store.spaces()] == [good]
        assert store.count(good) == 1
        assert "does not exist" in store.broken[bad]
        with pytest.raises(VectorStoreError, match="could not be opened.*drop it"):
            store.ensure_space("bad", "1", 4)
        store.drop_space(bad)
        assert store.broken == {}
        assert store.ensure_space("bad", "1", 4).name == bad
        assert store.count(bad) == 0


def test_drop_space_never_leaves_the_store_directory(tmp_path: Path) -> None:
    outside = tmp_path / "precious"
    outside.mkdir()
    with EdgeVectorStore(tmp_path / "store") as store:
        store.drop_space("../precious")
        store.drop_space("..")
        store.drop_space("x/../../precious")
    assert outside.is_dir()


def test_interrupted_index_swap_is_recovered(tmp_path: Path) -> None:
    with EdgeVectorStore(tmp_path) as store:
        space = store.ensure_space("m", "v", 4).name
        store.upsert(space, [1, 2], fan(2), dataset_ids=1)
    shard = tmp_path / space / "shard"
    shard.rename(shard.with_name("shard.old"))  # crash between the two renames
    (tmp_path / space / "build-dead").mkdir()  # and a build left behind
    with EdgeVectorStore(tmp_path) as store:
        assert store.ids(space).tolist() == [1, 2]
    assert sorted(p.name for p in (tmp_path / space).iterdir()) == ["rows", "shard", SPACE_FILE]


def test_optimize_builds_out_of_process_and_keeps_concurrent_writes(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(400, 16)).astype(np.float32)
    with EdgeVectorStore(tmp_path) as store:
        space = store.ensure_space("m", "v", 16).name
        store.upsert(space, np.arange(1, 301), vectors[:300], dataset_ids=1)
        store.delete([1, 2, 3])
        errors: list[BaseException] = []

        def build() -> None:
            try:
                store.optimize(space)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        worker = threading.Thread(target=build)
        worker.start()
        # Whatever the interleaving with the build, the end state must be exactly this.
        for start in range(301, 401, 10):
            store.upsert(space, np.arange(start, start + 10), vectors[start - 1 : start + 9], 2)
        store.delete([4, 350])
        store.upsert(space, [5], vectors[:1] * 0 + e0(16), dataset_ids=3)
        store.delete_dataset(1, space)
        worker.join()
        assert not errors
        expected = [5] + [i for i in range(301, 401) if i != 350]
        assert store.ids(space).tolist() == expected
        assert store.count(space, dataset_id=3) == 1
        assert store.search(space, e0(16), k=1)[0].sample_id == 5
    with EdgeVectorStore(tmp_path) as store:
        assert store.ids(space).tolist() == expected
        got_ids, got = store.get_vectors(space, [301, 400])
        np.testing.assert_allclose(
            got,
            vectors[[300, 399]] / np.linalg.norm(vectors[[300, 399]], axis=1, keepdims=True),
            atol=1e-5,
        )
        assert sorted(p.name for p in (tmp_path / space).iterdir()) == ["rows", "shard", SPACE_FILE]


def test_unreachable_server_is_reported_with_its_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("VISIONLENS_QDRANT_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(VectorStoreError, match=f"Qdrant server at http://127.0.0.1:{port}"):
        open_vector_store(tmp_path)


def test_instance_prefix_is_stable_per_data_dir(tmp_path: Path) -> None:
    first = instance_prefix(tmp_path / "a")
    assert first == instance_prefix(tmp_path / "a")
    assert first != instance_prefix(tmp_path / "b")
    assert first.startswith("vl_") and first.endswith("_")
