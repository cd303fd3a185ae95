"""TIDE's dAP per error type against the ``tidecv`` package (the oracle, run here).

tidecv 1.0.1 (2020) runs unchanged on numpy 2: it uses none of the removed numpy aliases, so
no compatibility shim is needed. It reads COCO files, and needs a ``segmentation`` key in the
ground truth even in box mode (the box's polygon is given where a file has none). Numbers
are compared to 1e-9 AP points, far below the 2 decimals tidecv prints, and as printed.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visionlens_jlab import cli
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.evaluate import evaluate_arrays, evaluate_model, report_for
from visionlens_jlab.evaluate.iou_types import coco_params
from visionlens_jlab.evaluate.report import EvaluationReport
from visionlens_jlab.evaluate.similarity import box_similarity
from visionlens_jlab.evaluate.tide import MAIN_ERRORS, SPECIAL_ERRORS, tide_errors

from .evaluate_fixtures import coco_input, ingest, ingest_predictions
from .evaluate_label_fixtures import (
    CocoLabelSource,
    det_bbox,
    label_input,
    synthetic_keypoints,
    synthetic_segm,
)
from .paths import DATASETS
from .test_evaluate_pycocotools import coco_case

COCO100 = DATASETS / "coco-val2014-100"
PLANTED = ("ok", "ok", "loc", "cls", "both", "dupe", "miss")


def planted_boxes(seed: int, n_images: int = 40, n_cats: int = 5) -> tuple[dict, list[dict]]:
    """Random boxes with planted errors of every TIDE type: well placed (ok), badly placed
    (loc), another class (cls), both, duplicated and missed objects, background boxes, crowd
    regions, an image without ground truth, tied scores and an image with more than 100
    predictions."""
    rng = np.random.default_rng(seed)
    images: list[dict[str, Any]] = []
    anns: list[dict[str, Any]] = []
    dets: list[dict[str, Any]] = []
    jitter = {"ok": 0.05, "dupe": 0.05, "cls": 0.05, "loc": 0.6, "both": 0.6}
    for img in range(1, n_images + 1):
        images.append({"id": img, "width": 640, "height": 480, "file_name": f"{img}.jpg"})
        for _ in range(0 if img == 2 else int(rng.integers(0, 8))):
            w, h = rng.uniform(10, 200, 2)
            b = [float(rng.uniform(0, 640 - w)), float(rng.uniform(0, 480 - h)), float(w), float(h)]
            cat = int(rng.integers(1, n_cats + 1))
            anns.append({
                "id": len(anns) + 1, "image_id": img, "category_id": cat, "bbox": b,
                "area": float(w * h), "iscrowd": int(rng.random() < 0.05),
                "segmentation": [[b[0], b[1], b[0], b[1] + h, b[0] + w, b[1] + h, b[0] + w, b[1]]],
            })  # fmt: skip
            for kind in rng.choice(PLANTED, size=int(rng.choice([1, 1, 2]))):
                if kind == "miss":
                    continue
                box = np.array(b) + rng.normal(0, jitter[kind], 4) * np.array([w, h, w, h])
                box[2:] = np.abs(box[2:]) + 1
                other = int(rng.integers(1, n_cats + 1))
                tied = rng.random() < 0.3  # a few distinct scores: ties across images
                dets.append({
                    "image_id": img, "category_id": cat if kind in ("ok", "loc", "dupe") else other,
                    "bbox": [float(v) for v in box],
                    "score": float(rng.choice([0.9, 0.5, 0.3]) if tied else rng.random()),
                })  # fmt: skip
        for _ in range(int(rng.integers(0, 3))):  # background
            w, h = rng.uniform(10, 100, 2)
            dets.append({
                "image_id": img, "category_id": int(rng.integers(1, n_cats + 1)),
                "bbox": [float(rng.uniform(0, 500)), float(rng.uniform(0, 400)), float(w), float(h)],
                "score": float(rng.random()),
            })  # fmt: skip
    for k in range(120):  # beyond tidecv's 100 predictions per image
        box = [float(k % 12 * 40), float(k // 12 * 40), 30.0, 30.0]
        dets.append({"image_id": 1, "category_id": 1 + k % 2, "bbox": box, "score": k / 2000})
    cats = [{"id": c, "name": f"c{c}"} for c in range(1, n_cats + 1)]
    return {"images": images, "categories": cats, "annotations": anns}, dets


def tidecv_errors(
    gt: Any, dets: Any, mode: str, tmp: Path, *, lvis: bool = False
) -> dict[str, Any]:
    """tidecv's AP, main and special errors, from files as its users run it; ``lvis``: read
    as an LVIS file (``datasets.LVIS``: 300 predictions per image, ignore regions over the
    whole image for the classes its annotators did not verify or not exhaustively)."""
    from tidecv import TIDE, datasets

    gt_path, dt_path = tmp / "gt.json", tmp / "dt.json"
    gt_path.write_text(json.dumps(gt) if not isinstance(gt, Path) else gt.read_text())
    dt_path.write_text(json.dumps(dets) if not isinstance(dets, Path) else dets.read_text())
    tide = TIDE(mode=mode)
    if lvis:
        truth = json.loads(gt_path.read_text())
        for image in truth["images"]:  # tidecv names LVIS images by their COCO URL
            image.setdefault("coco_url", image["file_name"])
        gt_path.write_text(json.dumps(truth))
        loaded = datasets.LVIS(str(gt_path)), datasets.LVISResult(str(dt_path))
    else:
        loaded = datasets.COCO(str(gt_path)), datasets.COCOResult(str(dt_path))
    tide.evaluate(*loaded, mode=mode)
    (run,) = tide.runs.values()
    try:
        errors = tide.get_all_errors()
    except ZeroDivisionError:
        return _one_by_one(run)
    (main,) = errors["main"].values()
    (special,) = errors["special"].values()
    return {"ap": run.ap, "main": main, "special": special}


def _one_by_one(run: Any) -> dict[str, Any]:
    """tidecv's ``fix_main_errors`` and ``fix_special_errors``, one error type at a time
    (what they do inside), None for a type whose fix leaves no class to average: there
    tidecv divides by zero (e.g. a model without predictions fixing Miss or FalseNeg, one
    with background predictions only fixing Bkg)."""
    from tidecv import TIDE
    from tidecv.errors.main_errors import FalsePositiveError

    def gained(fix: Any) -> float | None:
        try:
            return float(fix().get_mAP() - run.ap)
        except ZeroDivisionError:
            return None

    main: dict[str, float | None] = {}
    for error in TIDE._error_types:
        value = gained(lambda kind=error: run.fix_errors(lambda e: isinstance(e, kind)))
        main[error.short_name] = None if value is None else max(value, 0.0)
    special = {
        "FalsePos": gained(lambda: run.fix_errors(transform=FalsePositiveError.fix)),
        "FalseNeg": gained(lambda: run.fix_errors(false_neg_dict=run.false_negatives)),
    }
    return {"ap": run.ap, "main": main, "special": special}


def assert_equal_to_tidecv(ours: dict[str, Any], want: dict[str, Any]) -> None:
    """Equal to 1e-9 AP points, and the same when printed as tidecv prints (``{:6.2f}``).

    Where tidecv divides by zero (a fix that leaves no class: ``want`` has None), the dAP is
    0: there is nothing to average, so nothing to gain."""
    assert list(ours["main"]) == list(MAIN_ERRORS) == list(want["main"])
    assert list(ours["special"]) == list(SPECIAL_ERRORS) == list(want["special"])
    ours_all, want_all = {**ours["main"], **ours["special"]}, {**want["main"], **want["special"]}
    assert all(ours_all[k] == 0.0 for k, v in want_all.items() if v is None)
    kept = [k for k, v in want_all.items() if v is not None]
    got = [ours["ap"], *[ours_all[k] for k in kept]]
    expected = [want["ap"], *[want_all[k] for k in kept]]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    assert [f"{v:6.2f}" for v in got] == [f"{v:6.2f}" for v in expected]


@pytest.mark.parametrize("seed", range(8))
def test_boxes_equal_tidecv(seed, tmp_path):
    gt, dets = planted_boxes(seed)
    report, _ = evaluate_arrays(coco_input(gt, dets), "coco", 0.5)
    assert report.tide is not None
    assert_equal_to_tidecv(report.tide, tidecv_errors(gt, dets, "bbox", tmp_path))
    # every planted kind of error occurs, so no comparison is vacuous
    assert min(report.tide["counts"].values()) > 0
    assert min(v for k, v in report.tide["main"].items() if k != "Dupe") > 0


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coco_case(), st.randoms(use_true_random=False))
def test_grid_boxes_equal_tidecv(case, rnd):
    """Boxes on a coarse grid with few scores: equal IoUs, IoUs exactly at 0.5 and 0.1, tied
    scores inside and across images, crowd regions, empty images and classes. Images are
    listed in a shuffled order, which tidecv walks."""
    gt, dets = case
    for i, ann in enumerate(gt["annotations"]):
        x, y, w, h = ann["bbox"]
        ann["segmentation"] = [[x, y, x, y + h, x + w, y + h, x + w, y]]
        ann["id"] = i + 1
    for image in gt["images"]:
        image["file_name"] = f"{image['id']}.jpg"
    order = list(range(len(gt["images"])))
    rnd.shuffle(order)
    inp = coco_input(gt, dets)
    listed = {gt["images"][k]["id"]: pos for pos, k in enumerate(order)}
    walk = np.array([listed[d["image_id"]] for d in dets], dtype=np.int64)
    ours = tide_errors(inp.gt, inp.dt, box_similarity(inp.gt, inp.dt), image_order=walk)
    shuffled = {**gt, "images": [gt["images"][k] for k in order]}
    with tempfile.TemporaryDirectory() as tmp:
        if ours is None:  # nothing to average: tidecv divides by zero
            with pytest.raises(ZeroDivisionError):
                tidecv_errors(shuffled, dets, "bbox", Path(tmp))
            return
        want = tidecv_errors(shuffled, dets, "bbox", Path(tmp))
    assert_equal_to_tidecv(ours.to_dict(), want)


def test_where_tidecv_divides_by_zero(tmp_path):
    """tidecv fails (ZeroDivisionError) when fixing an error type leaves no class to average,
    e.g. a model without predictions fixing Miss or FalseNeg; TIDE here gives 0 there and
    tidecv's numbers for the other types."""
    from tidecv import TIDE, datasets

    gt, _ = planted_boxes(1, n_images=3)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text("[]")
    tide = TIDE()
    tide.evaluate(datasets.COCO(str(tmp_path / "gt.json")),
                  datasets.COCOResult(str(tmp_path / "dt.json")))  # fmt: skip
    with pytest.raises(ZeroDivisionError):
        tide.get_all_errors()
    report, _ = evaluate_arrays(coco_input(gt, []), "coco", 0.5)
    assert report.tide is not None
    assert report.tide["main"]["Miss"] == report.tide["special"]["FalseNeg"] == 0.0
    assert report.tide["counts"]["Miss"] == sum(1 for a in gt["annotations"] if not a["iscrowd"])
    assert_equal_to_tidecv(report.tide, tidecv_errors(gt, [], "bbox", tmp_path))


@pytest.mark.parametrize("seed", range(4))
def test_masks_and_their_boxes_equal_tidecv(seed, tmp_path):
    """Polygons, multi-part polygons, crowd regions as uncompressed RLE (ignore regions),
    RLE results: tidecv's mask mode, and its box mode on the same objects."""
    gt, dets = synthetic_segm(seed)
    dets = [{**d, "bbox": det_bbox(d)} for d in dets]
    for iou_type, mode in (("segm", "mask"), ("bbox", "bbox")):
        report, _ = evaluate_arrays(label_input(gt, dets, iou_type), "coco", 0.5)
        assert report.tide is not None
        assert_equal_to_tidecv(report.tide, tidecv_errors(gt, dets, mode, tmp_path))
        assert report.tide["main"]["Bkg"] > 0 and report.tide["main"]["Miss"] + seed > 0


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog(tmp_path / "data")
    yield cat
    cat.close()


@pytest.mark.parametrize(
    ("iou_type", "results", "mode"),
    [
        ("bbox", "instances_val2014_fakebbox100_results.json", "bbox"),
        ("segm", "instances_val2014_fakesegm100_results.json", "mask"),
    ],
)
def test_coco100_through_the_catalog_equals_tidecv(catalog, tmp_path, iou_type, results, mode):
    """The real demo files (crowd RLE regions, scores tied across images listed out of id
    order): ingested, evaluated and stored; the stored report carries TIDE's numbers."""
    gt_file = COCO100 / "annotations/instances_val2014_100.json"
    ingest(catalog, "coco100", gt_file, "coco")
    ingest_predictions(catalog, "coco100", "fake", COCO100 / "results" / results, "coco")
    report = evaluate_model(catalog, "coco100", "fake", iou_type=iou_type)
    want = tidecv_errors(gt_file, COCO100 / "results" / results, mode, tmp_path)
    assert report.tide is not None
    assert_equal_to_tidecv(report.tide, want)
    assert report_for(catalog, "coco100", report.key).tide == report.tide
    assert "TIDE dAP" in report.summary_text()


def test_ties_across_images_follow_tidecvs_image_order():
    """tidecv ranks equal scores of different images in its image order: a prediction of the
    first image ranked first gives another AP than the other way round."""
    gt = {
        "images": [{"id": i, "width": 100, "height": 100} for i in (1, 2)],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100,
             "iscrowd": 0},
            {"id": 2, "image_id": 2, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100,
             "iscrowd": 0},
        ],
    }  # fmt: skip
    dets = [
        {"image_id": 1, "category_id": 1, "bbox": [50, 50, 10, 10], "score": 0.5},  # background
        {"image_id": 2, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.5},  # match
    ]
    inp = coco_input(gt, dets)
    sim = box_similarity(inp.gt, inp.dt)
    fp_first = tide_errors(inp.gt, inp.dt, sim, image_order=np.array([0, 1]))
    tp_first = tide_errors(inp.gt, inp.dt, sim, image_order=np.array([1, 0]))
    assert fp_first is not None and tp_first is not None
    assert fp_first.ap < tp_first.ap
    assert fp_first.main["Bkg"] > 0 and fp_first.counts["Bkg"] == 1


def test_other_evaluations_have_no_tide():
    """VOC and keypoints: no TIDE (null); a report stored before TIDE reads as none."""
    gt, dets = planted_boxes(0, n_images=5)
    voc, _ = evaluate_arrays(coco_input(gt, dets), "voc", 0.5)
    assert voc.tide is None and voc.to_dict()["tide"] is None
    kgt, kdets = synthetic_keypoints(0)
    keypoints, _ = evaluate_arrays(label_input(kgt, kdets, "keypoints"), "coco", 0.5)
    assert keypoints.tide is None
    coco, _ = evaluate_arrays(coco_input(gt, dets), "coco", 0.5)
    stored = coco.to_dict()
    del stored["tide"]
    assert EvaluationReport.from_dict(stored).tide is None
    cp = coco_params(coco_input({**gt, "annotations": []}, []))
    empty = coco_input({**gt, "annotations": []}, [])
    assert tide_errors(empty.gt, empty.dt, cp.similarity) is None


def test_cli_json_and_rest_answer_carry_tide(tmp_path, monkeypatch, capsys):
    """``visionlens evaluate --json`` prints ``tide`` in tidecv's numbers; the text report a
    TIDE line."""
    gt, dets = synthetic_segm(9)
    data = tmp_path / "data"
    with Catalog(data) as catalog:
        write_dataset(catalog, "shapes", CocoLabelSource(gt))
        write_predictions(catalog, "shapes", "m", CocoLabelSource(gt, dets))
    if "visionlens_jlab.cli.evaluate" not in cli.EXTENSION_COMMAND_MODULES:
        monkeypatch.setattr(
            cli, "EXTENSION_COMMAND_MODULES",
            [*cli.EXTENSION_COMMAND_MODULES, "visionlens_jlab.cli.evaluate"],
        )  # fmt: skip
    argv = ["evaluate", "shapes", "--model", "m", "--iou-type", "segm", "--data-dir", str(data)]
    assert cli.main([*argv, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed["tide"]["main"]) == set(MAIN_ERRORS)
    assert set(printed["tide"]["special"]) == set(SPECIAL_ERRORS)
    want = tidecv_errors(gt, [{**d, "bbox": det_bbox(d)} for d in dets], "mask", tmp_path)
    assert_equal_to_tidecv(printed["tide"], want)
    assert cli.main(argv) == 0
    assert "TIDE dAP (IoU 0.5): Cls" in capsys.readouterr().out


async def test_rest_evaluation_answer_carries_tide(vl_app, api, wait_job):
    gt, dets = planted_boxes(3, n_images=12)
    write_dataset(vl_app.catalog, "boxes", CocoLabelSource(gt))
    write_predictions(vl_app.catalog, "boxes", "m", CocoLabelSource(gt, dets))
    status, started = await api("POST", "datasets/boxes/evaluations", {"model": "m"})
    assert status == 202, started
    job = await wait_job(started["job"])
    assert job["status"] == "done", job
    status, report = await api("GET", f"datasets/boxes/evaluations/{job['result']['key']}")
    assert status == 200
    engine, _ = evaluate_arrays(coco_input(gt, dets), "coco", 0.5)
    assert engine.tide is not None
    assert report["tide"]["main"] == pytest.approx(engine.tide["main"], abs=1e-9)
    assert report["tide"]["counts"] == engine.tide["counts"]
    assert sum(report["tide"]["counts"].values()) > 0


def test_a_crowd_region_ignores_only_above_the_threshold(tmp_path):
    """tidecv ignores an unmatched prediction whose crowd IoU (intersection over its own
    area) with a crowd region of its class is *above* 0.5: at exactly 0.5 it is a false
    positive (here a background error ranked first: AP 50, not 100)."""
    square = {"image_id": 1, "category_id": 1, "iscrowd": 0, "area": 400.0}
    gt = {
        "images": [{"id": 1, "width": 100, "height": 100, "file_name": "1.jpg"}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {**square, "id": 1, "bbox": [50, 50, 20, 20],
             "segmentation": [[50, 50, 50, 70, 70, 70, 70, 50]]},
            {**square, "id": 2, "bbox": [0, 0, 10, 10], "iscrowd": 1, "area": 100.0,
             "segmentation": [[0, 0, 0, 10, 10, 10, 10, 0]]},
        ],
    }  # fmt: skip
    dets = [
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 10], "score": 0.9},  # 100/200
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 15, 10], "score": 0.95},  # 100/150
        {"image_id": 1, "category_id": 1, "bbox": [50, 50, 20, 20], "score": 0.8},
    ]
    report, _ = evaluate_arrays(coco_input(gt, dets), "coco", 0.5)
    assert report.tide is not None
    assert_equal_to_tidecv(report.tide, tidecv_errors(gt, dets, "bbox", tmp_path))
    assert report.tide["ap"] == pytest.approx(50.0)
