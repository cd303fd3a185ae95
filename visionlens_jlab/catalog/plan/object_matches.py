"""Which objects meet the filter's label conditions, for the views that show objects: each
box's ``match`` flag on a samples page (:func:`..reads.label_reads.annotations_for`), the
patches view's objects and the track tiles' objects, with the registered backends' help.

The match is the filter's label conditions compiled over each object ``a``
(:func:`..query.filters.label_match_sql`). A condition on a box field computed from the
whole dataset (``track_length``: the objects of the box's track) made DuckDB compute it
for every tracked object of the dataset: 180 ms of a 200 ms page at 2M frames
(``benchmarks/results/browse.md``). A label condition whose backend
(:class:`.planner.LabelBackend`) has an ``objects`` answer is compiled as that instead:
other SQL over ``a`` with the same truth, from an in-memory index (``track_length``: the
object's source and track among the tracks the index knows to be within the bounds). The
definition answers every other condition, and all of them when the plan is forced
(:func:`.planner.forced`: the reference, or a saved version's labels, which no index
holds).
"""

from __future__ import annotations

import duckdb

from ..query.filter_model import Filter, LabelCondition
from ..query.filters import Params, label_match_sql
from .planner import forced, label_backend


def object_match(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    flt: Filter,
    params: Params,
    version: int | None = None,
) -> str | None:
    """SQL true for an object ``a`` that meets one of ``flt``'s label conditions, its values
    bound into ``params`` in text order; None when the filter has no label condition.
    ``version``: the labels read are a saved version's (the definitions answer)."""

    def answered(label: LabelCondition, into: Params) -> str | None:
        backend = None if forced(version) else label_backend(label)
        if backend is None or backend.objects is None:
            return None
        return backend.objects(cur, dataset_id, label, into)

    return label_match_sql(flt, params, answered)
