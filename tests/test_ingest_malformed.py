"""Every file of malformed-datumaro gives a clear error or warning (never a traceback).

The expected outcome of each file is in its EXPECTED_ERRORS.tsv; VisionLens's policy is to
skip what cannot be read with an error entry in the report, to keep what can be kept with a
warning, and to refuse a source that yields nothing usable with an IngestError.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ingest_fixtures import DATASETS, ingest
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.records.report import IngestError

MAL = DATASETS / "malformed-datumaro"
REPO = Path(__file__).resolve().parents[1]

# file -> (level, code, message fragment); level "fatal" = IngestError with the fragment
COCO_EXPECTED = {
    "valid_template.json": None,
    "missing_image_field_id.json": ("fatal", "coco_bad_image", "without 'id'"),
    "missing_image_field_file_name.json": ("fatal", "coco_bad_image", "without 'file_name'"),
    "missing_ann_field_id.json": ("warning", "coco_missing_annotation_id", "without 'id'"),
    "missing_ann_field_image_id.json": ("error", "coco_missing_field", "without 'image_id'"),
    "missing_ann_field_iscrowd.json": ("warning", "coco_missing_iscrowd", "'iscrowd'"),
    "missing_ann_field_category_id.json": ("error", "coco_missing_field", "without 'category_id'"),
    "missing_ann_field_bbox.json": ("error", "coco_missing_field", "without 'bbox'"),
    "missing_top_level_images.json": ("fatal", None, "no top-level 'images'"),
    "missing_top_level_annotations.json": ("warning", "coco_no_annotations", "'annotations'"),
    "missing_top_level_categories.json": ("fatal", None, "no top-level 'categories'"),
    "missing_category_field_id.json": ("error", "coco_bad_category", "no 'id'"),
    "missing_category_field_name.json": ("error", "coco_bad_category", "no 'name'"),
    "undeclared_category_id_2.json": ("error", "coco_unknown_category", "not declared"),
    "bbox_5_values.json": ("error", "coco_bad_bbox", "Bbox has wrong value count"),
    "polygon_odd_coordinate_count.json": ("warning", "coco_bad_segmentation", "not divisible by 2"),
    "polygon_fewer_than_3_points.json": (
        "warning",
        "coco_bad_segmentation",
        "at least 3 (x, y) pairs",
    ),
    "annotation_unknown_image_id_10.json": ("warning", "coco_unknown_image", "not in 'images'"),
    "image_field_wrong_type_id.json": ("warning", "coco_image_id_not_int", "not an integer"),
    "image_field_wrong_type_width.json": ("warning", "coco_image_size_missing", "width/height"),
    "image_field_wrong_type_height.json": ("warning", "coco_image_size_missing", "width/height"),
    "image_field_wrong_type_file_name.json": (
        "fatal",
        "coco_bad_image",
        "'file_name' is not a string",
    ),
    "ann_field_wrong_type_id.json": ("warning", "coco_bad_field_type", "'id' is not an integer"),
    "ann_field_wrong_type_image_id.json": ("warning", "coco_unknown_image", "image id"),
    "ann_field_wrong_type_segmentation.json": (
        "warning",
        "coco_bad_segmentation",
        "polygons or RLE",
    ),
    "ann_field_wrong_type_iscrowd.json": ("error", "coco_bad_field_type", "'iscrowd'"),
    "ann_field_wrong_type_category_id.json": ("error", "coco_bad_field_type", "'category_id'"),
    "ann_field_wrong_type_bbox.json": ("error", "coco_bad_bbox", "not a list"),
    "ann_field_wrong_type_score.json": ("warning", "coco_bad_field_type", "'score'"),
}
VOC_EXPECTED = {
    "valid_template.xml": None,
    "missing_object_name.xml": ("error", "voc_missing_field", "<name>"),
    "missing_object_bndbox.xml": ("error", "voc_missing_field", "<bndbox>"),
    **{
        f"missing_object_bndbox_{k}.xml": ("error", "voc_missing_field", f"<{k}>")
        for k in ("xmin", "ymin", "xmax", "ymax")
    },
    **{
        f"non_numeric_object_bndbox_{k}.xml": ("error", "voc_invalid_field", f"<{k}>")
        for k in ("xmin", "ymin", "xmax", "ymax")
    },
    **{
        f"non_numeric_object_{k}.xml": ("warning", "voc_invalid_field", f"<{k}>")
        for k in ("difficult", "occluded", "truncated")
    },
    "non_numeric_size_width.xml": ("warning", "voc_bad_size", "<width>"),
    "non_numeric_size_height.xml": ("warning", "voc_bad_size", "<height>"),
    "undeclared_label_test.xml": ("warning", "voc_nonstandard_label", "not PASCAL VOC classes"),
}
YOLO_EXPECTED = {
    "field_count_3.txt": ("error", "yolo_bad_line", "Unexpected field count"),
    "undeclared_class_10.txt": ("error", "yolo_unknown_class", "not in the 10 class names"),
    "non_numeric_field1.txt": ("error", "yolo_bad_value", "bbox center x"),
    "non_numeric_field2.txt": ("error", "yolo_bad_value", "bbox center y"),
    "non_numeric_field3.txt": ("error", "yolo_bad_value", "bbox width"),
    "non_numeric_field4.txt": ("error", "yolo_bad_value", "bbox height"),
}


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with Catalog(tmp_path / "data") as cat:
        yield cat


def test_every_listed_file_has_an_expectation() -> None:
    with open(MAL / "EXPECTED_ERRORS.tsv", newline="") as f:
        files = [row["file"] for row in csv.DictReader(f, delimiter="\t")]
    listed = {f.split("/", 1)[1] for f in files if f.startswith(("coco/", "voc/"))}
    listed |= {f.rsplit("/", 1)[1] for f in files if f.startswith("yolo/bad_label_lines/")}
    assert listed == set(COCO_EXPECTED) | set(VOC_EXPECTED) | set(YOLO_EXPECTED)


def _check(catalog: Catalog, source: Path, expected: tuple | None) -> None:
    if expected is not None and expected[0] == "fatal":
        with pytest.raises(IngestError) as info:
            ingest(catalog, "bad", source)
        assert expected[2] in str(info.value)
        if expected[1]:
            assert expected[1] in str(info.value)
        assert catalog.list_datasets() == []  # nothing half-written
        return
    summary = ingest(catalog, "bad", source)
    assert summary.samples == 1
    if expected is None:
        assert summary.errors == []
        assert summary.annotations >= 1
        return
    level, code, fragment = expected
    entries = summary.errors if level == "error" else summary.warnings
    match = [e for e in entries if e["code"] == code]
    assert match, (code, summary.to_dict())
    assert fragment in match[0]["message"], match[0]
    # the report is stored with the dataset, for the UI
    stored = catalog.get_dataset("bad")["report"]
    assert any(e["code"] == code for e in stored["errors" if level == "error" else "warnings"])


@pytest.mark.parametrize("name", sorted(COCO_EXPECTED))
def test_malformed_coco(catalog: Catalog, name: str) -> None:
    _check(catalog, MAL / "coco" / name, COCO_EXPECTED[name])


@pytest.mark.parametrize("name", sorted(VOC_EXPECTED))
def test_malformed_voc(catalog: Catalog, tmp_path: Path, name: str) -> None:
    folder = tmp_path / "xml"
    folder.mkdir()
    shutil.copy(MAL / "voc" / name, folder / "a.xml")
    _check(catalog, folder, VOC_EXPECTED[name])


def _yolo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "yolo"
    shutil.copytree(MAL / "yolo" / "valid_base", root)
    return root


def test_yolo_valid_base(catalog: Catalog, tmp_path: Path) -> None:
    s = ingest(catalog, "ok", _yolo_copy(tmp_path))
    assert (s.samples, s.annotations, s.categories) == (1, 2, 10)
    assert s.warnings == [] and s.errors == []
    with catalog.cursor() as cur:
        labels = [
            r[0] for r in cur.execute("SELECT label FROM annotations ORDER BY label").fetchall()
        ]
    assert labels == ["label_2", "label_4"]


@pytest.mark.parametrize("name", sorted(YOLO_EXPECTED))
def test_malformed_yolo_lines(catalog: Catalog, tmp_path: Path, name: str) -> None:
    root = _yolo_copy(tmp_path)
    shutil.copy(MAL / "yolo" / "bad_label_lines" / name, root / "obj_train_data" / "1.txt")
    _check(catalog, root, YOLO_EXPECTED[name])


def test_yolo_structural_deletions(catalog: Catalog, tmp_path: Path) -> None:
    root = _yolo_copy(tmp_path)
    (root / "obj_train_data" / "1.txt").unlink()  # image listed, label missing
    s = ingest(catalog, "nolabel", root)
    assert s.samples == 1 and s.annotations == 0
    assert any(w["code"] == "yolo_image_without_label" for w in s.warnings)

    root = _yolo_copy(tmp_path / "b")
    (root / "obj_train_data" / "1.jpg").unlink()  # label without its image
    with pytest.raises(IngestError, match="label files without an image"):
        ingest(catalog, "noimage", root)

    root = _yolo_copy(tmp_path / "c")
    (root / "train.txt").unlink()  # subset list named in obj.data is missing
    with pytest.raises(IngestError, match="subset list file"):
        ingest(catalog, "nolist", root)

    root = _yolo_copy(tmp_path / "d")
    (root / "obj.data").unlink()  # no descriptor: the obj_*_data folder is still found
    s = ingest(catalog, "nodata", root)
    assert (s.samples, s.annotations) == (1, 2)
    assert catalog.list_datasets()[0]["name"] == "nodata"


def _cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", *args, "--data-dir", str(data_dir), "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


@pytest.mark.parametrize(
    "name", ["bbox_5_values.json", "missing_top_level_images.json", "valid_template.json"]
)
def test_cli_reports_malformed_coco_without_traceback(tmp_path: Path, name: str) -> None:
    proc = _cli("ingest", str(MAL / "coco" / name), "--name", "bad", data_dir=tmp_path / "d")
    assert "Traceback" not in proc.stderr
    expected = COCO_EXPECTED[name]
    if expected is not None and expected[0] == "fatal":
        assert proc.returncode != 0
        assert expected[2] in proc.stdout + proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
        out = json.loads(proc.stdout)
        assert out["samples"] == 1
        if expected:
            assert any(e["code"] == expected[1] for e in out["errors"] + out["warnings"])


def test_cli_ingest_and_predictions(tmp_path: Path) -> None:
    coco = DATASETS / "coco-val2014-100"
    proc = _cli(
        "ingest",
        str(coco / "annotations/instances_val2014_100.json"),
        "--name",
        "c",
        data_dir=tmp_path / "d",
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["annotations"] == 839
    proc = _cli(
        "predictions",
        "c",
        str(coco / "results/instances_val2014_fakebbox100_results.json"),
        "--model",
        "fake",
        data_dir=tmp_path / "d",
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["predictions"] == 734


def test_nan_in_a_coco_file_is_named_with_the_fix(catalog: Catalog, tmp_path: Path) -> None:
    """Python's ``json.dump`` writes NaN for a missing keypoint; the error shows where and
    what to do instead of calling the file truncated."""
    path = tmp_path / "nan.json"
    coco = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],
        "categories": [{"id": 1, "name": "person", "keypoints": ["a"]}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5], "area": 25.0,
             "iscrowd": 0, "keypoints": [float("nan"), 2.0, 2]}
        ],
    }  # fmt: skip
    path.write_text(json.dumps(coco))
    with pytest.raises(IngestError, match=r"near .*NaN.*NaN and Infinity are not JSON"):
        ingest(catalog, "nan", path)
