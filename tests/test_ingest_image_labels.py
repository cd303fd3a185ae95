"""``open_dataset(..., image_labels=table)``: a COCO file plus a CSV of image labels."""

from __future__ import annotations

import json
from pathlib import Path

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.ingest.open import open_dataset


def test_image_labels_join_the_objects_and_unknown_images_are_reported(tmp_path: Path) -> None:
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
    labels = tmp_path / "labels.csv"
    # matched by the full name and by the stem; a third image is not in the dataset
    labels.write_text("file,label\na/one.jpg,indoor\ntwo,outdoor\nthree.jpg,indoor\n")
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
    assert summary.label_types == {"boxes": 1, "masks": 0, "keypoints": 0, "classifications": 2}
    (warning,) = [w for w in summary.warnings if w["code"] == "image_label_unknown_image"]
    assert warning["count"] == 1 and warning["examples"] == ["three.jpg"]
