"""The DuckDB path for large COCO annotation arrays (``ingest/coco/sql_source.py``) gives exactly what
the Python path gives: the same boxes in the same order, and the same report.

Each case parses one file twice: with ``SQL_MIN_BYTES = 0`` (DuckDB, in batches of 7 rows so
batch edges and order are exercised) and with the SQL path switched off.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ingest_fixtures import DATASETS
from visionlens_jlab.ingest.coco import annotations as coco_annotations
from visionlens_jlab.ingest.coco import sql_source as coco_sql
from visionlens_jlab.ingest.open import open_dataset, open_predictions
from visionlens_jlab.records.batches import as_plain_json
from visionlens_jlab.records.report import IngestError

IMAGES = [
    {"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
    {"id": 2, "file_name": "b.jpg", "width": 640, "height": 480},
    {"id": "7", "file_name": "c.jpg", "width": 320, "height": 240},  # a string id
]
CATEGORIES = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]
GOOD = {
    "id": 1,
    "image_id": 1,
    "category_id": 1,
    "bbox": [10, 20.5, 30, 40],
    "area": 1200.0,
    "iscrowd": 0,
    "segmentation": [[10, 20, 40, 20, 40, 60]],
}


def parse(
    path: Path, *, sql: bool, predictions: bool = False
) -> tuple[pa.Table | None, dict[str, Any], bool]:
    """Parse ``path`` (ground truth, or predictions: a results list or a dataset dict) through
    one path; returns the annotations, the report and whether the Python loop ran (it must
    not for a clean SQL parse)."""
    saved = coco_sql.SQL_MIN_BYTES, coco_sql.BATCH_ROWS
    coco_sql.SQL_MIN_BYTES, coco_sql.BATCH_ROWS = (0 if sql else 1 << 60), 7
    python_ran = False
    original = coco_annotations.AnnotationReader._loop

    def spy(self: Any, items: Iterator[Any]) -> Iterator[Any]:
        nonlocal python_ran
        python_ran = True
        return original(self, items)

    coco_annotations.AnnotationReader._loop = spy  # type: ignore[method-assign]
    try:
        if predictions:
            parsed = open_predictions(str(path), "coco", categories={1: "cat", 2: "dog"})
        else:
            parsed = open_dataset(str(path), "coco")
        # JSON columns typed arrow.json (the SQL path's own text) compare as strings
        tables = [
            as_plain_json(b.annotations) for b in parsed.batches() if b.annotations is not None
        ]
    finally:
        coco_sql.SQL_MIN_BYTES, coco_sql.BATCH_ROWS = saved
        coco_annotations.AnnotationReader._loop = original  # type: ignore[method-assign]
    table = pa.concat_tables(tables) if tables else None
    return table, parsed.report.to_dict(), python_ran


def rows(table: pa.Table | None) -> list[dict[str, Any]]:
    """The table's rows, JSON columns parsed (the two paths may print a number differently)."""
    if table is None:
        return []
    out = table.to_pylist()
    for row in out:
        for key in ("segmentation", "attributes"):
            if row[key] is not None:
                row[key] = orjson.loads(row[key])
    return out


def write_coco(path: Path, annotations: list[Any], *, compact: bool = True) -> Path:
    doc = {"images": IMAGES, "annotations": annotations, "categories": CATEGORIES}
    path.write_text(json.dumps(doc, separators=(",", ":")) if compact else json.dumps(doc))
    return path


def assert_same(
    path: Path, *, python_expected: bool = False, predictions: bool = False
) -> list[dict[str, Any]]:
    sql_table, sql_report, python_ran = parse(path, sql=True, predictions=predictions)
    py_table, py_report, _ = parse(path, sql=False, predictions=predictions)
    assert rows(sql_table) == rows(py_table)
    assert sql_report == py_report
    assert python_ran == python_expected
    return rows(sql_table)


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    return tmp_path


def test_clean_file_goes_through_duckdb_alone(tmp: Path) -> None:
    anns = [{**GOOD, "id": i + 1, "image_id": 1 + i % 2} for i in range(40)]
    anns[3]["segmentation"] = {"size": [480, 640], "counts": "abc123"}
    anns[4]["segmentation"] = {"counts": [0, 5, 480 * 640 - 5], "size": [480, 640]}
    anns[5]["segmentation"] = []
    anns[6]["attributes"] = {"occluded": True, "note": "x"}
    anns[7]["attributes"] = {}
    del anns[8]["area"]
    got = assert_same(write_coco(tmp / "clean.json", anns))
    assert [r["source_ann_id"] for r in got] == [str(i + 1) for i in range(40)]
    assert got[3]["segmentation"] == {"size": [480, 640], "counts": "abc123"}
    assert got[5]["segmentation"] is None and got[7]["attributes"] is None
    assert got[6]["attributes"] == {"occluded": True, "note": "x"}


ODD_RECORDS: list[Any] = [
    {**GOOD, "score": 0.5},  # a score on ground truth: kept as an attribute
    {**GOOD, "extra": [1, {"a": None}]},  # an extra key with a nested null
    {**GOOD, "bbox": None},  # explicit null, not a missing key
    {k: v for k, v in GOOD.items() if k != "bbox"},  # missing bbox: from the segmentation
    {**GOOD, "image_id": 99},  # unknown image
    {**GOOD, "image_id": 7},  # int id of an image whose id is the string "7"
    {**GOOD, "image_id": "1"},  # string id
    {**GOOD, "category_id": 5},  # unknown category
    {**GOOD, "category_id": True},
    {**GOOD, "bbox": [1, 2, 3]},
    {**GOOD, "bbox": [1, "2", 3, 4]},
    {**GOOD, "bbox": [1, 2, -3, 4]},
    {**GOOD, "bbox": [1, 2, 0, 4]},
    {**GOOD, "bbox": [True, 2, 3, 4]},
    {**GOOD, "area": "big"},
    {**GOOD, "area": False},
    {**GOOD, "iscrowd": 2},
    {**GOOD, "iscrowd": True},
    {k: v for k, v in GOOD.items() if k != "iscrowd"},
    {k: v for k, v in GOOD.items() if k != "id"},
    {**GOOD, "id": 2**63 - 1},  # 19 digits: slow, still an int64 (ijson rejects bigger)
    {**GOOD, "id": "a7"},
    {**GOOD, "segmentation": [[1, 2, 3, 4, 5]]},
    {**GOOD, "segmentation": [[1, 2, 3, 4]]},
    {**GOOD, "segmentation": [[1, 2, "3", 4, 5, 6]]},
    {**GOOD, "segmentation": {"size": [4, 4]}},
    {**GOOD, "segmentation": {"counts": 5, "size": "x"}},
    {**GOOD, "segmentation": "polygon"},
    {**GOOD, "attributes": [1, 2]},
    {**GOOD, "attributes": {"occluded": None}},
    {**GOOD, "image_id": 1.0},
    {**GOOD, "bbox": [1e-7, 2.5e300, 3.25, 4]},
    "not an object",
    None,
    [GOOD],
    {},
    {**GOOD, "id": 3, "id ": 4},
]


@pytest.mark.parametrize("index", range(len(ODD_RECORDS)))
def test_unusual_records_match_the_python_path(tmp: Path, index: int) -> None:
    anns = [{**GOOD, "id": i + 1} for i in range(10)]
    anns.insert(5, ODD_RECORDS[index])
    assert_same(write_coco(tmp / "odd.json", anns))


def test_pretty_printed_file(tmp: Path) -> None:
    anns = [{**GOOD, "id": i + 1} for i in range(12)] + ODD_RECORDS[:8]
    assert_same(write_coco(tmp / "pretty.json", anns, compact=False))


def test_mostly_unusual_records_hand_over_to_python(tmp: Path, monkeypatch: Any) -> None:
    # every record has a boolean iscrowd: after the first batch (over half slow) Python goes on
    monkeypatch.setattr(coco_sql, "SLOW_SHARE_MIN_ROWS", 100)
    anns = [{**GOOD, "id": i + 1, "iscrowd": True, "track": i} for i in range(2000)]
    original = coco_sql.SqlAnnotationSource._table
    batches = []

    def counting(self: Any, batch: Any) -> Any:
        batches.append(batch.num_rows)
        return original(self, batch)

    monkeypatch.setattr(coco_sql.SqlAnnotationSource, "_table", counting)
    got = assert_same(write_coco(tmp / "extra.json", anns), python_expected=True)
    assert len(got) == 2000 and got[-1]["attributes"] == {"track": 1999}
    assert len(batches) == 15  # handed over once 100 rows (15 batches of 7) were read


def test_extra_keys_are_the_python_paths_text(tmp: Path) -> None:
    # key order and number text too: rows() compares parsed values, this the stored text
    extras: list[dict[str, Any]] = [
        {"track": 3, "occluded": False, "attributes": {"color": "red", "rotation": 0.0}},
        {"z": 1, "a": None, "attributes": {"z": 2.50, "b": [1e16, 1e-7, -0.0]}},
        {"score": 0.5, "note": 'é\u0001"/', "attributes": {}},
        {"nested": {"k": {"x": 1}}, "attributes": {"k": 1, "k2": None}},
        {"n": 12345678901234567},
    ]
    anns = [{**GOOD, "id": i + 1, **extras[i % len(extras)]} for i in range(40)]
    path = write_coco(tmp / "extra.json", anns)
    texts = _attribute_texts_of_both_paths(path, sql_only=True)
    assert texts[0] == '{"track":3,"occluded":false,"color":"red","rotation":0.0}'
    assert texts[1] == '{"z":2.5,"a":null,"b":[1e+16,1e-7,-0.0]}'


def test_nested_attributes_are_the_python_paths_text(tmp: Path) -> None:
    # records with no key beyond the standard ones: their CVAT-style attributes object is
    # stored as the Python path writes it (orjson), not as DuckDB re-writes it
    nested: list[dict[str, Any]] = [
        {"x": 1e16},
        {"b": [1e16, 1e-7, -0.0], "z": 2.50},
        {"s": 'é\u0001"/', "k": {"x": 1e-6}},
        {"big": 1.7976931348623157e308},
        {"color": "red", "rotation": 0.0},
    ]
    anns = [{**GOOD, "id": i + 1, "attributes": nested[i % len(nested)]} for i in range(40)]
    path = write_coco(tmp / "nested.json", anns)
    texts = _attribute_texts_of_both_paths(path, sql_only=True)
    assert texts[:5] == [orjson.dumps(n).decode() for n in nested]
    assert texts[0] == '{"x":1e+16}'


def test_repeated_nested_attribute_key_keeps_the_last(tmp: Path) -> None:
    # a key twice inside the attributes object: the Python path keeps the last value
    first = orjson.dumps({**GOOD, "id": 1, "attributes": {"a": 1, "b": 2}}).decode()
    first = first.replace('"a":1', '"a":1,"a":3')
    rest = [orjson.dumps({**GOOD, "id": i + 2}).decode() for i in range(20)]
    doc = orjson.dumps({"images": IMAGES, "annotations": [], "categories": CATEGORIES}).decode()
    path = tmp / "repeated.json"
    path.write_text(doc.replace('"annotations":[]', f'"annotations":[{",".join([first, *rest])}]'))
    texts = _attribute_texts_of_both_paths(path, sql_only=False)
    assert texts[0] == '{"a":3,"b":2}'


@pytest.mark.parametrize("extra", [{}, {"track": 1}])
def test_nan_in_attributes_gives_the_same_error(tmp: Path, extra: dict[str, Any]) -> None:
    # DuckDB's reader accepts NaN, JSON (and the Python path) does not
    anns = [{**GOOD, "id": i + 1, **extra, "attributes": {"x": 1.5}} for i in range(30)]
    path = write_coco(tmp / "nan.json", anns)
    path.write_text(path.read_text().replace('"x":1.5', '"x":NaN', 1))
    messages = _errors_of_both_paths(path)
    assert messages[0] == messages[1] and "not valid JSON" in messages[0]


def test_truncated_file_gives_the_same_error(tmp: Path) -> None:
    path = write_coco(tmp / "cut.json", [{**GOOD, "id": i + 1} for i in range(30)])
    data = path.read_bytes()
    cut = data.index(b'"categories"')
    path.write_bytes(data[: cut - 40])  # inside the last annotation
    messages = _errors_of_both_paths(path)
    assert messages[0] == messages[1] and "truncated" in messages[0]


def test_unknown_key_after_the_array(tmp: Path) -> None:
    # "info" sits between annotations and categories: the guessed array end includes it,
    # DuckDB rejects the text, and the Python path gives the same result
    doc = {"images": IMAGES, "annotations": [GOOD], "info": {"v": [1, 2]}}
    doc["categories"] = CATEGORIES
    path = tmp / "info.json"
    path.write_text(json.dumps(doc))
    assert_same(path, python_expected=True)


def test_no_temporary_files_left(tmp: Path, monkeypatch: Any) -> None:
    scratch = tmp / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert_same(write_coco(tmp / "t.json", [{**GOOD, "id": i + 1} for i in range(20)]))
    assert os.listdir(scratch) == []


def test_real_coco_file_with_crowd_rle(tmp: Path) -> None:
    source = DATASETS / "coco-val2014-100" / "annotations" / "instances_val2014_100.json"
    got = assert_same(source)
    assert len(got) == json.loads(source.read_text())["annotations"].__len__()
    assert any(isinstance(r["segmentation"], dict) for r in got)  # crowd RLE kept


numbers = st.one_of(
    st.integers(-(2**63) + 1, 2**63 - 1),  # ijson (the Python path) rejects bigger integers
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)
polygon = st.lists(numbers, min_size=0, max_size=10)
field_values = {
    "id": st.one_of(st.integers(-5, 2**63 - 1), st.text(max_size=2), st.none()),
    "image_id": st.one_of(st.sampled_from([1, 2, 7, 99, "7", "1"]), numbers),
    "category_id": st.one_of(st.sampled_from([1, 2, 3]), numbers),
    "bbox": st.one_of(
        st.lists(st.floats(-10, 1e4, allow_nan=False), min_size=4, max_size=4),
        st.lists(numbers, min_size=0, max_size=5),
        numbers,
    ),
    "area": numbers,
    "iscrowd": st.one_of(st.sampled_from([0, 1]), numbers),
    "segmentation": st.one_of(
        st.lists(polygon, max_size=3),
        st.fixed_dictionaries({"size": st.just([4, 5]), "counts": st.text("0123abc", max_size=8)}),
        st.dictionaries(st.sampled_from(["counts", "size", "x"]), numbers, max_size=3),
        numbers,
    ),
    "attributes": st.one_of(st.dictionaries(st.text(max_size=3), numbers, max_size=3), numbers),
    "score": st.one_of(st.floats(0, 1), numbers),
    "keypoints": st.one_of(
        st.lists(st.sampled_from([0, 1, 2, 3, 5.5, -1.0]), max_size=9),  # flags out of 0-2 too
        st.lists(numbers, max_size=7),
        numbers,
    ),
    "num_keypoints": st.one_of(st.integers(0, 3), numbers),
    "extra": numbers,
}
records = st.fixed_dictionaries(
    {},
    optional={key: values for key, values in field_values.items()},
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    anns=st.lists(st.one_of(records, records.map(lambda r: {**GOOD, **r})), max_size=25),
    predictions=st.booleans(),
)
def test_random_records_match_the_python_path(
    tmp: Path, anns: list[dict[str, Any]], predictions: bool
) -> None:
    if predictions:  # a bare results list
        path = tmp / "random-results.json"
        path.write_text(json.dumps(anns))
    else:
        path = write_coco(tmp / "random.json", anns)
    sql_table, sql_report, _ = parse(path, sql=True, predictions=predictions)
    py_table, py_report, _ = parse(path, sql=False, predictions=predictions)
    assert rows(sql_table) == rows(py_table)
    assert sql_report == py_report


def test_without_a_kernel_copy(tmp: Path, monkeypatch: Any) -> None:
    # macOS and Windows have no copy_file_range: the array is copied through Python there
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    anns = [{**GOOD, "id": i + 1} for i in range(20)]
    got = assert_same(write_coco(tmp / "plain-copy.json", anns))
    assert [r["source_ann_id"] for r in got] == [str(i + 1) for i in range(20)]


PREDICTION = {k: v for k, v in GOOD.items() if k not in ("id", "iscrowd", "area")}
PREDICTION["score"] = 0.75


@pytest.mark.parametrize("index", range(len(ODD_RECORDS)))
def test_predictions_match_the_python_path(tmp: Path, index: int) -> None:
    # a bare results list: images are named by the results' image_id
    preds: list[Any] = [{**PREDICTION, "score": i / 10} for i in range(10)]
    preds[2] = {**preds[2], "id": 5, "iscrowd": 1}
    preds.insert(5, ODD_RECORDS[index])
    preds.insert(7, {**PREDICTION, "score": True})
    preds.insert(8, {**PREDICTION, "score": "high"})
    preds.insert(9, {k: v for k, v in PREDICTION.items() if k != "score"})
    path = tmp / "results.json"
    path.write_text(json.dumps(preds, separators=(",", ":")))
    got = assert_same(path, predictions=True)
    assert got[0]["image_ref"] == "1" and got[0]["score"] == 0.0


def test_predictions_in_a_dataset_dict(tmp: Path) -> None:
    # a dataset dict names images by its own ids: they map to file names
    anns = [{**PREDICTION, "image_id": [1, 2, 99][i % 3], "id": i} for i in range(30)]
    got = assert_same(write_coco(tmp / "preds.json", anns), predictions=True)
    assert [r["image_ref"] for r in got[:2]] == ["a.jpg", "b.jpg"]
    assert len(got) == 20  # image 99 is not in the file's images: reported, not kept


def _attribute_texts_of_both_paths(path: Path, *, sql_only: bool) -> list[Any]:
    """The stored ``attributes`` texts of ``path``, checked equal between the SQL and the
    Python path; ``sql_only``: the SQL path must not have handed any record to Python."""
    sql_table, _, python_ran = parse(path, sql=True)
    py_table, _, _ = parse(path, sql=False)
    assert sql_table is not None and py_table is not None
    assert not (sql_only and python_ran)
    texts: list[Any] = sql_table.column("attributes").to_pylist()
    assert texts == py_table.column("attributes").to_pylist()
    return texts


def _errors_of_both_paths(path: Path) -> list[str]:
    """The ingest error messages of ``path`` by the SQL path, then by the Python path."""
    messages = []
    for sql in (True, False):
        with pytest.raises(IngestError) as info:
            parse(path, sql=sql)
        messages.append(str(info.value))
    return messages
