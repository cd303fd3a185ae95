"""The vector work the embedding strategies share: unit rows, a PCA projection for the
distance work at scale, a labelled mask, and the gain array a strategy hands the loop.

Every strategy works on L2-normalised rows (an embedding space's geometry is its cosine:
Euclidean distance between unit rows is ``sqrt(2 - 2 cos)``, so nearest and farthest mean
the same under both). At scale the distance work runs on a PCA projection of the unit rows
(fitted on a sample, applied in blocks so a million 512-d rows never get a second full-size
copy): a few dozen components keep the neighbourhoods the strategies look at and make a
distance 8 to 16 times cheaper.
"""

from __future__ import annotations

import numpy as np

BLOCK = 65_536  # rows per block: a 512-d float32 block is 128 MiB
EXACT_MAX = 50_000  # up to this many rows the strategies run their exact methods


def unit_rows(x: np.ndarray) -> np.ndarray:
    """``x`` as float32 rows of length 1 (a zero row stays zero), computed in blocks."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError("vectors must be a 2-d array (n, d)")
    out = np.empty(x.shape, dtype=np.float32)
    for a in range(0, x.shape[0], BLOCK):
        block = x[a : a + BLOCK].astype(np.float32, copy=False)
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        np.divide(block, np.maximum(norms, 1e-12), out=out[a : a + BLOCK])
    return out


def projected(
    x: np.ndarray, dims: int, rng: np.random.Generator, sample: int = 20_000
) -> np.ndarray:
    """The unit rows of ``x`` projected on their first ``dims`` principal components
    (float32, shape ``(n, dims)``; ``x``'s unit rows themselves when ``d <= dims``). The
    components come from a random sample of ``sample`` rows; rows are normalised and
    projected block by block."""
    x = np.asarray(x)
    n, d = x.shape
    if d <= dims:
        return unit_rows(x)
    pick = np.sort(rng.choice(n, size=min(n, sample), replace=False))
    s = unit_rows(x[pick]).astype(np.float64)
    mean = s.mean(axis=0)
    s -= mean
    _, vecs = np.linalg.eigh(s.T @ s)
    basis = np.ascontiguousarray(vecs[:, ::-1][:, :dims], dtype=np.float32)
    shift = (mean.astype(np.float32) @ basis)[None, :]
    out = np.empty((n, dims), dtype=np.float32)
    for a in range(0, n, BLOCK):
        block = x[a : a + BLOCK].astype(np.float32, copy=False)
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        part = out[a : a + BLOCK]
        np.matmul(block, basis, out=part)  # a unit row's projection: the row's, over its norm
        part /= np.maximum(norms, 1e-12)[:, None]
        part -= shift
    return out


def labelled_mask(labelled: np.ndarray | None, n: int) -> np.ndarray:
    """``labelled`` as a boolean mask of ``n`` (none labelled when ``None``)."""
    if labelled is None:
        return np.zeros(n, dtype=bool)
    mask = np.asarray(labelled, dtype=bool)
    if mask.shape != (n,):
        raise ValueError(f"labelled must be a boolean mask of {n} rows")
    return mask


def check_vectors(vectors: np.ndarray) -> int:
    """The row count of a 2-d, non-empty, finite vector array (else ``ValueError``)."""
    if vectors.ndim != 2 or vectors.shape[0] == 0:
        raise ValueError("vectors must be a non-empty 2-d array (n, d)")
    return int(vectors.shape[0])


def local_density(
    x: np.ndarray, rows: np.ndarray, neighbours: int, sample: int, rng: np.random.Generator
) -> np.ndarray:
    """TypiClust's typicality of ``x[rows]`` over all of ``x``: one over (the mean Euclidean
    distance to its ``neighbours`` nearest other rows, plus 1e-5). Up to ``sample`` rows of
    ``x`` that is exact; above it the neighbours are sought among ``sample`` random rows and
    their count shrinks in proportion (at least 1), which keeps the order of the densities
    at a cost linear in ``len(rows)``. A lone row gets 1."""
    n = x.shape[0]
    if n < 2:
        return np.ones(rows.size)
    ref = np.arange(n) if n <= sample else np.sort(rng.choice(n, size=sample, replace=False))
    k = max(1, min(round(neighbours * ref.size / n), ref.size - 1))
    r = x[ref]
    rn = np.einsum("ij,ij->i", r, r)
    slot = np.full(n, -1, dtype=np.int64)
    slot[ref] = np.arange(ref.size)
    out = np.empty(rows.size)
    for a in range(0, rows.size, 2048):
        b = rows[a : a + 2048]
        block = x[b]
        # |b|^2 - 2 b.r + |r|^2 in place, in that order (the same rounding as the plain
        # expression): at scale (a 100,000-row pool against 4,096 sampled rows) the
        # temporaries took 4x the product's time
        d2 = block @ r.T
        d2 *= -2.0
        np.add(np.einsum("ij,ij->i", block, block)[:, None], d2, out=d2)
        d2 += rn[None, :]
        own = slot[b]
        hit = np.flatnonzero(own >= 0)
        d2[hit, own[hit]] = np.inf  # not its own neighbour
        # one neighbour (the scale path's usual count): the minimum, 10x cheaper than a partition
        near = d2.min(axis=1, keepdims=True) if k == 1 else np.partition(d2, k - 1, axis=1)[:, :k]
        out[a : a + b.size] = 1.0 / (np.sqrt(np.maximum(near, 0.0)).mean(axis=1) + 1e-5)
    return out
