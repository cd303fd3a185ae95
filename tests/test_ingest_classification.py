"""Image classification: folder-per-class trees (with split folders, and as FiftyOne's
ImageClassificationDirectoryTree writes them), CSV/Parquet ground truth and predictions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.ingest_fixtures import ingest, ingest_predictions, tiny_jpeg
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.ingest.detect import detect_dataset_format, detect_predictions_format
from visionlens_jlab.ingest.open import open_dataset
from visionlens_jlab.records.report import IngestError


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with Catalog(tmp_path / "data") as cat:
        yield cat


def _images(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(tiny_jpeg(32, 24))


def _labels(catalog: Catalog, dataset: str, source: str = "ground_truth") -> list[tuple]:
    with catalog.cursor() as cur:
        return cur.execute(
            "SELECT s.file_name, s.split, c.label, c.score, c.scores FROM classifications c "
            "JOIN samples s USING (sample_id) JOIN datasets d ON d.dataset_id = c.dataset_id "
            "WHERE d.name = ? AND c.source = ? ORDER BY s.file_name, c.label",
            [dataset, source],
        ).fetchall()


def test_tree_with_split_folders(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    _images(root, "train/cat/a.jpg", "train/dog/b.jpg", "train/dog/deep/c.png")
    _images(root, "val/cat/d.jpg", "val/bird/e.jpg", "val/_unlabeled/f.jpg", "val/g.jpg")
    (root / "classes.txt").write_text("cat\ndog\n")
    assert detect_dataset_format(str(root)) == "classification"
    s = ingest(catalog, "tree", root)
    assert s.samples == 7
    assert _labels(catalog, "tree") == [
        ("train/cat/a.jpg", "train", "cat", None, None),
        ("train/dog/b.jpg", "train", "dog", None, None),
        ("train/dog/deep/c.png", "train", "dog", None, None),
        ("val/bird/e.jpg", "val", "bird", None, None),
        ("val/cat/d.jpg", "val", "cat", None, None),
    ]
    warnings = {w["code"]: w for w in s.warnings}
    assert warnings["classification_unknown_class"]["examples"] == ["val/bird"]
    assert warnings["classification_image_outside_class"]["examples"] == ["g.jpg"]
    report = catalog.get_dataset("tree")["report"]
    assert report["counts"]["unlabeled_images"] == 2
    with catalog.cursor() as cur:
        names = cur.execute("SELECT name FROM categories ORDER BY category_id").fetchall()
    assert [n for (n,) in names] == ["cat", "dog", "bird"]
    assert ingest(catalog, "val", root, split="val").samples == 4
    with pytest.raises(IngestError, match="available: train, val"):
        open_dataset(str(root), split="test")


def test_a_test_split_without_class_folders_holds_unlabeled_images(
    catalog: Catalog, tmp_path: Path
) -> None:
    """``train/<class>/``, ``val/<class>/`` and a bare ``test/`` of images (an unlabeled test
    set) is a tree of two classes, not of the classes train, val and test."""
    root = tmp_path / "tree"
    _images(root, "train/cat/a.jpg", "train/dog/b.jpg", "val/cat/c.jpg", "test/d.jpg")
    assert detect_dataset_format(str(root)) == "classification"
    s = ingest(catalog, "tree", root)
    assert s.samples == 4
    assert [row[:3] for row in _labels(catalog, "tree")] == [
        ("train/cat/a.jpg", "train", "cat"),
        ("train/dog/b.jpg", "train", "dog"),
        ("val/cat/c.jpg", "val", "cat"),
    ]
    with catalog.cursor() as cur:
        splits = cur.execute("SELECT file_name, split FROM samples ORDER BY ALL").fetchall()
    assert ("test/d.jpg", "test") in splits


def test_fiftyone_directory_tree(catalog: Catalog, tmp_path: Path) -> None:
    # ImageClassificationDirectoryTreeExporter: <label>/<filename>, a clash gets "-2",
    # samples without a label go to _unlabeled
    root = tmp_path / "fo"
    _images(root, "cat/0001.jpg", "cat/0001-2.jpg", "dog/0002.jpg", "_unlabeled/0003.jpg")
    s = ingest(catalog, "fo", root)
    assert (s.samples, s.warnings, s.errors) == (4, [], [])
    assert [(f, label) for f, _, label, *_ in _labels(catalog, "fo")] == [
        ("cat/0001-2.jpg", "cat"),
        ("cat/0001.jpg", "cat"),
        ("dog/0002.jpg", "dog"),
    ]


def test_a_lone_image_folder_is_not_detected_as_one_class(catalog: Catalog, tmp_path: Path) -> None:
    _images(tmp_path / "root", "images/a.jpg")
    with pytest.raises(IngestError, match="cannot tell the format"):
        detect_dataset_format(str(tmp_path / "root"))
    s = ingest(catalog, "one", tmp_path / "root", fmt="classification")
    assert _labels(catalog, "one") == [("images/a.jpg", None, "images", None, None)]
    assert s.samples == 1


def test_csv_and_parquet_ground_truth(catalog: Catalog, tmp_path: Path) -> None:
    _images(tmp_path / "imgs", "a.jpg", "b.jpg", "c.jpg")
    csv = tmp_path / "imgs" / "labels.csv"
    csv.write_text(
        "file,label,score\na.jpg,cat,0.9\na.jpg,dog,\nb.jpg,,\nc.jpg,dog,1\nz.jpg,cat,\n"
        "c.jpg,cat,0.5,extra\n"
    )
    s = ingest(catalog, "csv", csv)
    assert s.samples == 4  # z.jpg is kept without a size, reported
    assert _labels(catalog, "csv") == [
        ("a.jpg", None, "cat", None, '{"cat":0.9}'),
        ("a.jpg", None, "dog", None, None),
        ("c.jpg", None, "dog", None, '{"dog":1.0}'),
        ("z.jpg", None, "cat", None, None),
    ]
    errors = {e["code"]: e["examples"] for e in s.errors}
    assert errors == {
        "classification_no_label": ["row 3"],
        "classification_bad_row": ["'c.jpg,cat,0.5,extra'"],
    }
    assert {w["code"] for w in s.warnings} == {"image_unreadable"}
    table = pa.table({"image": ["imgs/a.jpg", "imgs/b.jpg"], "class": [3, 5]})
    pq.write_table(table, tmp_path / "gt.parquet")
    (tmp_path / "classes.txt").write_text("3\n4\n")
    assert detect_dataset_format(str(tmp_path / "gt.parquet")) == "classification"
    s = ingest(catalog, "pq", tmp_path / "gt.parquet")
    assert [(f, label) for f, _, label, *_ in _labels(catalog, "pq")] == [
        ("imgs/a.jpg", "3"),
        ("imgs/b.jpg", "5"),
    ]
    assert {w["code"]: w["examples"] for w in s.warnings} == {"classification_unknown_class": ["5"]}


def test_predictions_label_score_and_per_class_scores(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    _images(root, "cat/a.jpg", "dog/b.jpg", "cat/c.jpg")
    ingest(catalog, "t", root)
    preds = tmp_path / "preds.csv"
    preds.write_text(
        "filename,prediction,confidence\na.jpg,cat,0.8\nb.jpg,cow,0.6\nnope.jpg,cat,1\n"
    )
    assert detect_predictions_format(str(preds)) == "classification"
    s = ingest_predictions(catalog, "t", "m1", preds, classes=["cat", "dog"])
    assert [(f, label, score) for f, _, label, score, _ in _labels(catalog, "t", "m1")] == [
        ("cat/a.jpg", "cat", 0.8),
        ("dog/b.jpg", "cow", 0.6),
    ]
    codes = {w["code"]: w["examples"] for w in s.warnings}
    assert codes["classification_unknown_class"] == ["cow"]
    assert codes["prediction_unknown_image"] == ["nope.jpg"]
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4]])
    files = ["a.jpg", "b.jpg", "c.jpg"]
    table = pa.table(
        {"file": files, **{c: scores[:, i] for i, c in enumerate(["cat", "dog", "fox"])}}
    )
    pq.write_table(table, tmp_path / "scores.parquet")
    s = ingest_predictions(catalog, "t", "m2", tmp_path / "scores.parquet", fmt="classification")
    got: dict[str, Any] = {
        f.split("/")[-1]: (label, score, json.loads(js))
        for f, _, label, score, js in _labels(catalog, "t", "m2")
    }
    for i, name in enumerate(files):
        best = int(np.argmax(scores[i]))
        label, score, per_class = got[name]
        assert label == ["cat", "dog", "fox"][best] and score == scores[i, best]
        assert per_class == dict(zip(["cat", "dog", "fox"], scores[i].tolist(), strict=True))


def test_a_bad_score_cell_costs_only_its_own_cell(catalog: Catalog, tmp_path: Path) -> None:
    """A per-class score column with one cell that is not a number stays a class column
    (before, the whole column was silently dropped from every row, changing their arg-max);
    a score outside [0, 1] is kept and reported (calibration assumes probabilities)."""
    root = tmp_path / "tree"
    _images(root, "cat/a.jpg", "dog/b.jpg", "cat/c.jpg")
    ingest(catalog, "t", root)
    per_class = tmp_path / "scores.csv"
    per_class.write_text("file,cat,dog\na.jpg,0.9,0.1\nb.jpg,x,0.7\nc.jpg,0.6,0.4\n")
    s = ingest_predictions(catalog, "t", "m", per_class, classes=["cat", "dog"])
    got = {
        f: (label, score, json.loads(js)) for f, _, label, score, js in _labels(catalog, "t", "m")
    }
    assert got == {
        "cat/a.jpg": ("cat", 0.9, {"cat": 0.9, "dog": 0.1}),
        "dog/b.jpg": ("dog", 0.7, {"cat": None, "dog": 0.7}),
        "cat/c.jpg": ("cat", 0.6, {"cat": 0.6, "dog": 0.4}),
    }
    errors = {e["code"]: e for e in s.errors}
    assert errors["classification_bad_score"]["count"] == 1
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("file,label,score\na.jpg,cat,0.8\nb.jpg,dog,abc\nc.jpg,cat,7\n")
    s = ingest_predictions(catalog, "t", "m2", labelled, classes=["cat", "dog"])
    assert [(f, score) for f, _, _, score, _ in _labels(catalog, "t", "m2")] == [
        ("cat/a.jpg", 0.8),
        ("cat/c.jpg", 7.0),
        ("dog/b.jpg", None),
    ]
    warnings = {w["code"]: w for w in s.warnings}
    assert warnings["classification_score_out_of_range"]["count"] == 1
    assert {e["code"]: e["count"] for e in s.errors}["classification_bad_score"] == 1


def test_a_repeated_ground_truth_row_is_one_label(catalog: Catalog, tmp_path: Path) -> None:
    """The same (image, label) twice is one label, reported; before, it made the image a
    multi-label image that classification evaluation leaves out."""
    root = tmp_path / "images"
    _images(root, "a.jpg", "b.jpg")
    table = tmp_path / "labels.csv"
    table.write_text("file,label\na.jpg,cat\na.jpg,cat\nb.jpg,dog\nb.jpg,cat\n")
    s = ingest(catalog, "t", table, images=str(root))
    assert [(f, label) for f, _, label, _, _ in _labels(catalog, "t")] == [
        ("a.jpg", "cat"),
        ("b.jpg", "cat"),
        ("b.jpg", "dog"),
    ]
    warnings = {w["code"]: w for w in s.warnings}
    assert warnings["classification_duplicate_row"]["examples"] == ["row 2: a.jpg, cat"]
