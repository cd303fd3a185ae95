"""Facet entries (the JSON of a facet) from the rows of the :mod:`.facet_sql` statements.

Shared by the SQL path (:mod:`.facet_compute`), the field index's facets
(:mod:`.field_facets`) and the in-memory indexes, so that every path builds an entry the
same way (one numeric entry builder: the same bins from the same range and counts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..base.mask_counts import bin_of, bin_width
from ..store.schema import GROUND_TRUTH
from .facet_sql import FACET_HISTOGRAM_BINS, NUMERIC


@dataclass(frozen=True)
class Facet:
    """One facet of a statement's plan: its entry name, kind (:mod:`.facet_sql`'s
    ``CATEGORICAL``, ``NUMERIC`` or ``JSON``) and box source (None: a sample facet)."""

    name: str
    kind: int
    source: str | None = None


def assemble_entries(plan: list[Facet], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The facets in ``plan`` order from the rows of a :mod:`.facet_sql` statement (facet
    ``f`` of the rows is ``plan[f]``)."""
    ranges: dict[int, tuple[int, Any, Any, bool]] = {}
    counts: dict[int, list[tuple[int, Any, int]]] = {}
    hist: dict[int, dict[int, int]] = {}
    for row_type, f, sv, n, lo, hi, extra in rows:
        if row_type == "r":
            ranges[f] = (int(n), lo, hi, bool(extra))
        elif row_type == "c":
            counts.setdefault(f, []).append((int(extra), sv, int(n)))
        else:
            hist.setdefault(f, {})[int(extra)] = int(n)
    out: list[dict[str, Any]] = []
    for f, facet in enumerate(plan):
        if facet.name == "score" and facet.source == GROUND_TRUTH:
            continue
        count, lo, hi, numeric = ranges.get(f, (0, None, None, facet.kind == NUMERIC))
        if numeric:
            entry = numeric_entry(facet.name, count, lo, hi, hist.get(f, {}))
        else:
            values = sorted(counts.get(f, []), key=lambda c: c[0])
            entry = {
                "name": facet.name,
                "type": "categorical",
                "values": [{"value": v, "count": c} for _, v, c in values],
            }
        if facet.source is not None:
            entry["source"] = facet.source
        out.append(entry)
    return out


def numeric_entry(
    name: str, count: int, lo: Any, hi: Any, counts: dict[int, int]
) -> dict[str, Any]:
    """A numeric facet entry from its value count, range and non-empty bins' counts."""
    bins: list[dict[str, Any]] = []
    if count and lo is not None and hi is not None:
        lo, hi = float(lo), float(hi)
        # the same width as the SQL's, so that bin i is [lo + i*width, lo + (i+1)*width)
        width = bin_width(lo, hi, FACET_HISTOGRAM_BINS)
        n_bins = FACET_HISTOGRAM_BINS if hi > lo else 1

        def edge(i: int) -> float:
            # from the top where lo + i * width is past the largest double (a range of
            # about ±1e308): the same edge, written from the other end
            at = lo + i * width
            return at if math.isfinite(at) else hi - (FACET_HISTOGRAM_BINS - i) * width

        bins = [
            {"lo": edge(i), "hi": edge(i + 1) if hi > lo else hi, "count": counts.get(i, 0)}
            for i in range(n_bins)
        ]
    return {
        "name": name,
        "type": "numeric",
        "min": lo,
        "max": hi,
        "count": count,
        "histogram": bins,
    }


def integer_counts_entry(name: str, counts: dict[int, int]) -> dict[str, Any]:
    """A numeric facet entry of whole-number ``{value: count}`` counted in Python (a track's
    length, an identity-switch count), binned over its own range as the SQL's are."""
    if not counts:
        return numeric_entry(name, 0, None, None, {})
    lo, hi = float(min(counts)), float(max(counts))
    bins: dict[int, int] = {}
    for value, n in counts.items():
        at = bin_of(float(value), lo, hi, FACET_HISTOGRAM_BINS)
        bins[at] = bins.get(at, 0) + n
    return numeric_entry(name, sum(counts.values()), lo, hi, bins)
