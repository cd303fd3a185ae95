"""Figures repeated over rounds, reported as median (min–max) without rewriting the report.

``aggregate`` folds the rounds' results (dicts, tuples, numbers) into one result of the same
shape whose varying numbers are :class:`Ranged`: floats equal to the median that print as
``median (min–max)`` under any format spec, so a report written for one run shows the
rounds' spread as it is.
"""

from __future__ import annotations

import statistics
from typing import Any


class Ranged(float):
    """A median that prints as ``median (min–max)`` over the rounds in any format spec."""

    low: float
    high: float

    def __format__(self, spec: str) -> str:
        return (
            f"{float(self):{spec}} ({format(self.low, spec)}–{format(self.high, spec)})"
            if spec
            else f"{float(self)} ({self.low}–{self.high})"
        )


def aggregate(values: list[Any]) -> Any:
    """The rounds' values of one figure: itself when equal, a :class:`Ranged` median for
    numbers, and item by item for dicts, tuples and lists."""
    first = values[0]
    if isinstance(first, dict):
        return {k: aggregate([v[k] for v in values]) for k in first}
    if isinstance(first, tuple | list):
        return type(first)(aggregate([v[i] for v in values]) for i in range(len(first)))
    if all(v == first for v in values) or not isinstance(first, int | float):
        return first
    out = Ranged(statistics.median(values))
    out.low, out.high = min(values), max(values)
    return out
