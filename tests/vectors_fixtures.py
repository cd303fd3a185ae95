"""Fixtures for the vector-store tests: both real adapters, and catalog datasets to index.

Import ``open_store_fixture`` / ``store_fixture`` (or ``edge_fixture`` / ``catalog_fixture``)
into a test module to get the fixtures ``open_store`` / ``store`` (``edge`` / ``catalog``),
named apart so the import does not shadow the argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.vectors import (
    EdgeProcessStore,
    EdgeVectorStore,
    QdrantClientVectorStore,
    VectorStore,
)

from .catalog_fixtures import RowsSource

BACKENDS = ["edge", "edge-process", "qdrant-local"]

OpenStore = Callable[[], VectorStore]


@pytest.fixture(name="open_store", params=BACKENDS)
def open_store_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """A function opening the same on-disk store again and again (to test reopening).

    ``edge`` is the embedded Qdrant Edge adapter, ``edge-process`` the same in a child
    process (the server's way); ``qdrant-local`` is the qdrant-client
    adapter on qdrant-client's local mode, which speaks the server's API.
    """
    opened: list[VectorStore] = []

    def _open() -> VectorStore:
        if request.param == "edge":
            store: VectorStore = EdgeVectorStore(tmp_path / "edge")
        elif request.param == "edge-process":
            store = EdgeProcessStore(tmp_path / "edge")
        else:
            store = QdrantClientVectorStore.local(str(tmp_path / "qlocal"), prefix="t_")
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture(name="store")
def store_fixture(open_store: OpenStore) -> VectorStore:
    """An empty store of each backend."""
    return open_store()


def fan(n: int, dim: int = 4) -> np.ndarray:
    """``n`` unit vectors whose cosine to ``e0`` strictly decreases with the index.

    Vector ``i`` is at angle ``i * 170deg / n`` from ``e0`` in the (e0, e1) plane, so the
    nearest-neighbour order of a query ``e0`` is exactly 0, 1, 2, ... for cosine, dot and
    euclid alike.
    """
    angles = np.linspace(0, np.deg2rad(170), n)
    out = np.zeros((n, dim), dtype=np.float32)
    out[:, 0] = np.cos(angles)
    out[:, 1] = np.sin(angles)
    return out


def e0(dim: int = 4) -> np.ndarray:
    """The query vector of :func:`fan`."""
    v = np.zeros(dim, dtype=np.float32)
    v[0] = 1
    return v


def add_dataset(catalog: Catalog, name: str, n: int) -> tuple[int, list[int]]:
    """Write a dataset of ``n`` samples; return its id and its sample ids (ascending)."""
    samples = [
        {
            "file_name": f"{name}_{i}.jpg",
            "width": 10,
            "height": 10,
            "split": "train",
            "source_image_id": str(i),
            "fields": None,
        }
        for i in range(n)
    ]
    write_dataset(catalog, name, RowsSource(samples, [], ["cat"]))
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, name)
        rows = cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id", [dataset_id]
        ).fetchall()
    return dataset_id, [int(r[0]) for r in rows]


@pytest.fixture(name="edge")
def edge_fixture(tmp_path: Path) -> Iterator[EdgeVectorStore]:
    """An embedded Qdrant Edge store in a fresh folder, closed afterwards."""
    store = EdgeVectorStore(tmp_path / "edge")
    yield store
    store.close()


@pytest.fixture(name="no_qdrant_server")
def no_qdrant_server_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded store, whatever the environment names (a module takes it for every test
    with ``pytestmark = pytest.mark.usefixtures("no_qdrant_server")``)."""
    monkeypatch.delenv("VISIONLENS_QDRANT_URL", raising=False)


@pytest.fixture(name="data_dir")
def data_dir_fixture(tmp_path: Path) -> Path:
    """The data dir of the ``catalog`` fixture (its store under ``vectors/``)."""
    return tmp_path / "data"


@pytest.fixture(name="catalog")
def catalog_fixture(tmp_path: Path) -> Iterator[Catalog]:
    """A fresh catalog beside the ``edge`` store, closed afterwards."""
    cat = Catalog(tmp_path / "data")
    yield cat
    cat.close()


def edge_dir(data_dir: Path) -> Path:
    """The data dir's embedded store."""
    return data_dir / "vectors" / "edge"


def embed(data_dir: Path, points: dict[int, list[int]]) -> str:
    """Write vectors for ``{dataset_id: sample_ids}`` straight into the data dir's Edge store
    (as an earlier server session would have), then close it; returns the space name."""
    with EdgeVectorStore(edge_dir(data_dir)) as store:
        space = store.ensure_space("clip", "1", 4).name
        for dataset_id, ids in points.items():
            store.upsert(space, ids, fan(len(ids)), dataset_ids=dataset_id)
    return space


def points_on_disk(data_dir: Path, space: str) -> dict[int, list[int]]:
    """``{dataset_id: sample_ids}`` of the space, read by opening the shards afresh."""
    with EdgeVectorStore(edge_dir(data_dir)) as store:
        ids, datasets = store.points(space)
    out: dict[int, list[int]] = {}
    for sample_id, dataset_id in zip(ids.tolist(), datasets.tolist(), strict=True):
        out.setdefault(dataset_id, []).append(sample_id)
    return out
