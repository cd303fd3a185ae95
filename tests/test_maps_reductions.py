"""UMAP and t-SNE keep the neighbourhoods of the vectors (sklearn's trustworthiness).

Trustworthiness (k = 10) measures how many of a point's 2-D neighbours were not its
neighbours in the vector space; 1.0 is perfect. On these 8 clustered blobs in 64-d, PCA
reaches ~0.91; the bars below (0.93) are met by UMAP (~0.96) and t-SNE (~0.97) with room,
and would catch a broken metric, a lost PCA step or shuffled coordinates (~0.5).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.manifold import trustworthiness

from visionlens_jlab.maps import normalize_params, progress
from visionlens_jlab.maps.reduce import reduce_vectors

from .map_fixtures import clustered_vectors

TRUSTWORTHINESS_MIN = 0.93

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("method", "params", "n"),
    [
        ("umap", {"seed": 0}, 800),  # umap-learn's own small-data path (all distances)
        ("umap", {"seed": 0}, 5000),  # our kNN handed to umap-learn (maps/knn.py)
        ("tsne", {}, 800),
    ],
)
def test_reduction_keeps_neighbourhoods(method: str, params: dict, n: int) -> None:
    x, _ = clustered_vectors(n, dim=64, clusters=8, seed=1)
    reports: list[tuple[float, str, int | None, int | None]] = []
    coords = reduce_vectors(
        x,
        method,
        normalize_params(method, params),
        "cosine",
        lambda f, stage, done=None, total=None: reports.append((f, stage, done, total)),
    ).coords
    assert coords.shape == (n, 2) and coords.dtype == np.float32
    assert np.isfinite(coords).all()
    assert trustworthiness(x, coords, n_neighbors=10) >= TRUSTWORTHINESS_MIN
    shuffled = coords[np.random.default_rng(0).permutation(len(coords))]
    assert trustworthiness(x, shuffled, n_neighbors=10) < 0.7  # the measure can fail
    stages = [r[1] for r in reports]
    assert stages[0] == progress.PCA and stages[-1] == progress.DONE
    fractions = [r[0] for r in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    if method == "tsne":  # iterations are counted: the job shows iterations/s and an ETA
        counted = [(r[2], r[3]) for r in reports if r[1] == progress.OPTIMISING]
        assert counted and all(d is not None and t is not None for d, t in counted), counted
        done = [int(d or 0) for d, _ in counted]
        assert {t for _, t in counted} == {counted[0][1]}, counted
        assert done == sorted(done) and done[-1] == counted[0][1], counted
