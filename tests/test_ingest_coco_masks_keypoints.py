"""COCO masks and keypoints, ground truth and results, checked against pycocotools' ``COCO``
loading the same files: the mask kept as written, its area (``annToRLE`` + ``area``), the box
of an object that has none, keypoints and their count, the category's keypoint names and
skeleton, the validation report, and ``label_types`` in the CLI's JSON. Every ground-truth
case is parsed through both reading paths (DuckDB's and the Python loop)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from tests.paths import DATASETS
from visionlens_jlab.cli import main
from visionlens_jlab.ingest.coco import annotations as coco_annotations
from visionlens_jlab.ingest.coco import label_checks
from visionlens_jlab.ingest.coco import sql_source as coco_sql
from visionlens_jlab.ingest.open import open_dataset, open_predictions
from visionlens_jlab.records.batches import as_plain_json

NAMES = ["nose", "left_eye", "right_eye", "neck"]
SKELETON = [[1, 2], [1, 3], [1, 4]]
IMAGES = [
    {"id": 1, "file_name": "a.jpg", "width": 64, "height": 48},
    {"id": 2, "file_name": "b.jpg", "width": 32, "height": 24},
]
CATEGORIES = [
    {
        "id": 1,
        "name": "person",
        "supercategory": "person",
        "keypoints": NAMES,
        "skeleton": SKELETON,
    },
    {"id": 2, "name": "cat"},
]


def _square(x: float, y: float, s: float) -> list[float]:
    return [x, y, x + s, y, x + s, y + s, x, y + s]


def _rle(height: int, width: int, box: tuple[int, int, int, int]) -> dict[str, Any]:
    """An uncompressed RLE of a filled rectangle (column-major runs, as COCO writes them)."""
    import numpy as np

    m = np.zeros((height, width), dtype=np.uint8)
    x, y, w, h = box
    m[y : y + h, x : x + w] = 1
    flat = m.flatten(order="F")
    counts, current, run = [], 0, 0
    for v in flat.tolist():
        if v != current:
            counts.append(run)
            current, run = v, 0
        run += 1
    counts.append(run)
    return {"size": [height, width], "counts": counts}


def _compressed(rle: dict[str, Any]) -> dict[str, Any]:
    h, w = rle["size"]
    out = mask_utils.frPyObjects(rle, h, w)
    return {"size": out["size"], "counts": out["counts"].decode()}


GOOD: list[dict[str, Any]] = [
    # two polygons, COCO's own area (the mask area)
    {"id": 1, "image_id": 1, "category_id": 2, "bbox": [2, 3, 10, 10], "area": 130.5,
     "iscrowd": 0, "segmentation": [_square(2, 3, 6), _square(8, 9, 4)]},
    # a polygon without area: measured with pycocotools
    {"id": 2, "image_id": 1, "category_id": 2, "bbox": [10, 10, 7, 5], "iscrowd": 0,
     "segmentation": [[10, 10, 17.5, 10, 14, 15.25]]},
    # a crowd, uncompressed RLE without area
    {"id": 3, "image_id": 1, "category_id": 2, "bbox": [20, 5, 9, 7], "iscrowd": 1,
     "segmentation": _rle(48, 64, (20, 5, 9, 7))},
    # compressed RLE without bbox or area: the box from the RLE
    {"id": 4, "image_id": 2, "category_id": 2, "iscrowd": 0,
     "segmentation": _compressed(_rle(24, 32, (3, 4, 5, 6)))},
    # keypoints with a box
    {"id": 5, "image_id": 1, "category_id": 1, "bbox": [30, 10, 20, 30], "area": 600,
     "iscrowd": 0, "keypoints": [35, 12, 2, 40, 12, 1, 0, 0, 0, 38, 30, 2], "num_keypoints": 3},
    # keypoints without a box: the extent of the labelled points
    {"id": 6, "image_id": 2, "category_id": 1, "iscrowd": 0,
     "keypoints": [5, 6, 2, 9.5, 8, 2, 0, 0, 0, 7, 20, 1], "num_keypoints": 3},
]  # fmt: skip
BAD: list[dict[str, Any]] = [
    # a polygon reaching left of the image
    {"id": 11, "image_id": 1, "category_id": 2, "bbox": [0, 1, 5, 5], "area": 20.0,
     "iscrowd": 0, "segmentation": [[-3, 1, 2, 1, 2, 6]]},
    # a polygon beyond the right edge whose box says it is inside
    {"id": 12, "image_id": 2, "category_id": 2, "bbox": [20, 1, 5, 5], "area": 10.0,
     "iscrowd": 0, "segmentation": [[20, 1, 40, 1, 25, 6]]},
    # degenerate: collinear points, and 3 points of which 2 are the same
    {"id": 13, "image_id": 1, "category_id": 2, "bbox": [1, 1, 4, 4], "area": 0.0,
     "iscrowd": 0, "segmentation": [[1, 1, 3, 3, 5, 5]]},
    {"id": 14, "image_id": 1, "category_id": 2, "bbox": [1, 1, 4, 4], "area": 1.0,
     "iscrowd": 0, "segmentation": [[1, 1, 1, 1, 5, 5, 1, 1]]},
    # self-intersecting (a bow tie)
    {"id": 15, "image_id": 1, "category_id": 2, "bbox": [0, 0, 10, 10], "area": 50.0,
     "iscrowd": 0, "segmentation": [[0, 0, 10, 10, 10, 0, 0, 6]]},
    # an RLE the size of another image
    {"id": 16, "image_id": 2, "category_id": 2, "bbox": [1, 1, 2, 2], "area": 4.0,
     "iscrowd": 1, "segmentation": _rle(48, 64, (1, 1, 2, 2))},
    # 3 keypoints for a category of 4 names
    {"id": 17, "image_id": 1, "category_id": 1, "bbox": [1, 1, 9, 9], "area": 81.0,
     "iscrowd": 0, "keypoints": [1, 1, 2, 5, 5, 2, 9, 9, 2], "num_keypoints": 3},
    # a visibility flag of 3
    {"id": 18, "image_id": 1, "category_id": 1, "bbox": [1, 1, 9, 9], "area": 81.0,
     "iscrowd": 0, "keypoints": [1, 1, 3, 5, 5, 2, 9, 9, 2, 4, 4, 0], "num_keypoints": 3},
    # RLEs pycocotools cannot read (negative runs, runs not summing to h*w, a size that is
    # not two integers): the mask dropped, the box kept
    {"id": 21, "image_id": 1, "category_id": 2, "bbox": [1, 1, 2, 2], "iscrowd": 1,
     "segmentation": {"size": [48, 64], "counts": [-5, 3]}},
    {"id": 23, "image_id": 1, "category_id": 2, "bbox": [1, 1, 2, 2], "area": 4.0,
     "iscrowd": 1, "segmentation": {"size": [48, 64], "counts": [5000, 10]}},
    {"id": 24, "image_id": 1, "category_id": 2, "bbox": [1, 1, 2, 2], "iscrowd": 1,
     "segmentation": {"size": ["a", "b"], "counts": [3072]}},
    # compressed, counts before size, the size of another image
    {"id": 22, "image_id": 1, "category_id": 2, "bbox": [3, 4, 5, 6], "area": 30.0,
     "iscrowd": 0, "segmentation": dict(reversed(_compressed(_rle(24, 32, (3, 4, 5, 6))).items()))},
    # keypoints on a category that names none
    {"id": 25, "image_id": 1, "category_id": 2, "bbox": [1, 1, 9, 9], "area": 81.0,
     "iscrowd": 0, "keypoints": [1, 1, 2], "num_keypoints": 1},
    # a labelled point right of its 32-px image (an unlabelled one there does not count)
    {"id": 26, "image_id": 2, "category_id": 1, "bbox": [1, 1, 9, 9], "area": 81.0,
     "iscrowd": 0, "keypoints": [40, 5, 2, 5, 5, 2, 90, 90, 0, 6, 6, 1], "num_keypoints": 3},
    # num_keypoints says 4 where 2 points are labelled
    {"id": 27, "image_id": 1, "category_id": 1, "bbox": [1, 1, 9, 9], "area": 81.0,
     "iscrowd": 0, "keypoints": [1, 1, 2, 5, 5, 0, 9, 9, 1, 0, 0, 0], "num_keypoints": 4},
    # not a multiple of 3: keypoints dropped, box kept
    {"id": 19, "image_id": 1, "category_id": 1, "bbox": [1, 1, 9, 9], "area": 81.0,
     "iscrowd": 0, "keypoints": [1, 1, 2, 5]},
]  # fmt: skip
BAD_CODES = {
    "coco_polygon_outside_image": {11, 12},
    "coco_degenerate_polygon": {13, 14},
    "coco_self_intersecting_polygon": {15},
    "coco_rle_size_mismatch": {16, 22},
    "coco_keypoint_count_mismatch": {17},
    "coco_bad_keypoint_visibility": {18},
    "coco_keypoints_without_names": {25},
    "coco_keypoint_outside_image": {26},
    "coco_num_keypoints_mismatch": {27},
    "coco_bad_keypoints": {19},
    "coco_bad_rle": {21, 23, 24},
}


def write(path: Path, anns: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"images": IMAGES, "categories": CATEGORIES, "annotations": anns}))
    return path


def parse(path: Path, *, sql: bool, predictions: bool = False) -> tuple[list[dict], Any]:
    """The annotation rows and the parser of ``path``, read by one path (DuckDB from 0 bytes
    in batches of 3 rows, or the Python loop alone); asserts the other path did not run."""
    saved = coco_sql.SQL_MIN_BYTES, coco_sql.BATCH_ROWS
    coco_sql.SQL_MIN_BYTES, coco_sql.BATCH_ROWS = (0 if sql else 1 << 60), 3
    ran = {"python": False}
    original = coco_annotations.AnnotationReader._loop

    def spy(self: Any, items: Any) -> Any:
        ran["python"] = True
        return original(self, items)

    coco_annotations.AnnotationReader._loop = spy  # type: ignore[method-assign]
    try:
        if predictions:
            parsed: Any = open_predictions(str(path), "coco", categories={1: "person", 2: "cat"})
        else:
            parsed = open_dataset(str(path), "coco")
        tables = [as_plain_json(b.annotations) for b in parsed.batches() if b.annotations]
    finally:
        coco_sql.SQL_MIN_BYTES, coco_sql.BATCH_ROWS = saved
        coco_annotations.AnnotationReader._loop = original  # type: ignore[method-assign]
    assert ran["python"] is not sql
    return pa.concat_tables(tables).to_pylist(), parsed


@pytest.mark.parametrize("sql", [True, False], ids=["duckdb", "python"])
def test_masks_and_keypoints_match_pycocotools(tmp_path: Path, sql: bool) -> None:
    path = write(tmp_path / "gt.json", GOOD)
    rows, parsed = parse(path, sql=sql)
    coco = COCO(str(path))
    assert len(rows) == len(GOOD)
    for row in rows:
        ann = coco.anns[int(row["source_ann_id"])]
        if "segmentation" in ann:
            assert json.loads(row["segmentation"]) == ann["segmentation"]  # lossless
            rle = coco.annToRLE(ann)
            expected = ann.get("area", float(mask_utils.area(rle)))
            assert row["mask_area"] == pytest.approx(expected)
            if "bbox" not in ann:
                assert [row[k] for k in "xywh"] == list(mask_utils.toBbox(rle))
        else:
            assert row["mask_area"] is None
        if "keypoints" in ann:
            assert row["keypoints"] == [float(v) for v in ann["keypoints"]]
            assert row["num_keypoints"] == ann["num_keypoints"]
            if "bbox" not in ann:
                kp = ann["keypoints"]
                xs = [kp[i] for i in range(0, len(kp), 3) if kp[i + 2] > 0]
                ys = [kp[i + 1] for i in range(0, len(kp), 3) if kp[i + 2] > 0]
                box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
                assert [row[k] for k in "xywh"] == box
        else:
            assert row["keypoints"] is None and row["num_keypoints"] is None
    person = next(c for c in parsed.categories() if c[0] == "person")
    assert person[3] == coco.cats[1]["keypoints"] and person[4] == coco.cats[1]["skeleton"]
    codes = {w["code"] for w in parsed.report.warnings} - {"images_not_found"}
    assert codes == {"coco_bbox_from_segmentation", "coco_bbox_from_keypoints"}


def test_both_paths_give_the_same_rows_and_report(tmp_path: Path) -> None:
    path = write(tmp_path / "gt.json", GOOD + BAD)
    sql_rows, sql_parsed = parse(path, sql=True)
    py_rows, py_parsed = parse(path, sql=False)
    assert sql_rows == py_rows
    assert sql_parsed.report.to_dict() == py_parsed.report.to_dict()


@pytest.mark.parametrize("sql", [True, False], ids=["duckdb", "python"])
def test_bad_masks_and_keypoints_are_reported_and_kept(tmp_path: Path, sql: bool) -> None:
    path = write(tmp_path / "bad.json", GOOD + BAD)
    rows, parsed = parse(path, sql=sql)
    assert {int(r["source_ann_id"]) for r in rows} == {a["id"] for a in GOOD + BAD}
    by_code = {w["code"]: w for w in parsed.report.warnings}
    for code, ids in BAD_CODES.items():
        assert code in by_code, code
        assert by_code[code]["count"] == len(ids), code
        assert {example_id(e) for e in by_code[code]["examples"]} == ids, code
    row19 = next(r for r in rows if r["source_ann_id"] == "19")
    assert row19["keypoints"] is None and row19["w"] == 9.0
    for row in rows:
        if row["source_ann_id"] in ("21", "23", "24"):
            assert row["segmentation"] is None and row["mask_area"] is None
            assert row["w"] == 2.0
        elif row["segmentation"] is not None and row["segmentation"].startswith("{"):
            # every RLE kept is one pycocotools decodes
            rle = json.loads(row["segmentation"])
            if isinstance(rle["counts"], list):
                rle = mask_utils.frPyObjects(rle, *rle["size"])
            assert mask_utils.decode(rle).shape == tuple(rle["size"])
    # the good objects raise none of these
    good_only = {a["id"] for a in GOOD}
    for code in BAD_CODES:
        examples = by_code[code]["examples"]
        assert not any(example_id(e) in good_only for e in examples)


def example_id(example: str) -> int:
    """The annotation id a report example names ("annotation id=7: ..." or a record)."""
    found = re.search(r"annotation id=(\d+)|'id': (\d+)", example)
    assert found, example
    return int(found.group(1) or found.group(2))


def results_file(tmp_path: Path) -> tuple[Path, Path]:
    """A ground truth and a results list of ``segm`` and ``keypoints`` results."""
    gt = write(tmp_path / "gt.json", GOOD)
    results = [
        {"image_id": 1, "category_id": 2, "score": 0.9,
         "segmentation": _compressed(_rle(48, 64, (4, 5, 10, 3)))},
        {"image_id": 2, "category_id": 2, "score": 0.5,
         "segmentation": _compressed(_rle(24, 32, (0, 0, 32, 1)))},
        {"image_id": 1, "category_id": 1, "score": 0.8,
         "keypoints": [35, 12, 1, 40, 14, 1, 30.5, 9, 0, 38, 30, 1]},
    ]  # fmt: skip
    res = tmp_path / "results.json"
    res.write_text(json.dumps(results))
    return gt, res


def test_results_match_coco_load_res(tmp_path: Path) -> None:
    gt, res = results_file(tmp_path)
    results = json.loads(res.read_text())
    # loadRes takes one kind of result per file: the masks, then the keypoints
    for kind, part in (("segm", results[:2]), ("keypoints", results[2:])):
        path = tmp_path / f"{kind}.json"
        path.write_text(json.dumps(part))
        rows, _ = parse(path, sql=False, predictions=True)
        loaded = COCO(str(gt)).loadRes(str(path))
        assert len(rows) == len(loaded.anns)
        for row, ann in zip(rows, loaded.anns.values(), strict=True):
            assert [row[k] for k in "xywh"] == pytest.approx([float(v) for v in ann["bbox"]])
            assert row["area"] == pytest.approx(float(ann["area"]))
            if kind == "segm":
                assert json.loads(row["segmentation"]) == ann["segmentation"]
                assert row["mask_area"] == pytest.approx(float(ann["area"]))
            else:
                assert row["keypoints"] == [float(v) for v in ann["keypoints"]]
                assert row["num_keypoints"] == 3 and row["mask_area"] is None


@pytest.mark.parametrize("sql", [False, True], ids=["python", "sql"])
def test_a_models_keypoint_confidences_are_no_bad_visibility_flags(
    tmp_path: Path, sql: bool
) -> None:
    """detectron2, mmpose and Ultralytics write each point's confidence where the ground
    truth has its visibility flag (COCO's evaluation reads x and y only): kept as given,
    without a warning per object, as a ground-truth flag of 0.73 would get."""
    points = [35, 12, 0.73, 40, 14, 1.4, 30.5, 9, 0.02, 38, 30, 0.0]
    path = tmp_path / "kp.json"
    path.write_text(json.dumps([{"image_id": 1, "category_id": 1, "score": 0.8,
                                 "keypoints": points}]))  # fmt: skip
    rows, parser = parse(path, sql=sql, predictions=True)
    assert rows[0]["keypoints"] == [float(v) for v in points]
    codes = {w["code"] for w in parser.report.warnings}
    assert "coco_bad_keypoint_visibility" not in codes, parser.report.warnings


def cli_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_counts_label_types(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gt, res = results_file(tmp_path)
    data = ["--data-dir", str(tmp_path / "data")]
    out = cli_json(["ingest", str(gt), "--name", "kp", *data], capsys)
    assert out["annotations"] == len(GOOD)
    assert out["label_types"] == {
        "boxes": 6,
        "rotated_boxes": 0,
        "polylines": 0,
        "masks": 4,
        "label_maps": 0,
        "keypoints": 2,
        "classifications": 0,
    }
    out = cli_json(["predictions", "kp", str(res), "--model", "m", *data], capsys)
    assert out["predictions"] == 3
    assert out["label_types"] == {
        "boxes": 3,
        "rotated_boxes": 0,
        "polylines": 0,
        "masks": 2,
        "label_maps": 0,
        "keypoints": 1,
        "classifications": 0,
    }
    with duckdb.connect(str(tmp_path / "data" / "catalog.duckdb"), read_only=True) as con:
        stored = con.execute(
            "SELECT source_ann_id, keypoints, num_keypoints, mask_area FROM annotations "
            "WHERE source = 'ground_truth' ORDER BY ann_id"
        ).fetchall()
        ((names, skeleton),) = con.execute(
            "SELECT keypoint_names, skeleton FROM categories WHERE name = 'person'"
        ).fetchall()
    assert [r[0] for r in stored] == [str(a["id"]) for a in GOOD]
    assert stored[4][1:3] == ([float(v) for v in GOOD[4]["keypoints"]], 3)
    assert stored[0][3] == 130.5 and stored[4][3] is None
    assert names == NAMES and json.loads(skeleton) == SKELETON


def test_real_coco_val2014_masks_and_segm_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = DATASETS / "coco-val2014-100"
    gt = root / "annotations" / "instances_val2014_100.json"
    res = root / "results" / "instances_val2014_fakesegm100_results.json"
    data = ["--data-dir", str(tmp_path / "data")]
    out = cli_json(["ingest", str(gt), "--name", "val", *data], capsys)
    assert out["label_types"] == {
        "boxes": 839,
        "rotated_boxes": 0,
        "polylines": 0,
        "masks": 839,
        "label_maps": 0,
        "keypoints": 0,
        "classifications": 0,
    }
    assert not any("polygon" in w["code"] or "rle" in w["code"] for w in out["warnings"])
    out = cli_json(["predictions", "val", str(res), "--model", "segm", *data], capsys)
    assert out["label_types"] == {
        "boxes": 734,
        "rotated_boxes": 0,
        "polylines": 0,
        "masks": 734,
        "label_maps": 0,
        "keypoints": 0,
        "classifications": 0,
    }
    coco = COCO(str(gt))
    loaded = coco.loadRes(str(res))
    with duckdb.connect(str(tmp_path / "data" / "catalog.duckdb"), read_only=True) as con:
        gt_rows = con.execute(
            "SELECT source_ann_id, mask_area FROM annotations WHERE source = 'ground_truth'"
        ).fetchall()
        pred_rows = con.execute(
            "SELECT mask_area, area, x, y, w, h FROM annotations WHERE source = 'segm' "
            "ORDER BY ann_id"
        ).fetchall()
    for aid, area in gt_rows:
        assert area == pytest.approx(coco.anns[int(aid)]["area"])
    assert len(pred_rows) == len(loaded.anns)
    for (mask_area, area, *box), ann in zip(pred_rows, loaded.anns.values(), strict=True):
        assert mask_area == pytest.approx(float(ann["area"]))
        assert area == pytest.approx(float(ann["area"]))
        assert box == pytest.approx([float(v) for v in ann["bbox"]])


@pytest.mark.parametrize("sql", [True, False], ids=["duckdb", "python"])
def test_polygons_past_the_sample_are_checked_where_a_cheap_test_points(
    tmp_path: Path, sql: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the first polygon objects of a file, a polygon is parsed only when its text has a
    ``-``, its box reaches outside the image or its area is 0 (label_checks' docstring)."""
    monkeypatch.setattr(label_checks, "GEOMETRY_SAMPLE_ROWS", 0)
    monkeypatch.setattr(label_checks, "SELF_INTERSECTION_SAMPLE_ROWS", 0)
    outside_box = {
        "id": 20, "image_id": 2, "category_id": 2, "bbox": [20, 1, 20, 5], "area": 10.0,
        "iscrowd": 0, "segmentation": [[20, 1, 40, 1, 25, 6]],
    }  # fmt: skip
    _, parsed = parse(write(tmp_path / "bad.json", GOOD + BAD + [outside_box]), sql=sql)
    by_code = {w["code"]: w for w in parsed.report.warnings}
    found = {example_id(e) for e in by_code["coco_polygon_outside_image"]["examples"]}
    assert found == {11, 20}  # 12's box lies inside its image: not parsed
    assert {example_id(e) for e in by_code["coco_degenerate_polygon"]["examples"]} == {13}
    assert "coco_self_intersecting_polygon" not in by_code
