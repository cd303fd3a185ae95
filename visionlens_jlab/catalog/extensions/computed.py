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

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa

from ..derived import Change, Kind, apply_change
from ..indexes.filtered_samples import FilteredSamples
from ..plan.facets import register_facet_provider
from ..query.facet_places import FacetPlace
from ..query.filters import FilterError, Params, register_sample_field_prefix
from ..sql.facet_sql import FACET_HISTOGRAM_BINS, MAX_CATEGORICAL_VALUES, bin_width_sql
from ..store.registry import register_dataset_table

if TYPE_CHECKING:
    from ..store.catalog import Catalog

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
    updated_at TIMESTAMP NOT NULL,
    lo DOUBLE,                      -- numeric fields: the dataset's range, which facet
    hi DOUBLE                       -- histograms bin (so bins stay put while filtering)
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
    rows: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> None:
    """Replace the given fields of one dataset: ``{name: (sample_ids, values)}``, one
    transaction. Numeric values are floats (NaN: no value); categorical ones strings.
    ``rows(cur)``: the producer's own rows of the same result (semantic label quality's
    regions), written in that transaction, so the fields and the rows never disagree."""
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
    with catalog.write(dataset_id) as cur:
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
                "INSERT INTO computed_fields SELECT ?, ?, ?, ?, ?, MIN(num), MAX(num) "
                "FROM computed_values WHERE dataset_id = ? AND field = ?",
                [dataset_id, name, producer, params, now, dataset_id, name],
            )
        if rows is not None:
            rows(cur)
        apply_change(catalog, cur, Change(dataset_id, Kind.FIELDS))  # no sample nor box


def last_run(cur: duckdb.DuckDBPyConnection, dataset_id: int, field: str) -> dict[str, Any] | None:
    """The summary the run that last wrote ``field`` stored with it (its ``params``), with
    ``created_at``; None when no run wrote it."""
    rows = cur.execute(
        "SELECT params, updated_at FROM computed_fields WHERE dataset_id = ? AND field = ?",
        [dataset_id, field],
    ).fetchall()
    if not rows:
        return None
    return {**json.loads(rows[0][0]), "created_at": rows[0][1].isoformat()}


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
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    samples_table: str,
    *,
    filtered: FilteredSamples | None = None,
) -> list[dict[str, Any]]:
    """Facets of the computed fields over the filtered samples (a facet provider).

    Numeric: ``{"name": "computed.<f>", "type": "numeric", "min", "max", "count",
    "histogram"}`` as the built-in numeric facets, except that the bins span the dataset's
    range (they stay put while filtering); categorical: value counts, most frequent first
    (at most ``MAX_CATEGORICAL_VALUES``).
    """
    if not samples_table.isidentifier():
        raise ValueError(f"not a table name: {samples_table!r}")
    fields = dataset_computed_fields(cur, dataset_id)
    if not fields:
        return []
    if filtered is not None:  # the box index's mask: the samples as a table, now needed
        filtered.register(cur, samples_table)
    # One aggregate over the join of the values with the filtered samples: numeric values
    # counted per histogram bin of the dataset's range (stored with the field), categorical
    # ones per value. Reading the joined rows out instead (Arrow, binned in numpy) cost
    # ~3x as much at 100K samples x 4 fields.
    # Unfiltered (the samples table holds the whole dataset): no join, ~4x faster.
    n_filtered = cur.execute(f"SELECT COUNT(*) FROM {samples_table}").fetchone()  # noqa: S608 - checked identifier
    n_dataset = cur.execute(
        "SELECT COUNT(*) FROM samples WHERE dataset_id = ?", [dataset_id]
    ).fetchone()
    join = "" if n_filtered == n_dataset else f"JOIN {samples_table} s ON s.sample_id = v.sample_id"
    rows = cur.execute(
        f"""
        SELECT v.field,
               CASE WHEN v.num IS NOT NULL THEN LEAST(COALESCE(TRY_CAST(FLOOR((v.num - f.lo) /
                   {bin_width_sql("f.lo", "f.hi")}) AS INTEGER), {FACET_HISTOGRAM_BINS - 1}),
                   {FACET_HISTOGRAM_BINS - 1}) END AS bin,
               v.text, COUNT(*) AS n, MIN(v.num), MAX(v.num), any_value(f.lo), any_value(f.hi)
        FROM computed_values v
        JOIN computed_fields f ON f.dataset_id = v.dataset_id AND f.field = v.field
        {join}
        WHERE v.dataset_id = ?
        GROUP BY v.field, bin, v.text
        """,  # noqa: S608 - identifier checked above, constants; values bound
        [dataset_id],
    ).fetchall()
    bins: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        bins.setdefault(row[0], []).append(row)
    out: list[dict[str, Any]] = []
    for field in fields:
        if _FIELDS[field].kind == NUMERIC:
            out.append(_numeric_entry(field, [r for r in bins.get(field, []) if r[1] is not None]))
        else:
            values = sorted(
                ((str(r[2]), int(r[3])) for r in bins.get(field, []) if r[2] is not None),
                key=lambda vc: (-vc[1], vc[0]),
            )[:MAX_CATEGORICAL_VALUES]
            out.append(
                {
                    "name": PREFIX + field,
                    "type": "categorical",
                    "values": [{"value": v, "count": c} for v, c in values],
                }
            )
    return out


def _numeric_entry(field: str, rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """A numeric facet from ``(field, bin, text, count, min, max, dataset lo, dataset hi)``
    rows: ``min``, ``max`` and ``count`` of the filtered values, ``FACET_HISTOGRAM_BINS``
    bins of the dataset's range (width as in :mod:`.facet_sql`, 1 if the range is empty)."""
    if not rows:
        return {"name": PREFIX + field, "type": "numeric", "min": None, "max": None,
                "count": 0, "histogram": []}  # fmt: skip
    lo, hi = float(rows[0][6]), float(rows[0][7])
    width = (hi - lo) / FACET_HISTOGRAM_BINS or 1.0
    n_bins = FACET_HISTOGRAM_BINS if hi > lo else 1
    counts = {int(r[1]): int(r[3]) for r in rows}
    histogram = [
        {"lo": lo + i * width, "hi": lo + (i + 1) * width if hi > lo else hi,
         "count": counts.get(i, 0)}
        for i in range(n_bins)
    ]  # fmt: skip
    return {"name": PREFIX + field, "type": "numeric", "min": min(float(r[4]) for r in rows),
            "max": max(float(r[5]) for r in rows), "count": sum(counts.values()),
            "histogram": histogram}  # fmt: skip


def install() -> None:
    """Register the tables, the ``computed.`` filter prefix and the facets (on import)."""
    register_dataset_table("computed_values", VALUES_DDL)
    register_dataset_table("computed_fields", FIELDS_DDL)
    register_sample_field_prefix(PREFIX, computed_field_sql)
    register_facet_provider(
        computed_facet_entries,
        takes_filtered=True,
        places=(FacetPlace(PREFIX, "sample", "samples"),),
    )


install()
