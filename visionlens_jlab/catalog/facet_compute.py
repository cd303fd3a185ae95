"""Facet computation over a filter's samples: two statements on one cursor.

One statement reads the filtered samples' columns into Arrow, one computes every built-in
facet from them and from their boxes (:mod:`.facet_sql`). Used by :mod:`.facets` for a
request and by :mod:`.facet_parts` for the pre-aggregated unfiltered view (the same code,
so the same numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

from .facet_index import BoxIndex
from .facet_indexed import indexed_facets
from .facet_sql import (
    CATEGORICAL,
    FACET_HISTOGRAM_BINS,
    JSON,
    NUMERIC,
    facets_sql,
    samples_table_sql,
)
from .filters import CompiledFilter
from .schema import GROUND_TRUTH


@dataclass(frozen=True)
class _Facet:
    name: str
    kind: int
    source: str | None = None


def facets_over(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    flt: CompiledFilter,
    fields: list[str],
    sources: list[str],
    attributes: list[str],
    some_sources: bool = False,
    boxes: BoxIndex | None = None,
    spec: Mapping[str, Any] | None = None,
    on_mask: Callable[[np.ndarray], None] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The built-in facets of ``flt``'s samples (sample columns and tags always, the given
    fields, sources and attributes), and how many samples; the samples stay registered as
    ``_facet_samples`` on ``cur`` for the providers. ``some_sources``: ``sources`` is a
    subset of the dataset's (only their boxes are read). ``boxes``: the dataset's box index
    (:mod:`.facet_index`), which then answers instead of the box scan, with the same
    numbers (:mod:`.facet_indexed`; ``spec``: the filter ``flt`` was compiled from;
    ``on_mask``: given the index's mask of the samples when the index answered)."""
    if boxes is not None:
        fast = indexed_facets(
            cur, dataset_id, flt, spec, fields, sources, attributes, boxes, _sql_entries,
            numeric_entry, some_sources and bool(sources), on_mask,
        )  # fmt: skip
        if fast is not None:
            return fast
    # Arrow rather than a temp table: as fast to build, its row count is the total, and
    # nothing needs dropping after (the registration ends with the cursor).
    sql, params = samples_table_sql(flt.where, fields)
    samples = cur.sql(sql, params=[*params, *flt.params]).to_arrow_table()
    cur.register("_facet_samples", samples)
    sql, named = facets_sql(
        len(fields),
        dataset_id,
        sources,
        attributes,
        samples.num_rows,
        whole_dataset=flt.whole_dataset,
        some_sources=some_sources,
    )
    rows = cur.execute(sql, named).fetchall()
    return _assemble(_plan(fields, sources, attributes), rows), samples.num_rows


def _sql_entries(
    fields: list[str], attributes: list[str], rows: list[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """The entries of a :mod:`.facet_sql` statement over no source."""
    return _assemble(_plan(fields, [], attributes), rows)


def _plan(fields: list[str], sources: list[str], attributes: list[str]) -> list[_Facet]:
    """The facets in output order; a facet's number ``f`` in the SQL is its index here."""
    plan = [
        _Facet("split", CATEGORICAL),
        _Facet("width", NUMERIC),
        _Facet("height", NUMERIC),
        _Facet("tags", CATEGORICAL),
    ]
    plan += [_Facet(f"fields.{k}", JSON) for k in fields]
    for source in sources:  # three numbers per source, the score's unused for ground truth
        plan += [
            _Facet("label", CATEGORICAL, source),
            _Facet("box_count", NUMERIC, source),
            _Facet("score", NUMERIC, source),
        ]
    plan += [_Facet(f"attributes.{k}", JSON) for k in attributes]
    return plan


def _assemble(plan: list[_Facet], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The facets in ``plan`` order from the rows of the :mod:`.facet_sql` statements."""
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
        width = (hi - lo) / FACET_HISTOGRAM_BINS or 1.0
        n_bins = FACET_HISTOGRAM_BINS if hi > lo else 1
        bins = [
            {
                "lo": lo + i * width,
                "hi": lo + (i + 1) * width if hi > lo else hi,
                "count": counts.get(i, 0),
            }
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
