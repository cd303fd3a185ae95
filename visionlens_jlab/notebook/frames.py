"""Arrow tables from the export endpoints → pandas DataFrames for the notebook.

JSON columns (``fields``, ``segmentation``, ``attributes``) arrive as JSON text and become
Python objects here; only non-null cells are parsed, so the common all-null columns cost
nothing on 700K boxes.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pyarrow as pa

SAMPLE_JSON_COLUMNS = ("fields",)
ANNOTATION_JSON_COLUMNS = ("segmentation", "attributes")


def samples_frame(table: pa.Table) -> pd.DataFrame:
    """One row per sample: columns, ``tags`` as lists, ``fields`` as dicts, box counts."""
    frame = _to_pandas(table)
    if "tags" in frame:
        frame["tags"] = frame["tags"].map(_as_list)
    _parse_json(frame, table, SAMPLE_JSON_COLUMNS, empty={})
    return frame


def annotations_frame(table: pa.Table) -> pd.DataFrame:
    """One row per box with every annotation column; JSON columns parsed."""
    frame = _to_pandas(table)
    _parse_json(frame, table, ANNOTATION_JSON_COLUMNS, empty=None)
    return frame


_NULLABLE_INTS = {pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype()}


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas()
    # Integer columns with nulls (width/height of unknown size) stay integers (nullable)
    # instead of silently becoming floats.
    for field in table.schema:
        if field.type in _NULLABLE_INTS and table.column(field.name).null_count:
            frame[field.name] = table.column(field.name).to_pandas(
                types_mapper=_NULLABLE_INTS.get
            )
    return frame


def _parse_json(
    frame: pd.DataFrame, table: pa.Table, columns: tuple[str, ...], empty: Any
) -> None:
    for name in columns:
        if name not in frame:
            continue
        texts = table.column(name).to_pylist()
        # A fresh empty container per row: a shared one would alias every row's value.
        frame[name] = pd.Series(
            [json.loads(v) if v is not None else _fresh(empty) for v in texts],
            index=frame.index,
            dtype=object,
        )


def _fresh(empty: Any) -> Any:
    return {} if isinstance(empty, dict) else empty


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value)
