"""The distinct values of integer arrays equal ``np.unique``'s, without its hash table."""

from __future__ import annotations

import numpy as np
import pytest

from visionlens_jlab.int_unique import unique_ints, unique_small_ints

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "values",
    [
        RNG.integers(-(2**40), 2**40, 50_000),
        RNG.integers(0, 1_000, 50_000),  # mostly repeats
        RNG.integers(0, 10**12, 30_000).repeat(3),  # pair keys, each three times
        np.array([7, 7, 7]),
        np.array([3, 1, 2]),
        np.array([5]),
        np.empty(0),
    ],
)
def test_unique_ints_equals_np_unique(values: np.ndarray) -> None:
    values = values.astype(np.int64)
    got = unique_ints(values)
    assert got.dtype == np.int64
    assert got.tolist() == np.unique(values).tolist() == sorted(set(values.tolist()))


def test_sorted_distinct_ids_pass_through_without_a_copy() -> None:
    ids = np.arange(1, 100_001, dtype=np.int64) * 3
    assert unique_ints(ids) is ids
    assert unique_ints(np.array([1, 1, 2])).tolist() == [1, 2]  # sorted, not distinct


@pytest.mark.parametrize(
    "values",
    [RNG.integers(0, 100, 200_000), np.array([0]), np.array([4, 4, 2]), np.empty(0)],
)
def test_unique_small_ints_equals_np_unique(values: np.ndarray) -> None:
    values = values.astype(np.int64)
    assert unique_small_ints(values).tolist() == np.unique(values).tolist()
