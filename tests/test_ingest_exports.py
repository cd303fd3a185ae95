"""Layouts other tools export ingest with one command, auto-detected: FiftyOne 1.22's COCO
(``labels.json`` + ``data/``), VOC (``data/`` + ``labels/``) and classification-tree exports,
built here as its exporters write them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest_fixtures import tiny_jpeg
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.ingest.detect import detect_dataset_format

from .cli_fixtures import cli


def _fiftyone_coco(root: Path) -> None:
    """COCODetectionDatasetExporter: images copied to data/ under their own names, one
    labels.json with 1-based image ids, 0-based category ids in sorted class order,
    ``area`` = box area and extra attributes at the top of each annotation."""
    (root / "data").mkdir(parents=True)
    for name in ("dog.jpg", "cat.jpg"):
        (root / "data" / name).write_bytes(tiny_jpeg(64, 48))
    labels = {
        "info": {
            "year": "",
            "version": "",
            "description": "Exported from FiftyOne",
            "contributor": "",
            "url": "https://voxel51.com/fiftyone",
            "date_created": "2026-11-23T17:00:00",
        },
        "licenses": [],
        "categories": [
            {"id": 0, "name": "cat", "supercategory": None},
            {"id": 1, "name": "dog", "supercategory": None},
        ],
        "images": [
            {
                "id": 1,
                "file_name": "dog.jpg",
                "height": 48,
                "width": 64,
                "license": None,
                "coco_url": None,
            },
            {
                "id": 2,
                "file_name": "cat.jpg",
                "height": 48,
                "width": 64,
                "license": None,
                "coco_url": None,
            },
        ],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [4.0, 5.0, 20.0, 10.0],
                "area": 200.0,
                "iscrowd": 0,
                "occluded": True,
            },
            {
                "id": 2,
                "image_id": 2,
                "category_id": 0,
                "bbox": [1.0, 2.0, 3.0, 4.0],
                "score": 0.5,
                "area": 12.0,
            },
        ],
    }
    (root / "labels.json").write_text(json.dumps(labels))


def _fiftyone_voc(root: Path) -> None:
    """VOCDetectionDatasetExporter: data/<file> and labels/<stem>.xml from its jinja
    template (empty folder/segmented/database, the image's absolute <path>, extra
    attributes as child elements); images without labels get no XML."""
    (root / "data").mkdir(parents=True)
    (root / "labels").mkdir()
    for name in ("a.jpg", "b.jpg", "unlabeled.jpg"):
        (root / "data" / name).write_bytes(tiny_jpeg(64, 48))
    for stem, objects in (("a", [("cat", 1, 2, 30, 40)]), ("b", [("dog", 5, 5, 9, 9)] * 2)):
        body = "".join(
            f"    <object>\n        <name>{n}</name>\n        <occluded>False</occluded>\n"
            f"        <bndbox>\n            <xmin>{x0}</xmin>\n            <ymin>{y0}</ymin>\n"
            f"            <xmax>{x1}</xmax>\n            <ymax>{y1}</ymax>\n        </bndbox>\n"
            "    </object>\n"
            for n, x0, y0, x1, y1 in objects
        )
        (root / "labels" / f"{stem}.xml").write_text(
            "<annotation>\n    <folder></folder>\n"
            f"    <filename>{stem}.jpg</filename>\n    <path>{root / 'data' / stem}.jpg</path>\n"
            "    <source>\n        <database></database>\n    </source>\n"
            "    <size>\n        <width>64</width>\n        <height>48</height>\n"
            "        <depth>3</depth>\n    </size>\n    <segmented></segmented>\n"
            f"{body}</annotation>"
        )


def _boxes(catalog: Catalog, name: str) -> list[tuple]:
    with catalog.cursor() as cur:
        return cur.execute(
            "SELECT s.file_name, a.label, a.x, a.y, a.w, a.h FROM annotations a "
            "JOIN samples s USING (sample_id) JOIN datasets d ON d.dataset_id = a.dataset_id "
            "WHERE d.name = ? ORDER BY a.ann_id",
            [name],
        ).fetchall()


def test_fiftyone_exports_ingest_with_one_command(tmp_path: Path) -> None:
    data = tmp_path / "vl"
    _fiftyone_coco(tmp_path / "coco")
    _fiftyone_voc(tmp_path / "voc")
    tree = tmp_path / "tree"
    for name in ("cat/1.jpg", "dog/2.jpg", "_unlabeled/3.jpg"):
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(tiny_jpeg(32, 24))
    assert detect_dataset_format(str(tmp_path / "coco")) == "coco"
    assert detect_dataset_format(str(tmp_path / "voc")) == "voc"
    assert detect_dataset_format(str(tree)) == "classification"
    coco = cli(data, "ingest", str(tmp_path / "coco"), "--name", "coco")
    assert (coco["samples"], coco["annotations"], coco["errors"]) == (2, 2, [])
    # FiftyOne writes ``iscrowd`` only for objects that have the attribute
    assert [w["code"] for w in coco["warnings"]] == ["coco_missing_iscrowd"]
    voc = cli(data, "ingest", str(tmp_path / "voc"), "--name", "voc")
    assert (voc["samples"], voc["annotations"], voc["errors"]) == (3, 3, [])
    assert [w["code"] for w in voc["warnings"]] == ["image_without_annotation"]
    forced = cli(data, "ingest", str(tmp_path / "voc"), "--name", "voc2", "--format", "voc")
    assert forced["annotations"] == 3
    trees = cli(data, "ingest", str(tree), "--name", "tree")
    assert (trees["samples"], trees["annotations"]) == (3, 2)
    with Catalog(data) as catalog:
        assert _boxes(catalog, "coco") == [
            ("dog.jpg", "dog", 4.0, 5.0, 20.0, 10.0),
            ("cat.jpg", "cat", 1.0, 2.0, 3.0, 4.0),
        ]
        assert _boxes(catalog, "voc") == [
            ("a.jpg", "cat", 1.0, 2.0, 29.0, 38.0),
            ("b.jpg", "dog", 5.0, 5.0, 4.0, 4.0),
            ("b.jpg", "dog", 5.0, 5.0, 4.0, 4.0),
        ]
        assert catalog.get_dataset("coco")["media_root"] == str(tmp_path / "coco" / "data")


def test_a_folder_with_a_json_but_no_data_folder_still_asks_for_the_file(tmp_path: Path) -> None:
    from visionlens_jlab.records.report import IngestError

    (tmp_path / "only").mkdir()
    (tmp_path / "only" / "instances.json").write_text("{}")
    with pytest.raises(IngestError, match="pass the file itself"):
        detect_dataset_format(str(tmp_path / "only"))


def test_new_label_columns_cross_the_parse_worker(tmp_path: Path) -> None:
    """The server's ingest job parses in a spawned worker: masks, keypoints and
    classifications arrive whole through its pipe."""
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
    from visionlens_jlab.importing.jobs import WorkerParsedSource

    seg = tmp_path / "seg"
    for sub in ("images/train", "labels/train"):
        (seg / sub).mkdir(parents=True)
    (seg / "images/train/a.jpg").write_bytes(tiny_jpeg(64, 48))
    (seg / "labels/train/a.txt").write_text("0 0.1 0.1 0.5 0.1 0.5 0.5\n")
    (seg / "data.yaml").write_text("path: .\ntrain: images/train\nnames: [cat]\n")
    tree = tmp_path / "tree"
    for name in ("cat/b.jpg", "dog/c.jpg"):
        (tree / name).parent.mkdir(parents=True)
        (tree / name).write_bytes(tiny_jpeg(32, 24))
    with Catalog(tmp_path / "vl") as catalog:
        for name, source in (("seg", seg), ("tree", tree)):
            options = {"source": str(source), "fmt": "auto", "images": None, "split": None}
            with WorkerParsedSource(None, "dataset", options) as parsed:
                write_dataset(catalog, name, parsed)
        with catalog.cursor() as cur:
            mask = cur.execute("SELECT segmentation, mask_area FROM annotations").fetchone()
            labels = cur.execute("SELECT label FROM classifications ORDER BY 1").fetchall()
    assert mask is not None
    assert json.loads(mask[0]) == [[6.4, 4.8, 32.0, 4.8, 32.0, 24.0]]
    assert mask[1] == pytest.approx(0.5 * 25.6 * 19.2)
    assert labels == [("cat",), ("dog",)]
