"""Near-duplicate pairs: every pair of vectors with cosine similarity >= a threshold.

Cosine is taken on the plain (normalized) vectors, never mean-centred ones, so a threshold
means the same on every dataset. Two algorithms:

* :func:`exact_pairs`: blockwise matmul over all pairs (``O(n^2 d)``); used for small
  ``n`` and when the caller asks for exact results.
* :func:`ivf_self_join`: the vectors are grouped by k-means, each vector joins the groups of
  its two nearest centroids, and pairs are computed exactly (matmul) only inside a group:
  rows of a group's *primary* members (the vectors whose nearest centroid it is) against all
  its members. Grouping works on a PCA projection of the mean-centred vectors (a shared
  direction, as in CLIP spaces, would otherwise put every vector near the same centroids),
  which also makes the k-means and the assignment ~8x cheaper than on 512-d vectors; the
  similarities themselves are always computed on the raw vectors. Measured in
  ``benchmarks/results/duplicates.md``.

Both also return each vector's best similarity to another vector (exact for
:func:`exact_pairs`; within the groups it shares for the self-join), which becomes the
``nearest_similarity`` sample field.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Progress = Callable[[float, str], None]

DEFAULT_THRESHOLD = 0.95
EXACT_MAX = 12_000
"""Up to this many vectors the exact all-pairs join is about as fast as the self-join."""
PCA_DIMS = 64
"""Dimensions the grouping works in (the join itself uses every dimension)."""
SECONDARY_GROUPS = 2
"""Besides its nearest group, a vector joins this many next-nearest groups as a secondary."""
KMEANS_SAMPLE_PER_GROUP = 16
KMEANS_ITERATIONS = 8
BLOCK = 4096
ASSIGN_ROWS = 4096
"""Rows assigned to centroids at a time (4,096 x ~4,000 groups: a 64 MB distance block)."""
JOIN_BLOCK_ELEMENTS = 16_000_000
"""Largest similarity block of the group join (64 MB of float32)."""


@dataclass
class PairResult:
    """Row-index pairs ``i < j`` with their cosine, and each row's best similarity."""

    i: np.ndarray  # int64
    j: np.ndarray  # int64
    similarity: np.ndarray  # float32
    nearest: np.ndarray  # float32 per row; -1 where a row had no other vector to compare
    method: str

    def __len__(self) -> int:
        return len(self.i)


def normalize_rows(x: np.ndarray) -> np.ndarray:
    """L2-normalize float32 rows in place (zero rows stay zero) and return ``x``."""
    for start in range(0, len(x), 65_536):
        block = x[start : start + 65_536]
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        norms[norms == 0] = 1
        block /= norms
    return x


def near_duplicate_pairs(
    vectors: np.ndarray,
    threshold: float,
    *,
    exact: bool = False,
    seed: int = 0,
    progress: Progress | None = None,
) -> PairResult:
    """All pairs with cosine >= ``threshold`` among unit rows of ``vectors`` (float32).

    ``exact`` forces the all-pairs join; otherwise it is used up to :data:`EXACT_MAX` rows
    and the IVF self-join above that.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"the similarity threshold must be in (0, 1], got {threshold}")
    if exact or len(vectors) <= EXACT_MAX:
        return exact_pairs(vectors, threshold, progress=progress)
    return ivf_self_join(vectors, threshold, seed=seed, progress=progress)


def exact_pairs(
    vectors: np.ndarray, threshold: float, *, progress: Progress | None = None
) -> PairResult:
    """Every pair with cosine >= ``threshold``, by blockwise matmul (upper triangle only)."""
    n = len(vectors)
    nearest = np.full(n, -1.0, dtype=np.float32)
    found_i: list[np.ndarray] = []
    found_j: list[np.ndarray] = []
    found_s: list[np.ndarray] = []
    blocks = max(1, math.ceil(n / BLOCK))
    for b, start in enumerate(range(0, n, BLOCK)):
        rows = vectors[start : start + BLOCK]
        for col in range(start, n, BLOCK):
            sims = rows @ vectors[col : col + BLOCK].T
            if col == start:
                # the diagonal block: only pairs above the diagonal, never a row with itself
                sims[np.tril_indices(len(rows), 0, sims.shape[1])] = -np.inf
            # each block of the upper triangle gives the maxima of its rows and its columns
            _raise(nearest, start, sims.max(axis=1))
            _raise(nearest, col, sims.max(axis=0))
            r, c = np.nonzero(sims >= threshold)
            found_i.append(r.astype(np.int64) + start)
            found_j.append(c.astype(np.int64) + col)
            found_s.append(sims[r, c].astype(np.float32))
        if progress is not None:
            progress((b + 1) / blocks, f"compared {min(n, start + BLOCK):,} of {n:,} vectors")
    return _result(found_i, found_j, found_s, nearest, "exact")


def _raise(nearest: np.ndarray, start: int, values: np.ndarray) -> None:
    part = nearest[start : start + len(values)]
    np.maximum(part, values, out=part)


def ivf_self_join(
    vectors: np.ndarray,
    threshold: float,
    *,
    groups: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> PairResult:
    """Approximate all-pairs join: exact matmul inside k-means groups (see module doc)."""
    n = len(vectors)
    rng = np.random.default_rng(seed)
    n_groups = groups or max(16, int(round(math.sqrt(2 * n * vectors.shape[1] / PCA_DIMS))))
    n_groups = min(n_groups, max(1, n // 8))
    if progress is not None:
        progress(0.0, f"grouping {n:,} vectors into {n_groups:,} groups")
    projection = _pca_basis(vectors, rng)
    centroids = _kmeans(vectors, projection, n_groups, rng)
    # assigned chunk by chunk: the n x PCA_DIMS projection is never held whole
    nearest_groups = _nearest_groups(vectors, projection, centroids, 1 + SECONDARY_GROUPS)
    # members of group g: primaries (nearest centroid g), then secondaries (the vectors
    # having g among their next SECONDARY_GROUPS nearest centroids)
    first = nearest_groups[:, 0]
    order_p = np.argsort(first, kind="stable")
    bounds_p = np.searchsorted(first[order_p], np.arange(n_groups + 1))
    second = nearest_groups[:, 1:].ravel()
    order_s = np.argsort(second, kind="stable")
    bounds_s = np.searchsorted(second[order_s], np.arange(n_groups + 1))
    order_s //= SECONDARY_GROUPS  # positions in the raveled array -> row indices
    nearest = np.full(n, -1.0, dtype=np.float32)
    found_i: list[np.ndarray] = []
    found_j: list[np.ndarray] = []
    found_s: list[np.ndarray] = []
    step = max(1, n_groups // 50)
    for g in range(n_groups):
        prim = order_p[bounds_p[g] : bounds_p[g + 1]]
        if len(prim) == 0:
            continue
        members = np.concatenate([prim, order_s[bounds_s[g] : bounds_s[g + 1]]])
        block = vectors[members]
        m = len(prim)
        # a large group (skewed data) is joined in fewer rows at a time: the similarity
        # block stays under JOIN_BLOCK_ELEMENTS whatever the group's size
        step_rows = max(1, min(BLOCK, JOIN_BLOCK_ELEMENTS // len(members)))
        for start in range(0, m, step_rows):
            stop = min(m, start + step_rows)
            sims = block[start:stop] @ block.T
            rows = np.arange(len(sims))
            sims[rows, rows + start] = -np.inf  # itself
            # rows and columns: a secondary member's best match may be a primary here
            nearest[prim[start:stop]] = np.maximum(nearest[prim[start:stop]], sims.max(axis=1))
            nearest[members] = np.maximum(nearest[members], sims.max(axis=0))
            r, c = np.nonzero(sims >= threshold)
            # primary-primary pairs appear twice (both rows): keep them once
            keep = (c >= m) | (c > r + start)
            r, c = r[keep], c[keep]
            a, b = prim[r + start], members[c]
            found_i.append(np.minimum(a, b))
            found_j.append(np.maximum(a, b))
            found_s.append(sims[r, c].astype(np.float32))
            del sims
        if progress is not None and g % step == 0:
            progress(g / n_groups, f"joined {g:,} of {n_groups:,} groups")
    return _result(found_i, found_j, found_s, nearest, "ivf")


def _result(
    found_i: list[np.ndarray],
    found_j: list[np.ndarray],
    found_s: list[np.ndarray],
    nearest: np.ndarray,
    method: str,
) -> PairResult:
    if not found_i:
        empty = np.empty(0, dtype=np.int64)
        return PairResult(empty, empty.copy(), np.empty(0, np.float32), nearest, method)
    i = np.concatenate(found_i).astype(np.int64)
    j = np.concatenate(found_j).astype(np.int64)
    s = np.concatenate(found_s)
    # the same pair can come from two groups: keep one, ordered by (i, j)
    key = i * (int(j.max(initial=0)) + 1) + j
    _, first = np.unique(key, return_index=True)
    return PairResult(i[first], j[first], s[first], nearest, method)


@dataclass(frozen=True)
class _Projection:
    """Mean-centring and projection on the top principal directions: ``x @ basis - shift``."""

    basis: np.ndarray  # dim x PCA_DIMS float32
    shift: np.ndarray  # PCA_DIMS float32 (the mean, projected)

    def apply(self, rows: np.ndarray) -> np.ndarray:
        """The projected rows (float32)."""
        out = rows @ self.basis
        out -= self.shift
        return out


def _pca_basis(vectors: np.ndarray, rng: np.random.Generator) -> _Projection:
    """The principal directions of the mean-centred vectors, from a sample of rows."""
    n, dim = vectors.shape
    dims = min(PCA_DIMS, dim)
    sample = vectors[np.sort(rng.choice(n, size=min(n, 50_000), replace=False))]
    mean = sample.mean(axis=0, dtype=np.float64).astype(np.float32)
    sample -= mean  # a copy already (fancy indexing): centred in place
    cov = (sample.T @ sample).astype(np.float64) / max(1, len(sample) - 1)
    del sample
    _, eigvecs = np.linalg.eigh(cov)
    basis = np.ascontiguousarray(eigvecs[:, ::-1][:, :dims], dtype=np.float32)
    return _Projection(basis, mean @ basis)


def _kmeans(
    vectors: np.ndarray, projection: _Projection, k: int, rng: np.random.Generator
) -> np.ndarray:
    """Lloyd's k-means on a projected sample of the rows (squared euclidean); empty groups
    re-seeded."""
    n = len(vectors)
    sample = projection.apply(
        vectors[rng.choice(n, size=min(n, k * KMEANS_SAMPLE_PER_GROUP), replace=False)]
    )
    centroids = sample[rng.choice(len(sample), size=k, replace=False)].copy()
    for _ in range(KMEANS_ITERATIONS):
        labels = _nearest(sample, centroids)
        counts = np.bincount(labels, minlength=k)
        order = np.argsort(labels, kind="stable")
        present = np.flatnonzero(counts)
        starts = np.searchsorted(labels[order], present)
        # group sums by sorting (np.add.at is an order of magnitude slower)
        sums = np.add.reduceat(sample[order], starts, axis=0)
        centroids[present] = sums / counts[present, None].astype(np.float32)
        empty = counts == 0
        if empty.any():
            centroids[empty] = sample[rng.choice(len(sample), size=int(empty.sum()))]
    return centroids


def _nearest(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    half_c2 = 0.5 * (centroids * centroids).sum(axis=1)
    out = np.empty(len(x), dtype=np.int64)
    for start in range(0, len(x), ASSIGN_ROWS):
        # argmin |x - c|^2 = argmin (|c|^2 / 2 - x.c): one matmul, one in-place add
        d = x[start : start + ASSIGN_ROWS] @ -centroids.T
        d += half_c2
        out[start : start + ASSIGN_ROWS] = d.argmin(axis=1)
    return out


def _nearest_groups(
    vectors: np.ndarray, projection: _Projection, centroids: np.ndarray, count: int
) -> np.ndarray:
    """The ``count`` nearest centroids of every row (projected a chunk at a time), nearest
    first."""
    half_c2 = 0.5 * (centroids * centroids).sum(axis=1)
    neg_t = np.ascontiguousarray(-centroids.T)
    out = np.empty((len(vectors), count), dtype=np.int64)
    for start in range(0, len(vectors), ASSIGN_ROWS):
        d = projection.apply(vectors[start : start + ASSIGN_ROWS]) @ neg_t
        d += half_c2
        rows = np.arange(len(d))
        # repeated argmin: ~10x faster than argpartition for a few of thousands of columns
        for rank in range(count):
            best = d.argmin(axis=1)
            out[start : start + len(d), rank] = best
            d[rows, best] = np.inf
    return out
