"""Two-bound ranges on a box field (``area`` between a and b of a source), exact at 1M.

The per-sample summaries (:mod:`.box_summaries`) hold a field's max and min, which decide
one bound exactly (some box >= a <=> the max >= a) but not two: a sample with boxes of area
500 and 9000 has min <= 5000 and max >= 1000 and no box between them. The plain subquery
over the boxes cost 96-117 ms at 1M images (3M ground-truth boxes), cold.

``box_value_lists`` holds, per (dataset, field, source, sample) with a value, the values of
the sample's boxes of that source (``vals``) and a bit set of the fixed bins they fall in
(``bins``, 64 bins per field, :func:`bin_sql`). For a range [a, b], with ``bin`` monotone:

* a sample with a box in a bin strictly between ``bin(a)`` and ``bin(b)`` matches (every
  value of such a bin lies in (a, b)): one AND of the bit set;
* a sample with no box in ``bin(a) .. bin(b)`` does not match;
* only a sample with a box in one of the two edge bins and none inside has its values
  checked (DuckDB evaluates the check only on the rows the bit tests leave).

Measured at 1M (docs/architecture.md "Browsing at 1M"): 27-37 ms in DuckDB for ``gt area
1000-5000`` against 92-106 ms for the boxes; a zone-map scan of boxes sorted by value (the
distinct ids of 1M boxes) and the bins with the edge bins checked against the boxes table
were slower (45-100 ms). The lists cost 1.6-2.5 s per field at 1M to build, so they are
built for a (dataset, field) on its first two-bound request (:func:`ensure`), inside a
derived write, and kept until a write changes that dataset's boxes: new predictions drop
them (:func:`drop`), a delete removes them with the dataset; ingest writes a new dataset,
and tags, evaluations, computed fields do not touch boxes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import duckdb

from .box_summaries import SUMMARY_FIELDS
from .filters import Params, source_clause

if TYPE_CHECKING:
    from .catalog import Catalog

VALUE_LISTS_DDL = """
    CREATE TABLE IF NOT EXISTS box_value_lists (
        dataset_id INTEGER NOT NULL,
        field VARCHAR NOT NULL,           -- a numeric box field (SUMMARY_FIELDS)
        source VARCHAR NOT NULL,
        sample_id BIGINT NOT NULL,
        bins UBIGINT NOT NULL,            -- bit k: some value v has bin(v) = k
        vals DOUBLE[] NOT NULL            -- the non-NULL values of those boxes
    )
"""
BUILT_DDL = """
    CREATE TABLE IF NOT EXISTS box_value_fields (
        dataset_id INTEGER NOT NULL,
        field VARCHAR NOT NULL            -- box_value_lists holds this field, all sources
    )
"""
TABLES = ("box_value_lists", "box_value_fields")

_LOG_SCALE = {"area": 2.5, "w": 4.0, "h": 4.0, "x": 4.0, "y": 4.0}
"""Bins per doubling of ``1 + value`` for pixel fields: 64 bins reach 2^25.6 pixels of
area (above 5e7: the last bin) and 2^16 pixels of side or position. Scores (0..1) have 64
bins of 1/64. Values below the first bin (negative) go to bin 0, NaN and above to bin 63:
``bin`` stays monotone, so the bins never decide wrongly, only less often."""


def bin_sql(field: str, value: str) -> str:
    """SQL of the bin (0-63) of ``value`` (SQL) for box field ``field``."""
    if field == "score":
        raw = f"floor({value} * 64)"
    else:
        raw = f"floor(log2(1 + GREATEST({value}, 0)) * {_LOG_SCALE[field]})"
    return f"CAST(LEAST(63, GREATEST(0, {raw})) AS INTEGER)"


def two_bounds(spec: Mapping[str, Any]) -> tuple[str, float, float] | None:
    """(field, min, max) when the label filter ``spec`` is a source (or none) and both
    bounds of one numeric box field (``score`` or ``where: {field: ...}``), else None."""
    keys = set(spec) - {"source"}
    if keys == {"score"}:
        field, cond = "score", spec["score"]
    elif keys == {"where"} and isinstance(spec["where"], Mapping) and len(spec["where"]) == 1:
        ((field, cond),) = spec["where"].items()
    else:
        return None
    if field not in SUMMARY_FIELDS or not isinstance(cond, Mapping) or set(cond) != {"min", "max"}:
        return None
    bounds = [cond["min"], cond["max"]]
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) and not math.isnan(v) for v in bounds
    ):
        return None  # the plain path reports it (or has no two bounds)
    return field, float(bounds[0]), float(bounds[1])


def ranged_field(spec: Mapping[str, Any] | None) -> str | None:
    """The box field of a filter that is one two-bound label filter and nothing else (the
    shape :func:`range_page` answers), else None."""
    spec = spec or {}
    active = [k for k, v in spec.items() if (v is not None if k == "ids" else bool(v))]
    labels = spec.get("labels")
    if active != ["labels"]:
        return None
    if isinstance(labels, list):
        labels = labels[0] if len(labels) == 1 else None
    found = two_bounds(labels) if isinstance(labels, Mapping) else None
    return None if found is None else found[0]


def ensure(
    catalog: Catalog,
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    spec: Mapping[str, Any] | None,
) -> None:
    """Build the value lists a filter of :func:`range_page`'s shape reads, if they are
    missing (not on a read-only catalog: its requests take the plain path)."""
    field = ranged_field(spec)
    if field is None or catalog.read_only or _built(cur, dataset_id, field):
        return
    with catalog.write_derived(dataset_id) as wcur:  # the lists match the boxes they list
        if _built(wcur, dataset_id, field):  # another request built them meanwhile
            return
        value = f"a.{field}"  # a whitelisted column (SUMMARY_FIELDS)
        wcur.execute(
            f"""
            INSERT INTO box_value_lists
            SELECT $ds, $field, a.source, a.sample_id,
                   bit_or(1::UBIGINT << {bin_sql(field, value)}), list({value})
            FROM annotations a WHERE a.dataset_id = $ds AND {value} IS NOT NULL
            GROUP BY a.source, a.sample_id ORDER BY a.source, a.sample_id
            """,  # noqa: S608 - whitelisted column, bound values
            {"ds": dataset_id, "field": field},
        )
        wcur.execute("INSERT INTO box_value_fields VALUES (?, ?)", [dataset_id, field])


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
    spec: Mapping[str, Any],
    direction: str,
    offset: int,
    limit: int,
) -> tuple[int, list[int]] | None:
    """(exact total, page ids) of a two-bound label filter from the value lists, or None
    when ``spec`` has not that shape or the lists are not built (checked in the same
    statement, so in the same snapshot as the lists it reads)."""
    found = two_bounds(spec)
    if found is None:
        return None
    field, lo, hi = found
    source = spec.get("source")
    unique = isinstance(source, str) and source != "predictions"
    params = Params([dataset_id, field, lo, hi, dataset_id, field])
    where = source_clause(source, params)
    params.values += [lo, hi]
    ids = "a.sample_id" if unique else "DISTINCT a.sample_id"
    ba, bb = bin_sql(field, "?::DOUBLE"), bin_sql(field, "?::DOUBLE")
    rows = cur.execute(
        f"""
        WITH built AS (SELECT COUNT(*) AS n FROM box_value_fields
                       WHERE dataset_id = ? AND field = ?),
        r AS (SELECT ba, bb,
                     CASE WHEN bb > ba + 1
                          THEN (1::UBIGINT << bb) - (1::UBIGINT << LEAST(ba + 1, 63))
                          ELSE 0::UBIGINT END AS inside,
                     (1::UBIGINT << ba) | (1::UBIGINT << bb) AS edge
              FROM (SELECT {ba} AS ba, {bb} AS bb)),
        matched AS MATERIALIZED (
            SELECT {ids} AS sample_id FROM box_value_lists a, r
            WHERE a.dataset_id = ? AND a.field = ? AND {where}
              AND ((a.bins & r.inside) <> 0
                   OR ((a.bins & r.edge) <> 0
                       AND len(list_filter(a.vals, lambda v: v >= ? AND v <= ?)) > 0)))
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
