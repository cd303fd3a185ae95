"""The covering strategies over embedding vectors: ProbCover's ball coverage and facility
location (see :mod:`.vector_gains` for the family and the ``labelled`` rule)."""

from __future__ import annotations

import numpy as np

from .vector_space import check_vectors, labelled_mask, unit_rows

SAME_POINT = 1e-5
"""The squared distance under which two unit rows are one point to :class:`Coverage`: the
float32 expansion ``|a|² - 2 a·b + |b|²`` gives identical rows up to ±2e-6, not 0."""


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Facility location's similarity of unit rows: ``(1 + cos) / 2``, in [0, 1] (the
    objective needs no negative similarity, and the shift keeps every cosine's order)."""
    out = a @ b.T
    out += 1.0
    out *= 0.5
    return out


def facility_objective(
    vectors: np.ndarray, positions: np.ndarray, clients: np.ndarray | None = None
) -> float:
    """The facility-location value of choosing ``positions``: the sum over the ``clients``
    rows (all rows when ``None``) of the highest :func:`similarity` to a chosen row."""
    x = unit_rows(vectors)
    rows = np.arange(len(x)) if clients is None else np.asarray(clients)
    chosen = x[np.asarray(positions, dtype=np.int64)]
    total = 0.0
    for a in range(0, rows.size, 4096):
        total += float(similarity(x[rows[a : a + 4096]], chosen).max(axis=1).sum())
    return total


class Representativeness:
    """Facility location: the gain of a candidate is how much it raises the sum over client
    rows of their highest :func:`similarity` to the chosen and labelled rows (its marginal
    gain; the greedy choice is within ``1 - 1/e`` of the best set).

    Exact up to ``clients`` rows (every row a client and a candidate). Above it, an
    approximation: the objective is summed over ``clients`` random rows, and the candidates
    are ``pool`` random rows (the rest are never chosen)."""

    name = "representativeness"

    def __init__(
        self,
        vectors: np.ndarray,
        labelled: np.ndarray | None = None,
        *,
        clients: int = 4_000,
        pool: int = 10_000,
    ) -> None:
        self.vectors, self.labelled, self.clients, self.pool = vectors, labelled, clients, pool

    def start(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Each candidate's marginal gain over the labelled rows."""
        if check_vectors(self.vectors) != n:
            raise ValueError("representativeness: one vector per candidate")
        lab = labelled_mask(self.labelled, n)
        if n <= self.clients:
            who, cand = np.arange(n), np.arange(n)
        else:
            who = np.sort(rng.choice(n, size=self.clients, replace=False))
            cand = np.sort(rng.choice(n, size=min(n, self.pool), replace=False))
        xc = unit_rows(self.vectors[who])
        self._sim = similarity(xc, unit_rows(self.vectors[cand]))
        self._cur = np.zeros(who.size, dtype=np.float32)
        marked = np.flatnonzero(lab)
        for a in range(0, marked.size, 4096):
            seen = similarity(xc, unit_rows(self.vectors[marked[a : a + 4096]])).max(axis=1)
            np.maximum(self._cur, seen, out=self._cur)
        self._gain = np.maximum(self._sim - self._cur[:, None], 0.0).sum(axis=0, dtype=np.float64)
        self._slot = np.full(n, -1, dtype=np.int64)
        self._slot[cand] = np.arange(cand.size)
        self._cand, self._lab = cand, lab
        self._out = np.full(n, -np.inf)
        self._out[cand] = self._gain
        self._out[lab] = -np.inf
        return self._out

    def picked(self, position: int) -> np.ndarray:
        """Marginal gains now: only the clients the pick serves better change anything."""
        slot = int(self._slot[position])
        if slot < 0:
            raise ValueError("representativeness: a row outside its candidate pool was chosen")
        new = self._sim[:, slot]
        better = np.flatnonzero(new > self._cur)
        if better.size:
            rows = self._sim[better]
            old = np.maximum(rows - self._cur[better, None], 0.0).sum(axis=0, dtype=np.float64)
            now = np.maximum(rows - new[better, None], 0.0).sum(axis=0, dtype=np.float64)
            self._gain -= old - now
            self._cur[better] = new[better]
        self._out[self._cand] = self._gain
        self._out[self._lab] = -np.inf
        return self._out


class Coverage:
    """ProbCover: the gain of a candidate is the number of still-uncovered rows it covers
    (itself included); choosing it covers them, and what a labelled row covers is covered
    from the start. Distances are Euclidean between unit rows.

    A row is covered by a centre within its radius: ``delta`` for every row when ``delta``
    is given (the paper's fixed ball, unless ``neighbours`` is given too). Otherwise
    ``delta`` comes from ProbCover's purity rule (:func:`purity_delta`): the largest radius
    at which at least ``purity`` of the balls hold one k-means cluster only
    (``pseudo_classes`` clusters, the paper's class count; the seed draws the k-means, so
    the radius and the choice follow the seed), over a sample of at most 5,000 rows; the
    paper's purity of 0.95 assumes self-supervised features whose clusters follow the
    classes, and on raw vectors (the digits' pixels, benchmarks/results/select.md) it gave
    balls of a point or two and a choice under random's, so 0.75. And with ``neighbours``
    (default 5 there; 0: the paper's fixed ball) a row's radius is the larger of that
    ``delta`` and its distance to its ``neighbours``-th nearest other row: where rows lie
    sparser than ``delta`` (on the demo's vectors the purity radius is 0.64-0.66, the bright
    images' nearest-neighbour spacing 0.72-0.76) a single ball held one such row, so every
    ball went to the dense rows and the classifier trained on them fell up to 20 points
    under random; with the per-row radius a sparse row is covered by its few nearest
    neighbours, as a dense row is by the rows within ``delta``. Above ``sample`` rows it
    runs on ``sample`` random rows (coverage counted, and candidates chosen, among them)."""

    name = "coverage"

    def __init__(
        self,
        vectors: np.ndarray,
        labelled: np.ndarray | None = None,
        *,
        delta: float | None = None,
        sample: int = 20_000,
        purity: float = 0.75,
        pseudo_classes: int = 10,
        neighbours: int | None = None,
    ) -> None:
        self.vectors, self.labelled, self.delta, self.sample = vectors, labelled, delta, sample
        self.purity, self.pseudo_classes = purity, pseudo_classes
        # the per-row radius by default with the purity rule's delta, not with a given one
        self.neighbours = (0 if delta is not None else 5) if neighbours is None else neighbours

    def start(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Ball sizes over the rows the labelled rows leave uncovered."""
        from scipy import sparse

        if check_vectors(self.vectors) != n:
            raise ValueError("coverage: one vector per candidate")
        lab = labelled_mask(self.labelled, n)
        rows = (
            np.arange(n)
            if n <= self.sample
            else np.sort(rng.choice(n, size=self.sample, replace=False))
        )
        x = unit_rows(self.vectors[rows])
        if self.delta is None:
            self.delta = purity_delta(x, self.purity, self.pseudo_classes, rng)
        sq = np.einsum("ij,ij->i", x, x)
        # limit[i]: row i's squared radius (the paper's ball when all equal), never under
        # SAME_POINT: the purity radius is 0 for one row or identical rows, and a ball must
        # still hold its centre and its duplicates, which the rounding of d2 puts above 0
        limit = np.full(rows.size, max(float(self.delta) ** 2, SAME_POINT), dtype=np.float32)
        k = min(self.neighbours, rows.size - 1)
        for a in range(0, rows.size, 2048) if k > 0 else ():
            d2 = sq[a : a + 2048, None] - 2.0 * (x[a : a + 2048] @ x.T) + sq[None, :]
            kth = np.partition(d2, k, axis=1)[:, k]  # the 0th is the row itself
            # the k-th neighbour itself inside: a hair over its distance
            np.maximum(limit[a : a + 2048], kth * (1 + 1e-5) + 1e-9, out=limit[a : a + 2048])
        parts = []
        for a in range(0, rows.size, 2048):
            d2 = sq[a : a + 2048, None] - 2.0 * (x[a : a + 2048] @ x.T) + sq[None, :]
            r, c = np.nonzero(d2 < limit[None, :])
            parts.append((r + a, c))
        r = np.concatenate([p[0] for p in parts])
        c = np.concatenate([p[1] for p in parts])
        # _graph[c, i]: centre c covers row i; _covers_of (its transpose): who covers i
        self._graph = sparse.csr_matrix(
            (np.ones(r.size, dtype=np.int32), (r, c)), shape=(rows.size, rows.size)
        )
        self._covers_of = self._graph.T.tocsr()
        self._covered = np.zeros(rows.size, dtype=bool)
        self._gain = np.asarray(self._graph.sum(axis=1), dtype=np.float64).ravel()
        self._slot = np.full(n, -1, dtype=np.int64)
        self._slot[rows] = np.arange(rows.size)
        self._rows, self._lab = rows, lab
        for p in np.flatnonzero(lab):
            self._cover(
                x[self._slot[p]] if self._slot[p] >= 0 else unit_rows(self.vectors[p : p + 1])[0],
                x,
                limit,
            )
        self._out = np.full(n, -np.inf)
        self._out[rows] = self._gain
        self._out[lab] = -np.inf
        return self._out

    def _cover(self, centre: np.ndarray, x: np.ndarray, limit: np.ndarray) -> None:
        """Cover what ``centre`` covers: each newly covered row leaves every ball it is in."""
        d2 = np.einsum("ij,ij->i", x, x) - 2.0 * (x @ centre) + float(centre @ centre)
        self._take(np.flatnonzero((d2 < limit) & ~self._covered))

    def _take(self, newly: np.ndarray) -> None:
        if newly.size == 0:
            return
        self._covered[newly] = True
        sub = self._covers_of[newly]
        self._gain -= np.bincount(sub.indices, minlength=self._gain.size)

    def picked(self, position: int) -> np.ndarray:
        """Ball sizes now that ``position``'s ball is covered."""
        slot = int(self._slot[position])
        if slot < 0:
            raise ValueError("coverage: a row outside its sample was chosen")
        ball = self._graph.indices[self._graph.indptr[slot] : self._graph.indptr[slot + 1]]
        self._take(ball[~self._covered[ball]])
        self._out[self._rows] = self._gain
        self._out[self._lab] = -np.inf
        return self._out


def purity_delta(x: np.ndarray, purity: float, classes: int, rng: np.random.Generator) -> float:
    """ProbCover's radius rule on unit rows ``x``: the largest radius at which at least
    ``purity`` of the balls (distance under the radius) around the rows hold rows of one
    k-means cluster only, over a sample of at most 5,000 rows.

    Exact, not on a grid of radii: a row's ball stays pure up to its distance to the
    nearest row of another cluster, so the share of pure balls drops only at those
    distances, and the radius is the one that still leaves ``ceil(purity * n)`` balls pure.
    (A grid of 40 distance quantiles snapped the radius down to a grid point: on the demo's
    vectors the rule's radius lay between the first two, so every seed gave the first, 0.58,
    and one choice; and where even that radius missed the purity it was returned, impure.)
    As in the paper the rule is always met, a small enough ball holding its centre alone;
    with one cluster every ball is pure at any radius: the largest pairwise distance."""
    from sklearn.cluster import KMeans

    if x.shape[0] > 5_000:
        x = x[np.sort(rng.choice(x.shape[0], size=5_000, replace=False))]
    n = x.shape[0]
    label = KMeans(
        n_clusters=max(1, min(classes, n)), n_init=1, random_state=int(rng.integers(2**31 - 1))
    ).fit_predict(x)
    sq = np.einsum("ij,ij->i", x, x)
    nearest = np.empty(n)  # squared distance to the nearest row of another cluster
    widest = 0.0
    for a in range(0, n, 2048):
        d2 = np.maximum(sq[a : a + 2048, None] - 2.0 * (x[a : a + 2048] @ x.T) + sq[None, :], 0)
        widest = max(widest, float(d2.max()))
        d2[label[a : a + 2048, None] == label[None, :]] = np.inf
        nearest[a : a + 2048] = d2.min(axis=1)
    pure = min(n, max(1, int(np.ceil(purity * n - 1e-9))))  # the float product's rounding
    radius2 = float(np.sort(nearest)[n - pure])
    return float(np.sqrt(radius2 if np.isfinite(radius2) else widest))
