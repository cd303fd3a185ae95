"""``open_dataset(..., image_labels=table)`` and ``visionlens ingest --image-labels``: a
COCO file plus a CSV of image labels."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.ingest.open import open_dataset


def _coco(tmp_path: Path) -> Path:
    coco = {
        "images": [
            {"id": 1, "file_name": "a/one.jpg", "width": 10, "height": 10},
            {"id": 2, "file_name": "a/two.jpg", "width": 10, "height": 10},
        ],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 3, 3], "area": 9}
        ],
        "categories": [{"id": 1, "name": "cat"}],
    }
    source = tmp_path / "coco.json"
    source.write_text(json.dumps(coco))
    return source


def _labels(tmp_path: Path) -> Path:
    labels = tmp_path / "labels.csv"
    # matched by the full name and by the stem; a third image is not in the dataset
    # and one.jpg's label again by its stem: still one label
    labels.write_text("file,label\na/one.jpg,indoor\ntwo,outdoor\nthree.jpg,indoor\none,indoor\n")
    return labels


def test_image_labels_join_the_objects_and_unknown_images_are_reported(tmp_path: Path) -> None:
    source, labels = _coco(tmp_path), _labels(tmp_path)
    parsed = open_dataset(str(source), "coco", image_labels=str(labels))
    with Catalog(tmp_path / "data") as catalog:
        summary = write_dataset(catalog, "d", parsed)
        with catalog.cursor() as cur:
            rows = cur.execute(
                "SELECT s.file_name, c.source, c.label FROM classifications c "
                "JOIN samples s USING (dataset_id, sample_id) ORDER BY s.file_name"
            ).fetchall()
    assert rows == [("a/one.jpg", "ground_truth", "indoor"), ("a/two.jpg", "ground_truth",
                                                             "outdoor")]  # fmt: skip
    assert summary.label_types == {
        "boxes": 1,
        "rotated_boxes": 0,
        "polylines": 0,
        "masks": 0,
        "label_maps": 0,
        "keypoints": 0,
        "classifications": 2,
    }
    (warning,) = [w for w in summary.warnings if w["code"] == "image_label_unknown_image"]
    assert warning["count"] == 1 and warning["examples"] == ["three.jpg"]
    (again,) = [w for w in summary.warnings if w["code"] == "image_label_duplicate"]
    assert again["examples"] == ["one, indoor"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_cli_ingest_takes_image_labels(tmp_path: Path) -> None:
    source, labels = _coco(tmp_path), _labels(tmp_path)
    data = tmp_path / "data"
    done = _cli("ingest", str(source), "--name", "d", "--image-labels", str(labels),
                "--data-dir", str(data), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["label_types"]["classifications"] == 2
    (unknown,) = [w for w in result["warnings"] if w["code"] == "image_label_unknown_image"]
    assert unknown["examples"] == ["three.jpg"]
    with Catalog(data) as catalog, catalog.cursor() as cur:
        rows = cur.execute("SELECT label FROM classifications ORDER BY label").fetchall()
    assert rows == [("indoor",), ("outdoor",)]
    # a missing table is one clear error, and no dataset is written
    done = _cli("ingest", str(source), "--name", "e", "--image-labels", str(tmp_path / "no.csv"),
                "--data-dir", str(data))  # fmt: skip
    assert done.returncode == 1 and "no.csv does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    assert "--image-labels TABLE" in _cli("ingest", "--help").stdout
