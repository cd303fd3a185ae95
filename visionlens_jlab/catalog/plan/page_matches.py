"""Which boxes of a samples page meet the filter's label conditions (each box's ``match``
flag, :func:`..reads.label_reads.annotations_for`), with the registered backends' help.

The match is the filter's label conditions compiled over each box of the page
(:func:`..query.filters.label_match_sql`). A condition on a box field computed from the
whole dataset (``track_length``: the objects of the box's track) made DuckDB compute it
for every tracked object of the dataset to flag a page's few hundred boxes: 180 ms of a
200 ms page at 2M frames (``benchmarks/results/browse.md``). A label condition whose
backend (:class:`.planner.LabelBackend`) has a ``boxes`` answer is flagged from it instead:
the ids of the page's boxes that meet it, bound into the SQL. The SQL answers every other
condition, and all of them when the plan is forced (:func:`.planner.forced`: the reference,
or a saved version's labels, which no index holds).
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..query.filter_model import Filter, LabelCondition
from ..query.filters import Params, label_match_sql
from .planner import forced, label_backend


def page_match(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, flt: Filter, sample_ids: list[int]
) -> tuple[str, list[Any]] | None:
    """SQL true for a box ``a`` of ``sample_ids`` (a page) that meets one of ``flt``'s label
    conditions, and its values; None when the filter has no label condition."""

    def kept(label: LabelCondition) -> list[int] | None:
        backend = None if forced() else label_backend(label)
        if backend is None or backend.boxes is None:
            return None
        return backend.boxes(cur, dataset_id, label, sample_ids)

    params = Params()
    sql = label_match_sql(flt, params, kept)
    return None if sql is None else (sql, params.values)
