"""Histograms of a float column over a sample mask from cuts of bit levels
(catalog/base/mask_counts.py ``BinnedValues``) against plain numpy: ties, NaN rows, infinities,
ranges past the largest double, one value, rows of one sample or several, masks from
empty to full, masks of only the lowest or highest rows (the range is found by a search
over the cuts), and any number of cuts."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from visionlens_jlab.catalog.base.bit_levels import PackedMask
from visionlens_jlab.catalog.base.mask_counts import BinnedValues, Histogram, SortedValues, bin_of

from .test_bit_levels import masks

N = 2000


def reference(
    values: np.ndarray, positions: np.ndarray, mask: np.ndarray, n_bins: int
) -> Histogram:
    """The selected rows' values binned one by one."""
    selected = values[mask[positions] & ~np.isnan(values)]
    if not len(selected):
        return Histogram(0, None, None, {})
    lo, hi = float(selected.min()), float(selected.max())
    bins = Counter(bin_of(float(v), lo, hi, n_bins) for v in selected.tolist())
    return Histogram(len(selected), lo, hi, dict(bins))


def values_of(rng: np.random.Generator, size: int, kind: str) -> np.ndarray:
    if kind == "uniform":
        return rng.random(size)
    if kind == "ties":
        return rng.integers(-3, 9, size).astype(float)
    if kind == "one":
        return np.full(size, 640.0)
    if kind == "nan":
        out = rng.normal(0, 1e3, size)
        out[rng.random(size) < 0.2] = np.nan
        return out
    if kind == "inf":
        out = rng.random(size)
        out[rng.random(size) < 0.01] = np.inf
        out[rng.random(size) < 0.01] = -np.inf
        return out
    if kind == "huge":
        return rng.choice([-1e308, -1.0, 0.0, 2.5, 1e308], size)
    assert kind == "outliers"  # most rows equal, a few far away
    out = np.full(size, 0.5)
    few = rng.random(size) < 0.005
    out[few] = rng.normal(0, 1e6, int(few.sum()))
    return out


KINDS = ["uniform", "ties", "one", "nan", "inf", "huge", "outliers"]


def edge_masks(values: np.ndarray, positions: np.ndarray) -> list[np.ndarray]:
    """The samples whose rows are all among the highest (or lowest) 15 % of the values."""
    order = np.argsort(np.nan_to_num(values, nan=0.0), kind="stable")
    out = []
    for wanted in (order[-len(order) * 15 // 100 :], order[: len(order) * 15 // 100]):
        keep = np.zeros(N, dtype=bool)
        keep[positions[wanted]] = True
        keep[positions[np.setdiff1d(np.arange(len(values)), wanted)]] = False
        out.append(keep)
    return out


@pytest.mark.parametrize("cuts", [1, 16, 5000])
@pytest.mark.parametrize("per_sample", [1, 3])
@pytest.mark.parametrize("kind", KINDS)
def test_histogram_is_the_selected_rows_binned(kind: str, per_sample: int, cuts: int) -> None:
    rng = np.random.default_rng([KINDS.index(kind), per_sample, cuts])
    size = N * per_sample
    values = values_of(rng, size, kind)
    if per_sample == 1:
        positions = np.arange(N, dtype=np.int32)
    else:  # boxes: samples with none, some with many
        positions = rng.integers(0, N, size).astype(np.int32)
        positions[rng.random(size) < 0.05] = 7
    rows = SortedValues.of(values, positions)
    for n_bins in (20, 3, 1):
        index = BinnedValues.of(rows, N, n_bins, cuts)
        for mask in [*masks(rng, N), *edge_masks(values, positions)]:
            expected = reference(values, positions, mask, n_bins)
            assert index.histogram(PackedMask.of(mask), n_bins) == expected


def test_cuts_fall_at_the_first_row_of_a_value() -> None:
    """A column of few distinct values gets its cuts at value runs, so that every bound
    of a bin is a cut; a column of one value has none."""
    rng = np.random.default_rng(5)
    rows = SortedValues.of(values_of(rng, N, "ties"), np.arange(N, dtype=np.int32))
    index = BinnedValues.of(rows, N, 20, 64)
    starts = set(np.flatnonzero(np.diff(rows.values)) + 1)
    assert index.cut_ranks and set(index.cut_ranks) <= starts
    one = SortedValues.of(values_of(rng, N, "one"), np.arange(N, dtype=np.int32))
    assert BinnedValues.of(one, N, 20).cut_ranks == []


def test_no_rows() -> None:
    rows = SortedValues.of(np.full(10, np.nan), np.arange(10, dtype=np.int32))
    index = BinnedValues.of(rows, 10, 20)
    assert index.histogram(PackedMask.of(np.ones(10, dtype=bool)), 20) == Histogram(
        0, None, None, {}
    )
