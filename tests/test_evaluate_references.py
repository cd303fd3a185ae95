"""Evaluation against published reference numbers, through the real ingest and catalog.

Every dataset comes from /work/shared/datasets (see each SOURCE.md for where the numbers
come from). The VOC-style references use the "+1 pixel" IoU; where SOURCE.md also gives the
continuous-IoU numbers, both conventions are checked.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.evaluate import evaluate_model
from visionlens_jlab.evaluate.coco import STAT_NAMES

from .evaluate_fixtures import ingest, ingest_predictions
from .paths import DATASETS

COCO100 = DATASETS / "coco-val2014-100"
VOC100 = DATASETS / "padilla-review-voc100"
TOY = DATASETS / "padilla-review-toy"
ODM = DATASETS / "padilla-odm-sample"
CARTUCHO = DATASETS / "cartucho-map"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    cat = Catalog(tmp_path_factory.mktemp("eval-ref"))
    yield cat
    cat.close()


def _stats(report):
    return np.array([report.stats[name] for name in STAT_NAMES])


# ----------------------------------------------------------------------------- COCO val2014


@pytest.fixture(scope="module")
def coco100(catalog):
    ingest(catalog, "coco100", COCO100 / "annotations/instances_val2014_100.json", "coco")
    ingest_predictions(
        catalog,
        "coco100",
        "fake",
        COCO100 / "results/instances_val2014_fakebbox100_results.json",
        "coco",
    )
    return evaluate_model(catalog, "coco100", "fake", protocol="coco")


def test_coco100_matches_the_cocoapi_demo(coco100):
    printed = [0.505, 0.697, 0.573, 0.586, 0.519, 0.501, 0.387, 0.594, 0.595, 0.640, 0.566, 0.564]
    np.testing.assert_allclose(_stats(coco100).round(3), printed, atol=0)
    full = json.loads((COCO100 / "expected/cocoeval_stats_full_precision.json").read_text())
    np.testing.assert_allclose(_stats(coco100), full["bbox"], rtol=0, atol=1e-12)


def test_coco100_per_category_ap_matches_pycocotools(coco100):
    with open(COCO100 / "expected/per_category_ap_pycocotools_2.0.11.csv") as f:
        rows = list(csv.DictReader(f))
    rows = [
        r for r in rows if r["iou_type"] == "bbox" and r["gt_file"] == "instances_val2014_100.json"
    ]
    assert rows, "reference rows for the bbox run"
    table = coco100.per_class.set_index("class")
    checked = 0
    for row in rows:
        expected = float(row["AP_50_95"])
        name = row["category_name"]
        if expected < 0:
            assert name not in table.index or np.isnan(table.loc[name, "AP"])
            continue
        # the CSV is rounded to 10 decimals
        assert table.loc[name, "AP"] == pytest.approx(expected, abs=1e-10)
        assert table.loc[name, "AP50"] == pytest.approx(float(row["AP_50"]), abs=1e-10)
        assert table.loc[name, "AP75"] == pytest.approx(float(row["AP_75"]), abs=1e-10)
        checked += 1
    assert checked == 70


def test_coco100_nocrowd_variant(catalog):
    ingest(
        catalog,
        "coco100nc",
        COCO100 / "annotations/instances_val2014_100_nocrowd_bboxarea.json",
        "coco",
    )
    ingest_predictions(
        catalog,
        "coco100nc",
        "fake",
        COCO100 / "results/fakebbox100_as_coco_dataset_dict.json",
        "coco",
    )
    report = evaluate_model(catalog, "coco100nc", "fake")
    expected = [
        0.503647,
        0.696973,
        0.571667,
        0.593252,
        0.557991,
        0.489363,
        0.386813,
        0.593680,
        0.595353,
        0.654764,
        0.603130,
        0.553744,
    ]
    np.testing.assert_allclose(_stats(report), expected, atol=1e-6)
    full = json.loads((COCO100 / "expected/cocoeval_stats_full_precision.json").read_text())
    np.testing.assert_allclose(_stats(report), full["bbox_nocrowd_bboxarea"], atol=1e-12)


# ----------------------------------------------------------------------------- VOC, 100 images


@pytest.fixture(scope="module")
def voc100(catalog):
    ingest(catalog, "voc100", VOC100 / "gts/pascalvoc_format", "voc", images=VOC100 / "images")
    ingest_predictions(catalog, "voc100", "det", VOC100 / "dets/coco_format/coco_dets.json", "coco")
    return "voc100"


CARTUCHO_VOC100_IGNORED = {
    "aeroplane": 84.08,
    "bicycle": 86.00,
    "bird": 47.35,
    "boat": 40.91,
    "bottle": 48.40,
    "bus": 92.86,
    "car": 24.50,
    "cat": 100.00,
    "chair": 33.95,
    "cow": 78.76,
    "diningtable": 25.00,
    "dog": 51.73,
    "horse": 97.62,
    "motorbike": 26.67,
    "person": 37.06,
    "pottedplant": 64.29,
    "sheep": 62.50,
    "sofa": 70.83,
    "train": 75.00,
    "tvmonitor": 80.25,
}


def test_voc100_difficult_ignored_plus_one(catalog, voc100):
    report = evaluate_model(catalog, voc100, "det", protocol="voc", iou=0.5, plus_one=True)
    assert round(report.stats["mAP"] * 100, 2) == 61.39
    got = {r["class"]: round(r["AP"] * 100, 2) for r in report.per_class.to_dict("records")}
    assert got == CARTUCHO_VOC100_IGNORED


def test_voc100_difficult_as_normal_plus_one(catalog, voc100):
    report = evaluate_model(
        catalog, voc100, "det", protocol="voc", iou=0.5, plus_one=True, ignore_difficult=False
    )
    with open(VOC100 / "expected/voc_ap50_difficult_as_normal_review_evaluator.csv") as f:
        rows = {r["class"]: r for r in csv.DictReader(f)}
    assert report.stats["mAP"] == pytest.approx(float(rows["mAP"]["AP50_every_point"]), abs=1e-9)
    assert report.stats["mAP_11point"] == pytest.approx(
        float(rows["mAP"]["AP50_11_point"]), abs=1e-9
    )
    table = report.per_class.set_index("class")
    for name, row in rows.items():
        if name == "mAP":
            continue
        assert table.loc[name, "AP"] == pytest.approx(float(row["AP50_every_point"]), abs=1e-9)
        assert table.loc[name, "AP_11point"] == pytest.approx(float(row["AP50_11_point"]), abs=1e-9)
        assert (table.loc[name, "tp"], table.loc[name, "fp"]) == (int(row["TP"]), int(row["FP"]))
        assert table.loc[name, "num_gt"] == int(row["num_gt_incl_difficult"])


def test_voc100_coco_summary(catalog, voc100):
    report = evaluate_model(catalog, voc100, "det", protocol="coco")
    expected = json.loads((VOC100 / "expected/coco_bbox_summary.json").read_text())
    np.testing.assert_allclose(_stats(report), expected["pycocotools_gt_v1"], atol=1e-12)


# ----------------------------------------------------------------------------- toy (cats)


@pytest.fixture(scope="module")
def toy(catalog):
    ingest(catalog, "toy", TOY / "gts_vocpascal_format", "voc", images=TOY / "images")
    ingest_predictions(catalog, "toy", "abs", TOY / "dets_classname_abs_xyx2y2", "txt")
    return "toy"


@pytest.mark.parametrize("plus_one", [True, False])
@pytest.mark.parametrize(
    ("iou", "ap11", "ap_all", "tp", "fp"),
    [
        (0.5, 0.8863636364, 0.8958333333, 11, 1),
        (0.75, 0.4924242424, 0.5097222222, 8, 4),
    ],
)
def test_toy_readme_numbers(catalog, toy, plus_one, iou, ap11, ap_all, tp, fp):
    # SOURCE.md: removing the +1 changes no TP/FP decision here, so both conventions agree.
    report = evaluate_model(catalog, toy, "abs", protocol="voc", iou=iou, plus_one=plus_one)
    assert report.stats["mAP"] == pytest.approx(ap_all, abs=1e-9)
    assert report.stats["mAP_11point"] == pytest.approx(ap11, abs=1e-9)
    row = report.per_class.set_index("class").loc["cat"]
    assert (row["tp"], row["fp"], row["num_gt"]) == (tp, fp, 12)


def test_toy_coco_protocol_on_voc_ground_truth(catalog, toy):
    report = evaluate_model(catalog, toy, "abs", protocol="coco")
    s = report.stats
    assert s["AP"] == pytest.approx(0.5979231494578029, abs=1e-12)
    assert s["AP50"] == pytest.approx(0.8902640264026401, abs=1e-12)
    assert s["AP75"] == pytest.approx(0.5092409240924093, abs=1e-12)
    assert s["APsmall"] == -1 and s["APmedium"] == -1
    assert s["AR1"] == pytest.approx(0.55) and s["AR100"] == pytest.approx(0.6583333333333334)


def test_toy_coco_pair_with_annotation_id_zero_is_evaluated_correctly(catalog):
    """pycocotools gives 0.4952 here because GT annotation id 0 reads as "unmatched"
    (cocodataset/cocoapi#664). VisionLens matches with booleans and gives the correct 0.5979,
    the value pycocotools itself gives once the ids are renumbered from 1."""
    ingest(catalog, "toycoco", TOY / "gts_coco_format/toy_example_coco.JSON", "coco")
    ingest_predictions(catalog, "toycoco", "dets", TOY / "dets_coco_format/coco_dets.json", "coco")
    report = evaluate_model(catalog, "toycoco", "dets", protocol="coco")
    assert report.stats["AP"] == pytest.approx(0.5979231494578029, abs=1e-12)
    assert report.stats["AP"] != pytest.approx(0.4952168788307403, abs=1e-3)


# ----------------------------------------------------------------------------- ODM sample


@pytest.fixture(scope="module")
def odm(catalog):
    ingest(catalog, "odm", ODM / "groundtruths", "txt-xywh")
    ingest_predictions(catalog, "odm", "sample", ODM / "detections", "txt-xywh")
    return "odm"


@pytest.mark.parametrize(
    ("iou", "plus_one", "ap_all", "ap11"),
    [
        (0.3, True, 0.2456866804, 0.2683982683),  # README: 24.56% / 26.84%
        (0.1, True, 0.3371980676, 0.3333333333),
        (0.5, True, 0.0222222222, 0.0303030303),
        (0.75, True, 0.0, 0.0),
        (0.3, False, 0.2253968254, 0.2683982684),  # SOURCE.md: continuous IoU
        (0.1, False, 0.2801328502, 0.3024538867),
        (0.5, False, 0.0222222222, 0.0303030303),
    ],
)
def test_odm_sample(catalog, odm, iou, plus_one, ap_all, ap11):
    report = evaluate_model(catalog, odm, "sample", protocol="voc", iou=iou, plus_one=plus_one)
    assert report.stats["mAP"] == pytest.approx(ap_all, abs=1e-9)
    assert report.stats["mAP_11point"] == pytest.approx(ap11, abs=1e-9)
    if iou == 0.3 and plus_one:
        row = report.per_class.iloc[0]
        assert (row["tp"], row["fp"], row["num_gt"]) == (7, 17, 15)


# ----------------------------------------------------------------------------- Cartucho

CARTUCHO_AP = {
    "backpack": 22.73,
    "bed": 85.94,
    "book": 17.52,
    "bookcase": 14.29,
    "bottle": 23.48,
    "bowl": 31.86,
    "cabinetry": 7.93,
    "chair": 53.84,
    "coffeetable": 4.55,
    "countertop": 19.05,
    "cup": 42.50,
    "diningtable": 39.66,
    "doll": 0.00,
    "door": 20.69,
    "heater": 7.69,
    "nightstand": 71.43,
    "person": 42.86,
    "pictureframe": 17.71,
    "pillow": 13.01,
    "pottedplant": 62.31,
    "remote": 73.21,
    "shelf": 0.00,
    "sink": 16.33,
    "sofa": 90.48,
    "tap": 1.39,
    "tincan": 0.00,
    "tvmonitor": 63.25,
    "vase": 18.75,
    "wastecontainer": 45.45,
    "windowblind": 23.53,
}


@pytest.fixture(scope="module")
def cartucho(catalog):
    ingest(catalog, "cartucho", CARTUCHO / "ground-truth", "txt", images=CARTUCHO / "images")
    ingest_predictions(catalog, "cartucho", "sample", CARTUCHO / "detection-results", "txt")
    return "cartucho"


@pytest.mark.parametrize(
    ("plus_one", "m_ap", "chair", "chair_tp"),
    [
        (True, 31.05, 53.84, 73),
        (False, 31.03, 53.30, 72),
    ],
)
def test_cartucho(catalog, cartucho, plus_one, m_ap, chair, chair_tp):
    report = evaluate_model(catalog, cartucho, "sample", protocol="voc", plus_one=plus_one)
    assert round(report.stats["mAP"] * 100, 2) == m_ap
    table = report.per_class.set_index("class")
    got = {c: round(v * 100, 2) for c, v in table["AP"].dropna().to_dict().items()}
    assert got == dict(CARTUCHO_AP, chair=chair)
    assert (table.loc["chair", "tp"], table.loc["chair", "fp"]) == (chair_tp, 135 - chair_tp)
    # Detections of classes absent from the ground truth are FPs but not part of the mAP.
    assert table.loc["refrigerator", "fp"] == 32 and table["AP"].isna()["refrigerator"]
