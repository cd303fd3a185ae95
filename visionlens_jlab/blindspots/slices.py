"""Vectorised slice tests: every value of an attribute grouping against the rest at once.

For a grouping (one attribute, or a pair: their values combined into cells), one pass of
``bincount`` gives each cell's sums; per-image sums give cluster-robust variances (images
are the clusters), and per-stratum sums give the stratified test (Cochran-Mantel-Haenszel
for rates, inverse-variance weighted differences otherwise). A cell's p-value is the larger
of the clustered test and the stratified test divided by the design effect: a slice is
only significant if it differs overall *and* within strata (size and class for objects,
class and object count for predictions, object count for images).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import stats
from .candidates import Attribute
from .metrics import Metric


@dataclass
class CellStats:
    """Arrays over the cells of one grouping on one half of the images."""

    n: np.ndarray  # units inside
    images: np.ndarray  # images with units inside (NaN where not screened in)
    value: np.ndarray  # mean of y inside
    baseline: np.ndarray  # mean of y outside
    p: np.ndarray
    z: np.ndarray  # clustered z of value - baseline (strength, for ranking)
    adjusted: np.ndarray  # stratified effect: MH odds ratio (rates) or weighted difference
    strat_diff: np.ndarray  # inverse-variance weighted within-stratum difference
    strat_p: np.ndarray  # its p, divided by the design effect
    mde: np.ndarray
    deff: np.ndarray


class UnitView:
    """A metric's units on one half of the images (optionally within a parent slice),
    with attribute and strata codes cached: a run tests hundreds of groupings on it."""

    def __init__(self, metric: Metric, half: np.ndarray, unit_mask: np.ndarray | None = None):
        use = half[metric.img]
        if unit_mask is not None:
            use &= unit_mask
        self._setup(metric, half.size, np.flatnonzero(use))

    def within(self, mask: np.ndarray) -> UnitView:
        """The units of this view where ``mask`` (boolean over them) holds: the same as a
        view built with that unit mask, without a pass over all of the metric's units."""
        sub = UnitView.__new__(UnitView)
        sub._setup(self.metric, self.m, self.sel[mask])
        return sub

    def _setup(self, metric: Metric, m: int, sel: np.ndarray) -> None:
        self.metric = metric
        self.m = m
        self.sel = sel
        self.y = metric.y[self.sel]
        self.y2 = self.y * self.y
        self.img = metric.img[self.sel]
        self.totals = (float(self.y.size), float(self.y.sum()), float(self.y2.sum()))
        self._codes: dict[tuple[str, str], np.ndarray] = {}
        self._image_sums: (
            tuple[np.ndarray, np.ndarray, tuple[float, float, float, float]] | None
        ) = None
        self._strata: dict[frozenset[str], tuple[np.ndarray, int, tuple[np.ndarray, ...]]] = {}
        self._local_img: np.ndarray | None = None
        self._images = np.zeros(0, dtype=np.int64)
        self._m_local = 0
        self._image_ordered: bool | None = None

    @property
    def local_img(self) -> np.ndarray:
        """Each unit's image renumbered 0.. over the images this view has units of: the
        per-(image, cell) sums then span only those (a half, or a parent slice's images)."""
        if self._local_img is None:
            present = np.zeros(self.m, dtype=bool)
            present[self.img] = True
            rank = np.cumsum(present) - 1
            self._local_img = rank[self.img]
            self._images = np.flatnonzero(present)
            self._m_local = int(present.sum())
        return self._local_img

    @property
    def m_local(self) -> int:
        """How many images this view has units of."""
        _ = self.local_img
        return self._m_local

    @property
    def image_ordered(self) -> bool:
        """Whether the units come in image order; where they do not, the per-(image, cell)
        grouping sorts by image as well (:func:`_per_image_cell_sums`)."""
        if self._image_ordered is None:
            img = self.img
            self._image_ordered = bool((img[1:] >= img[:-1]).all())
        return self._image_ordered

    def image_cell_codes(self, attrs: list[Attribute]) -> np.ndarray:
        """Cell of each image of :attr:`local_img` (-1: no value) for image attributes."""
        _ = self.local_img
        codes = attrs[0].codes[self._images].astype(np.int64)
        for attr in attrs[1:]:
            c = attr.codes[self._images]
            codes = np.where((codes < 0) | (c < 0), -1, codes * len(attr.values) + c)
        return codes

    def image_sums(self) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float, float]]:
        """Per-image sum and count of ``y`` (images of :attr:`local_img`), and their squares
        summed (cached)."""
        if self._image_sums is None:
            img = self.local_img
            y_img = np.bincount(img, self.y, minlength=self._m_local)
            n_img = np.bincount(img, minlength=self._m_local).astype(float)
            totals = (float((y_img * y_img).sum()), float((y_img * n_img).sum()),
                      float((n_img * n_img).sum()), float((n_img > 0).sum()))  # fmt: skip
            self._image_sums = (y_img, n_img, totals)
        return self._image_sums

    def codes(self, attr: Attribute) -> np.ndarray:
        key = (attr.level, attr.name)
        if key not in self._codes:
            if attr.level == "image":
                self._codes[key] = attr.codes[self.img]
            else:
                self._codes[key] = attr.codes[self.metric.unit_index[self.sel]]
        return self._codes[key]

    def grid_codes(self, attrs: list[Attribute]) -> tuple[np.ndarray, tuple[int, ...]]:
        """Each unit's place on the grid of ``attrs``' codes + 1 (0: no value there), and
        the grid's shape. Cells with a value of every attribute are the grid without its
        first row and column, in the order of :func:`numpy.ravel_multi_index` over values."""
        grid = self.codes(attrs[0]) + np.int64(1)  # int64: keys multiply it by strata
        shape = [len(attrs[0].values) + 1]
        for attr in attrs[1:]:
            width = len(attr.values) + 1
            grid = grid * width + self.codes(attr) + 1
            shape.append(width)
        return grid, tuple(shape)

    def strata(
        self, attrs: list[Attribute], extra: np.ndarray | None
    ) -> tuple[np.ndarray, int, tuple[np.ndarray, ...]]:
        """Stratum of each unit, leaving out strata the grouping itself slices by; ``extra``
        (codes per metric unit) adds strata, e.g. the attributes of stronger findings.
        Also the per-stratum count, sum and sum of squares of ``y``."""
        sliced = frozenset(a.name for a in attrs if a.level != "image")
        if extra is None and sliced in self._strata:
            return self._strata[sliced]
        codes = np.zeros(self.sel.size, dtype=np.int64)
        k = 1
        if extra is not None:
            codes, k = extra[self.sel].astype(np.int64), int(extra.max()) + 1 if extra.size else 1
        for name, c in self.metric.strata.items():
            if name in sliced:
                continue
            width = int(c.max()) + 1 if c.size else 1
            codes = codes * width + c[self.sel]
            k *= width
        sums = (
            np.bincount(codes, minlength=k).astype(float),
            np.bincount(codes, self.y, minlength=k),
            np.bincount(codes, self.y2, minlength=k),
        )
        if extra is None:
            self._strata[sliced] = (codes, k, sums)
        return codes, k, sums


def test_cells(
    view: UnitView,
    attrs: list[Attribute],
    alpha: float,
    extra_strata: np.ndarray | None = None,
    screen: float | None = None,
    only: np.ndarray | None = None,
) -> CellStats:
    """Test every cell of ``attrs`` against the rest, on the units of ``view`` (one half
    of the images, perhaps within a parent slice).

    The clustered variance needs per-(image, cell) sums, the expensive part. With
    ``screen``, it is only computed for cells whose p-value *ignoring* clustering is below
    ``screen``; the others keep that p-value, a lower bound of the clustered one (the
    design effect is never taken below 1). With ``screen >= fdr`` no BH decision at ``fdr``
    changes: a screened-out test cannot rank among the significant ones either way.
    ``only`` (boolean over cells) tests just those cells; the others get p = 1, which can
    only make the BH q of the tested ones larger (the confirmation half tests only what
    the discovery half found).
    """
    metric = view.metric
    grid, shape = view.grid_codes(attrs)
    k = int(np.prod([w - 1 for w in shape]))
    s, n_s, (tn, ty, tq) = view.strata(attrs, extra_strata)
    key = grid * n_s + s  # units without a value land on the grid's first row or column
    valued = (slice(1, None),) * len(shape)

    def table(w: np.ndarray | None) -> np.ndarray:
        sums = np.bincount(key, w, minlength=int(np.prod(shape)) * n_s)
        return sums.reshape(*shape, n_s)[valued].reshape(k, n_s)

    sn, sy = table(None).astype(float), table(view.y)
    sq = sy if metric.binary else table(view.y2)  # 0/1 values are their own squares
    n_k, y_k, q_k = sn.sum(axis=1), sy.sum(axis=1), sq.sum(axis=1)
    n_tot, y_tot, q_tot = view.totals
    n_out, y_out, q_out = n_tot - n_k, y_tot - y_k, q_tot - q_k
    with np.errstate(invalid="ignore", divide="ignore"):
        value, baseline = y_k / n_k, y_out / n_out
        var_in = np.maximum(q_k / n_k - value**2, 0)
        var_out = np.maximum(q_out / n_out - baseline**2, 0)
        iid = var_in / n_k + var_out / n_out

    strat_diff, zs = stats.stratified_mean_difference(sy, sq, sn, ty - sy, tq - sq, tn - sn)
    if metric.binary:
        adjusted, stat, _ = stats.cmh_test(sy, sn - sy, ty - sy, (tn - ty) - (sn - sy))
        strat_diff = stats.mantel_haenszel_risk_difference(sy, sn, ty - sy, tn - sn)
        zs = np.sign(strat_diff) * np.sqrt(np.nan_to_num(stat))
    else:
        adjusted = strat_diff

    v = iid.copy()  # clustered variance where computed, else the iid one (deff 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_naive = np.fmax(
            stats.normal_two_sided_p((value - baseline) / np.sqrt(iid)),
            stats.normal_two_sided_p(zs),
        )
    need = (n_k > 1) & (n_out > 1)
    if only is not None:
        need &= only
    if screen is not None:
        need &= p_naive < screen
    cells = np.flatnonzero(need)
    images = np.full(k, np.nan)  # known where the clustered variance was computed
    if cells.size:
        on_grid = np.arange(int(np.prod(shape))).reshape(shape)[valued].ravel()
        v[cells], images[cells] = _clustered_variance(
            view, attrs, grid, on_grid, cells, y_k, n_k, y_out, n_out
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        deff = np.where(iid > 0, np.maximum(v / iid, 1.0), 1.0)
        v = np.maximum(v, iid)
        z = (value - baseline) / np.sqrt(v)
        p_crude = np.where(np.isfinite(z), stats.normal_two_sided_p(z), np.nan)
        strat_p = stats.normal_two_sided_p(zs / np.sqrt(deff))
        pooled = np.maximum(q_tot / n_tot - (y_tot / n_tot) ** 2, 0)
        mde = stats.minimum_detectable_effect(pooled, n_k, n_out, alpha, deff)
    p = np.fmax(p_crude, strat_p)
    if only is not None:
        p = np.where(only, p, 1.0)
    p = np.where((n_k > 1) & (n_out > 1), p, np.nan)
    return CellStats(n_k, images, value, baseline, p, z, adjusted, strat_diff, strat_p, mde, deff)


def _clustered_variance(
    view: UnitView,
    attrs: list[Attribute],
    grid: np.ndarray,
    on_grid: np.ndarray,
    cells: np.ndarray,
    y_k: np.ndarray,
    n_k: np.ndarray,
    y_out: np.ndarray,
    n_out: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster-robust variance of value - baseline for ``cells`` (inside + outside), and
    the number of images with units in each of them. ``grid`` is each unit's place on
    the grid of :meth:`UnitView.grid_codes` and ``on_grid`` each cell's place there."""
    y_img, n_img, (syy, syn, snn, m_all) = view.image_sums()
    local = np.full(on_grid.size, -1, dtype=np.int64)
    local[cells] = np.arange(cells.size)
    kk = cells.size
    if all(a.level == "image" for a in attrs):
        # all units of an image share its cell: the per-(image, cell) sums are the
        # per-image sums, and no pass over the units is needed
        ic = view.image_cell_codes(attrs)
        lc_img = np.where(ic >= 0, local[np.maximum(ic, 0)], -1)
        use = np.flatnonzero(lc_img >= 0)
        sums = _image_cell_totals(lc_img[use], y_img[use], n_img[use], y_img[use], n_img[use], kk)
    else:
        on_local = np.full(int(on_grid[-1]) + 1, -1, dtype=np.int64)  # the grid's size
        on_local[on_grid[cells]] = np.arange(cells.size)
        lc = on_local[grid]
        keep = np.flatnonzero(lc >= 0)
        sums = _per_image_cell_sums(view, keep, lc[keep], kk, y_img, n_img)
    syy_k, syn_k, snn_k, m_k, (cy, cyn, cny, cn, full) = sums
    yk, nk, yo, no = y_k[cells], n_k[cells], y_out[cells], n_out[cells]
    v_in = stats.cluster_variance_of_ratio(syy_k, syn_k, snn_k, yk, nk, m_k)
    v_out = stats.cluster_variance_of_ratio(
        syy - 2 * cy + syy_k, syn - cyn - cny + syn_k, snn - 2 * cn + snn_k, yo, no,
        m_all - full,
    )  # fmt: skip
    return np.asarray(v_in + v_out), m_k


DENSE_KEYS_PER_UNIT = 2
"""Per-(image, cell) sums scatter into an images x cells array while it has at most this
many slots per unit; beyond, sorting the units by cell (a radix sort of small codes) is
cheaper than allocating and scanning the mostly empty array."""


def _per_image_cell_sums(
    view: UnitView, keep: np.ndarray, c: np.ndarray, k: int, y_img: np.ndarray, n_img: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Sums over images of per-(image, cell) totals of the units ``keep`` (cells ``c``).

    Returns ``sum Y_ik^2, sum Y_ik N_ik, sum N_ik^2, images with units in k`` and the
    cross sums with the image totals that give the rest's variance without a second pass.
    Only the non-empty (image, cell) pairs are visited (at most one per unit), so the cost
    follows the units, not images x cells. Either way each pair's units are summed in
    their own order and the pairs of a cell in image order: the same sums.
    """
    img, y = view.local_img[keep], view.y[keep]
    if view.m_local * k <= DENSE_KEYS_PER_UNIT * keep.size:
        key = img.astype(np.int64) * k + c
        a_n_all = np.bincount(key, minlength=0)
        nz = np.flatnonzero(a_n_all)
        a_n = a_n_all[nz].astype(float)
        a_y = np.bincount(key, y)[nz]
        i, cell = nz // k, nz % k
    else:
        # units grouped by cell, in image order within each: a pair's units are adjacent
        if view.image_ordered:
            order = np.argsort(c.astype(np.uint16), kind="stable")
        else:
            order = np.lexsort((img, c))
        io, cell_o = img[order], c[order]
        first = np.empty(order.size, dtype=bool)
        first[:1] = True
        np.not_equal(io[1:], io[:-1], out=first[1:])
        first[1:] |= cell_o[1:] != cell_o[:-1]
        starts = np.flatnonzero(first)
        pair = np.cumsum(first) - 1
        a_n = np.bincount(pair, minlength=starts.size).astype(float)
        a_y = np.bincount(pair, y[order], minlength=starts.size)  # sequential, as above
        i, cell = io[starts], cell_o[starts]
    return _image_cell_totals(cell, a_y, a_n, y_img[i], n_img[i], k)


def _image_cell_totals(
    cell: np.ndarray, a_y: np.ndarray, a_n: np.ndarray, ty: np.ndarray, tn: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Per cell, sums over its (image, cell) pairs (``a_y``, ``a_n`` their totals, ``ty``,
    ``tn`` their image's): see :func:`_per_image_cell_sums`."""

    def total(w: np.ndarray | None) -> np.ndarray:
        return np.bincount(cell, w, minlength=k).astype(float)

    return (
        total(a_y * a_y),
        total(a_y * a_n),
        total(a_n * a_n),
        total(None),
        (total(ty * a_y), total(ty * a_n), total(tn * a_y), total(tn * a_n),
         total((a_n == tn).astype(float))),
    )  # fmt: skip
