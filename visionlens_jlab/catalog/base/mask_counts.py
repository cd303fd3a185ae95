"""Histograms of a float column over a sample mask, without reading every row.

A numeric facet (a prediction score, an image width) bins the values of the rows of a
filter's samples with the SQL's arithmetic, over the range of those values. Gathering the
mask over every row in value order (``np.take(mask, positions)``, then a ``count_nonzero``
per bin) cost 3.8 ms per 2M scores at 1M images. The bin of a value is a non-decreasing
function of it, so each bin is a slice of the rows sorted by value, and its count is the
number of selected rows ranked below its end minus below its start. Here:

* :class:`SortedValues`: the rows sorted by value, as sample positions (also the mask of
  the samples with a row in a value range: a filter);
* :class:`BinnedValues`: besides, at *cuts* in that order (16 evenly spread, and the
  bounds of the column's own bins), how many rows below the cut each sample has, as bit
  sets (:class:`~.bit_levels.BitCounts`; above the cut for the upper half, the smaller
  side). The selected rows below any rank are the nearest cut's popcount
  plus a gather of the rows between the cut and the rank (at most half a cut's span), so a
  histogram costs about 20 popcounts and short gathers whatever the mask: 0.6-1 ms per
  2M scores. A cut falls at the first row of its value, so a column with few distinct
  values (every bin bound at a run's start) needs no gather at all.

Pure numpy; knows nothing of the catalog.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from .bit_levels import BitCounts, PackedMask


@dataclass(frozen=True)
class Histogram:
    """The selected values' count, range and non-empty bins (bin -> count)."""

    count: int
    lo: float | None
    hi: float | None
    bins: dict[int, int]


def bin_width(lo: float, hi: float, n_bins: int) -> float:
    """The facets' bin width, as their SQL computes it: ``(hi - lo) / bins``, or ``hi / bins
    - lo / bins`` when ``hi - lo`` is past the largest double, or 1 for an empty range."""
    span = hi - lo
    width = span / n_bins if math.isfinite(span) else hi / n_bins - lo / n_bins
    return width if width != 0 else 1.0


def bin_of(value: float, lo: float, hi: float, n_bins: int) -> int:
    """The bin of ``value`` as the facets' SQL computes it: ``FLOOR((x - lo) / width)`` in
    float64 (DuckDB's DOUBLE), capped at the last bin."""
    quotient = (value - lo) / bin_width(lo, hi, n_bins)
    if not math.isfinite(quotient):  # x - lo past the largest double: the last bin
        return n_bins - 1
    return min(math.floor(quotient), n_bins - 1)


@dataclass(frozen=True)
class SortedValues:
    """Rows sorted by a float64 value; rows without a value (NULL, NaN) are not kept."""

    positions: np.ndarray  # int32 sample position per row, rows in value order
    values: np.ndarray  # float64, ascending

    @staticmethod
    def of(values: np.ndarray, positions: np.ndarray) -> SortedValues:
        """The rows of ``values`` (float64, NaN: none) at sample ``positions``."""
        kept = ~np.isnan(values)
        values, positions = values[kept], positions[kept]
        order = np.argsort(values, kind="stable")
        return SortedValues(positions[order].astype(np.int32), values[order])

    def mask_in(self, lo: float | None, hi: float | None, n: int) -> np.ndarray:
        """The mask of the ``n`` samples with a row whose value is in ``[lo, hi]`` (a bound of
        None: none), compared as float64 like the SQL's DOUBLE."""
        start = 0 if lo is None else int(np.searchsorted(self.values, lo, side="left"))
        stop = (
            len(self.values) if hi is None else int(np.searchsorted(self.values, hi, side="right"))
        )
        mask = np.zeros(n, dtype=bool)
        if stop > start:
            mask[self.positions[start:stop]] = True
        return mask


_CUTS = 16
"""Evenly spread cuts per column (besides the bounds of the column's own bins): each holds
one or two bit levels (125 KB each at 1M samples); a bound between two cuts gathers at
most half the rows between them."""

_PROBE = 1024
"""Rows read from each end for the selected range before a search over the cuts."""


@dataclass(frozen=True)
class BinnedValues:
    """A column's rows sorted by value and, at cuts in that order, each sample's rows below
    the cut (see the module)."""

    rows: SortedValues
    valued: BitCounts  # each sample's rows with a value
    cut_ranks: list[int]  # ascending, each the first row of its value, in (0, len(rows))
    cut_counts: list[
        BitCounts
    ]  # per cut: each sample's rows below it (from upper_from: at or above)
    upper_from: int

    @staticmethod
    def of(rows: SortedValues, n: int, n_bins: int, cuts: int = _CUTS) -> BinnedValues:
        """The histogram index of ``rows`` over ``n`` samples: up to ``cuts - 1`` cuts
        evenly spread, and one at each bound of the ``n_bins`` bins of all the rows (most
        masks have about the same range: their bounds are then at a cut or a few rows from
        one)."""
        values, size = rows.values, len(rows.values)
        step = -(-size // cuts)
        wanted = {int(np.searchsorted(values, values[r])) for r in range(step, size, max(step, 1))}
        if size:
            wanted.update(
                _bin_bounds(values, float(values[0]), float(values[-1]), 0, size - 1, n_bins)
            )
        ranks = sorted(wanted - {0, size})
        upper_from = bisect.bisect_left(ranks, size // 2)
        total = np.bincount(rows.positions, minlength=n)
        below = np.zeros(n, dtype=np.int64)
        levels, done = [], 0
        for i, rank in enumerate(ranks):
            below += np.bincount(rows.positions[done:rank], minlength=n)
            done = rank
            levels.append(BitCounts.of(below if i < upper_from else total - below))
        return BinnedValues(rows, BitCounts.of(total), ranks, levels, upper_from)

    @property
    def nbytes(self) -> int:
        """Memory held (the sorted rows included)."""
        own = self.valued.nbytes + sum(lv.nbytes for lv in self.cut_counts)
        return own + self.rows.positions.nbytes + self.rows.values.nbytes

    def histogram(self, bits: PackedMask, n_bins: int) -> Histogram:
        """The values of the rows of the samples of ``bits``, binned as the SQL bins them."""
        total = self.valued.total(bits) if bits.count else 0
        if total == 0:
            return Histogram(0, None, None, {})
        below = _Below(self, bits, total)
        first, last = below.first(), below.last()
        values = self.rows.values
        lo, hi = float(values[first]), float(values[last])
        bounds = _bin_bounds(values, lo, hi, first, last, n_bins)
        cumulative = [0, *(below.at(r) for r in bounds[1:-1]), total]
        bins = {}
        for b in range(n_bins):
            if cumulative[b + 1] > cumulative[b]:
                bins[b] = cumulative[b + 1] - cumulative[b]
        return Histogram(total, lo, hi, bins)


class _Below:
    """The selected rows ranked below a rank, from the nearest cut, for one mask."""

    def __init__(self, index: BinnedValues, bits: PackedMask, total: int) -> None:
        self.index, self.bits, self.total = index, bits, total
        self.anchors = [0, *index.cut_ranks, len(index.rows.values)]
        self.known: dict[int, int] = {0: 0, len(self.anchors) - 1: total}

    def _anchor(self, i: int) -> int:
        """The selected rows below anchor ``i`` (a popcount of its cut, kept)."""
        found = self.known.get(i)
        if found is None:
            index, cut = self.index, i - 1
            found = index.cut_counts[cut].total(self.bits)
            if cut >= index.upper_from:
                found = self.total - found
            self.known[i] = found
        return found

    def _selected(self, start: int, stop: int) -> np.ndarray:
        return np.take(self.bits.mask, self.index.rows.positions[start:stop])

    def at(self, rank: int) -> int:
        """The selected rows ranked below ``rank``."""
        i = bisect.bisect_right(self.anchors, rank) - 1  # anchors[i] <= rank
        if i + 1 < len(self.anchors) and self.anchors[i + 1] - rank < rank - self.anchors[i]:
            i += 1
        anchor = self.anchors[i]
        if anchor <= rank:
            return self._anchor(i) + int(np.count_nonzero(self._selected(anchor, rank)))
        return self._anchor(i) - int(np.count_nonzero(self._selected(rank, anchor)))

    def _span(self, count: int) -> tuple[int, int]:
        """Consecutive anchors with at most ``count`` selected rows below the first and more
        below the second (binary search over the cuts)."""
        low, high = 0, len(self.anchors) - 1
        while high - low > 1:
            mid = (low + high) // 2
            if self._anchor(mid) > count:
                high = mid
            else:
                low = mid
        return self.anchors[low], self.anchors[high]

    def first(self) -> int:
        """The rank of the first selected row (there is one)."""
        head = self._selected(0, _PROBE)
        if head.any():
            return int(np.argmax(head))
        start, stop = self._span(0)
        return start + int(np.argmax(self._selected(start, stop)))

    def last(self) -> int:
        """The rank of the last selected row (there is one)."""
        size = self.anchors[-1]
        tail = self._selected(max(size - _PROBE, 0), size)
        if not tail.any():
            start, size = self._span(self.total - 1)
            tail = self._selected(start, size)
        return size - 1 - int(np.argmax(tail[::-1]))


def _bin_bounds(
    values: np.ndarray, lo: float, hi: float, first: int, last: int, n_bins: int
) -> list[int]:
    """The first rank of each bin among ``values[first:last + 1]`` (and ``last + 1``): from
    the bin edges ``lo + b * width`` by binary search, each checked with the exact formula
    (rounding can move a bound by a row), else found by bisection on it."""

    def bin_at(i: int) -> int:
        return bin_of(float(values[i]), lo, hi, n_bins)

    with np.errstate(over="ignore", invalid="ignore"):  # a guess: checked below
        edges = lo + np.arange(1, n_bins) * bin_width(lo, hi, n_bins)
    guesses = (np.searchsorted(values[first : last + 1], edges, side="left") + first).tolist()
    bounds = [first]
    for b, guess in enumerate(guesses, start=1):
        at = min(max(guess, bounds[-1]), last + 1)
        if not ((at == bounds[-1] or bin_at(at - 1) < b) and (at > last or bin_at(at) >= b)):
            at = bisect.bisect_left(range(last + 1), b, bounds[-1], last + 1, key=bin_at)
        bounds.append(at)
    bounds.append(last + 1)
    return bounds
