"""Where a selection stands in a view: the position of its first sample among the pages of
a filter in one sort, and how many of its samples the filter shows and hides.

A selection made elsewhere than the grid (a lasso on the map, a duplicate group, a
notebook's ``session.select``) is brought into view: the grid scrolls to this position and
says how many selected samples the filter hides."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..plan.planner import Strategy, forced, plan_position
from ..query.filter_conditions import Params, checked_id_array
from ..query.filter_parser import parse_filter
from ..query.filters import compile_parsed
from ..query.sample_sort import SampleSort, parse_sample_sort, sort_key_sql
from ..store.catalog import Catalog
from ..tables.labels_view import labels_at


def selection_position(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    ids: Any,
    *,
    sort: SampleSort | str | None = None,
    order: str | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """Of the samples ``ids``: ``index``, the position (from 0) of the first of them in the
    pages of ``spec`` sorted by ``sort`` / ``order`` (the samples page's order: NULLs last,
    ties by sample id), and ``sample_id``, that sample (both None when the filter shows none
    of them); ``shown``, how many of them the filter shows; ``hidden``, how many others are
    samples of the dataset (ids of no sample are not counted). ``version``: the labels as
    they were at that saved version. ``sort``: typed, or a word parsed here with ``order``."""
    wanted = np.unique(checked_id_array(ids))
    typed = sort if isinstance(sort, SampleSort) else parse_sample_sort(sort, order)
    direction = typed.direction
    with catalog.cursor() as cur, labels_at(catalog, cur, dataset, version):
        dataset_id = catalog.dataset_id(cur, dataset)
        flt = compile_parsed(dataset_id, parse_filter(spec), shortcuts=not forced())
        plan = plan_position(flt.model, typed)
        assert plan.strategies == (Strategy.SQL,)  # the one route: this statement
        key_params = Params()
        key = sort_key_sql(typed, key_params)
        # The ranks are those of the whole filtered view (a sample's position in its
        # pages), so every filtered sample is ranked before the wanted ones are kept.
        row = cur.execute(
            f"""
            WITH wanted AS (SELECT unnest(?::BIGINT[]) AS sample_id),
            ranked AS (
                SELECT s.sample_id,
                       row_number() OVER (
                           ORDER BY {key} {direction} NULLS LAST, s.sample_id ASC) - 1 AS pos
                FROM samples s WHERE {flt.where}),
            shown AS (SELECT r.sample_id, r.pos FROM ranked r JOIN wanted USING (sample_id))
            SELECT
                (SELECT count(*) FROM samples s JOIN wanted USING (sample_id)
                 WHERE s.dataset_id = ?),
                (SELECT count(*) FROM shown),
                (SELECT arg_min(sample_id, pos) FROM shown),
                (SELECT min(pos) FROM shown)
            """,  # noqa: S608 - compiled, parameterized
            [wanted.tolist(), *key_params.values, *flt.params, dataset_id],
        ).fetchone()
    present, shown, first, index = row if row is not None else (0, 0, None, None)
    return {
        "index": None if index is None else int(index),
        "sample_id": None if first is None else int(first),
        "shown": int(shown),
        "hidden": int(present) - int(shown),
    }
