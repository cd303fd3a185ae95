"""Two-bound ranges on a box field (``area`` between a and b of a source), exact at 1M.

The per-sample summaries (:mod:`.box_summaries`) hold a field's max and min, which decide
one bound exactly (some box >= a <=> the max >= a) but not two: a sample with boxes of area
500 and 9000 has min <= 5000 and max >= 1000 and no box between them. The plain subquery
over the boxes cost 96-117 ms at 1M images (3M ground-truth boxes), cold.

``box_value_lists`` holds, per (dataset, field, source, sample) with a value, the values
of the sample's boxes of that source: the first :data:`FIXED` in columns ``v0`` .. ``v3``,
the others (a sample with more boxes) in the list ``rest``. A range is then a few vectorized
comparisons per row, and a list check only on the rows that have more values.

Measured at 1M images, 3M ground-truth boxes (``gt area 1000-5000``, in DuckDB, load 5):
the boxes 92-106 ms; the distinct ids of a zone-map scan of boxes sorted by value 45-60 ms
(1M boxes match); all values as a list checked with a lambda 34-39 ms; the same with a
64-bin bit set that accepts rows with a value in an inner bin and checks only the rest
24-36 ms; the four columns and the list 21-30 ms, without bins. A two-bound filter of
another source or field reads its own rows (ordered by field, source, sample).
The lists cost 1.5-2.3 s per field at 1M to build, so they are built for a (dataset,
field) on its first two-bound request (:func:`ensure`), inside a derived write, and kept
until a write changes that dataset's boxes: new predictions drop them (:func:`drop`), a
label edit lists its samples again (:func:`refresh_samples`), both through the registry of
derived structures; a delete removes them with the dataset; ingest writes a new dataset,
and tags, evaluations, computed fields do not touch boxes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from ..query.filter_model import LabelCondition
from ..query.filters import Params, source_clause
from ..store.registry import register_dataset_table
from ..tables.box_summaries import SUMMARY_FIELDS

if TYPE_CHECKING:
    from ..store.catalog import Catalog

VALUE_LISTS_DDL = """
    CREATE TABLE IF NOT EXISTS box_value_lists (
        dataset_id INTEGER NOT NULL,
        field VARCHAR NOT NULL,           -- a numeric box field (SUMMARY_FIELDS)
        source VARCHAR NOT NULL,
        sample_id BIGINT NOT NULL,
        v0 DOUBLE NOT NULL,               -- the non-NULL values of those boxes:
        v1 DOUBLE,                        -- the first four (NULL past the last),
        v2 DOUBLE,
        v3 DOUBLE,
        rest DOUBLE[]                     -- and the others (NULL when none)
    )
"""
BUILT_DDL = """
    CREATE TABLE IF NOT EXISTS box_value_fields (
        dataset_id INTEGER NOT NULL,
        field VARCHAR NOT NULL            -- box_value_lists holds this field, all sources
    )
"""
TABLES = ("box_value_lists", "box_value_fields")

FIXED = 4
"""Values kept in columns per row: every sample of up to four boxes of a source is
decided by comparisons alone (``v0 >= a AND v0 <= b OR ...``)."""

_COLUMNS = ", ".join(f"vals[{k + 1}]" for k in range(FIXED))


def ensure(catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset_id: int, field: str) -> None:
    """Build the value lists of box field ``field`` (one of ``SUMMARY_FIELDS``) that
    :func:`range_page` reads, if they are missing (not on a read-only catalog: its
    requests take the plain path)."""
    if field not in SUMMARY_FIELDS or catalog.read_only or _built(cur, dataset_id, field):
        return
    with catalog.write_derived(dataset_id) as wcur:  # the lists match the boxes they list
        if _built(wcur, dataset_id, field):  # another request built them meanwhile
            return
        _insert(wcur, dataset_id, field, None)
        wcur.execute("INSERT INTO box_value_fields VALUES (?, ?)", [dataset_id, field])


def _insert(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, field: str, samples: list[int] | None
) -> None:
    """Insert the value lists of ``field`` (every sample's, or those of ``samples``)."""
    value = f"a.{field}"  # a whitelisted column (SUMMARY_FIELDS)
    only = "" if samples is None else " AND a.sample_id IN (SELECT unnest($samples))"
    args: dict[str, object] = {"ds": dataset_id, "field": field}
    if samples is not None:
        args["samples"] = samples
    cur.execute(
        f"""
        INSERT INTO box_value_lists
        SELECT $ds, $field, source, sample_id, {_COLUMNS},
               CASE WHEN len(vals) > {FIXED} THEN vals[{FIXED + 1}:] END
        FROM (SELECT a.source, a.sample_id, list({value}) AS vals
              FROM annotations a WHERE a.dataset_id = $ds AND {value} IS NOT NULL{only}
              GROUP BY a.source, a.sample_id)
        ORDER BY source, sample_id
        """,  # noqa: S608 - whitelisted column, bound values
        args,
    )


def refresh_samples(cur: duckdb.DuckDBPyConnection, dataset_id: int, samples: list[int]) -> None:
    """Inside a write that replaced the boxes of the sample ids ``samples``: list their
    values again in every field built (rows of the other samples are unchanged)."""
    cur.execute(
        "DELETE FROM box_value_lists WHERE dataset_id = ? AND sample_id IN (SELECT unnest(?))",
        [dataset_id, samples],
    )
    for (field,) in cur.execute(
        "SELECT field FROM box_value_fields WHERE dataset_id = ?", [dataset_id]
    ).fetchall():
        if field in SUMMARY_FIELDS:  # the whitelist, never a stored text
            _insert(cur, dataset_id, field, samples)


def drop(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Inside a write that changes a dataset's boxes: its value lists are stale."""
    for table in TABLES:
        cur.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [dataset_id])  # noqa: S608 - fixed identifiers


def _built(cur: duckdb.DuckDBPyConnection, dataset_id: int, field: str) -> bool:
    return bool(
        cur.execute(
            "SELECT 1 FROM box_value_fields WHERE dataset_id = ? AND field = ?",
            [dataset_id, field],
        ).fetchall()
    )


def range_page(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    label: LabelCondition,
    direction: str,
    offset: int,
    limit: int,
) -> tuple[int, list[int]] | None:
    """(exact total, page ids) of a label condition of two bounds on one box field
    (:attr:`.filter_model.LabelCondition.two_bounds`) from the value lists, or None when
    it has not that shape or the lists are not built (checked in the same statement, so
    in the same snapshot as the lists it reads)."""
    found = label.two_bounds
    if found is None:
        return None
    field, lo, hi = found
    params = Params([dataset_id, field, dataset_id, field])
    where = source_clause(label.source, params)
    tests = []
    for k in range(FIXED):
        tests.append(f"(a.v{k} >= {params.add(lo)} AND a.v{k} <= {params.add(hi)})")
    lam = f"lambda v: v >= {params.add(lo)} AND v <= {params.add(hi)}"
    tests.append(f"(a.rest IS NOT NULL AND len(list_filter(a.rest, {lam})) > 0)")
    ids = "a.sample_id" if label.one_source else "DISTINCT a.sample_id"
    rows = cur.execute(
        f"""
        WITH built AS (SELECT COUNT(*) AS n FROM box_value_fields
                       WHERE dataset_id = ? AND field = ?),
        matched AS MATERIALIZED (
            SELECT {ids} AS sample_id FROM box_value_lists a
            WHERE a.dataset_id = ? AND a.field = ? AND {where} AND ({" OR ".join(tests)}))
        SELECT (SELECT n FROM built), (SELECT COUNT(*) FROM matched),
               (SELECT list(sample_id) FROM (SELECT sample_id FROM matched
                ORDER BY sample_id {direction} LIMIT ? OFFSET ?))
        """,  # noqa: S608 - fixed identifiers, values bound
        [*params.values, limit, offset],
    ).fetchall()
    built, total, page = rows[0]
    if not built:
        return None
    return int(total), [int(i) for i in page or []]


register_dataset_table("box_value_lists", VALUE_LISTS_DDL)
register_dataset_table("box_value_fields", BUILT_DDL)
