"""Datasets with embeddings for the map tests: clustered vectors written into a real store.

Until the embedding jobs land, the vectors are written into the vector store directly:
``clusters`` Gaussian blobs in ``dim`` dimensions, one per class, so a good map keeps the
blobs apart and a sample's ground-truth class is its blob.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.vectors import SpaceInfo, VectorStore

from .catalog_fixtures import RowsSource

MODEL, VERSION = "test-embedder", "v1"
SPLITS = ("train", "val", "test")


def clustered_vectors(
    n: int, dim: int = 64, clusters: int = 6, seed: int = 0, spread: float = 0.35
) -> tuple[np.ndarray, np.ndarray]:
    """``(vectors n x dim float32, cluster of each)``: unit-norm blobs around random centres."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    labels = rng.integers(0, clusters, n)
    vectors = centres[labels] + spread * rng.normal(size=(n, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32), labels


@dataclass
class MapDataset:
    """A dataset in a catalog, its sample ids (ascending), vectors and their space."""

    name: str
    dataset_id: int
    sample_ids: np.ndarray
    vectors: np.ndarray
    labels: np.ndarray
    space: SpaceInfo


def write_map_dataset(
    catalog: Catalog,
    store: VectorStore,
    name: str,
    n: int,
    *,
    dim: int = 64,
    clusters: int = 6,
    seed: int = 0,
    embed: int | None = None,
) -> MapDataset:
    """Ingest ``n`` samples (split, ``fields.score``, ``fields.weather``, one ground-truth
    box of the sample's cluster class) and store the vectors of the first ``embed``."""
    vectors, labels = clustered_vectors(n, dim, clusters, seed)
    classes = [f"class{c}" for c in range(clusters)]
    samples = [
        {
            "file_name": f"{name}_{i}.jpg",
            "width": 100 + i % 7,
            "height": 80,
            "split": SPLITS[i % 3],
            "source_image_id": str(i),
            "fields": json.dumps({"score": i / n, "weather": "rain" if i % 4 == 0 else "sun"}),
        }
        for i in range(n)
    ]
    boxes = [
        {
            "sample_index": i,
            "label": classes[int(labels[i])],
            "x": 1.0,
            "y": 1.0,
            "w": 10.0,
            "h": 10.0,
            "area": 100.0,
            "iscrowd": False,
            "difficult": False,
            "attributes": None,
        }
        for i in range(n)
    ]
    write_dataset(catalog, name, RowsSource(samples, boxes, classes))
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, name)
        ids = np.array(
            [
                r[0]
                for r in cur.execute(
                    "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id",
                    [dataset_id],
                ).fetchall()
            ],
            dtype=np.int64,
        )
    space = store.ensure_space(MODEL, VERSION, dim, "cosine")
    count = n if embed is None else embed
    store.upsert(space.name, ids[:count], vectors[:count], dataset_id)
    return MapDataset(name, dataset_id, ids, vectors, labels, space)


def ray_casting_inside(px: float, py: float, polygon: list[list[float]]) -> bool:
    """The textbook even-odd ray-casting loop: the reference the vectorised lasso must equal."""
    inside = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        xi, yi = polygon[i]
        xj, yj = polygon[j]
        if (yi > py) != (yj > py) and px < (xj - xi) * (py - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def star_polygon(cx: float, cy: float, radius: float, points: int = 7) -> list[list[float]]:
    """A concave star (a lasso with inward corners)."""
    out = []
    for k in range(2 * points):
        r = radius if k % 2 == 0 else radius * 0.45
        angle = np.pi * k / points
        out.append([cx + r * float(np.cos(angle)), cy + r * float(np.sin(angle))])
    return out


def open_edge_store(path: Path) -> VectorStore:
    """The embedded store the server uses by default."""
    from visionlens_jlab.vectors import EdgeVectorStore

    return EdgeVectorStore(path)
