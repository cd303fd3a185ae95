"""The numpy kNN behind UMAP: exact against a brute-force sort, IVF by its recall."""

from __future__ import annotations

import numpy as np

from visionlens_jlab.maps.knn import exact_knn, ivf_knn

from .map_fixtures import clustered_vectors


def brute(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    d = np.sqrt(((x[:, None, :].astype(np.float64) - x[None, :, :]) ** 2).sum(-1))
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(d, order, 1)


def test_exact_knn_matches_brute_force() -> None:
    x, _ = clustered_vectors(700, dim=12, seed=4)
    idx, dist = exact_knn(x, 8)
    ref_idx, ref_dist = brute(x, 8)
    np.testing.assert_allclose(dist, ref_dist, atol=2e-3)
    assert (idx[:, 0] == np.arange(len(x))).all()  # a point is its own nearest neighbour
    # Same neighbour sets wherever distances are not tied within float32 rounding.
    agree = np.mean([len(set(a) & set(b)) / 8 for a, b in zip(idx, ref_idx, strict=True)])
    assert agree > 0.99


def test_ivf_knn_recall_and_small_cells() -> None:
    x, _ = clustered_vectors(6000, dim=16, clusters=40, seed=5, spread=0.5)
    idx, dist = ivf_knn(x, 15)
    ref_idx, _ = exact_knn(x, 15)
    recall = np.mean([len(set(a) & set(b)) / 15 for a, b in zip(idx, ref_idx, strict=True)])
    assert recall > 0.95, recall
    assert (np.diff(dist, axis=1) >= 0).all() and (idx >= 0).all()
    # Cells smaller than k (nprobe=1, many cells on few points): the exact fallback fills in.
    few, _ = clustered_vectors(200, dim=4, seed=6)
    idx, _ = ivf_knn(few, 30, nprobe=1)
    ref_idx, _ = exact_knn(few, 30)
    assert (idx >= 0).all() and len(np.unique(idx[0])) == 30
    assert np.mean([len(set(a) & set(b)) / 30 for a, b in zip(idx, ref_idx, strict=True)]) > 0.8
