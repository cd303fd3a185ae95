"""Exports read a view's objects a batch of whole samples at a time: batches of one or two
samples write the same bytes (the same Parquet rows) as a single batch, with a filter, a
class subset and a model's scores too, and no sample's objects are ever split across two
batches. YOLO's rows, formatted in numpy and orjson, write every float as ``repr`` does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.export_fixtures import coco_source, ingest_source, run_cli
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.export import view as export_view_module
from visionlens_jlab.export.view import read_view
from visionlens_jlab.export.yolo_text import rows_text
from visionlens_jlab.features import load as load_features

CASES = {
    "coco": ("--format", "coco"),
    "yolo": ("--format", "yolo"),
    "voc": ("--format", "voc"),
    "parquet": ("--format", "parquet"),
    "coco-model": ("--format", "coco", "--source", "m1", "--min-score", "0.3"),
    "yolo-subset": (
        "--format",
        "yolo",
        "--filter",
        '{"sample": {"split": {"in": ["train"]}}}',
        "--classes",
        "class1,class3",
    ),
}


@pytest.fixture
def data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The synthetic masks dataset ``src`` (8 images, several objects each) and model ``m1``."""
    coco_source(tmp_path / "src", "segm")
    data_dir = tmp_path / "vl"
    ingest_source(capsys, tmp_path / "src", data_dir, model=True)
    return data_dir


def _files(root: Path) -> dict[str, Any]:
    """Every file under ``root`` by relative path: its bytes, or a Parquet file's rows."""
    out: dict[str, Any] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = str(path.relative_to(root))
        out[rel] = (
            pq.read_table(path).to_pylist() if rel.endswith(".parquet") else path.read_bytes()
        )
    return out


@pytest.mark.parametrize("case", CASES)
def test_small_batches_write_the_same_files(
    case: str,
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ("export", "src", *CASES[case], "--images", "none")
    code, whole = run_cli(capsys, data_dir, *args, "--out", str(tmp_path / "whole"))
    assert code == 0, whole
    assert whole["annotations"] > 0
    monkeypatch.setattr(export_view_module, "BATCH_SAMPLES", 2)
    monkeypatch.setattr(export_view_module, "BATCH_OBJECTS", 3)  # below most samples' count
    code, small = run_cli(capsys, data_dir, *args, "--out", str(tmp_path / "small"))
    assert code == 0, small
    assert {**small, "out": ""} == {**whole, "out": ""}
    assert _files(tmp_path / "small") == _files(tmp_path / "whole")


def test_a_sample_is_never_split_across_batches(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_view_module, "BATCH_SAMPLES", 3)
    monkeypatch.setattr(export_view_module, "BATCH_OBJECTS", 4)
    load_features()
    catalog = Catalog(data_dir, read_only=True)
    try:
        view = read_view(catalog, "src", None)
        counts = view.objects.counts
        assert max(counts.values()) > 4  # some samples alone exceed a batch
        seen: list[int] = []
        rows = 0
        for begin, end, labels in view.objects.batches(["label"]):
            ids = view.samples["sample_id"][begin:end]
            assert 1 <= end - begin <= 3
            # several samples share a batch only within its size; a bigger one is alone
            assert end - begin == 1 or sum(counts.get(i, 0) for i in ids) <= 4
            assert set(labels.starts) <= set(ids)
            for sid in ids:
                first, last = labels.starts.get(sid, (0, 0))
                assert last - first == counts.get(sid, 0)  # all of its objects, here
            seen += ids
            rows += len(labels)
    finally:
        catalog.close()
    assert seen == view.samples["sample_id"]  # each sample once, in the view's order
    assert rows == len(view.objects) == sum(counts.values())


def _repr_row(cls: int, values: list[float]) -> bytes:
    return " ".join([str(cls), *map(repr, values)]).encode() + b"\n"


def _rows(table: pa.Table, sizes: list[tuple[int, int]], polygons: Any) -> list[bytes]:
    """Each row of ``rows_text`` (``sizes``: each row's image size)."""
    width, height = (np.array([size[k] for size in sizes], np.float64) for k in (0, 1))
    text, bounds = rows_text(table, width, height, ["a", "b"], polygons)
    assert bounds[0] == 0 and bounds[-1] == len(text)  # the rows, end to end
    return [text[b:e] for b, e in zip(bounds[:-1], bounds[1:], strict=True)]


def test_yolo_rows_are_written_as_repr_writes_floats() -> None:
    """orjson's notation differs from ``repr``'s below 1e-4 and from 1e16 on: such values,
    a polygon of fewer than 3 points and a row without one are all written as ``repr`` does
    (and DuckDB's DOUBLE to VARCHAR, which the pose rows use); every row ends in a newline
    and starts with its class id."""
    table = pa.table(
        {
            "sample_id": [1, 1, 2],
            "label": ["b", "a", "b"],
            "x": [0.0064, 10.0, 0.0],
            "y": [1.0, 20.0, 1e-9],
            "w": [3.0, 1e20, 50.0],
            "h": [4.0, 5.0, 1.0 / 3.0],
        }
    )
    sizes = [(640, 480), (640, 480), (100, 100)]
    polygon = [0.0064, 0.03, 2.0, 3.0, 4.0, 1e-3]
    polygons = pa.array([polygon, None, [1.0, 2.0]], pa.list_(pa.float64()))
    got = _rows(table, sizes, polygons)
    by = [640, 480] * 3
    assert got[0] == _repr_row(1, [v / d for v, d in zip(polygon, by, strict=True)])
    assert b"1e-05" in got[0] and b"0.00001" not in got[0]
    corners = [10 / 640, 20 / 480, (10 + 1e20) / 640, 20 / 480, (10 + 1e20) / 640, 25 / 480]
    assert got[1] == _repr_row(0, [*corners, 10 / 640, 25 / 480])
    y1 = 1e-9 + 1.0 / 3.0
    y0 = 1e-9 / 100
    assert got[2] == _repr_row(1, [0.0, y0, 0.5, y0, 0.5, y1 / 100, 0.0, y1 / 100])
    boxes = _rows(table, sizes, None)
    assert boxes[2] == _repr_row(1, [25 / 100, (1e-9 + 1 / 6) / 100, 0.5, (1 / 3) / 100])
    plain = _rows(table.slice(0, 1), sizes[:1], None)  # orjson's path alone
    assert plain == [_repr_row(1, [(0.0064 + 1.5) / 640, 3 / 480, 3 / 640, 4 / 480])]


def test_yolo_rows_hold_class_ids_of_any_width() -> None:
    """Class ids of one and two digits, rows of several samples: each row is its class id,
    its values and a newline, whatever the ids before it."""
    names = [f"c{i}" for i in range(12)]
    labels = ["c11", "c0", "c3", "c10", "c11"]
    table = pa.table(
        {"label": labels, "x": [1.0] * 5, "y": [2.0] * 5, "w": [4.0] * 5, "h": [8.0] * 5}
    )
    width, height = np.full(5, 16.0), np.full(5, 32.0)
    text, bounds = rows_text(table, width, height, names, None)
    rows = [text[b:e] for b, e in zip(bounds[:-1], bounds[1:], strict=True)]
    values = [(1 + 2) / 16, (2 + 4) / 32, 4 / 16, 8 / 32]
    assert rows == [_repr_row(names.index(label), values) for label in labels]
