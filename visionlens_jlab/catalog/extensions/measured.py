"""Measured attributes in the catalog: per-image and per-object measurements.

Tables (removed with their dataset):

* ``sample_attributes``: per image, measured from pixels and the image header (brightness,
  contrast, saturation, sharpness, grayscale, megapixels, aspect), which the engine reads;
  filterable as sample fields ``measured.<name>`` (``{"sample": {"measured.brightness":
  {"max": 0.2}}}``). The same values are written as the computed fields
  ``computed.measured_<name>`` (:mod:`.computed`), so they are facets, filters, sort keys
  and grid fields like every other derived field;
* ``object_attributes``: per ground-truth box, from its geometry (COCO size class, aspect,
  truncated at the border, crowding, relative position); filterable as the label condition
  ``measured`` (``{"labels": {"source": "ground_truth", "measured": {"size": ["small"]}}}``).

The blind-spot finder (:mod:`visionlens_jlab.blindspots`) reads them; its results and
reviews are its own tables (:mod:`visionlens_jlab.blindspots.results`).

Every write goes through the functions here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..query.filter_conditions import condition_sql
from ..query.filter_model import Condition
from ..query.filter_parser import (
    parse_condition,
    register_label_condition,
    register_sample_field_prefix,
)
from ..query.filters import FilterError, Params
from ..store.registry import register_dataset_table
from .computed import CATEGORICAL, NUMERIC, register_computed_field, write_computed

if TYPE_CHECKING:
    from ..store.catalog import Catalog

SAMPLE_ATTRIBUTES = {
    "brightness": "DOUBLE",  # mean luminance / 255
    "contrast": "DOUBLE",  # standard deviation of luminance / 255
    "saturation": "DOUBLE",  # mean HSV saturation, 0-1
    "sharpness": "DOUBLE",  # variance of the Laplacian of luminance (0-255 scale)
    "grayscale": "BOOLEAN",  # no colour: channels (nearly) equal everywhere
    "megapixels": "DOUBLE",
    "aspect": "DOUBLE",  # width / height
}
OBJECT_ATTRIBUTES = {
    "size": "VARCHAR",  # COCO: small < 32^2 <= medium < 96^2 <= large (area, else w*h)
    "aspect": "DOUBLE",  # box width / height
    "truncated": "BOOLEAN",  # the box touches the image border
    "crowding": "INTEGER",  # other ground-truth boxes overlapping it (IoU > 0.1)
    "position": "VARCHAR",  # center | middle | edge (distance of its centre from the middle)
}

_DDL = {
    "sample_attributes": "CREATE TABLE IF NOT EXISTS sample_attributes "
    "(dataset_id INTEGER NOT NULL, sample_id BIGINT NOT NULL, "
    + ", ".join(f"{k} {t}" for k, t in SAMPLE_ATTRIBUTES.items())
    + ")",
    "object_attributes": "CREATE TABLE IF NOT EXISTS object_attributes "
    "(dataset_id INTEGER NOT NULL, ann_id BIGINT NOT NULL, sample_id BIGINT NOT NULL, "
    + ", ".join(f"{k} {t}" for k, t in OBJECT_ATTRIBUTES.items())
    + ")",
}
COMPUTED_PREFIX = "measured_"
"""Computed-field names of the per-image attributes: ``computed.measured_brightness``..."""
_DESCRIPTIONS = {
    "brightness": "mean luminance, 0-1",
    "contrast": "standard deviation of luminance, 0-1",
    "saturation": "mean HSV saturation, 0-1",
    "sharpness": "variance of the Laplacian of luminance (blur is low)",
    "grayscale": "no colour: channels (nearly) equal everywhere",
    "megapixels": "width x height / 1e6",
    "aspect": "width / height",
}


def install() -> None:
    """Register the tables and the ``measured`` filters (on import, before catalogs open)."""
    for table, ddl in _DDL.items():
        register_dataset_table(table, ddl)
    register_sample_field_prefix("measured.", _sample_field)
    register_label_condition("measured", _object_condition, _checked_object)
    for name, sql_type in SAMPLE_ATTRIBUTES.items():
        kind = CATEGORICAL if sql_type == "BOOLEAN" else NUMERIC
        register_computed_field(COMPUTED_PREFIX + name, kind, f"measured: {_DESCRIPTIONS[name]}")


def _sample_field(name: str, params: Params) -> str:
    if name not in SAMPLE_ATTRIBUTES:
        raise FilterError(f"unknown measured attribute {name!r} (known: {list(SAMPLE_ATTRIBUTES)})")
    # the column name comes from the whitelist above, never from the request
    return f"(SELECT m.{name} FROM sample_attributes m WHERE m.sample_id = s.sample_id)"  # noqa: S608


MeasuredCondition = tuple[tuple[str, Condition], ...]
"""A parsed ``measured`` label condition: (object attribute, its condition) pairs."""


def _checked_object(value: Any) -> MeasuredCondition:
    """The ``measured`` label condition parsed once, when the filter is parsed: a list
    stands for ``in``, a scalar for ``eq``."""
    if not isinstance(value, dict) or not value:
        raise FilterError("labels.measured must be an object such as {'size': ['small']}")
    parts = []
    for name, cond in value.items():
        if name not in OBJECT_ATTRIBUTES:
            raise FilterError(f"unknown measured object attribute {name!r}")
        if isinstance(cond, list):
            cond = {"in": cond}
        elif not isinstance(cond, dict):
            cond = {"eq": cond}
        parts.append((name, parse_condition(cond, f"measured.{name}")))
    return tuple(parts)


def _object_condition(parts: MeasuredCondition, params: Params) -> str:
    """The parsed condition over the box alias ``a`` (names from the whitelist)."""
    where = " AND ".join(condition_sql(f"o.{name}", cond.ops, params) for name, cond in parts)
    return f"a.ann_id IN (SELECT o.ann_id FROM object_attributes o WHERE {where})"  # noqa: S608 - whitelisted names, bound values


def write_sample_attributes(catalog: Catalog, dataset_id: int, table: pa.Table) -> None:
    """Replace a dataset's per-image attributes (``sample_id`` + :data:`SAMPLE_ATTRIBUTES`),
    both the engine's table and the computed fields ``measured_<name>``."""
    _replace(catalog, "sample_attributes", dataset_id, table, ["sample_id", *SAMPLE_ATTRIBUTES])
    ids = table.column("sample_id").to_numpy()
    values: dict[str, tuple[Any, Any]] = {}
    for name, sql_type in SAMPLE_ATTRIBUTES.items():
        column = table.column(name)
        if sql_type == "BOOLEAN":
            present = column.is_valid().to_numpy(zero_copy_only=False)
            flags = column.to_pylist()
            values[COMPUTED_PREFIX + name] = (
                ids[present],
                ["true" if f else "false" for f, p in zip(flags, present, strict=True) if p],
            )
        else:
            values[COMPUTED_PREFIX + name] = (
                ids,
                column.cast(pa.float64()).to_numpy(zero_copy_only=False),
            )
    write_computed(catalog, dataset_id, values, producer="attributes")


def write_object_attributes(catalog: Catalog, dataset_id: int, table: pa.Table) -> None:
    """Replace a dataset's per-box attributes (``ann_id, sample_id`` + :data:`OBJECT_ATTRIBUTES`)."""
    columns = ["ann_id", "sample_id", *OBJECT_ATTRIBUTES]
    _replace(catalog, "object_attributes", dataset_id, table, columns)


def _replace(
    catalog: Catalog, table: str, dataset_id: int, rows: pa.Table, columns: list[str]
) -> None:
    missing = set(columns) - set(rows.column_names)
    if missing:
        raise ValueError(f"{table} rows lack columns {sorted(missing)}")
    with catalog.write(dataset_id, keeps_derived=True) as cur:  # not samples nor boxes
        cur.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [dataset_id])  # noqa: S608 - fixed names
        cur.register("_vl_measured", rows.select(columns))
        try:
            cur.execute(
                f"INSERT INTO {table} SELECT ?, {', '.join(columns)} FROM _vl_measured",  # noqa: S608 - fixed names
                [dataset_id],
            )
        finally:
            cur.unregister("_vl_measured")


def has_attributes(catalog: Catalog, dataset_id: int) -> bool:
    """Whether the attributes job has run for this dataset."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT 1 FROM object_attributes WHERE dataset_id = ? LIMIT 1", [dataset_id]
        ).fetchall()
        rows += cur.execute(
            "SELECT 1 FROM sample_attributes WHERE dataset_id = ? LIMIT 1", [dataset_id]
        ).fetchall()
    return len(rows) == 2


install()
