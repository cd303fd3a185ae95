"""Distinct values of large integer arrays without ``np.unique``'s hash table.

Since numpy 2.3 ``np.unique`` finds the distinct values of integers with a hash table. On
this project's 2-core machines that falls off a cliff between 16K and 32K values (100K ids:
130-400 ms against under 1 ms for a sort: benchmarks/results/unique.md), and ids, pair keys
and ranks often number 100K-1M. Every layer may import this module: it needs numpy only.
"""

from __future__ import annotations

import numpy as np


def unique_ints(array: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-D integer ``array``; ``array`` itself when it
    already is sorted and distinct (ids on the wire and from the server are: no copy, one
    O(n) check)."""
    if len(array) < 2 or bool((array[1:] > array[:-1]).all()):
        return array
    ordered = np.sort(array)
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def unique_small_ints(array: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-D array of small non-negative integers (ranks,
    class indices): one O(n) count per value up to the maximum, no sort."""
    if len(array) == 0:
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(np.bincount(array))
