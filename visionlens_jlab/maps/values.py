"""Per-point values of a sample field for colouring a map, in the map's point order.

Fields (``field`` argument):

* a sample column (``split``, ``width``, ``file_name``...) or ``fields.<key>``;
* ``box_count`` (ground-truth boxes) or ``box_count.<source>`` (a model's predictions);
* ``class.<name>``: ground-truth boxes of that class (0 = class absent);
* ``top_class``: the sample's most frequent ground-truth class (ties: first by name);
* ``<prefix><name>`` of a per-sample count a feature's manifest declares
  (:mod:`visionlens_jlab.catalog.extensions.point_counts`: the evaluation's statuses,
  ``evaluate/eval_map_values.py``).

Numbers come back as float32 (NaN = no value); anything else as categories: uint16 codes
into a legend sorted by frequency, ``NULL_CODE`` for no value, the rarest values beyond
``MAX_CATEGORIES`` folded into one "other" code.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog.extensions.point_counts import CountedRows, point_counts
from ..catalog.query.filters import FilterError, Params, json_pointer, sample_field_sql
from ..catalog.store.schema import GROUND_TRUTH

if TYPE_CHECKING:
    import duckdb

    from ..catalog import Catalog

NULL_CODE = 65535
MAX_CATEGORIES = 1000
NUMERIC_COLUMNS = ("sample_id", "width", "height")


@dataclass
class PointValues:
    """One value per map point: ``numeric`` float32, or ``categorical`` uint16 codes."""

    name: str
    kind: str
    values: np.ndarray
    legend: list[dict[str, Any]] = dataclass_field(default_factory=list)
    info: dict[str, Any] = dataclass_field(default_factory=dict)

    def header(self) -> dict[str, Any]:
        """What a client needs besides the values array (JSON-ready)."""
        out: dict[str, Any] = {"field": self.name, "type": self.kind, "points": len(self.values)}
        if self.kind == "categorical":
            out["legend"] = self.legend
            out["null_code"] = NULL_CODE
        return {**out, **self.info}


_POINTS = (
    "FROM map_points p LEFT JOIN samples s ON s.sample_id = p.sample_id "
    "AND s.dataset_id = p.dataset_id WHERE p.dataset_id = ? AND p.map_id = ?"
)


def map_values(
    catalog: Catalog, dataset_id: int, map_id: str, name: str, model: str | None = None
) -> PointValues:
    """The values of field ``name`` for every point of a map, in sample-id order."""
    if not isinstance(name, str) or not name:
        raise FilterError("'field' is required, e.g. split, fields.weather, top_class, eval.fp")
    with catalog.cursor() as cur:
        if name == "top_class" or name.startswith(("class.", "box_count", *point_counts())):
            return _label_values(cur, dataset_id, map_id, name, model)
        params = Params()
        expr = sample_field_sql(name, params)
        numeric = name in NUMERIC_COLUMNS or (
            name.startswith("fields.") and _json_numeric(cur, dataset_id, map_id, name[7:])
        )
        if numeric:
            expr = f"TRY_CAST({expr} AS DOUBLE)"
        else:
            expr = f"CAST({expr} AS VARCHAR)"
        table = cur.sql(
            f"SELECT {expr} AS v {_POINTS} ORDER BY p.sample_id",
            params=[*params.values, dataset_id, map_id],
        ).to_arrow_table()
    column = table.column(0)
    return _numeric(name, column) if numeric else _categorical(name, column)


def _json_numeric(cur: duckdb.DuckDBPyConnection, dataset_id: int, map_id: str, key: str) -> bool:
    """Whether every present value of ``fields.<key>`` on the map's samples is a JSON number."""
    rows = cur.execute(
        f"SELECT DISTINCT json_type(s.fields, ?) {_POINTS}",
        [json_pointer(key), dataset_id, map_id],
    ).fetchall()
    types = {r[0] for r in rows if r[0] is not None and r[0] != "NULL"}
    return bool(types) and types <= {"BIGINT", "UBIGINT", "DOUBLE"}


def _label_values(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, map_id: str, name: str, model: str | None
) -> PointValues:
    if name == "top_class":
        sql = """
            WITH c AS (SELECT sample_id, label, COUNT(*) AS n FROM annotations
                       WHERE dataset_id = ? AND source = ? GROUP BY ALL),
                 t AS (SELECT sample_id, first(label ORDER BY n DESC, label) AS v
                       FROM c GROUP BY sample_id)
            SELECT t.v FROM map_points p LEFT JOIN t ON t.sample_id = p.sample_id
            WHERE p.dataset_id = ? AND p.map_id = ? ORDER BY p.sample_id
        """
        args: list[Any] = [dataset_id, GROUND_TRUTH, dataset_id, map_id]
        return _categorical(name, _column(cur, sql, args))
    if name.startswith("class."):
        rows = CountedRows("annotations", "source = ? AND label = ?", [GROUND_TRUTH, name[6:]])
    elif name == "box_count" or name.startswith("box_count."):
        source = name[10:] if name.startswith("box_count.") else GROUND_TRUTH
        if not source:
            raise FilterError("box_count.<source> needs a source: ground_truth or a model name")
        rows = CountedRows("annotations", "source = ?", [source])
    else:
        counts = point_counts()
        prefix = next(p for p in counts if name.startswith(p))
        rows = counts[prefix](cur, dataset_id, name[len(prefix) :], model)
    sql = f"""
        WITH c AS (SELECT sample_id, COUNT(*) AS n FROM {rows.table}
                   WHERE dataset_id = ? AND {rows.cond} GROUP BY sample_id)
        SELECT CAST(COALESCE(c.n, 0) AS DOUBLE) FROM map_points p
        LEFT JOIN c ON c.sample_id = p.sample_id
        WHERE p.dataset_id = ? AND p.map_id = ? ORDER BY p.sample_id
    """  # noqa: S608 - table and condition are fixed strings chosen above
    values = _numeric(name, _column(cur, sql, [dataset_id, *rows.args, dataset_id, map_id]))
    values.info.update(rows.info)
    return values


def _column(cur: duckdb.DuckDBPyConnection, sql: str, args: list[Any]) -> pa.ChunkedArray:
    return cur.sql(sql, params=args).to_arrow_table().column(0)


def _numeric(name: str, column: pa.ChunkedArray) -> PointValues:
    arr = column.to_numpy(zero_copy_only=False).astype(np.float64)  # nulls -> NaN
    values = arr.astype(np.float32)
    finite = values[np.isfinite(values)]
    info: dict[str, Any] = {
        "min": float(finite.min()) if len(finite) else None,
        "max": float(finite.max()) if len(finite) else None,
        "nulls": int(len(values) - len(finite)),
    }
    return PointValues(name, "numeric", values, info=info)


def _categorical(name: str, column: pa.ChunkedArray) -> PointValues:
    encoded = pc.dictionary_encode(column.combine_chunks())
    dictionary = encoded.dictionary.to_pylist()
    idx = encoded.indices.to_numpy(zero_copy_only=False)
    valid = ~np.asarray(encoded.indices.is_null())
    raw = np.where(valid, np.nan_to_num(idx, nan=0), 0).astype(np.int64)
    counts = np.bincount(raw[valid], minlength=len(dictionary))
    # Most frequent first; equal counts by value, so the legend is stable.
    order = sorted(range(len(dictionary)), key=lambda i: (-int(counts[i]), str(dictionary[i])))
    kept = order[:MAX_CATEGORIES]
    remap = np.full(max(len(dictionary), 1), len(kept), dtype=np.int64)  # folded -> "other"
    remap[kept] = np.arange(len(kept))
    codes = np.where(valid, remap[raw], NULL_CODE).astype(np.uint16)
    legend: list[dict[str, Any]] = [{"value": dictionary[i], "count": int(counts[i])} for i in kept]
    folded = int(counts[order[MAX_CATEGORIES:]].sum()) if len(order) > MAX_CATEGORIES else 0
    if folded:
        legend.append({"value": None, "other": True, "count": folded})
    return PointValues(name, "categorical", codes, legend, {"nulls": int((~valid).sum())})
