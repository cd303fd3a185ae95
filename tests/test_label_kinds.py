"""The label kinds are declared once (``records/label_kinds.json``) and the catalog, the
parsers' batches and the filter agree with the declaration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.query.filter_model import LABEL_TYPES as FILTER_LABEL_TYPES
from visionlens_jlab.catalog.query.filters import FilterError, parse_filter
from visionlens_jlab.evaluate.similarity import IOU_TYPES
from visionlens_jlab.records.batches import ANNOTATION_LABEL_FIELDS, ANNOTATION_SCHEMA
from visionlens_jlab.records.label_kinds import (
    FILTER_WORDS,
    IOU_KINDS,
    LABEL_KINDS,
    LABEL_TYPES,
    OBJECT_KINDS,
    kind_named,
)

REPO = Path(__file__).resolve().parents[1]


def _columns(catalog: Catalog, table: str) -> dict[str, str]:
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
            [table],
        ).fetchall()
    return {name: kind for name, kind in rows}


def test_every_declared_column_is_stored_with_its_type(tmp_path: Path) -> None:
    """A new catalog (every migration run) has each kind's columns with the declared DuckDB
    type: an object kind's on ``annotations``, an image kind's on its own table."""
    with Catalog(tmp_path / "data") as catalog:
        for kind in LABEL_KINDS:
            table = "annotations" if kind.scope == "object" else kind.table
            assert table, kind.name
            stored = _columns(catalog, table)
            for column in kind.columns:
                assert stored.get(column.name) == column.duckdb, (kind.name, column.name)


def test_presence_and_wire_name_declared_columns() -> None:
    for kind in LABEL_KINDS:
        names = {c.name for c in kind.columns}
        assert kind.presence is None or kind.presence in names, kind.name
        for field, cols in kind.wire.items():
            assert cols and set(cols) <= names, (kind.name, field)
        assert kind_named(kind.name) is kind
    with pytest.raises(KeyError, match="no label kind 'polygon'"):
        kind_named("polygon")


def test_parsers_batches_carry_every_object_column() -> None:
    """Every object kind's column is in a parser's batch: in the base schema or among the
    optional label fields, with the declared Arrow type."""
    batch = {f.name: f.type for f in ANNOTATION_SCHEMA} | {
        f.name: f.type for f in ANNOTATION_LABEL_FIELDS
    }
    for kind in OBJECT_KINDS:
        for column in kind.columns:
            assert batch[column.name] == column.arrow, (kind.name, column.name)
    assert not {f.name for f in ANNOTATION_LABEL_FIELDS} & set(ANNOTATION_SCHEMA.names)
    assert all(isinstance(f, pa.Field) for f in ANNOTATION_LABEL_FIELDS)


def test_filter_words_are_the_kinds_words() -> None:
    assert FILTER_LABEL_TYPES == tuple(FILTER_WORDS) == ("rotated", "polyline", "mask", "keypoints")
    assert LABEL_TYPES == (
        "boxes", "rotated_boxes", "polylines", "masks", "label_maps", "keypoints", "classifications"
    )  # fmt: skip
    for word in FILTER_WORDS:
        parse_filter({"labels": {"type": word}})
    with pytest.raises(
        FilterError, match="labels.type must be one of rotated, polyline, mask, keypoints"
    ):
        parse_filter({"labels": {"type": "box"}})


def test_evaluation_compares_by_the_kinds_iou_types() -> None:
    assert IOU_TYPES == ("bbox", "rotated", "segm", "keypoints")
    assert [IOU_KINDS[t].name for t in IOU_TYPES] == ["box", "rotated_box", "mask", "keypoints"]


def test_the_labs_label_kinds_are_generated_from_the_declaration() -> None:
    """src/api/labelKinds.ts is what docs/tools/label_kinds_ts.py makes of the JSON now."""
    out = subprocess.run(
        [sys.executable, "docs/tools/label_kinds_ts.py", "--check"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
