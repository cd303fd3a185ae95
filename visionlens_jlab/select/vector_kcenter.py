"""Diversity: k-center greedy (the coreset of Sener & Savarese, 2018) as a selection Gain,
by default weighted by density.

Plain k-center's next pick is the row farthest from everything chosen, so on data of uneven
density its first picks are the outliers and the sparse regions: on the demo's vectors 14 of
its first 20 were bright plain-background images, and the classifier trained on them fell 6-30
points under random (benchmarks/results/select.md). Weighted k-center (each row's distance
to the chosen times a weight: Dyer & Frieze's weighted k-center greedy) with TypiClust's
typicality as the weight prefers, among the far rows, those with neighbours: the choice
still spreads over the space (a cluster no pick reaches keeps its whole distance), but an
isolated row must be that much farther to be taken.

Each pick is the row farthest from everything chosen or labelled so far, and lowers the
distance of the rows nearer to it than to anything before: the loop is told only those
(a sparse update), so a pick costs one matrix-vector product over the pool. (Skipping
groups of rows by the triangle inequality was tried: on clustered 512-d embeddings the
bound rules out too few groups to pay.)
"""

from __future__ import annotations

import numpy as np

from .vector_space import (
    EXACT_MAX,
    check_vectors,
    labelled_mask,
    local_density,
    projected,
    unit_rows,
)


class Diversity:
    """k-center greedy: the gain of a candidate is its Euclidean distance (between unit rows)
    to the nearest chosen or labelled row, times its density weight: its typicality
    (:func:`~.vector_space.local_density`, ``neighbours`` = 10) over the highest candidate's,
    in (0, 1]. ``density=False``: the plain k-center greedy (weight 1). With nothing
    labelled the first pick is one row drawn from the loop's rng (a gain of 1 there, 0
    elsewhere). The density is measured against all rows up to ``density_sample`` rows,
    against that many random rows above (their neighbour count shrinking in proportion, at
    least 1: the distance to the nearest sampled rows). Above ``exact_max`` rows (the scale
    path) the same, over the projected rows and for the pool's rows only.

    Above ``exact_max`` rows, distances are taken on the first ``dims`` principal components,
    over a pool of ``pool`` candidates (half the most isolated rows, half random ones: see
    :func:`_pool`; the rows outside it are never chosen), and against at most
    ``labelled_sample`` labelled rows. 64 components, not fewer: at 1,000 of 100,000 rows
    (benchmarks/results/select.md) 32 left the covering radius 9 % over the exact greedy's
    (0.948 vs 0.870), 64 matched it (0.867)."""

    name = "diversity"

    def __init__(
        self,
        vectors: np.ndarray,
        labelled: np.ndarray | None = None,
        *,
        exact_max: int = EXACT_MAX,
        dims: int = 64,
        pool: int = 100_000,
        labelled_sample: int = 20_000,
        density: bool = True,
        neighbours: int = 10,
        density_sample: int = 4096,
    ) -> None:
        self.vectors = vectors
        self.labelled = labelled
        self.exact_max, self.dims, self.pool = exact_max, dims, pool
        self.labelled_sample = labelled_sample
        self.density, self.neighbours, self.density_sample = density, neighbours, density_sample

    def start(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Distances to the nearest labelled row (``-inf`` for labelled rows and rows
        outside the pool)."""
        if check_vectors(self.vectors) != n:
            raise ValueError("diversity: one vector per candidate")
        lab = labelled_mask(self.labelled, n)
        if n <= self.exact_max:
            x, cand = unit_rows(self.vectors), np.arange(n)
        else:
            x = projected(self.vectors, self.dims, rng)
            cand = _pool(x, min(n, self.pool), rng)
        self._x = np.ascontiguousarray(x[cand])
        self._sq = np.einsum("ij,ij->i", self._x, self._x)
        self._slot = np.full(n, -1, dtype=np.int64)
        self._slot[cand] = np.arange(cand.size)
        self._cand = cand
        self.weight = np.ones(cand.size)
        if self.density:
            # at scale the same estimate over the projected rows: each pool row's neighbours
            # are sought among ``density_sample`` random rows of all n (drawn from the loop's
            # rng, so a seed fixes them), a cost linear in the pool. Without it the scale
            # path was the plain greedy, whose first picks on uneven data are the outliers,
            # and the pool's isolated half hands it those
            rho = local_density(x, cand, self.neighbours, self.density_sample, rng)
            self.weight = rho / rho.max()
        self._min2 = np.full(cand.size, np.inf, dtype=np.float32)
        marked = np.flatnonzero(lab)
        if marked.size > self.labelled_sample:
            marked = np.sort(rng.choice(marked, size=self.labelled_sample, replace=False))
        for a in range(0, marked.size, 256):
            block = x[marked[a : a + 256]]
            d2 = self._sq[:, None] - 2.0 * (self._x @ block.T)
            d2 += np.einsum("ij,ij->i", block, block)[None, :]
            np.minimum(self._min2, np.maximum(d2.min(axis=1), 0.0), out=self._min2)
        out = np.full(n, -np.inf)
        if marked.size == 0:
            out[cand] = 0.0
            out[cand[int(rng.integers(cand.size))]] = 1.0
        else:
            out[cand] = self.weight * np.sqrt(self._min2)
        out[lab] = -np.inf
        return out

    def picked(self, position: int) -> tuple[np.ndarray, np.ndarray]:
        """The gains ``position`` brought down (their distances did), as ``(positions,
        gains)``."""
        slot = int(self._slot[position])
        if slot < 0:
            raise ValueError("diversity: a row outside its candidate pool was chosen")
        changed = self._lower(self._x[slot])
        return self._cand[changed], self.weight[changed] * np.sqrt(self._min2[changed])

    def _lower(self, c: np.ndarray) -> np.ndarray:
        """Lower the distances of the rows nearer to ``c``; the rows lowered."""
        d2 = self._x @ (-2.0 * c)
        d2 += self._sq
        d2 += float(c @ c)
        np.maximum(d2, 0.0, out=d2)
        nearer = np.flatnonzero(d2 < self._min2)
        self._min2[nearer] = d2[nearer]
        return nearer


def _pool(x: np.ndarray, size: int, rng: np.random.Generator, coarse: int = 512) -> np.ndarray:
    """``size`` candidate rows of ``x`` for k-center at scale: the half most isolated (the
    farthest from their nearest of ``coarse`` random rows: k-center's first picks, which a
    random pool would mostly leave out, and with them the covering radius), and a random
    half of the rest."""
    n = x.shape[0]
    ref = x[rng.choice(n, size=min(n, coarse), replace=False)]
    rn = np.einsum("ij,ij->i", ref, ref)
    far = np.empty(n, dtype=np.float32)
    for a in range(0, n, 16_384):
        b = x[a : a + 16_384]
        far[a : a + 16_384] = (rn[None, :] - 2.0 * (b @ ref.T)).min(axis=1)
    far += np.einsum("ij,ij->i", x, x)
    isolated = np.argpartition(-far, size // 2 - 1)[: size // 2] if size >= 2 else np.zeros(0, int)
    rest = np.setdiff1d(np.arange(n), isolated, assume_unique=True)
    picked = rng.choice(rest, size=size - isolated.size, replace=False)
    return np.sort(np.concatenate([isolated, picked]))
