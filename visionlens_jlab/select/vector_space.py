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
