"""File names as other tools write them (``./x.jpg``, ``train\\x.jpg``, absolute paths, URLs)
matched to a dataset's samples: the rule itself, then predictions (objects and image labels)
and ``--image-labels`` that match through it (``records/image_names.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest_fixtures import ingest_predictions
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.ingest.open import open_dataset
from visionlens_jlab.records.image_names import (
    AMBIGUOUS,
    NameIndex,
    matched_by_suffix,
    normalize_name,
)

NAMES = ["train/a.jpg", "val/a.jpg", "train/b.jpg", "val/d.jpg", "e.jpg", "sub/e.jpg"]
# each name as another tool writes it, and the file it means (None: ambiguous)
WRITTEN = {
    "./train/b.jpg": "train/b.jpg",
    "val\\d.jpg": "val/d.jpg",
    "/data/coco/val/a.jpg": "val/a.jpg",  # FiftyOne's filepath, the dataset root /data/coco
    "gs://bucket/coco/train/a.jpg": "train/a.jpg",
    "C:\\Users\\me\\coco\\val\\d.jpg": "val/d.jpg",
    "/mnt/other/e.jpg": "e.jpg",  # the root file fits whole; sub/e.jpg would need .../sub/
    "/mnt/other/sub/e.jpg": "sub/e.jpg",
    "/elsewhere/images/a.jpg": None,  # train/a.jpg or val/a.jpg: never a guess
    "coco/train/b.jpg": "train/b.jpg",  # relative to a folder above the dataset's root
    "a.jpg": None,  # the base name of train/a.jpg and of val/a.jpg
    "./a.jpg": None,
    "d.jpg": "val/d.jpg",  # a base name one image has
}
AMBIGUOUS_WRITTEN = sorted(w for w, meant in WRITTEN.items() if meant is None)


def test_the_rule() -> None:
    assert normalize_name(".\\train\\x.jpg") == "train/x.jpg"
    assert normalize_name("./a/./b.jpg") == "a/b.jpg"
    by_suffix = ("/x.jpg", "C:\\x.jpg", "s3://b/x.jpg", "train\\x.jpg", "a/b/x.jpg")
    assert all(matched_by_suffix(normalize_name(n)) for n in by_suffix)
    assert not matched_by_suffix(normalize_name("./x.jpg"))
    index = NameIndex((name, i) for i, name in enumerate(NAMES))
    for written, meant in WRITTEN.items():
        if matched_by_suffix(normalize_name(written)):
            expected = AMBIGUOUS if meant is None else NAMES.index(meant)
            assert index.resolve(written) == expected, written
    # a layout of another machine: the longest shared suffix decides, ties are ambiguous
    assert index.resolve("/other/root/images/val/d.jpg") == NAMES.index("val/d.jpg")
    assert index.resolve("https://host/x/b.jpg?sig=1") == NAMES.index("train/b.jpg")
    assert index.resolve("/other/nothing.jpg") is None
    # two samples of one file name (frames of a video, say) make it ambiguous too
    assert NameIndex([("x/f.jpg", 1), ("x/f.jpg", 2)]).resolve("/r/x/f.jpg") == AMBIGUOUS


def _dataset(tmp_path: Path) -> Path:
    images = [{"id": i + 1, "file_name": n, "width": 10, "height": 10} for i, n in enumerate(NAMES)]
    coco = {"images": images, "annotations": [], "categories": [{"id": 1, "name": "cat"}]}
    (tmp_path / "gt.json").write_text(json.dumps(coco))
    return tmp_path / "gt.json"


@pytest.fixture
def catalog(tmp_path: Path):
    with Catalog(tmp_path / "data") as cat:
        write_dataset(cat, "d", open_dataset(str(_dataset(tmp_path)), "coco"))
        yield cat


def _by_file(catalog: Catalog, model: str, table: str) -> list[str]:
    with catalog.cursor() as cur:
        rows = cur.execute(
            f"SELECT s.file_name FROM {table} x JOIN samples s USING (sample_id) "  # noqa: S608
            "WHERE x.source = ? ORDER BY s.file_name",
            [model],
        ).fetchall()
    return [r[0] for r in rows]


def test_object_predictions_name_images_as_other_tools_write_them(
    catalog: Catalog, tmp_path: Path
) -> None:
    images = [{"id": i, "file_name": n} for i, n in enumerate([*WRITTEN, "/x/missing.jpg"])]
    boxes = [{"id": i + 1, "image_id": img["id"], "category_id": 1, "bbox": [1, 1, 2, 2],
              "score": 0.9} for i, img in enumerate(images)]  # fmt: skip
    results = {"images": images, "annotations": boxes, "categories": [{"id": 1, "name": "cat"}]}
    (tmp_path / "preds.json").write_text(json.dumps(results))
    summary = ingest_predictions(catalog, "d", "m", tmp_path / "preds.json", fmt="coco")
    assert _by_file(catalog, "m", "annotations") == sorted(m for m in WRITTEN.values() if m)
    warnings = {w["code"]: w for w in summary.warnings}
    assert sorted(warnings["prediction_ambiguous_image"]["examples"]) == AMBIGUOUS_WRITTEN
    assert warnings["prediction_unknown_image"]["examples"] == ["/x/missing.jpg"]
    assert warnings["prediction_unknown_image"]["count"] == 1


def test_image_label_predictions_and_image_labels_match_the_same_way(
    catalog: Catalog, tmp_path: Path
) -> None:
    rows = "".join(f'"{written}",cat,0.5\n' for written in WRITTEN)
    (tmp_path / "preds.csv").write_text("filename,prediction,confidence\n" + rows)
    summary = ingest_predictions(catalog, "d", "m", tmp_path / "preds.csv", fmt="classification")
    assert _by_file(catalog, "m", "classifications") == sorted(m for m in WRITTEN.values() if m)
    (ambiguous,) = [w for w in summary.warnings if w["code"] == "prediction_ambiguous_image"]
    assert sorted(ambiguous["examples"]) == AMBIGUOUS_WRITTEN
    assert not [w for w in summary.warnings if w["code"] == "prediction_unknown_image"]
    # --image-labels: the dataset's own image labels, from a table written elsewhere
    (tmp_path / "labels.csv").write_text("file,label\n" + rows.replace(",0.5", ""))
    parsed = open_dataset(
        str(_dataset(tmp_path)), "coco", image_labels=str(tmp_path / "labels.csv")
    )
    with Catalog(tmp_path / "other") as other:
        summary = write_dataset(other, "d", parsed)
        # val/d.jpg's label twice (two spellings) is one label, as for any image
        assert _by_file(other, "ground_truth", "classifications") == sorted(
            {m for m in WRITTEN.values() if m}
        )
    codes = {w["code"]: w["examples"] for w in summary.warnings}
    assert sorted(codes["image_label_ambiguous_image"]) == AMBIGUOUS_WRITTEN
    assert "image_label_unknown_image" not in codes
