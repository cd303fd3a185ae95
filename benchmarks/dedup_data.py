"""Synthetic clustered embeddings with planted near-duplicate pairs (duplicates benchmark).

Like ``bench_vectors.make_data`` (a shared direction as in CLIP spaces, clusters, noise):
two members of one cluster have cosine ~0.77, of two clusters ~0.3, so the only pairs at
or above 0.95 are the planted ones (cosine 0.97-0.995). ``skewed`` draws cluster sizes
from a Zipf law (the largest cluster holds ~10% of the points) instead of uniformly.
"""

from __future__ import annotations

import numpy as np


def make_vectors(
    n: int, dim: int = 512, planted: int = 1000, *, skewed: bool = False, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``(vectors, pairs)``: ``n`` unit float32 rows; ``pairs`` (planted, 2) row indices."""
    rng = np.random.default_rng(seed)
    n_clusters = max(100, n // 20)
    centers = rng.normal(size=(n_clusters, dim)).astype(np.float32)
    common = rng.normal(size=dim).astype(np.float32)
    if skewed:
        weights = 1.0 / np.arange(1, n_clusters + 1) ** 1.1
        weights /= weights.sum()
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 20_000):
        end = min(start + 20_000, n)
        if skewed:
            assign = rng.choice(n_clusters, size=end - start, p=weights)
        else:
            assign = rng.integers(0, n_clusters, end - start)
        noise = rng.normal(size=(end - start, dim)).astype(np.float32)
        block = 0.8 * common + centers[assign] + 0.7 * noise
        # normalized per block: np.linalg.norm over the whole matrix makes an n x dim temporary
        out[start:end] = block / np.linalg.norm(block, axis=1, keepdims=True)
    # planted pairs: row b becomes a slightly perturbed copy of row a
    rows = rng.choice(n, size=2 * planted, replace=False)
    pairs = rows.reshape(planted, 2)
    for a, b in pairs:
        target = rng.uniform(0.97, 0.995)
        noise = rng.normal(size=dim).astype(np.float32)
        noise -= (noise @ out[a]) * out[a]
        noise /= np.linalg.norm(noise)
        out[b] = target * out[a] + np.sqrt(1 - target**2) * noise
    return out, np.sort(pairs, axis=1)
