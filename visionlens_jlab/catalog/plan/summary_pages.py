"""Samples pages answered without joining the samples table: the shapes of request that
browsing at 1M sends most, where the summaries alone (or the ids' layout) give the exact
total and page.

Measured at 1M images (benchmarks/results/browse.md): the semi-join of 1M samples with
the matching summary rows cost 100-300 ms, a scan of the summary rows alone 10-40 ms. So:

* no filter, by sample id: a dataset's ids are ``sample_base + index``; when they are
  dense (max - min + 1 = count) the page at any offset is a range of ids, not a top-N of
  ``offset + limit`` rows;
* one label filter that :func:`~.summary_filters.label_summary` compiles exactly, by sample
  id: the page and total straight from the summary table (distinct ids where a sample can
  have several rows);
* one label filter with two bounds on a box field (:mod:`.box_ranges`), by sample id:
  from the value lists, when built;
* one condition on a sample field ``fields.<key>`` (:mod:`.field_index`), by sample id:
  the page and total straight from the index rows;
* no filter, sorted by ``box_count.<source>`` descending or ``box_max`` / ``box_min`` of a
  field of one source: the top of the summary rows with a non-NULL key, when the page lies
  within them (samples without such a row sort after them: count 0 or NULL, NULLS LAST).

Anything else returns None and the caller runs the general statement. The randomised tests
in ``tests/test_summary_pages.py`` compare both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import numpy as np

from ..query.filters import Params, active_conditions, field_rows_sql, source_clause
from ..query.summary_filters import SUMMARY_FIELDS, SummaryClause, label_summary
from ..sql import box_ranges


def summary_page(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    spec: Mapping[str, Any] | None,
    sort: str | None,
    direction: str,
    offset: int,
    limit: int,
) -> tuple[int, list[int]] | None:
    """(exact total, the page's sample ids in order) of a compiled-and-checked filter, or
    None when this request has no summary shape."""
    spec = spec or {}
    active = active_conditions(spec)
    if not active:
        if not sort or sort == "sample_id":
            return _dense_page(cur, dataset_id, direction, offset, limit)
        return _sorted_page(cur, dataset_id, sort, direction, offset, limit)
    if sort not in (None, "", "sample_id"):
        return None
    if active == {"ids"}:
        return _ids_page(cur, dataset_id, spec["ids"], direction, offset, limit)
    if active == {"sample"}:
        return _field_page(cur, dataset_id, spec["sample"], direction, offset, limit)
    labels = spec.get("labels")
    if active != {"labels"}:
        return None
    if isinstance(labels, list):
        if len(labels) != 1:
            return None
        labels = labels[0]
    if not isinstance(labels, Mapping):
        return None
    params = Params([dataset_id])
    found = label_summary(labels, dataset_id, params.add, lambda s: source_clause(s, params))
    if found is None:  # two bounds on a box field: the value lists, if built
        return box_ranges.range_page(cur, dataset_id, labels, direction, offset, limit)
    where = " AND ".join(["a.dataset_id = ?", *found.where])
    unique = found.unique or _one_evaluation(cur, dataset_id, found, params.values)
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


def _field_page(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    conditions: Mapping[str, Any],
    direction: str,
    offset: int,
    limit: int,
) -> tuple[int, list[int]] | None:
    """One condition on a ``fields.<key>`` that needs a value: its samples are the index
    rows that meet it (one row per sample and key), no join of the samples."""
    if len(conditions) != 1:
        return None
    ((name, cond),) = conditions.items()
    if not name.startswith("fields.") or len(name) <= 7:
        return None
    params = Params()
    found = field_rows_sql(dataset_id, name, cond, params)
    if found is None or not found[1]:
        return None
    return _matched_page(cur, found[0], params.values, direction, offset, limit)


def _one_evaluation(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, found: SummaryClause, values: list[Any]
) -> bool:
    """True when an evaluation filter of one source and one status reads one evaluation of
    this dataset: then each sample has at most one row (no DISTINCT over 1M ids)."""
    if found.eval_keys is None:
        return False
    n_values = found.eval_keys.count("?")
    key_values = values[2 : 2 + n_values]  # after the dataset id and the source
    rows = cur.execute(
        f"SELECT COUNT(*) FROM evaluations a WHERE a.dataset_id = ? AND {found.eval_keys}",  # noqa: S608 - fixed SQL, values bound
        [dataset_id, *key_values],
    ).fetchall()
    return int(rows[0][0]) <= 1


def _ids_page(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    ids: list[int],
    direction: str,
    offset: int,
    limit: int,
) -> tuple[int, list[int]] | None:
    """An id set over a dataset of dense ids: its members within the ids' range are the
    matches, counted and paged here without a semi-join of the samples."""
    n, lo, hi = _id_range(cur, dataset_id)
    if n == 0 or hi - lo + 1 != n:
        return None if n else (0, [])
    matched = np.asarray(ids, dtype=np.int64)
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


def _dense_page(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, direction: str, offset: int, limit: int
) -> tuple[int, list[int]] | None:
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


def _sorted_page(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    sort: str,
    direction: str,
    offset: int,
    limit: int,
) -> tuple[int, list[int]] | None:
    key = _sort_column(sort, direction)
    if key is None:
        return None
    column, source = key
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


def _sort_column(sort: str, direction: str) -> tuple[str, str] | None:
    """(summary column, source) of a sort key the summary rows order exactly, or None."""
    if sort.startswith("box_count."):
        source = sort[10:]
        # samples without boxes count 0: after the others only in descending order
        if direction != "DESC" or not _one_source(source):
            return None
        return "a.n", source
    for prefix in ("box_max.", "box_min."):
        if sort.startswith(prefix):
            field, _, source = sort[len(prefix) :].partition(".")
            if field in SUMMARY_FIELDS and _one_source(source):
                return f"a.{field}_{prefix[4:7]}", source
    return None


def _one_source(source: str) -> bool:
    return bool(source) and source != "predictions"
