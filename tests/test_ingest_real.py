"""The real reference datasets ingest with the exact counts read from their files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ingest_fixtures import DATASETS, count, ingest, ingest_predictions
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.ingest.open import coco_category_map

COCO = DATASETS / "coco-val2014-100"
VOC100 = DATASETS / "padilla-review-voc100"
TOY = DATASETS / "padilla-review-toy"
CARTUCHO = DATASETS / "cartucho-map"


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with Catalog(tmp_path / "data") as cat:
        yield cat


def test_coco_val2014_ground_truth(catalog: Catalog) -> None:
    s = ingest(catalog, "coco", COCO / "annotations/instances_val2014_100.json")
    assert (s.samples, s.annotations, s.categories) == (100, 839, 80)
    assert s.errors == []
    assert count(catalog, "SELECT COUNT(*) FROM annotations WHERE iscrowd") == 9
    # crowd boxes keep their uncompressed RLE, the others their polygons, untouched
    rle = count(
        catalog,
        "SELECT COUNT(*) FROM annotations WHERE iscrowd AND json_type(segmentation) = 'OBJECT'"
        " AND json_type(segmentation -> 'counts') = 'ARRAY'",
    )
    assert rle == 9
    assert (
        count(catalog, "SELECT COUNT(*) FROM annotations WHERE json_type(segmentation) = 'ARRAY'")
        == 830
    )
    raw = json.loads((COCO / "annotations/instances_val2014_100.json").read_text())
    first = next(a for a in raw["annotations"] if a["iscrowd"])
    stored = count(
        catalog, "SELECT segmentation FROM annotations WHERE source_ann_id = ?", [str(first["id"])]
    )
    assert json.loads(stored) == first["segmentation"]
    # classes by name; the COCO category id is kept for mapping results lists
    assert (
        count(catalog, "SELECT COUNT(*) FROM categories WHERE source_category_id IS NOT NULL") == 80
    )
    assert (
        count(catalog, "SELECT name FROM categories WHERE source_category_id = 90") == "toothbrush"
    )
    # extra image keys are kept as fields; sizes and ids come from the file
    row = count(catalog, "SELECT fields ->> 'coco_url' FROM samples WHERE source_image_id = '1146'")
    assert row.endswith("COCO_val2014_000000001146.jpg")
    assert count(catalog, "SELECT width FROM samples WHERE source_image_id = '1146'") == 427
    total_area = count(catalog, "SELECT SUM(area) FROM annotations")
    assert total_area == pytest.approx(sum(a["area"] for a in raw["annotations"]))


def test_coco_nocrowd_variant_without_segmentation(catalog: Catalog) -> None:
    s = ingest(catalog, "nocrowd", COCO / "annotations/instances_val2014_100_nocrowd_bboxarea.json")
    assert (s.samples, s.annotations, s.categories) == (100, 830, 80)
    assert count(catalog, "SELECT COUNT(segmentation) FROM annotations") == 0


def test_coco_predictions_both_container_shapes(catalog: Catalog) -> None:
    gt = COCO / "annotations/instances_val2014_100.json"
    ingest(catalog, "coco", gt)
    cats = coco_category_map(str(gt))
    a = ingest_predictions(
        catalog,
        "coco",
        "list",
        COCO / "results/instances_val2014_fakebbox100_results.json",
        categories=cats,
    )
    b = ingest_predictions(
        catalog, "coco", "dict", COCO / "results/fakebbox100_as_coco_dataset_dict.json"
    )
    assert a.predictions == b.predictions == 734
    assert a.warnings == b.warnings == []
    same = count(
        catalog,
        """SELECT COUNT(*) FROM annotations p JOIN annotations q
             ON p.sample_id = q.sample_id AND p.label = q.label AND p.x = q.x AND p.y = q.y
            AND p.w = q.w AND p.h = q.h AND p.score = q.score
           WHERE p.source = 'list' AND q.source = 'dict'""",
    )
    assert same == 734
    assert (
        count(catalog, "SELECT COUNT(DISTINCT sample_id) FROM annotations WHERE source = 'list'")
        == 99
    )


def test_coco_segm_results_get_boxes_from_rle(catalog: Catalog) -> None:
    from pycocotools import mask

    gt = COCO / "annotations/instances_val2014_100.json"
    ingest(catalog, "coco", gt)
    src = COCO / "results/instances_val2014_fakesegm100_results.json"
    s = ingest_predictions(catalog, "coco", "segm", src, categories=coco_category_map(str(gt)))
    assert s.predictions == 734
    results = json.loads(src.read_text())
    expected = sorted(tuple(float(v) for v in mask.toBbox(r["segmentation"])) for r in results)
    with catalog.cursor() as cur:
        got = sorted(
            cur.execute("SELECT x, y, w, h FROM annotations WHERE source = 'segm'").fetchall()
        )
    assert got == expected


def test_voc100_in_all_four_encodings(catalog: Catalog) -> None:
    gts = VOC100 / "gts"
    images = VOC100 / "images"
    voc = ingest(catalog, "voc", gts / "pascalvoc_format")
    yolo = ingest(catalog, "yolo", gts / "yolo_format", images=str(images))
    v1 = ingest(catalog, "v1", gts / "coco_format_v1/instances_default.json")
    v2 = ingest(catalog, "v2", gts / "coco_format_v2/instances_v2.json")
    for s in (voc, yolo, v1, v2):
        assert (s.samples, s.annotations) == (100, 273), s
        assert s.errors == []
    assert voc.categories == yolo.categories == v1.categories == v2.categories == 20
    assert (
        count(
            catalog,
            "SELECT COUNT(*) FROM annotations a JOIN datasets d USING (dataset_id) WHERE d.name = 'voc' AND difficult",
        )
        == 38
    )
    # the COCO v1 export's CVAT 'attributes' object is kept, merged into attributes
    assert (
        count(
            catalog,
            "SELECT COUNT(*) FROM annotations a JOIN datasets d USING (dataset_id) WHERE d.name = 'v1' AND attributes ->> 'occluded' IS NOT NULL",
        )
        == 273
    )
    # the same boxes whatever the encoding (YOLO: within its 6-decimal rounding)
    with catalog.cursor() as cur:
        rows = cur.execute(
            """SELECT d.name, s.file_name, a.label, a.x, a.y, a.w, a.h
               FROM annotations a JOIN samples s USING (sample_id) JOIN datasets d
                 ON d.dataset_id = a.dataset_id ORDER BY 1, 2, 3, 4, 5"""
        ).fetchall()
    by_ds: dict[str, list[tuple]] = {}
    for name, *rest in rows:
        by_ds.setdefault(name, []).append(tuple(rest))
    assert by_ds["voc"] == by_ds["v1"] == by_ds["v2"]
    for a, b in zip(by_ds["voc"], by_ds["yolo"], strict=True):
        assert a[:2] == b[:2]
        assert a[2:] == pytest.approx(b[2:], abs=0.01)
    # every sample resolved to a real image
    assert (
        count(
            catalog,
            "SELECT COUNT(*) FROM samples s JOIN datasets d USING (dataset_id) WHERE d.name = 'yolo' AND location LIKE ?",
            [f"{images}/%"],
        )
        == 100
    )


def test_voc100_predictions_every_encoding(catalog: Catalog) -> None:
    ingest(catalog, "voc", VOC100 / "gts/pascalvoc_format")
    names = str(VOC100 / "voc.names")
    dets = VOC100 / "dets"
    results = {
        "xywh": ingest_predictions(catalog, "voc", "xywh", dets / "abs_xywh", classes=names),
        "xyxy": ingest_predictions(catalog, "voc", "xyxy", dets / "abs_xyx2y2", classes=names),
        "rel": ingest_predictions(catalog, "voc", "rel", dets / "rel_xywh", classes=names),
        "coco": ingest_predictions(catalog, "voc", "coco", dets / "coco_format/coco_dets.json"),
    }
    for s in results.values():
        assert s.predictions == 452
    assert (
        count(catalog, "SELECT COUNT(DISTINCT sample_id) FROM annotations WHERE source = 'coco'")
        == 98
    )
    with catalog.cursor() as cur:
        per_model = cur.execute(
            "SELECT source, label, SUM(x), SUM(w), COUNT(*) FROM annotations WHERE source <> 'ground_truth' GROUP BY ALL ORDER BY 2, 1"
        ).fetchall()
    by_label: dict[str, list[tuple]] = {}
    for model, label, sx, sw, n in per_model:
        by_label.setdefault(label, []).append((model, sx, sw, n))
    for label, models in by_label.items():
        assert len(models) == 4, label  # all four encodings agree on every class name
        assert len({m[3] for m in models}) == 1
        assert models[0][1] == pytest.approx(models[1][1], rel=1e-3)


def test_padilla_toy_voc_and_its_detections(catalog: Catalog) -> None:
    s = ingest(catalog, "toy", TOY / "gts_vocpascal_format")
    # 10 XML files + 2 images without annotations
    assert (s.samples, s.annotations) == (12, 12)
    assert {w["code"] for w in s.warnings} == {"image_without_annotation"}
    with catalog.cursor() as cur:
        box = cur.execute(
            "SELECT x, y, w, h, attributes ->> 'truncated' FROM annotations a JOIN samples s USING (sample_id) WHERE s.file_name = '2010_004175.jpg'"
        ).fetchone()
    assert box == (1.0, 39.0, 247.0, 261.0, "true")  # read by tag, not by position
    names = str(TOY / "voc.names")
    for folder in (
        "dets_classname_abs_xywh",
        "dets_classname_abs_xyx2y2",
        "dets_classid_abs_xywh",
        "dets_classid_abs_xyx2y2",
        "dets_classname_rel_xcycwh",
        "dets_classid_rel_xcycwh",
    ):
        p = ingest_predictions(
            catalog, "toy", folder.replace("dets_", ""), TOY / folder, classes=names
        )
        assert p.predictions == 12, folder
    p = ingest_predictions(catalog, "toy", "coco", TOY / "dets_coco_format/coco_dets.json")
    assert p.predictions == 12
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT source, label, x, y, w, h FROM annotations a JOIN samples s USING (sample_id) "
            "WHERE s.file_name = '2007_005688.jpg' AND score = 0.81 ORDER BY source"
        ).fetchall()
    assert len(rows) == 7 and {r[1] for r in rows} == {"cat"}
    for r in rows:  # relative files are rounded: up to 0.63 px (SOURCE.md)
        assert r[2:] == pytest.approx((65, 74, 305, 257), abs=0.7), r


def test_cartucho_txt_ground_truth_and_detections(catalog: Catalog) -> None:
    s = ingest(catalog, "cart", CARTUCHO / "ground-truth", images=str(CARTUCHO / "images"))
    assert (s.samples, s.annotations, s.categories) == (85, 686, 30)
    assert s.warnings == [] and s.errors == []
    assert count(catalog, "SELECT COUNT(*) FROM annotations WHERE label = 'chair'") == 106
    p = ingest_predictions(catalog, "cart", "dets", CARTUCHO / "detection-results")
    assert p.predictions == 494
    assert p.warnings == []
    n_labels = count(catalog, "SELECT COUNT(DISTINCT label) FROM annotations WHERE source = 'dets'")
    assert n_labels == 36  # 8 of them never occur in the GT: kept, by name
    assert (
        count(
            catalog,
            "SELECT COUNT(*) FROM annotations WHERE source = 'dets' AND label = 'refrigerator'",
        )
        == 32
    )
    # txt boxes are left top right bottom: width = right - left, no +1
    assert (
        count(
            catalog,
            "SELECT w FROM annotations a JOIN samples s USING (sample_id) WHERE s.file_name = '2007_000027.jpg' AND label = 'pictureframe'",
        )
        == 49.0
    )
