"""Selection strategies over embedding vectors, each a :class:`~.greedy.Gain` over a float32
``(n, d)`` array whose rows line up with the loop's candidates (issue #49 item 2).

- :class:`Diversity`: k-center greedy (the coreset of Sener & Savarese, 2018).
- :class:`Typicality`: TypiClust (Hacohen et al., 2022).
- :class:`~.vector_cover.Coverage`: ProbCover (Yehuda et al., 2022).
- :class:`~.vector_cover.Representativeness`: facility location.
- :class:`Similar`: like (or unlike) a given set of vectors.

All work on L2-normalised rows: distances are Euclidean between unit rows, similarities are
cosines (see :mod:`.vector_space`). ``labelled`` (a boolean mask of the ``n`` rows) marks
what is already labelled: never chosen again, and counted as chosen (diversity measures
distance to it, typicality counts it in its cluster, coverage covers its ball).

Scale (item 4): up to ``exact_max`` rows every strategy is the exact method. Above it,
diversity and typicality run on a PCA projection and a candidate pool (the rest get
``-inf``: the loop never considers them), which keeps choosing 10,000 of 1,000,000 512-d
vectors within a minute on two cores; ``benchmarks/bench_select_scale.py`` measures the
approximation against the exact method.
"""

from __future__ import annotations

import numpy as np

from .vector_cover import Coverage, Representativeness
from .vector_kcenter import Diversity
from .vector_space import EXACT_MAX, check_vectors, labelled_mask, projected, unit_rows

__all__ = ["Coverage", "Diversity", "Representativeness", "Similar", "Typicality", "typicality_of"]


def typicality_of(x: np.ndarray, neighbours: int) -> np.ndarray:
    """TypiClust's typicality of each row of ``x`` among the rows of ``x``: one over the mean
    Euclidean distance to its ``neighbours`` nearest other rows (plus 1e-5, as their code
    does, so duplicates stay finite); ``min(neighbours, len(x) // 2)`` neighbours in a small
    cluster as theirs; a lone row gets 0."""
    s = x.shape[0]
    k = min(neighbours, s // 2)
    if k == 0:
        return np.zeros(s)
    sq = np.einsum("ij,ij->i", x, x).astype(np.float64)
    out = np.empty(s)
    for a in range(0, s, 1024):
        d2 = sq[a : a + 1024, None] - 2.0 * (x[a : a + 1024] @ x.T).astype(np.float64) + sq[None, :]
        rows = np.arange(d2.shape[0])
        d2[rows, rows + a] = np.inf  # not its own neighbour
        near = np.partition(d2, k - 1, axis=1)[:, :k]
        out[a : a + 1024] = 1.0 / (np.sqrt(np.maximum(near, 0.0)).mean(axis=1) + 1e-5)
    return out


class Typicality:
    """TypiClust: k-means into ``min(budget + labelled, max_clusters)`` clusters (their code's
    limit: 500, KMeans up to 50 clusters and MiniBatchKMeans above), then from the largest
    cluster holding the fewest chosen or labelled rows, its most typical row
    (:func:`typicality_of`, ``neighbours`` = 20 as theirs). Clusters of ``min_cluster_size``
    rows or fewer come last (theirs drops them).

    The gain encodes that order: a row of cluster ``c`` gets ``-count(c) * C + rank(c) +
    0.999 * typicality / its cluster's highest typicality``, ``rank`` 0 for the smallest of
    the ``C`` clusters up to ``C - 1`` for the largest, so picking a row (or labelling one)
    drops its whole cluster below every cluster with fewer picks.

    Above ``exact_max`` rows k-means runs on the first ``dims`` principal components, and
    each cluster offers only its ``keep`` most typical rows (at least twice its share of the
    budget), found by a first estimate against a sample of ``sample`` members per cluster
    and then measured exactly against the whole cluster."""

    name = "typicality"

    def __init__(
        self,
        vectors: np.ndarray,
        budget: int,
        labelled: np.ndarray | None = None,
        *,
        max_clusters: int = 500,
        neighbours: int = 20,
        min_cluster_size: int = 5,
        exact_max: int = EXACT_MAX,
        dims: int = 32,
        keep: int = 32,
        sample: int = 256,
    ) -> None:
        if budget < 1:
            raise ValueError("typicality: the budget is at least 1")
        self.vectors, self.budget, self.labelled = vectors, budget, labelled
        self.max_clusters, self.neighbours = max_clusters, neighbours
        self.min_cluster_size, self.exact_max, self.dims = min_cluster_size, exact_max, dims
        self.keep, self.sample = keep, sample

    def start(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Cluster, measure typicality, and rank every candidate by its cluster's turn."""
        if check_vectors(self.vectors) != n:
            raise ValueError("typicality: one vector per candidate")
        lab = labelled_mask(self.labelled, n)
        exact = n <= self.exact_max
        x = unit_rows(self.vectors) if exact else projected(self.vectors, self.dims, rng)
        c = max(1, min(self.budget + int(lab.sum()), self.max_clusters, n))
        self.clusters = _kmeans(x, c, int(rng.integers(2**31 - 1)), None if exact else rng)
        sizes = np.bincount(self.clusters, minlength=c)
        order = np.argsort(self.clusters, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        frac = np.full(n, -np.inf)
        share = -(-self.budget // c)
        for j in range(c):
            members = order[bounds[j] : bounds[j + 1]]
            if members.size == 0:
                continue
            if exact:
                typ, rows = typicality_of(x[members], self.neighbours), members
            else:
                typ, rows = _most_typical(
                    x, members, self.neighbours, max(self.keep, 2 * share), self.sample, rng
                )
            top = typ.max()
            frac[rows] = 0.999 * typ / top if top > 0 else 0.0
        self.typicality = frac
        rank = np.empty(c)
        rank[np.lexsort((-np.arange(c), sizes))] = np.arange(c)  # ties: the lower cluster first
        count = np.bincount(self.clusters[lab], minlength=c).astype(np.float64)
        count[sizes <= self.min_cluster_size] += n
        self._c, self._count, self._order, self._bounds = c, count, order, bounds
        self._out = np.where(
            np.isfinite(frac), -count[self.clusters] * c + rank[self.clusters] + frac, -np.inf
        )
        self._out[lab] = -np.inf
        return self._out

    def picked(self, position: int) -> tuple[np.ndarray, np.ndarray]:
        """The chosen row's cluster drops one turn (below every cluster with fewer picks):
        its rows' new gains, as ``(positions, gains)``."""
        j = self.clusters[position]
        self._count[j] += 1
        rows = self._order[self._bounds[j] : self._bounds[j + 1]]
        rows = rows[np.isfinite(self._out[rows])]
        self._out[rows] -= self._c
        return rows, self._out[rows]


def _kmeans(
    x: np.ndarray, clusters: int, seed: int, sample: np.random.Generator | None
) -> np.ndarray:
    """Cluster labels of ``x``: KMeans up to 50 clusters, MiniBatchKMeans (batches of 5,000)
    above, as TypiClust's code does. With ``sample`` (at scale) the centres are fitted on
    100 random rows per cluster (at least 20,000) and every row then takes its nearest."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if clusters == 1:
        return np.zeros(x.shape[0], dtype=np.int64)
    fit = x
    if sample is not None and x.shape[0] > max(20_000, 100 * clusters):
        size = max(20_000, 100 * clusters)
        fit = x[np.sort(sample.choice(x.shape[0], size=size, replace=False))]
    model: KMeans | MiniBatchKMeans
    if clusters <= 50:
        model = KMeans(n_clusters=clusters, n_init=1, random_state=seed)
    else:
        model = MiniBatchKMeans(
            n_clusters=clusters, batch_size=5000, n_init=1, max_iter=20, random_state=seed
        )
    # float64: on float32 rows scikit-learn's k-means++ seeding upcasts block by block
    # (42 of 47 s for 500 clusters of 20,000 512-d rows)
    model.fit(fit.astype(np.float64))
    if fit is x:
        return np.asarray(model.labels_, dtype=np.int64)
    centres = model.cluster_centers_.astype(np.float32)
    cn = np.einsum("ij,ij->i", centres, centres)
    out = np.empty(x.shape[0], dtype=np.int64)
    for a in range(0, x.shape[0], 16_384):
        out[a : a + 16_384] = np.argmin(cn[None, :] - 2.0 * (x[a : a + 16_384] @ centres.T), axis=1)
    return out


def _most_typical(
    x: np.ndarray,
    members: np.ndarray,
    neighbours: int,
    keep: int,
    sample: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """A large cluster's ``keep`` most typical members and their typicality: a first
    estimate against ``sample`` random members (the mean distance to the proportionally
    fewer nearest of them) shortlists ``4 * keep``, measured then against all members."""
    if members.size <= max(4 * keep, sample):
        typ = typicality_of(x[members], neighbours)
        best = np.argsort(-typ, kind="stable")[:keep]
        return typ[best], members[best]
    ref = x[np.sort(rng.choice(members, size=sample, replace=False))]
    k = max(1, round(neighbours * sample / members.size))
    pts = x[members]
    d2 = (
        np.einsum("ij,ij->i", pts, pts)[:, None]
        - 2.0 * (pts @ ref.T)
        + np.einsum("ij,ij->i", ref, ref)[None, :]
    )
    near = np.partition(d2, k, axis=1)[:, 1 : k + 1]  # the nearest is usually itself
    shortlist = np.argsort(np.sqrt(np.maximum(near, 0.0)).mean(axis=1), kind="stable")[: 4 * keep]
    k_all = min(neighbours, members.size // 2)
    sq = np.einsum("ij,ij->i", pts, pts)
    d2 = sq[shortlist, None] - 2.0 * (pts[shortlist] @ pts.T) + sq[None, :]
    d2[np.arange(shortlist.size), shortlist] = np.inf
    near = np.partition(d2, k_all - 1, axis=1)[:, :k_all]
    typ = 1.0 / (np.sqrt(np.maximum(near, 0.0)).mean(axis=1) + 1e-5)
    best = np.argsort(-typ, kind="stable")[:keep]
    return typ[best], members[shortlist[best]]


class Similar:
    """Like a given set of vectors (a tagged set): the static gain of a candidate is its
    highest cosine with a row of ``reference``; ``unlike=True`` negates it (name ``unlike``).
    Labelled rows are never chosen."""

    def __init__(
        self,
        vectors: np.ndarray,
        reference: np.ndarray,
        labelled: np.ndarray | None = None,
        *,
        unlike: bool = False,
    ) -> None:
        if np.asarray(reference).ndim != 2 or len(reference) == 0:
            raise ValueError("similar: the reference set is a non-empty 2-d array")
        self.vectors, self.reference, self.labelled = vectors, reference, labelled
        self.name = "unlike" if unlike else "similar"
        self.sign = -1.0 if unlike else 1.0

    def start(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Highest cosine with the reference set (negated for ``unlike``)."""
        if check_vectors(self.vectors) != n:
            raise ValueError(f"{self.name}: one vector per candidate")
        ref = unit_rows(self.reference)
        out = np.empty(n)
        for a in range(0, n, 65_536):
            best = np.full(min(n, a + 65_536) - a, -np.inf, dtype=np.float32)
            block = unit_rows(self.vectors[a : a + 65_536])
            for b in range(0, ref.shape[0], 4096):
                np.maximum(best, (block @ ref[b : b + 4096].T).max(axis=1), out=best)
            out[a : a + best.size] = self.sign * best
        out[labelled_mask(self.labelled, n)] = -np.inf
        return out

    def picked(self, position: int) -> None:
        """Static: unchanged by a pick."""
        return None
