"""The embedding-cluster attribute: k-means recovers planted clusters, and the engine slices
by the stored ``computed.embedding_cluster`` like any image attribute."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from visionlens_jlab.blindspots import BlindSpotEngine, EngineOptions, compute_attributes
from visionlens_jlab.blindspots.clusters import COLUMN, cluster_embeddings, kmeans
from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.catalog.reads.queries import sample_ids
from visionlens_jlab.demo import generate_demo
from visionlens_jlab.demo.ingest import ingest_demo
from visionlens_jlab.evaluate import evaluate_model
from visionlens_jlab.vectors import EdgeVectorStore


def _planted(
    rng: np.random.Generator, sizes: list[int], dim: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """Rows around len(sizes) random directions, and each row's planted group."""
    centres = rng.normal(size=(len(sizes), dim))
    truth = np.repeat(np.arange(len(sizes)), sizes)
    x = centres[truth] + 0.15 * rng.normal(size=(len(truth), dim))
    return x, truth


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def test_kmeans_recovers_planted_clusters_and_numbers_them_by_size() -> None:
    rng = np.random.default_rng(1)
    x, truth = _planted(rng, [120, 60, 200, 30])
    order = rng.permutation(len(x))
    labels = kmeans(x[order], 4, seed=0)
    assert _same_partition(labels, truth[order])
    assert np.bincount(labels).tolist() == [200, 120, 60, 30]  # largest first
    assert np.array_equal(kmeans(x[order], 4, seed=0), labels)  # deterministic


def test_kmeans_rejects_bad_k() -> None:
    x = np.ones((5, 3))
    for k in (1, 6):
        with pytest.raises(ValueError, match="k must be"):
            kmeans(x, k)


def test_engine_slices_by_embedding_cluster(tmp_path: Path) -> None:
    files = generate_demo(tmp_path / "src", images=600, seed=2, workers=1)
    catalog = Catalog(tmp_path / "data")
    ingest_demo(catalog, files, "demo")
    evaluate_model(catalog, "demo", "simulated-model")
    compute_attributes(catalog, "demo", str(tmp_path / "thumbs"), in_process=True)
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, "demo")
    # plant one cluster per scene: the night images (where the demo model misses small
    # objects) form a cluster of their own, which the engine must then see as worse
    scenes = ["day", "dusk", "night"]
    groups = [sample_ids(catalog, "demo", {"sample": {"fields.scene": {"in": [s]}}}).to_numpy()
              for s in scenes]  # fmt: skip
    assert all(len(g) for g in groups)
    ids = np.concatenate(groups)
    x, truth = _planted(np.random.default_rng(0), [len(g) for g in groups])
    store = EdgeVectorStore(tmp_path / "vectors")
    space = store.ensure_space("planted", "1", x.shape[1]).name
    store.upsert(space, ids, x.astype(np.float32), dataset_id)

    with pytest.raises(CatalogError, match="too few"):
        cluster_embeddings(catalog, store, "demo", space, k=10_000)
    summary = cluster_embeddings(catalog, store, "demo", space, k=3)
    assert summary["images"] == len(ids) and sum(summary["sizes"].values()) == len(ids)

    # the stored labels are the planted groups, and the computed field filters by them
    night = set(groups[2].tolist())
    night_cluster = None
    for label in summary["sizes"]:
        got = set(sample_ids(catalog, "demo", {"sample": {COLUMN: {"in": [label]}}}).to_pylist())
        assert any(got == set(g.tolist()) for g in groups)
        if got == night:
            night_cluster = label
    assert night_cluster is not None

    engine = BlindSpotEngine.open(catalog, "demo", "simulated-model", EngineOptions(seed=0))
    assert COLUMN in engine.units.image_columns
    engine.run()
    tests = {t.slice_text: t for t in engine.ledger.tests.values() if t.metric == "recall"}
    test = tests[f"{COLUMN} = {night_cluster}"]
    assert engine.significant(test) and test.confirmation.effect < 0
    # ...while the other clusters are not found worse (their recall sits near the baseline,
    # a hair above or below it by chance: only a significant drop would be a finding)
    for label in set(summary["sizes"]) - {night_cluster}:
        other = tests[f"{COLUMN} = {label}"]
        assert not (engine.significant(other) and other.confirmation.effect < 0)
        assert other.confirmation.effect > test.confirmation.effect
