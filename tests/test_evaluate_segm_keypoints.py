"""COCO segm and keypoints evaluation against pycocotools' COCOeval (the oracle, run here)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.catalog.reads.queries import samples_page
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.evaluate import evaluate_arrays, evaluate_model, list_evaluations, report_for
from visionlens_jlab.evaluate.coco import STAT_NAMES
from visionlens_jlab.evaluate.keypoints import KEYPOINT_STATS
from visionlens_jlab.handlers.evaluate import EVALUATE_JOB

from .evaluate_fixtures import ingest, ingest_predictions
from .evaluate_label_fixtures import (
    CocoLabelSource,
    label_input,
    pycocotools_run,
    synthetic_keypoints,
    synthetic_segm,
)
from .paths import DATASETS

KEYPOINT_NAMES = [spec[0] for spec in KEYPOINT_STATS]
COCO100 = DATASETS / "coco-val2014-100"


def _per_box(expected, outcomes, n_dets):
    """Each prediction's outcome at IoU 0.5 (area all) is pycocotools' match."""
    want_status = np.full(n_dets, 3)  # in no evalImg: beyond maxDets, ignored
    want_gt = np.full(n_dets, -1)
    for e in expected.evalImgs:
        if e is None or e["aRng"] != [0, 1e10]:
            continue
        for k, det_id in enumerate(e["dtIds"]):
            matched = int(e["dtMatches"][0, k])
            if e["dtIgnore"][0, k]:
                want_status[det_id - 1] = 3
            else:
                want_status[det_id - 1] = 0 if matched else 1
                want_gt[det_id - 1] = matched - 1 if matched else -1
    assert outcomes.dt_status.tolist() == want_status.tolist()
    tp = outcomes.dt_status == 0
    assert outcomes.dt_other[tp].tolist() == want_gt[tp].tolist()
    assert tp.sum() > 0 and (outcomes.dt_status == 1).sum() > 0


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_segm_equals_pycocotools(seed):
    gt, dets = synthetic_segm(seed)
    assert any(a["iscrowd"] for a in gt["annotations"])
    expected = pycocotools_run(gt, dets, "segm")
    report, outcomes = evaluate_arrays(label_input(gt, dets, "segm"), "coco", 0.5)
    got = [report.stats[name] for name in STAT_NAMES]
    np.testing.assert_allclose(got, expected.stats, rtol=0, atol=1e-9)
    assert expected.stats[0] > 0.05  # not a vacuous comparison
    _per_box(expected, outcomes, len(dets))
    # crowd regions: predictions matched to them are ignored, as pycocotools ignores them
    assert (outcomes.dt_status == 3).sum() > 10


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_keypoints_equal_pycocotools(seed):
    gt, dets = synthetic_keypoints(seed)
    assert any(a["num_keypoints"] == 0 for a in gt["annotations"])
    expected = pycocotools_run(gt, dets, "keypoints")
    report, outcomes = evaluate_arrays(label_input(gt, dets, "keypoints"), "coco", 0.5)
    assert list(report.stats) == KEYPOINT_NAMES
    got = [report.stats[name] for name in KEYPOINT_NAMES]
    np.testing.assert_allclose(got, expected.stats, rtol=0, atol=1e-9)
    assert expected.stats[0] > 0.05
    _per_box(expected, outcomes, len(dets))
    assert "AR20" in report.per_class.columns


def test_keypoints_with_the_callers_sigmas():
    """A 5-point skeleton: the caller's sigmas, as pycocotools' ``kpt_oks_sigmas``."""
    sigmas = [0.05, 0.08, 0.12, 0.03, 0.1]
    gt, dets = synthetic_keypoints(7, points=5)
    expected = pycocotools_run(gt, dets, "keypoints", sigmas)
    inp = label_input(gt, dets, "keypoints")
    report, _ = evaluate_arrays(inp, "coco", 0.5, sigmas=sigmas)
    np.testing.assert_allclose(
        [report.stats[n] for n in KEYPOINT_NAMES], expected.stats, rtol=0, atol=1e-9
    )
    assert not report.warnings
    guessed, _ = evaluate_arrays(inp, "coco", 0.5)  # no sigmas: 1/5 each, with a warning
    assert "1/5 per keypoint" in guessed.warnings[0]
    assert guessed.stats["AP"] != report.stats["AP"]
    misfit, _ = evaluate_arrays(inp, "coco", 0.5, sigmas=[0.1] * 17)  # fits no 5-point skeleton
    assert "fit no skeleton" in misfit.warnings[-1]


@pytest.fixture
def catalog(tmp_path):
    cat = Catalog(tmp_path)
    yield cat
    cat.close()


def test_segm_through_the_catalog(catalog):
    gt, dets = synthetic_segm(5)
    write_dataset(catalog, "shapes", CocoLabelSource(gt))
    write_predictions(catalog, "shapes", "m", CocoLabelSource(gt, dets))
    expected = pycocotools_run(gt, dets, "segm")
    report = evaluate_model(catalog, "shapes", "m", iou_type="segm")
    np.testing.assert_allclose(
        [report.stats[n] for n in STAT_NAMES], expected.stats, rtol=0, atol=1e-9
    )
    assert report.key == "m--coco-segm-iou0.5"
    bbox = evaluate_model(catalog, "shapes", "m")  # the same objects' boxes
    assert bbox.key == "m--coco-iou0.5" and bbox.stats["AP"] != report.stats["AP"]
    listed = {e["key"]: e for e in list_evaluations(catalog, "shapes")}
    assert listed["m--coco-segm-iou0.5"]["iou_type"] == "segm"
    assert listed["m--coco-iou0.5"]["iou_type"] == "bbox"
    stored = report.to_dict()
    assert stored["iou_type"] == "segm"
    assert sum(r["tp"] for r in stored["per_class"]) == report.counts["tp"] > 0
    # an evaluation stored before iou types existed (no iou_type anywhere) reads as bbox
    with catalog.write() as cur:
        cur.execute(
            "UPDATE evaluations SET params = json_remove(params, '$.iou_type'), "
            "summary = json_remove(summary, '$.iou_type') WHERE eval_key = 'm--coco-iou0.5'"
        )
    listed = {e["key"]: e for e in list_evaluations(catalog, "shapes")}
    assert listed["m--coco-iou0.5"]["iou_type"] == "bbox"
    assert "iou_type" not in listed["m--coco-iou0.5"]["params"]
    assert report_for(catalog, "shapes", "m--coco-iou0.5").iou_type == "bbox"


def test_segm_reads_the_masks_per_chunk_of_images_or_all_for_a_worker(catalog, monkeypatch):
    """The masks' texts come from the catalog a chunk of images at a time (3 here: several
    reads); a server job's worker process, which has no catalog, gets them all first."""
    from visionlens_jlab.evaluate import masks
    from visionlens_jlab.evaluate.load import load_input
    from visionlens_jlab.jobs import JobManager

    monkeypatch.setattr(masks, "IMAGE_CHUNK", 3)
    gt, dets = synthetic_segm(6)
    write_dataset(catalog, "shapes", CocoLabelSource(gt))
    write_predictions(catalog, "shapes", "m", CocoLabelSource(gt, dets))
    expected = pycocotools_run(gt, dets, "segm").stats
    report = evaluate_model(catalog, "shapes", "m", iou_type="segm", store=False)
    np.testing.assert_allclose([report.stats[n] for n in STAT_NAMES], expected, rtol=0, atol=1e-9)
    manager = JobManager(max_workers=1)
    try:
        job = manager.submit(EVALUATE_JOB, lambda ctx: evaluate_model(
            catalog, "shapes", "m", iou_type="segm", job=ctx, worker_min_boxes=0))  # fmt: skip
        done = manager.wait(job.id, timeout=120)
    finally:
        manager.shutdown()
    assert done.status == "done", done.error
    assert done.result.to_dict()["stats"] == report.to_dict()["stats"]
    # objects deleted between the read and the masks' decoding: a clear error
    inp = load_input(catalog, "shapes", "m", "segm")
    with catalog.write() as cur:
        cur.execute("DELETE FROM annotations WHERE source = 'm'")
    with pytest.raises(CatalogError, match="deleted while being evaluated"):
        evaluate_arrays(inp, "coco", 0.5)


def test_keypoints_through_the_catalog(catalog):
    gt, dets = synthetic_keypoints(4)
    write_dataset(catalog, "poses", CocoLabelSource(gt))
    write_predictions(catalog, "poses", "m", CocoLabelSource(gt, dets))
    expected = pycocotools_run(gt, dets, "keypoints")
    report = evaluate_model(catalog, "poses", "m", iou_type="keypoints")
    np.testing.assert_allclose(
        [report.stats[n] for n in KEYPOINT_NAMES], expected.stats, rtol=0, atol=1e-9
    )
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT b.status, COUNT(*) FROM box_evaluations b JOIN annotations a USING (ann_id) "
            "WHERE b.eval_key = ? AND a.source = 'm' GROUP BY ALL",
            [report.key],
        ).fetchall()
    assert dict(rows)["tp"] == report.counts["tp"] > 0  # per prediction, as for boxes
    assert dict(rows)["fp"] == report.counts["fp"] > 0
    # the stored per-object rows answer the eval filter, as for boxes
    spec = {"labels": {"source": "m", "eval": {"key": report.key, "status": ["fp"]}}}
    page = samples_page(catalog, "poses", spec, include_annotations=False)
    with catalog.cursor() as cur:
        (want,) = cur.execute(
            "SELECT COUNT(DISTINCT sample_id) FROM box_evaluations WHERE eval_key = ? "
            "AND status = 'fp'",
            [report.key],
        ).fetchone()
    assert len(page["samples"]) == want > 0


def test_a_wrong_iou_type_is_a_clear_error(catalog):
    gt, dets = synthetic_keypoints(1)
    write_dataset(catalog, "poses", CocoLabelSource(gt))
    write_predictions(catalog, "poses", "m", CocoLabelSource(gt, dets))
    with pytest.raises(CatalogError, match="model 'm' has no masks"):
        evaluate_model(catalog, "poses", "m", iou_type="segm")
    with pytest.raises(CatalogError, match="unknown iou type"):
        evaluate_model(catalog, "poses", "m", iou_type="mask")
    with pytest.raises(CatalogError, match="sigmas"):
        evaluate_model(catalog, "poses", "m", iou_type="segm", sigmas=[0.1])


def test_coco100_segm_matches_the_cocoapi_reference(catalog):
    """The real demo files through today's COCO ingest: pycocotools' published segm AP 0.320."""
    ingest(catalog, "coco100", COCO100 / "annotations/instances_val2014_100.json", "coco")
    results = COCO100 / "results/instances_val2014_fakesegm100_results.json"
    ingest_predictions(catalog, "coco100", "fakesegm", results, "coco")
    report = evaluate_model(catalog, "coco100", "fakesegm", iou_type="segm")
    full = json.loads((COCO100 / "expected/cocoeval_stats_full_precision.json").read_text())
    got = [report.stats[n] for n in STAT_NAMES]
    np.testing.assert_allclose(got, full["segm"], rtol=0, atol=1e-12)
    assert round(report.stats["AP"], 3) == 0.320
    with open(COCO100 / "expected/per_category_ap_pycocotools_2.0.11.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["iou_type"] == "segm"]
    table = report.per_class.set_index("class")
    checked = [
        (table.loc[r["category_name"], "AP"], float(r["AP_50_95"]))
        for r in rows
        if float(r["AP_50_95"]) >= 0
    ]
    assert len(checked) == 70
    got_ap, want_ap = np.array(checked).T
    np.testing.assert_allclose(got_ap, want_ap, rtol=0, atol=1e-10)


def test_object_rles_are_coco_ann_to_rle():
    """Batched rasterisation gives COCO.annToRLE's RLE for every segmentation form, including
    frPyObjects' reading of a first 4-number polygon as a box; no mask: the box polygon."""
    from pycocotools.coco import COCO

    from visionlens_jlab.evaluate.masks import MaskCounts, object_rles

    segs = [
        [[10, 10, 60, 12, 40, 50]],
        [[10, 10, 60, 12, 40, 50], [70, 70, 90, 70, 80, 95, 75, 90]],  # two parts: merged
        [[5, 5, 30, 30], [40, 40, 60, 40, 50, 60]],  # a first 4-number polygon: reordered
        {"size": [100, 120], "counts": [50, 20, 300, 40, 11590]},  # uncompressed
        mask_utils_encoded(),  # compressed
        None,  # no mask: the box
        [[5, 5, 30, 30]],  # degenerate only: an empty mask
    ]
    coco = COCO()
    coco.dataset = {"images": [{"id": 1, "height": 100, "width": 120}], "annotations": []}
    coco.createIndex()
    boxes = label_input(
        {"images": [{"id": 1, "height": 100, "width": 120}], "categories": [{"id": 1, "name": "a"}],
         "annotations": [{"image_id": 1, "category_id": 1, "bbox": [3, 4, 20, 30], "area": 1,
                          **({"segmentation": s} if s is not None else {})} for s in segs]},
        [], "segm",
    )  # fmt: skip
    assert boxes.gt_labels is not None
    counts = MaskCounts()
    texts = boxes.gt_labels.in_order(np.arange(len(segs)))
    rles = object_rles(boxes.gt, boxes.gt_labels, np.arange(len(segs)), list(texts), counts)
    assert (counts.missing, counts.degenerate) == (1, 1)
    box = [[3.0, 4.0, 3.0, 34.0, 23.0, 34.0, 23.0, 4.0]]
    wanted = [*segs[:2], segs[2][::-1], *segs[3:5], box]  # pycocotools fails on segs[2]
    for seg, rle in zip(wanted, rles, strict=False):
        want = coco.annToRLE({"image_id": 1, "segmentation": seg})
        got_counts = rle["counts"].encode() if isinstance(rle["counts"], str) else rle["counts"]
        want_counts = want["counts"]
        want_counts = want_counts.encode() if isinstance(want_counts, str) else want_counts
        assert (list(rle["size"]), got_counts) == (list(want["size"]), want_counts)
    assert mask_utils_area(rles[-1]) == 0


@pytest.mark.parametrize("call_pairs", [1, 256, 10**9])
def test_mask_ious_without_crowd_flags_in_images_without_a_crowd_region(call_pairs, monkeypatch):
    """The false-positive explanations read pairs without the crowd flags: in every image,
    with or without a crowd region, they are pycocotools' IoU of the two masks; the same
    whether each image has its own ``mask_utils.iou`` call (1), consecutive images share
    one (the default's runs) or every consecutive image of a chunk shares one (images of
    other sizes, overlapping boxes across images)."""
    from pycocotools import mask as mask_utils

    from visionlens_jlab.evaluate import masks
    from visionlens_jlab.evaluate.boxes import group_pairs
    from visionlens_jlab.evaluate.masks import MaskCounts, mask_similarity, object_rles

    monkeypatch.setattr(masks, "IOU_CALL_PAIRS", call_pairs)
    gt, dets = synthetic_segm(0)
    inp = label_input(gt, dets, "segm")
    assert inp.gt_labels is not None and inp.dt_labels is not None
    sim, _ = mask_similarity(inp.gt, inp.dt, inp.gt_labels, inp.dt_labels)
    d, g = group_pairs(inp.dt.image, inp.gt.image)
    n_dt, n_gt = np.arange(len(inp.dt)), np.arange(len(inp.gt))
    dts = object_rles(inp.dt, inp.dt_labels, n_dt, inp.dt_labels.texts(n_dt), MaskCounts())
    gts = object_rles(inp.gt, inp.gt_labels, n_gt, inp.gt_labels.texts(n_gt), MaskCounts())
    for crowd in (False, True):
        want = [mask_utils.iou([dts[i]], [gts[j]], [int(crowd and inp.gt.crowd[j])])[0][0]
                for i, j in zip(d.tolist(), g.tolist(), strict=True)]  # fmt: skip
        np.testing.assert_array_equal(sim.pairs(d, g, crowd), want)
    crowd_images = np.unique(inp.gt.image[inp.gt.crowd])
    plain = ~np.isin(inp.dt.image[d], crowd_images)
    assert 0 < len(crowd_images) < len(gt["images"]) and (sim.pairs(d, g, False)[plain] > 0).any()


def mask_utils_area(rle):
    from pycocotools import mask as mask_utils

    return int(mask_utils.area(rle))


def mask_utils_encoded():
    from pycocotools import mask as mask_utils

    m = np.zeros((100, 120), np.uint8, order="F")
    m[20:50, 30:90] = 1
    rle = mask_utils.encode(m)
    return {"size": rle["size"], "counts": rle["counts"].decode()}


def test_an_unreadable_stored_rle_is_evaluated_as_its_box(catalog):
    """A catalog written before ingest checked RLEs may hold masks pycocotools refuses:
    the evaluation uses their boxes and says so, instead of failing."""
    gt, dets = synthetic_segm(3)
    first = gt["annotations"][0]
    bad = [
        {"size": [first["bbox"][3], 5], "counts": [-5, 3]},  # a negative run
        {"size": ["a", "b"], "counts": "abc"},  # a compressed RLE without a size
    ]
    for k, seg in enumerate(bad):
        gt["annotations"][k]["segmentation"] = seg
    write_dataset(catalog, "shapes", CocoLabelSource(gt))
    write_predictions(catalog, "shapes", "m", CocoLabelSource(gt, dets))
    report = evaluate_model(catalog, "shapes", "m", iou_type="segm")
    assert any("2 objects have an RLE mask pycocotools cannot read" in w for w in report.warnings)
    assert 0 <= report.stats["AP"] <= 1
