"""The executor of page plans: runs a plan's routes in order until one answers.

Each route is one function of :mod:`.sorted_pages` (the mask route), :mod:`.summary_pages`
or :mod:`..sql.box_ranges`; None from a route (its structure is not current, or the
request is not of its shape after all) passes to the next one. The last route, SQL, is the
caller's (:mod:`..reads.queries`): it also reads the page's rows in the same statement.
"""

from __future__ import annotations

import duckdb

from ..query.filter_model import Filter
from ..query.sample_sort import SampleSort
from ..sql import box_ranges
from ..store.catalog import Catalog
from .planner import Plan, Strategy
from .sorted_pages import sorted_page
from .summary_pages import dense_page, field_page, ids_page, label_page, summary_sorted_page


def run_page(
    plan: Plan,
    catalog: Catalog,
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    flt: Filter,
    offset: int,
    limit: int,
) -> tuple[int, list[int]] | None:
    """(exact total, the page's ids in order) from the first route of ``plan`` (from
    :func:`.planner.plan_page`, sorted by the plan's sort) before SQL that answers, or
    None: the SQL answers."""
    sort = plan.sort
    assert isinstance(sort, SampleSort)  # a plan of a samples page
    direction = sort.direction
    for route in plan.routes:
        s = route.strategy
        if s is Strategy.SQL:
            return None
        if s is Strategy.MASK:
            found = sorted_page(catalog, cur, dataset_id, flt, sort, offset, limit)
        elif s is Strategy.DENSE_RANGE:
            found = dense_page(cur, dataset_id, direction, offset, limit)
        elif s is Strategy.SUMMARY_SORT:
            found = summary_sorted_page(cur, dataset_id, route.parts[0], offset, limit)
        elif s is Strategy.ID_RANGE:
            assert flt.ids is not None  # planned for an id set
            found = ids_page(cur, dataset_id, flt.ids, direction, offset, limit)
        elif s is Strategy.FIELD_ROWS:
            found = field_page(cur, dataset_id, route.parts[0], direction, offset, limit)
        elif s is Strategy.LABEL_SUMMARY:
            found = label_page(cur, dataset_id, route.parts[0], direction, offset, limit)
        elif s is Strategy.VALUE_LISTS:
            label = route.parts[0]
            box_ranges.ensure(catalog, cur, dataset_id, label.two_bounds[0])  # once
            found = box_ranges.range_page(cur, dataset_id, label, direction, offset, limit)
        else:
            raise ValueError(f"no page route {s}")
        if found is not None:
            return found
    return None
