"""Computed sample fields: per-sample values that the server derives after ingest.

Duplicates (``dup_group``, ``dup_count``, ``nearest_similarity``, ``uniqueness``) are the
first; blind-spot attributes and plugin fields use the same facility. A producer registers
its field names once (:func:`register_computed_field`, at import: the names are the
whitelist filters accept) and writes values with :func:`write_computed`. Then, with no
other code:

* filters name them as sample fields ``computed.<name>``
  (``{"sample": {"computed.dup_count": {"min": 1}}}``), and the grid may sort by them;
* facets list ``computed.<name>`` for every field the dataset has (a histogram for
  numeric fields, value counts for categorical ones);
* the rows go with their dataset when it is deleted.

One long table ``computed_values (dataset_id, sample_id, field, num, text)`` rather than a
column per field: new fields need no migration, and a producer replaces its fields in one
transaction. A sample without a row has no value (``is_null``). ``computed_fields`` lists
which fields a dataset has, so facets never scan the values to find out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa

from .catalog import register_dataset_table
from .facet_sql import FACET_HISTOGRAM_BINS, MAX_CATEGORICAL_VALUES
from .facets import register_facet_provider
from .filters import FilterError, Params, register_sample_field_prefix

if TYPE_CHECKING:
    from .catalog import Catalog

PREFIX = "computed."
NUMERIC, CATEGORICAL = "numeric", "categorical"

VALUES_DDL = """
CREATE TABLE IF NOT EXISTS computed_values (
    dataset_id INTEGER NOT NULL,
    sample_id BIGINT NOT NULL,
    field VARCHAR NOT NULL,
    num DOUBLE,             -- numeric fields
    text VARCHAR            -- categorical fields
)
"""
FIELDS_DDL = """
CREATE TABLE IF NOT EXISTS computed_fields (
    dataset_id INTEGER NOT NULL,
    field VARCHAR NOT NULL,
    producer VARCHAR NOT NULL,      -- what computed it (e.g. 'duplicates')
    params JSON,                    -- how (e.g. the threshold and model)
    updated_at TIMESTAMP NOT NULL
)
"""

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class ComputedField:
    """A registered computed field: its name (without the prefix), kind and meaning."""

    name: str
    kind: str
    description: str


_FIELDS: dict[str, ComputedField] = {}


def register_computed_field(name: str, kind: str, description: str) -> None:
    """Declare a computed field (idempotent); only declared names can be written or filtered."""
    if not _NAME_RE.match(name):
        raise ValueError(f"computed field names are lowercase identifiers, not {name!r}")
    if kind not in (NUMERIC, CATEGORICAL):
        raise ValueError(f"kind must be {NUMERIC!r} or {CATEGORICAL!r}")
    _FIELDS[name] = ComputedField(name, kind, description)


def computed_fields() -> list[ComputedField]:
    """Every registered computed field, by name."""
    return [_FIELDS[k] for k in sorted(_FIELDS)]


def _field(name: str) -> ComputedField:
    field = _FIELDS.get(name)
    if field is None:
        known = ", ".join(PREFIX + k for k in sorted(_FIELDS)) or "none"
        raise FilterError(f"unknown computed field {PREFIX + name!r} (known: {known})")
    return field


def computed_field_sql(name: str, params: Params) -> str:
    """SQL of ``computed.<name>`` for the sample ``s``: a DOUBLE or VARCHAR, NULL if unset."""
    column = "num" if _field(name).kind == NUMERIC else "text"
    where = f"v.dataset_id = s.dataset_id AND v.sample_id = s.sample_id AND v.field = {params.add(name)}"
    return f"(SELECT v.{column} FROM computed_values v WHERE {where})"  # noqa: S608 - fixed column, bound name


def write_computed(
    catalog: Catalog,
    dataset_id: int,
    values: Mapping[str, tuple[np.ndarray, np.ndarray | list[str]]],
    *,
    producer: str,
    params: str | None = None,
) -> None:
    """Replace the given fields of one dataset: ``{name: (sample_ids, values)}``, one
    transaction. Numeric values are floats (NaN: no value); categorical ones strings."""
    tables = []
    for name, (ids, vals) in values.items():
        field = _FIELDS.get(name)
        if field is None:
            raise ValueError(f"computed field {name!r} is not registered")
        sample_ids = pa.array(np.asarray(ids, dtype=np.int64))
        if len(vals) != len(sample_ids):
            raise ValueError(f"{name}: {len(sample_ids)} sample ids for {len(vals)} values")
        if field.kind == NUMERIC:
            num = pa.array(np.asarray(vals, dtype=np.float64), from_pandas=True)
            text = pa.nulls(len(sample_ids), pa.string())
        else:
            num = pa.nulls(len(sample_ids), pa.float64())
            text = pa.array([str(v) for v in vals], pa.string())
        names = pa.array([name] * len(sample_ids), pa.string())
        tables.append(pa.table({"sample_id": sample_ids, "field": names, "num": num, "text": text}))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with catalog.write() as cur:
        names = list(values)
        cur.execute(
            "DELETE FROM computed_values WHERE dataset_id = ? AND list_contains(?, field)",
            [dataset_id, names],
        )
        cur.execute(
            "DELETE FROM computed_fields WHERE dataset_id = ? AND list_contains(?, field)",
            [dataset_id, names],
        )
        for table in tables:
            cur.register("_vl_computed", table)
            try:
                cur.execute(
                    "INSERT INTO computed_values SELECT ?, sample_id, field, num, text "
                    "FROM _vl_computed",
                    [dataset_id],
                )
            finally:
                cur.unregister("_vl_computed")
        for name in names:
            cur.execute(
                "INSERT INTO computed_fields VALUES (?, ?, ?, ?, ?)",
                [dataset_id, name, producer, params, now],
            )


def dataset_computed_fields(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> list[str]:
    """The registered computed fields a dataset has values for, by name."""
    rows = cur.execute(
        "SELECT field FROM computed_fields WHERE dataset_id = ? ORDER BY field", [dataset_id]
    ).fetchall()
    return [r[0] for r in rows if r[0] in _FIELDS]


def computed_values_for(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, sample_ids: list[int]
) -> dict[int, dict[str, Any]]:
    """``{sample_id: {field: value}}`` of the given samples (for a page of the grid)."""
    rows = cur.execute(
        "SELECT sample_id, field, COALESCE(CAST(num AS VARCHAR), text), num FROM computed_values "
        "WHERE dataset_id = ? AND sample_id IN (SELECT unnest(?::BIGINT[]))",
        [dataset_id, sample_ids],
    ).fetchall()
    out: dict[int, dict[str, Any]] = {}
    for sample_id, field, text, num in rows:
        out.setdefault(int(sample_id), {})[field] = num if num is not None else text
    return out


def computed_facet_entries(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, samples_table: str
) -> list[dict[str, Any]]:
    """Facets of the computed fields over the filtered samples (a facet provider).

    Numeric: ``{"name": "computed.<f>", "type": "numeric", "min", "max", "count",
    "histogram"}`` as the built-in numeric facets; categorical: value counts, most
    frequent first (at most ``MAX_CATEGORICAL_VALUES``).
    """
    if not samples_table.isidentifier():
        raise ValueError(f"not a table name: {samples_table!r}")
    fields = dataset_computed_fields(cur, dataset_id)
    if not fields:
        return []
    numeric = [f for f in fields if _FIELDS[f].kind == NUMERIC]
    categorical = [f for f in fields if _FIELDS[f].kind == CATEGORICAL]
    rows = cur.execute(
        f"""
        WITH vals AS MATERIALIZED (
            SELECT v.field, v.num, v.text FROM computed_values v
            JOIN {samples_table} s ON s.sample_id = v.sample_id
            WHERE v.dataset_id = ? AND list_contains(?, v.field)),
        ranges AS (
            SELECT field, COUNT(num) AS n, MIN(num) AS lo, MAX(num) AS hi
            FROM vals WHERE num IS NOT NULL GROUP BY field),
        hist AS (
            SELECT v.field, LEAST(CAST(FLOOR((v.num - r.lo) /
                       COALESCE(NULLIF((r.hi - r.lo) / {FACET_HISTOGRAM_BINS}, 0), 1.0))
                       AS INTEGER), {FACET_HISTOGRAM_BINS - 1}) AS bin, COUNT(*) AS n
            FROM vals v JOIN ranges r USING (field) WHERE v.num IS NOT NULL GROUP BY ALL),
        counts AS (
            SELECT field, text, COUNT(*) AS n FROM vals
            WHERE text IS NOT NULL AND list_contains(?, field) GROUP BY field, text
            QUALIFY row_number() OVER (PARTITION BY field ORDER BY n DESC, text)
                    <= {MAX_CATEGORICAL_VALUES})
        SELECT 'r', field, n, lo, hi, NULL FROM ranges
        UNION ALL SELECT 'h', field, n, NULL, NULL, bin FROM hist
        UNION ALL SELECT 'c', field, n, NULL, NULL, text FROM counts
        """,  # noqa: S608 - fixed identifiers and constants only; values bound
        [dataset_id, fields, categorical],
    ).fetchall()
    ranges: dict[str, tuple[int, float, float]] = {}
    bins: dict[str, dict[int, int]] = {}
    counts: dict[str, list[tuple[str, int]]] = {}
    for kind, field, n, lo, hi, extra in rows:
        if kind == "r":
            ranges[field] = (int(n), float(lo), float(hi))
        elif kind == "h":
            bins.setdefault(field, {})[int(extra)] = int(n)
        else:
            counts.setdefault(field, []).append((str(extra), int(n)))
    out: list[dict[str, Any]] = []
    for field in fields:
        if field in numeric:
            out.append(_numeric_entry(field, ranges.get(field), bins.get(field, {})))
        else:
            values = sorted(counts.get(field, []), key=lambda c: (-c[1], c[0]))
            out.append(
                {
                    "name": PREFIX + field,
                    "type": "categorical",
                    "values": [{"value": v, "count": c} for v, c in values],
                }
            )
    return out


def _numeric_entry(
    field: str, rng: tuple[int, float, float] | None, counts: dict[int, int]
) -> dict[str, Any]:
    if rng is None:
        return {
            "name": PREFIX + field,
            "type": "numeric",
            "min": None,
            "max": None,
            "count": 0,
            "histogram": [],
        }
    count, lo, hi = rng
    width = (hi - lo) / FACET_HISTOGRAM_BINS or 1.0
    n_bins = FACET_HISTOGRAM_BINS if hi > lo else 1
    histogram = [
        {
            "lo": lo + i * width,
            "hi": lo + (i + 1) * width if hi > lo else hi,
            "count": counts.get(i, 0),
        }
        for i in range(n_bins)
    ]
    return {
        "name": PREFIX + field,
        "type": "numeric",
        "min": lo,
        "max": hi,
        "count": count,
        "histogram": histogram,
    }


def install() -> None:
    """Register the tables, the ``computed.`` filter prefix and the facets (on import)."""
    register_dataset_table("computed_values", VALUES_DDL)
    register_dataset_table("computed_fields", FIELDS_DDL)
    register_sample_field_prefix(PREFIX, computed_field_sql)
    register_facet_provider(computed_facet_entries)


install()
