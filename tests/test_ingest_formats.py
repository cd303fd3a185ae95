"""Format edge cases (pitfalls 4 and 12) on small generated files, real DuckDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ingest_fixtures import (
    count,
    ingest,
    ingest_predictions,
    tiny_jpeg,
    write_coco,
    write_voc,
    write_yolo,
)
from tests.media_fixtures import gcs_bucket, gcs_emulator, gcs_upload  # noqa: F401 - fixture
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.ingest.detect import detect_dataset_format
from visionlens_jlab.ingest.images import image_size, join_location
from visionlens_jlab.ingest.open import open_dataset, open_predictions
from visionlens_jlab.records.report import IngestError


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with Catalog(tmp_path / "data") as cat:
        yield cat


def _coco(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data))
    return path


BASE = {
    "images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 50}],
    "categories": [{"id": 3, "name": "cat"}],
}


def test_coco_key_order_does_not_matter(catalog: Catalog, tmp_path: Path) -> None:
    a = write_coco(tmp_path / "first.json", 30, 3)
    b = write_coco(tmp_path / "last.json", 30, 3, categories_last=True)
    s1 = ingest(catalog, "first", tmp_path / "first.json")
    s2 = ingest(catalog, "last", tmp_path / "last.json")
    assert s1.annotations == s2.annotations == a == b == 90
    assert s1.categories == s2.categories == 80


def test_coco_nested_keys_fall_back_to_prefix_parsing(catalog: Catalog, tmp_path: Path) -> None:
    # an image carries its own "annotations"/"images" keys: the byte scan is ambiguous
    data = {
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4], "iscrowd": 0}
        ],
        "images": [
            {
                "id": 1,
                "file_name": "a.jpg",
                "width": 10,
                "height": 10,
                "meta": {"annotations": [1, 2], "images": [], "categories": "x"},
            }
        ],
        "categories": [{"id": 3, "name": "cat"}],
    }
    s = ingest(catalog, "nested", _coco(tmp_path / "n.json", data))
    assert (s.samples, s.annotations, s.categories) == (1, 1, 1)
    assert json.loads(count(catalog, "SELECT fields FROM samples"))["meta"]["annotations"] == [1, 2]


def test_coco_truncated_file_is_an_error_and_nothing_is_written(
    catalog: Catalog, tmp_path: Path
) -> None:
    write_coco(tmp_path / "full.json", 50, 4)
    raw = (tmp_path / "full.json").read_bytes()
    (tmp_path / "cut.json").write_bytes(raw[: len(raw) * 3 // 4])
    with pytest.raises(IngestError, match="not valid JSON"):
        ingest(catalog, "cut", tmp_path / "cut.json")
    assert catalog.list_datasets() == []
    assert count(catalog, "SELECT COUNT(*) FROM samples") == 0


def test_coco_rle_compressed_and_uncompressed_kept(catalog: Catalog, tmp_path: Path) -> None:
    anns = [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 3,
            "bbox": [0, 0, 2, 2],
            "iscrowd": 1,
            "segmentation": {"counts": [0, 4, 4996], "size": [50, 100]},
        },
        {
            "id": 2,
            "image_id": 1,
            "category_id": 3,
            "bbox": [0, 0, 2, 2],
            "iscrowd": 1,
            "segmentation": {"counts": "04L4", "size": [50, 100]},
        },
        {
            "id": 3,
            "image_id": 1,
            "category_id": 3,
            "bbox": [5, 5, 2, 2],
            "iscrowd": 0,
            "segmentation": [[5, 5, 7, 5, 7, 7]],
            "occluded": True,
        },
    ]
    s = ingest(catalog, "rle", _coco(tmp_path / "r.json", {**BASE, "annotations": anns}))
    assert s.annotations == 3 and s.errors == [] and s.warnings[0]["code"] == "images_not_found"
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT source_ann_id, segmentation, attributes, iscrowd FROM annotations ORDER BY 1"
        ).fetchall()
    assert [json.loads(r[1]) for r in rows] == [a["segmentation"] for a in anns]
    assert json.loads(rows[2][2]) == {"occluded": True}
    assert [r[3] for r in rows] == [True, True, False]


def test_coco_bad_boxes_counted_with_examples(catalog: Catalog, tmp_path: Path) -> None:
    anns = [
        {"id": i, "image_id": 1, "category_id": 3, "bbox": [1, 1, -2, 3], "iscrowd": 0}
        for i in range(7)
    ]
    anns += [{"id": 10, "image_id": 1, "category_id": 3, "bbox": [1, "x", 2, 3], "iscrowd": 0}]
    anns += [{"id": 11, "image_id": 1, "category_id": 3, "bbox": [1, 1, 2, 3], "iscrowd": 0}] * 2
    s = ingest(catalog, "bad", _coco(tmp_path / "b.json", {**BASE, "annotations": anns}))
    assert s.annotations == 2
    bad = next(e for e in s.errors if e["code"] == "coco_bad_bbox")
    assert bad["count"] == 8 and len(bad["examples"]) == 5
    dup = next(w for w in s.warnings if w["code"] == "coco_duplicate_annotation_id")
    assert dup["count"] == 1 and dup["examples"] == ["11"]


def test_coco_duplicate_image_ids_and_images_root(catalog: Catalog, tmp_path: Path) -> None:
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.jpg").write_bytes(tiny_jpeg(30, 20))
    data = {
        "images": [{"id": 1, "file_name": "a.jpg"}, {"id": 1, "file_name": "b.jpg"}],
        "categories": [{"id": 3, "name": "cat"}],
        "annotations": [],
    }
    s = ingest(catalog, "dup", _coco(tmp_path / "d.json", data), images=str(tmp_path / "imgs"))
    assert s.samples == 1
    codes = {w["code"] for w in s.warnings}
    assert {"coco_duplicate_image_id", "coco_image_size_from_file"} <= codes
    with catalog.cursor() as cur:
        assert cur.execute("SELECT location, width, height FROM samples").fetchone() == (
            str(tmp_path / "imgs" / "a.jpg"),
            30,
            20,
        )


def test_gcs_images_root_is_joined_as_a_uri(tmp_path: Path) -> None:
    parsed = open_dataset(
        str(_coco(tmp_path / "g.json", {**BASE, "annotations": []})), images="gs://bucket/prefix/"
    )
    batch = next(iter(parsed.batches()))
    assert batch.samples is not None
    assert batch.samples.column("location").to_pylist() == ["gs://bucket/prefix/a.jpg"]
    assert join_location("gs://b/p", "sub\\x.jpg") == "gs://b/p/sub/x.jpg"


def test_image_size_reads_headers_only(tmp_path: Path) -> None:
    p = tmp_path / "x.jpg"
    data = tiny_jpeg(33, 21)
    p.write_bytes(data[: data.find(b"\xff\xda") + 30])  # pixel data cut: a decode would fail
    assert image_size(str(p)) == (33, 21)
    assert image_size(str(tmp_path / "missing.jpg")) is None


def test_yolo_ultralytics_layout_with_splits(catalog: Catalog, tmp_path: Path) -> None:
    n = write_yolo(tmp_path / "y", 10, 2)
    s = ingest(catalog, "y", tmp_path / "y")
    assert (s.samples, s.annotations, s.categories) == (10, n, 20)
    with catalog.cursor() as cur:
        assert cur.execute(
            "SELECT split, COUNT(*) FROM samples GROUP BY 1 ORDER BY 1"
        ).fetchall() == [("train", 5), ("val", 5)]
    only = ingest(catalog, "yval", tmp_path / "y", split="val")
    assert only.samples == 5
    with pytest.raises(IngestError, match="available: train, val"):
        open_dataset(str(tmp_path / "y"), split="test")


def test_yolo_flat_layout_edge_cases(catalog: Catalog, tmp_path: Path) -> None:
    root = tmp_path / "flat"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for stem in ("crlf", "empty", "clamp", "nolabel", "unknown"):
        (root / "images" / f"{stem}.jpg").write_bytes(tiny_jpeg(100, 50))
    (root / "classes.txt").write_text("a\r\nb\r\n")
    (root / "labels" / "crlf.txt").write_bytes(
        b"\xef\xbb\xbf0 0.5 0.5 0.2 0.2\r\n1\t0.5 0.5 0.4 0.4\r\n"
    )
    (root / "labels" / "empty.txt").write_text("")
    (root / "labels" / "clamp.txt").write_text("0 0.95 0.5 0.2 0.2\n0 1.0000001 0.5 0.000001 0.1\n")
    (root / "labels" / "unknown.txt").write_text("5 0.5 0.5 0.1 0.1\n")
    (root / "labels" / "orphan.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    assert detect_dataset_format(str(root)) == "yolo"
    s = ingest(catalog, "flat", root)
    assert s.samples == 5
    assert s.annotations == 4  # crlf x2, clamp x2 (one clamped, one float noise), unknown skipped
    warnings = {w["code"]: w["count"] for w in s.warnings}
    assert warnings["yolo_clamped"] == 1
    assert warnings["yolo_image_without_label"] == 1
    assert warnings["yolo_label_without_image"] == 1
    assert {e["code"] for e in s.errors} == {"yolo_unknown_class"}
    with catalog.cursor() as cur:
        box = cur.execute(
            "SELECT x, y, w, h FROM annotations a JOIN samples s USING (sample_id) WHERE s.source_image_id = 'clamp' ORDER BY x LIMIT 1"
        ).fetchone()
    assert box == pytest.approx((85.0, 20.0, 15.0, 10.0))  # 0.85..1.05 clamped to 0.85..1.0
    assert catalog.get_dataset("flat")["report"]["counts"]["label_files_without_boxes"] == 2


def test_voc_root_with_imagesets_splits(catalog: Catalog, tmp_path: Path) -> None:
    n = write_voc(tmp_path / "voc", 20, 2)
    s = ingest(catalog, "voc", tmp_path / "voc")
    assert (s.samples, s.annotations) == (20, n)
    assert s.warnings == [] and s.errors == []
    with catalog.cursor() as cur:
        assert cur.execute(
            "SELECT split, COUNT(*) FROM samples GROUP BY 1 ORDER BY 1"
        ).fetchall() == [("train", 15), ("val", 5)]
        assert cur.execute(
            "SELECT COUNT(*) FROM samples WHERE location LIKE '%/JPEGImages/%'"
        ).fetchone() == (20,)
    assert ingest(catalog, "vval", tmp_path / "voc", split="val").samples == 5


def test_voc_rejects_dtd_and_entities(catalog: Catalog, tmp_path: Path) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "bomb.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxx"><!ENTITY y "&x;&x;&x;">]>'
        "<annotation><filename>a.jpg</filename><object><name>&y;</name></object></annotation>"
    )
    (folder / "ok.xml").write_text(
        "<annotation><filename>b.jpg</filename><object><name>dog</name><bndbox><xmin>1</xmin>"
        "<ymin>1</ymin><xmax>5</xmax><ymax>6</ymax></bndbox></object></annotation>"
    )
    s = ingest(catalog, "x", folder)
    assert (s.samples, s.annotations) == (1, 1)
    err = next(e for e in s.errors if e["code"] == "voc_bad_xml")
    assert "DTD" in err["examples"][0]


def test_voc_size_missing_read_from_image_header(catalog: Catalog, tmp_path: Path) -> None:
    folder = tmp_path / "v"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "c.jpg").write_bytes(tiny_jpeg(40, 30))
    (folder / "c.xml").write_text(
        "<annotation><filename>c.jpg</filename><object><name>dog</name><bndbox><xmax>5</xmax>"
        "<xmin>1</xmin><ymax>6</ymax><ymin>2</ymin></bndbox><difficult>1</difficult></object></annotation>"
    )
    s = ingest(catalog, "v", folder)
    assert s.warnings == [] and s.errors == []
    with catalog.cursor() as cur:
        assert cur.execute("SELECT width, height FROM samples").fetchone() == (40, 30)
        assert cur.execute("SELECT x, y, w, h, difficult FROM annotations").fetchone() == (
            1,
            2,
            4,
            4,
            True,
        )


def test_detection_errors_say_what_was_looked_for(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(IngestError, match="looked for a COCO .json file"):
        open_dataset(str(tmp_path / "empty"))
    with pytest.raises(IngestError, match="does not exist"):
        open_dataset(str(tmp_path / "nope"))
    with pytest.raises(IngestError, match="unknown dataset format"):
        open_dataset(str(tmp_path / "empty"), fmt="kitti")
    (tmp_path / "e.json").write_text("")
    with pytest.raises(IngestError, match="empty"):
        open_dataset(str(tmp_path / "e.json"))
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(IngestError, match="results"):
        open_dataset(str(tmp_path / "list.json"))
    with pytest.raises(IngestError, match="categories"):
        open_predictions(str(tmp_path / "list.json"))


def test_yolo_predictions_are_scaled_by_the_writer(catalog: Catalog, tmp_path: Path) -> None:
    folder = tmp_path / "v"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "c.jpg").write_bytes(tiny_jpeg(200, 100))
    (folder / "c.xml").write_text("<annotation><filename>c.jpg</filename></annotation>")
    ingest(catalog, "v", folder)
    preds = tmp_path / "p"
    preds.mkdir()
    (preds / "c.txt").write_text("1 0.9 0.5 0.5 0.2 0.4\n")
    (preds / "unknown.txt").write_text("1 0.9 0.5 0.5 0.2 0.4\n")
    s = ingest_predictions(catalog, "v", "m", preds, fmt="yolo", classes=["a", "b"])
    assert s.predictions == 1
    assert s.warnings[0]["code"] == "prediction_unknown_image"
    with catalog.cursor() as cur:
        row = cur.execute("SELECT label, x, y, w, h, score FROM annotations").fetchone()
    assert row is not None
    assert row[0] == "b" and row[1:] == pytest.approx((80.0, 30.0, 40.0, 40.0, 0.9))


def test_gcs_images_sizes_and_listing(catalog: Catalog, tmp_path: Path, gcs_emulator: str) -> None:  # noqa: F811
    bucket = gcs_bucket("vl-ingest")
    gcs_upload(bucket, "imgs/a.jpg", tiny_jpeg(60, 40))
    gcs_upload(bucket, "imgs/b.jpg", tiny_jpeg(30, 20))
    # YOLO: local labels, images listed in the bucket, sizes read from their headers
    root = tmp_path / "y"
    (root / "labels").mkdir(parents=True)
    (root / "classes.txt").write_text("thing\n")
    (root / "labels" / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    s = ingest(catalog, "gy", root, fmt="yolo", images="gs://vl-ingest/imgs")
    assert (s.samples, s.annotations) == (2, 1)
    with catalog.cursor() as cur:
        rows = cur.execute("SELECT location, width, height FROM samples ORDER BY 1").fetchall()
        box = cur.execute("SELECT x, y, w, h FROM annotations").fetchone()
    assert rows == [("gs://vl-ingest/imgs/a.jpg", 60, 40), ("gs://vl-ingest/imgs/b.jpg", 30, 20)]
    assert box == (15.0, 10.0, 30.0, 20.0)
    # COCO without sizes: read from the gs:// header
    data = {"images": [{"id": 1, "file_name": "b.jpg"}], "categories": [], "annotations": []}
    s = ingest(catalog, "gc", _coco(tmp_path / "g.json", data), images="gs://vl-ingest/imgs/")
    assert s.samples == 1
    assert (
        count(
            catalog,
            "SELECT width * 1000 + height FROM samples WHERE location = 'gs://vl-ingest/imgs/b.jpg'",
        )
        == 30020
    )


def test_coco_per_image_split_key(catalog: Catalog, tmp_path: Path) -> None:
    data = {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 4, "height": 4, "split": "val"},
            {"id": 2, "file_name": "b.jpg", "width": 4, "height": 4},
            {"id": 3, "file_name": "c.jpg", "width": 4, "height": 4, "split": 7},
        ],
        "categories": [],
    }
    ingest(catalog, "s", _coco(tmp_path / "s.json", data), split="train")
    with catalog.cursor() as cur:
        rows = cur.execute("SELECT file_name, split, fields FROM samples ORDER BY 1").fetchall()
    assert rows == [
        ("a.jpg", "val", None),
        ("b.jpg", "train", None),
        ("c.jpg", "train", '{"split":7}'),
    ]


def test_relative_paths_resolve_to_absolute_locations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_yolo(tmp_path / "y", 2, 1, splits=("train",))
    (tmp_path / "y" / "data.yaml").unlink()  # flat layout: images= is used as given
    monkeypatch.chdir(tmp_path)
    parsed = open_dataset("y", images="y/images/train", fmt="yolo")
    locations = [
        loc
        for b in parsed.batches()
        if b.samples is not None
        for loc in b.samples.column("location").to_pylist()
    ]
    assert locations and all(loc.startswith(str(tmp_path)) for loc in locations)
