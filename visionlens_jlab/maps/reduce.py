"""Reduce vectors to 2-D: PCA (numpy), UMAP (umap-learn), t-SNE (openTSNE).

umap-learn and openTSNE are optional (the ``map`` extra): importing this module does not
need them, and a request for a method whose library is missing says what to install.
Before UMAP and t-SNE the vectors are reduced to ``pca_dims`` dimensions with the exact PCA
of :mod:`.pca` (cosine spaces: on the normalized vectors, where euclidean distance orders
neighbours as cosine does); the neighbour search, the slowest part of both, then works on
50 numbers per vector instead of 512.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .knn import knn
from .params import MapError, resolve_metric
from .pca import fit_pca, pca_coordinates
from .progress import (
    AFFINITIES,
    DONE,
    LAYOUT,
    NEIGHBOURS,
    OPTIMISING,
    PCA,
    Progress,
    no_progress,
    scaled,
)

UMAP_OWN_KNN_BELOW = 4096
"""umap-learn computes every pairwise distance below this size (its own small-data path);
from it on, neighbours come from :func:`.knn.knn`."""
FFT_FROM = 10_000
"""From this many points t-SNE uses FFT-interpolated gradients (openTSNE's advice), below
Barnes-Hut on one thread."""


@dataclass
class Reduction:
    """2-D coordinates (n x 2 float32) and what places new samples later (PCA only)."""

    coords: np.ndarray
    transform: bytes | None = None


def reduce_vectors(
    vectors: np.ndarray,
    method: str,
    params: dict[str, Any],
    distance: str = "cosine",
    progress: Progress | None = None,
) -> Reduction:
    """Reduce ``vectors`` (n x d) to 2-D with ``method`` and its normalized ``params``."""
    report = progress or no_progress
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2 or len(x) < 3:
        raise MapError(f"a map needs at least 3 vectors, got {len(x)}")
    if method == "pca":
        coords, basis = pca_coordinates(x, 2, report)
        return Reduction(_finite(coords), basis.to_bytes())
    metric = resolve_metric(params, distance)
    if method == "umap":
        return Reduction(_finite(_umap(x, params, metric, report)))
    if method == "tsne":
        return Reduction(_finite(_tsne(x, params, metric, report)))
    raise MapError(f"unknown map method {method!r}")


def _prepared(
    x: np.ndarray, metric: str, pca_dims: int, report: Progress
) -> tuple[np.ndarray, str]:
    """The vectors the neighbour search sees, and the metric to use on them."""
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.maximum(norms, 1e-12)
    if pca_dims and x.shape[1] > pca_dims and len(x) > pca_dims:
        report(0.02, PCA)
        x = fit_pca(x, pca_dims).project(x)
        return np.ascontiguousarray(x, dtype=np.float32), "euclidean"
    return x, metric


def _umap(x: np.ndarray, params: dict[str, Any], metric: str, report: Progress) -> np.ndarray:
    try:
        import umap
    except ImportError as exc:
        raise MapError(
            "UMAP needs umap-learn: pip install 'visionlens_jlab[map]' (or umap-learn)"
        ) from exc
    data, metric = _prepared(x, metric, int(params["pca_dims"]), report)
    n_neighbors = min(int(params["n_neighbors"]), len(data) - 1)
    precomputed: tuple[Any, Any, Any] = (None, None, None)
    if len(data) >= UMAP_OWN_KNN_BELOW:
        # Our kNN (maps/knn.py) instead of NN-descent: several times faster here.
        report(0.1, NEIGHBOURS)
        idx, dist = knn(data, n_neighbors, scaled(report, 0.1, 0.3))
        if metric == "cosine":  # unit vectors: cosine distance = squared euclidean / 2
            dist = (dist * dist / 2).astype(np.float32)
        precomputed = (idx, dist, None)
    report(0.4, LAYOUT)
    model = umap.UMAP(
        n_neighbors=n_neighbors,
        min_dist=float(params["min_dist"]),
        n_epochs=params["n_epochs"],
        metric=metric,
        random_state=params["seed"],
        n_components=2,
        precomputed_knn=precomputed,
    )
    coords: np.ndarray = model.fit_transform(data)
    report(1.0, DONE)
    return coords


def _tsne(x: np.ndarray, params: dict[str, Any], metric: str, report: Progress) -> np.ndarray:
    try:
        from openTSNE import TSNE
    except ImportError as exc:
        raise MapError(
            "t-SNE needs openTSNE: pip install 'visionlens_jlab[map]' (or openTSNE)"
        ) from exc
    data, metric = _prepared(x, metric, int(params["pca_dims"]), report)
    perplexity = min(float(params["perplexity"]), (len(data) - 1) / 3.0)
    early = 250
    total = early + int(params["n_iter"])
    seen = {"early": True}

    def callback(iteration: int, error: float, embedding: Any) -> bool:
        # openTSNE restarts the count after the early-exaggeration phase.
        done = iteration if seen["early"] else early + iteration
        if seen["early"] and iteration >= early:
            seen["early"] = False
        report(0.1 + 0.9 * min(1.0, done / total), OPTIMISING, done, total)
        return False

    report(0.1, AFFINITIES)
    small = len(data) < FFT_FROM
    tsne = TSNE(
        n_components=2,
        perplexity=perplexity,
        n_iter=int(params["n_iter"]),
        early_exaggeration_iter=early,
        metric=metric,
        random_state=params["seed"],
        # Measured on 800 points, 2 busy cores: Barnes-Hut 5.8 s, FFT 15 s with one thread,
        # 73 s with two (its threads spin against each other when the cores are shared).
        negative_gradient_method="bh" if small else "fft",
        n_jobs=1 if small else -1,
        callbacks=callback,
        callbacks_every_iters=25,
        verbose=False,
    )
    coords = np.asarray(tsne.fit(data), dtype=np.float32)
    report(1.0, DONE)
    return coords


def _finite(coords: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(coords, dtype=np.float32)
    if out.ndim != 2 or out.shape[1] != 2 or not np.isfinite(out).all():
        raise MapError("the reduction produced non-finite coordinates (degenerate vectors?)")
    return out
