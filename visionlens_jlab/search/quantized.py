"""An int8 copy of a cached vector matrix: a cheap first pass whose bound keeps search exact.

Scanning the float32 matrix is memory bound (100K x 512 is 200 MB per query). Each row is
also kept as int8 codes with its own scale (``x ~ scale * codes``, a quarter of the bytes),
and a query is scored against the codes first. The error of that score is bounded per row:

    q.x = approx + scale * (f . codes) + q . e,   |...| <= |f| * scale * |codes| + |q| * |e|

(``e``: the row's rounding residual; ``f``: the query's own int8 rounding residual). The
``k`` largest lower bounds give a score every row of the true top ``k`` reaches, so the rows
whose upper bound reaches it hold the exact answer; they (a few hundred) are re-scored in
float32. The answer is the float32 scan's, not an approximation. When the bound keeps too
many rows (near-identical vectors) the caller scans the float32 matrix instead.

The first pass needs an int8 dot-product kernel; numpy has none (its integer matmul is
slower than float32 BLAS), so it is compiled with numba when numba is installed (the
``fast-search`` extra; ``map`` brings it too). Without numba, search scans float32 only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

QUANTIZED_MIN_ROWS = 20_000
"""Matrices with fewer rows are scanned in float32 only (already fast)."""
MAX_CANDIDATE_SHARE = 0.2
"""Above this share of rows kept by the bound, the float32 scan is cheaper."""
SLACK = 1e-5
"""Added to every bound: float32 rounding of the scale products."""

Kernel = Callable[[np.ndarray, np.ndarray], np.ndarray]
_kernel_lock = threading.Lock()
_kernel: list[Kernel | None] = []


def int8_kernel() -> Kernel | None:
    """The compiled int8 matrix-vector product (int32 results), or None without numba.

    Single-threaded and GIL-free: the server's request threads can run several at once,
    and a loaded machine does not stall a search waiting for a second core."""
    with _kernel_lock:
        if not _kernel:
            _kernel.append(_compile())
        return _kernel[0]


def _compile() -> Kernel | None:
    try:
        from numba import njit
    except ImportError:
        return None

    @njit(cache=True, nogil=True)
    def int8_matvec(codes: np.ndarray, query: np.ndarray) -> np.ndarray:  # pragma: no cover
        n, dim = codes.shape
        out = np.empty(n, np.int32)
        for i in range(n):
            acc = np.int32(0)
            for j in range(dim):
                acc += np.int16(codes[i, j]) * np.int16(query[j])
            out[i] = acc
        return out

    return int8_matvec


@dataclass(frozen=True)
class Int8Rows:
    """Per-row int8 codes of a float32 matrix, with what the error bound needs."""

    codes: np.ndarray  # int8, n x dim
    scale: np.ndarray  # float32 per row: x ~ scale * codes
    code_norm: np.ndarray  # float32 per row: |scale * codes|
    residual: np.ndarray  # float32 per row: |x - scale * codes|
    kernel: Kernel

    @property
    def nbytes(self) -> int:
        """Memory held."""
        return int(
            self.codes.nbytes + self.scale.nbytes + self.code_norm.nbytes + self.residual.nbytes
        )

    @classmethod
    def build(cls, matrix: np.ndarray, chunk: int = 65_536) -> Int8Rows | None:
        """The codes of ``matrix`` (float32), a chunk of rows at a time (no full-size
        temporaries); None when no int8 kernel is available."""
        kernel = int8_kernel()
        if kernel is None:
            return None
        n = len(matrix)
        codes = np.empty(matrix.shape, dtype=np.int8)
        scale = np.empty(n, dtype=np.float32)
        code_norm = np.empty(n, dtype=np.float32)
        residual = np.empty(n, dtype=np.float32)
        for start in range(0, n, chunk):
            x = matrix[start : start + chunk]
            s = np.abs(x).max(axis=1) / np.float32(127)
            s[s == 0] = 1  # a zero row: codes 0, exact
            c = np.rint(x / s[:, None])
            codes[start : start + chunk] = c
            c *= s[:, None]
            code_norm[start : start + chunk] = np.linalg.norm(c, axis=1)
            c -= x
            residual[start : start + chunk] = np.linalg.norm(c, axis=1)
            scale[start : start + chunk] = s
        return cls(codes, scale, code_norm, residual, kernel)

    def candidates(self, query: np.ndarray, k: int, rows: np.ndarray | None) -> np.ndarray | None:
        """Sorted row indices (of all rows, or within ``rows``, sorted) that surely include
        the exact ``k`` largest ``row . query``; None when the bound keeps more than
        :data:`MAX_CANDIDATE_SHARE` of them or ``k`` covers them all."""
        q = np.asarray(query, dtype=np.float32)
        top = float(np.abs(q).max())
        t = top / 127 if top > 0 else 1.0
        q_codes = np.rint(q / np.float32(t)).astype(np.int8)
        q_residual = float(np.linalg.norm(q - np.float32(t) * q_codes))
        approx = self.kernel(self.codes, q_codes).astype(np.float32)
        approx *= self.scale
        approx *= np.float32(t)
        bound = self.code_norm * np.float32(q_residual)
        bound += self.residual * np.float32(np.linalg.norm(q))
        bound += np.float32(SLACK) * (np.abs(approx) + 1)
        if rows is not None:
            approx, bound = approx[rows], bound[rows]
        n = len(approx)
        if k >= n:
            return None
        lower = approx - bound
        reach = np.partition(lower, n - k)[n - k]  # the k-th largest lower bound
        keep = np.flatnonzero(approx + bound >= reach)
        if len(keep) > MAX_CANDIDATE_SHARE * n:
            return None
        return keep if rows is None else rows[keep]
