"""A split folder given as the ingest source itself (``mydata/val`` rather than ``mydata``):
its samples get the split its name means, recognised as the split subfolders are (the
whole name: ``validation_images`` means none), as they would were its parent given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import ingest, tiny_jpeg
from visionlens_jlab.catalog import Catalog


def _yolo_split(root: Path) -> Path:
    """A YOLO folder as one split of an export holds it: images/ + labels/ + classes.txt."""
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for stem in ("a", "b"):
        (root / "images" / f"{stem}.jpg").write_bytes(tiny_jpeg())
        (root / "labels" / f"{stem}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "classes.txt").write_text("car\n")
    return root


def _roboflow_split(root: Path) -> Path:
    """One split folder of Roboflow's COCO export: images beside _annotations.coco.json."""
    root.mkdir(parents=True)
    (root / "a.jpg").write_bytes(tiny_jpeg())
    doc = {
        "images": [{"id": 0, "file_name": "a.jpg", "width": 64, "height": 48}],
        "annotations": [{"id": 0, "image_id": 0, "category_id": 1, "bbox": [1, 2, 10, 12]}],
        "categories": [{"id": 1, "name": "car"}],
    }
    (root / "_annotations.coco.json").write_text(json.dumps(doc))
    return root


def _splits(catalog: Catalog, name: str) -> list[Any]:
    with catalog.cursor() as cur:
        return [
            row[0]
            for row in cur.execute(
                "SELECT s.split FROM samples s JOIN datasets d USING (dataset_id) "
                "WHERE d.name = ? ORDER BY s.sample_id",
                [name],
            ).fetchall()
        ]


@pytest.mark.parametrize(
    ("folder", "split"),
    [("val", "val"), ("VALID", "val"), ("validation", "val"), ("train", "train"),
     ("test", "test"), ("validation_images", None), ("val2", None), ("my_val", None)],
)  # fmt: skip
def test_a_yolo_split_folder_gets_its_split(tmp_path: Path, folder: str, split: str | None) -> None:
    source = _yolo_split(tmp_path / "mydata" / folder)
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "d", source)
        assert _splits(catalog, "d") == [split, split]


def test_a_split_given_explicitly_wins(tmp_path: Path) -> None:
    source = _yolo_split(tmp_path / "mydata" / "val")
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "d", source, split="test")
        assert _splits(catalog, "d") == ["test", "test"]


def test_a_roboflow_coco_split_folder_gets_the_split_its_parent_gives(tmp_path: Path) -> None:
    folder = _roboflow_split(tmp_path / "export" / "valid")
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "parent", tmp_path / "export")
        ingest(catalog, "folder", folder)
        ingest(catalog, "file", folder / "_annotations.coco.json")
        assert _splits(catalog, "parent") == ["val"]
        assert _splits(catalog, "folder") == ["val"]
        assert _splits(catalog, "file") == ["val"]


def test_a_coco_file_outside_a_split_folder_gets_none(tmp_path: Path) -> None:
    folder = _roboflow_split(tmp_path / "export" / "validation_images")
    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "file", folder / "_annotations.coco.json")
        assert _splits(catalog, "file") == [None]


def test_a_dataset_named_as_a_split_with_other_splits_of_its_own_ingests_whole(
    tmp_path: Path,
) -> None:
    """A YOLO root that happens to be named ``test`` and holds ``train`` and ``val`` splits:
    the folder's name cannot pick a split it lacks, so all of it ingests with its own."""
    root = tmp_path / "test"
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        (root / "images" / split / f"{split}.jpg").write_bytes(tiny_jpeg())
        (root / "labels" / split / f"{split}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "classes.txt").write_text("car\n")
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "d", root).to_dict()
        assert summary["errors"] == []
        assert sorted(_splits(catalog, "d")) == ["train", "val"]
