"""Samples pages answered without joining the samples table: the routes of a page plan
(:func:`.planner.plan_page`) that browsing at 1M sends most, where the summaries alone (or
the ids' layout) give the exact total and page.

Measured at 1M images (benchmarks/results/browse.md): the semi-join of 1M samples with
the matching summary rows cost 100-300 ms, a scan of the summary rows alone 10-40 ms. So:

* ``DENSE_RANGE``: no filter, by sample id: a dataset's ids are ``sample_base + index``;
  when they are dense (max - min + 1 = count) the page at any offset is a range of ids,
  not a top-N of ``offset + limit`` rows;
* ``LABEL_SUMMARY``: one label filter that :func:`~.summary_filters.label_summary`
  compiles exactly, by sample id: the page and total straight from the summary table
  (distinct ids where a sample can have several rows);
* ``VALUE_LISTS``: one label filter with two bounds on a box field (:mod:`.box_ranges`);
* ``FIELD_ROWS``: one condition on a sample field ``fields.<key>`` (:mod:`.field_index`),
  by sample id: the page and total straight from the index rows;
* ``ID_RANGE``: an id set over dense ids;
* ``SUMMARY_SORT``: no filter, sorted by ``box_count.<source>`` descending or ``box_max``
  / ``box_min`` of a field of one source: the top of the summary rows with a non-NULL
  key, when the page lies within them (samples without such a row sort after them: count
  0 or NULL, NULLS LAST).

Each returns None when it cannot answer and the executor takes the next route. The
randomised tests in ``tests/test_box_summaries.py`` compare them with the SQL.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np

from ..query.filter_model import LabelCondition, SampleCondition
from ..query.filters import Params, field_rows_sql, source_clause
from ..query.sample_sort import SampleSort
from ..query.summary_filters import label_summary


def label_page(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    label: LabelCondition,
    direction: str,
    offset: int,
    limit: int,
) -> tuple[int, list[int]] | None:
    """A label condition from its summary table, or None when no summary answers it."""
    params = Params([dataset_id])
    found = label_summary(label, dataset_id, params.add, lambda s: source_clause(s, params))
    if found is None:
        return None
    where = " AND ".join(["a.dataset_id = ?", *found.where])
    unique = found.unique or (found.probe is not None and found.probe(cur))
    ids = "a.sample_id" if unique else "DISTINCT a.sample_id"
    matched = f"SELECT {ids} AS sample_id FROM {found.table} a WHERE {where}"  # noqa: S608 - fixed identifiers
    return _matched_page(cur, matched, params.values, direction, offset, limit)


def _matched_page(
    cur: duckdb.DuckDBPyConnection,
    matched: str,
    values: list[Any],
    direction: str,
    offset: int,
    limit: int,
) -> tuple[int, list[int]]:
    """The total and page of the distinct sample ids that query ``matched`` returns."""
    rows = cur.execute(
        f"""
        WITH matched AS MATERIALIZED ({matched})
        SELECT (SELECT COUNT(*) FROM matched),
               (SELECT list(sample_id) FROM (SELECT sample_id FROM matched
                ORDER BY sample_id {direction} LIMIT ? OFFSET ?))
        """,  # noqa: S608 - compiled, values bound
        [*values, limit, offset],
    ).fetchall()
    return int(rows[0][0]), [int(i) for i in rows[0][1] or []]


def field_page(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    one: SampleCondition,
    direction: str,
    offset: int,
    limit: int,
) -> tuple[int, list[int]] | None:
    """One condition on a ``fields.<key>`` that needs a value: its samples are the index
    rows that meet it (one row per sample and key), no join of the samples."""
    params = Params()
    found = field_rows_sql(dataset_id, one, params)
    if found is None or not found[1]:
        return None
    return _matched_page(cur, found[0], params.values, direction, offset, limit)


def ids_page(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    ids: np.ndarray,
    direction: str,
    offset: int,
    limit: int,
) -> tuple[int, list[int]] | None:
    """An id set over a dataset of dense ids: its members within the ids' range are the
    matches, counted and paged here without a semi-join of the samples."""
    n, lo, hi = _id_range(cur, dataset_id)
    if n == 0 or hi - lo + 1 != n:
        return None if n else (0, [])
    matched = ids
    # a selection sent in id order (the usual one) is already a set: no sort of 100K ids
    if len(matched) > 1 and not bool(np.all(matched[1:] > matched[:-1])):
        matched = np.unique(matched)
    matched = matched[(matched >= lo) & (matched <= hi)]
    if direction == "DESC":
        matched = matched[::-1]
    return len(matched), [int(i) for i in matched[offset : offset + limit]]


def _id_range(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> tuple[int, int, int]:
    n, lo, hi = cur.execute(
        "SELECT COUNT(*), MIN(sample_id), MAX(sample_id) FROM samples WHERE dataset_id = ?",
        [dataset_id],
    ).fetchall()[0]
    return int(n), int(lo or 0), int(hi or 0)


def dense_page(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, direction: str, offset: int, limit: int
) -> tuple[int, list[int]] | None:
    """Every sample by id: a range of ids when they are dense, else None."""
    n, lo, hi = _id_range(cur, dataset_id)
    if n == 0:
        return 0, []
    if hi - lo + 1 != n:  # ids with gaps: the general statement
        return None
    if direction == "DESC":
        first = hi - offset
        return int(n), list(range(first, max(first - limit, lo - 1), -1))
    first = lo + offset
    return int(n), list(range(first, min(first + limit, hi + 1)))


def summary_sorted_page(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    sort: SampleSort,
    offset: int,
    limit: int,
) -> tuple[int, list[int]] | None:
    """Every sample sorted by a box summary of one source, from the summary rows with a
    key, or None when the page reaches the samples without one."""
    column, source, direction = _sort_column(sort), sort.source, sort.direction
    params = Params([dataset_id])
    where = f"a.dataset_id = ? AND {source_clause(source, params)} AND {column} IS NOT NULL"
    rows = cur.execute(
        f"""
        SELECT (SELECT COUNT(*) FROM samples WHERE dataset_id = ?),
               (SELECT COUNT(*) FROM box_summaries a WHERE {where}),
               (SELECT list(sample_id) FROM (SELECT a.sample_id FROM box_summaries a
                WHERE {where} ORDER BY {column} {direction}, a.sample_id ASC LIMIT ? OFFSET ?))
        """,  # noqa: S608 - fixed identifiers, values bound
        [dataset_id, *params.values, *params.values, limit, offset],
    ).fetchall()
    total, keyed, ids = rows[0]
    if offset + limit > keyed and keyed < total:  # the page reaches samples without a key
        return None
    return int(total), [int(i) for i in ids or []]


def _sort_column(sort: SampleSort) -> str:
    """The summary column of a box summary the planner found the summary rows order
    exactly (:func:`.planner.plan_page`): the count, or the field's maximum / minimum."""
    if sort.kind == "box_count":
        return "a.n"
    return f"a.{sort.name}_{sort.kind[4:]}"
