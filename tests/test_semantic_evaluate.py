"""Semantic segmentation: a VOC ``SegmentationClass`` dataset and noisy predictions,
generated as palette PNGs, ingested and evaluated through the CLI; the metrics equal
torchmetrics' (``MulticlassJaccardIndex``, ``MulticlassAccuracy``,
``MulticlassConfusionMatrix`` with ``ignore_index``) and boundary IoU equals the paper's
formula re-implemented here per class on binary masks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassJaccardIndex,
)

from visionlens_jlab.cli import main
from visionlens_jlab.semantic.classes import VOC_CLASSES
from visionlens_jlab.semantic.confusion import confusion

from .semantic_fixtures import write_voc

C = len(VOC_CLASSES)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, (json.loads(out) if out.strip() else {})


def _torchmetrics(gts: list[np.ndarray], preds: list[np.ndarray]) -> dict[str, Any]:
    target = torch.from_numpy(np.stack(gts).astype(np.int64))
    pred = torch.from_numpy(np.stack(preds).astype(np.int64))
    args: dict[str, Any] = {"num_classes": C, "ignore_index": 255}
    return {
        "mIoU": MulticlassJaccardIndex(**args, average="macro")(pred, target).item(),
        "fwIoU": MulticlassJaccardIndex(**args, average="weighted")(pred, target).item(),
        "per_class_iou": MulticlassJaccardIndex(**args, average="none")(pred, target).numpy(),
        "pixel_accuracy": MulticlassAccuracy(**args, average="micro")(pred, target).item(),
        "mean_accuracy": MulticlassAccuracy(**args, average="macro")(pred, target).item(),
        "confusion": MulticlassConfusionMatrix(**args)(pred, target).numpy(),
    }


def _inner_boundary(mask: np.ndarray, d: int) -> np.ndarray:
    """The authors' ``mask_to_boundary``: pad with one zero pixel, erode with a 3x3 kernel
    ``d`` times, crop, subtract (written out with shifts rather than OpenCV)."""
    padded = np.pad(mask.astype(np.uint8), 1)
    for _ in range(d):
        p = np.pad(padded, 1, constant_values=1)  # cv2.erode's default border is neutral
        shifts = [
            p[1 + dy : p.shape[0] - 1 + dy, 1 + dx : p.shape[1] - 1 + dx]
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        ]
        padded = np.minimum.reduce(shifts)
    return mask.astype(bool) & ~padded[1:-1, 1:-1].astype(bool)


def _boundary_oracle(gts: list[np.ndarray], preds: list[np.ndarray]) -> tuple[np.ndarray, float]:
    inter, union = np.zeros(C), np.zeros(C)
    for gt, pred in zip(gts, preds, strict=True):
        h, w = gt.shape
        d = max(1, int(round(0.02 * np.sqrt(h * h + w * w))))
        counted = gt != 255
        for c in range(C):
            bg = _inner_boundary(gt == c, d) & counted
            bp = _inner_boundary(pred == c, d) & counted
            inter[c] += (bg & bp).sum()
            union[c] += (bg | bp).sum()
    per = np.where(union > 0, inter / np.maximum(union, 1), np.nan)
    return per, float(np.nanmean(per))


@pytest.fixture
def evaluated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    voc, preds, gts, outs = write_voc(tmp_path, 24, seed=3)
    data = str(tmp_path / "data")
    code, ingested = _run(capsys, "semantic-ingest", str(voc), "--name", "seg", "--data-dir", data)
    assert code == 0, ingested
    assert ingested["semantic"] == {
        "layout": "voc",
        "masks": 24,
        "classes": C,
        "masks_without_image": 0,
        "images_without_mask": 0,
    }
    code, recorded = _run(
        capsys, "semantic-predictions", "seg", str(preds), "--model", "net", "--data-dir", data
    )
    assert code == 0 and recorded["masks"] == 24
    code, report = _run(capsys, "evaluate", "seg", "--model", "net", "--data-dir", data)
    assert code == 0, report
    return {"report": report["semantic"], "gts": gts, "preds": outs, "data": data}


def test_metrics_equal_torchmetrics(evaluated: dict[str, Any]) -> None:
    ours, expected = evaluated["report"], _torchmetrics(evaluated["gts"], evaluated["preds"])
    assert np.array_equal(np.asarray(ours["confusion_matrix"]), expected["confusion"])
    for key in ("mIoU", "fwIoU", "pixel_accuracy", "mean_accuracy"):
        assert ours[key] == pytest.approx(expected[key], abs=1e-6), key
    iou = [ours["per_class"][n]["iou"] for n in VOC_CLASSES]
    present = expected["confusion"].sum(0) + expected["confusion"].sum(1) > 0
    for i in range(C):
        if present[i]:
            assert iou[i] == pytest.approx(float(expected["per_class_iou"][i]), abs=1e-6)
        else:
            assert iou[i] is None
    pixels = [ours["per_class"][n]["pixels"] for n in VOC_CLASSES]
    assert pixels == expected["confusion"].sum(1).tolist()


def test_boundary_iou_equals_the_papers_formula(evaluated: dict[str, Any]) -> None:
    per, mean = _boundary_oracle(evaluated["gts"], evaluated["preds"])
    assert evaluated["report"]["boundary_iou"] == pytest.approx(mean, abs=1e-9)
    for i, name in enumerate(VOC_CLASSES):
        got = evaluated["report"]["per_class"][name]["boundary_iou"]
        assert (got is None) == bool(np.isnan(per[i]))
        if got is not None:
            assert got == pytest.approx(per[i], abs=1e-9)


def test_per_image_iou_is_a_sortable_field(evaluated: dict[str, Any]) -> None:
    """Each image's mean IoU (torchmetrics' on that image alone) is ``computed.semantic_miou``:
    the grid's page filters and sorts by it."""
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.reads.queries import samples_page

    expected = {}
    for i, (gt, pred) in enumerate(zip(evaluated["gts"], evaluated["preds"], strict=True)):
        expected[f"JPEGImages/2007_{i:06d}.jpg"] = _torchmetrics([gt], [pred])["mIoU"]
    ordered = sorted(expected.values())
    below = (ordered[len(ordered) // 2] + ordered[len(ordered) // 2 + 1]) / 2  # between two
    catalog = Catalog(Path(evaluated["data"]), read_only=True)
    try:
        page = samples_page(
            catalog,
            "seg",
            {"sample": {"computed.semantic_miou": {"max": below}}},
            sort="computed.semantic_miou",
            order="asc",
            include_annotations=False,
        )
    finally:
        catalog.close()
    kept = sorted((v, k) for k, v in expected.items() if v <= below)
    assert page["total"] == len(kept)
    assert [s["file_name"] for s in page["samples"]] == [k for _, k in kept]
    got = [s["computed"]["semantic_miou"] for s in page["samples"]]
    assert got == pytest.approx([v for v, _ in kept], abs=1e-6)


def test_metrics_equal_hotcocos_semantic_evaluation(evaluated: dict[str, Any]) -> None:
    """hotcoco (mmsegmentation's protocol) agrees on the matrix, mIoU, fwIoU and pixel
    accuracy; its mean accuracy averages the classes with ground truth only (mmseg's
    nanmean), where torchmetrics' macro average (ours) also counts a class only predicted as
    0: the same per-class accuracies, averaged over fewer classes."""
    from hotcoco import semantic

    ours = evaluated["report"]
    ev = semantic.SemanticEval(list(VOC_CLASSES), ignore_index=255)
    ev.update(np.stack(evaluated["gts"]), np.stack(evaluated["preds"]))
    metrics = ev.report()["metrics"]
    assert np.array_equal(np.asarray(ours["confusion_matrix"]), ev.confusion())
    assert ours["mIoU"] == pytest.approx(metrics["mIoU"], abs=1e-9)
    assert ours["fwIoU"] == pytest.approx(metrics["fwIoU"], abs=1e-9)
    assert ours["pixel_accuracy"] == pytest.approx(metrics["aAcc"], abs=1e-9)
    assert ours["mean_accuracy"] == pytest.approx(metrics["mAcc"], abs=1e-9)


def test_a_class_only_predicted_counts_0_accuracy_as_in_torchmetrics() -> None:
    """Where a class is predicted but absent from the ground truth, torchmetrics' macro
    accuracy (ours) counts it as 0; hotcoco's mAcc (mmseg's nanmean) skips it."""
    from hotcoco import semantic

    from visionlens_jlab.semantic.confusion import confusion, summary

    gt = np.array([[0, 0, 1, 1], [0, 0, 1, 255]], np.uint8)
    pred = np.array([[0, 2, 1, 1], [0, 0, 0, 2]], np.uint8)  # class 2 never in the truth
    ours = summary(confusion(gt, pred, 3), ["a", "b", "c"])
    expected = _torchmetrics_for(gt, pred, 3)
    assert ours["mean_accuracy"] == pytest.approx(expected, abs=1e-6)
    ev = semantic.SemanticEval(3, ignore_index=255)
    ev.update(gt, pred)
    assert ours["mean_accuracy"] == pytest.approx((3 / 4 + 2 / 3 + 0) / 3)
    assert ev.report()["metrics"]["mAcc"] == pytest.approx((3 / 4 + 2 / 3) / 2)


def _torchmetrics_for(gt: np.ndarray, pred: np.ndarray, classes: int) -> float:
    target = torch.from_numpy(gt.astype(np.int64))[None]
    predicted = torch.from_numpy(pred.astype(np.int64))[None]
    metric = MulticlassAccuracy(num_classes=classes, ignore_index=255, average="macro")
    return float(metric(predicted, target))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32, np.int64])
@pytest.mark.parametrize("ignore_index", [None, 255, 3, 300])
def test_the_confusion_matrix_counts_pixel_pairs_whatever_the_masks_dtype(
    dtype: type, ignore_index: int | None
) -> None:
    rng = np.random.default_rng(1)
    classes = 21
    gt = rng.integers(0, classes, (37, 53))
    gt[rng.random(gt.shape) < 0.1] = 255  # void
    pred = rng.integers(0, classes, gt.shape)
    expected = np.zeros((classes, classes), np.int64)  # by definition, pixel by pixel
    for g, p in zip(gt.ravel(), pred.ravel(), strict=True):
        if g < classes and g != ignore_index:
            expected[g, p] += 1
    got = confusion(gt.astype(dtype), pred.astype(dtype), classes, ignore_index)
    assert np.array_equal(got, expected)
    pred[0, 0] = 40
    with pytest.raises(ValueError, match="a predicted pixel has value 40"):
        confusion(gt.astype(dtype), pred.astype(dtype), classes, ignore_index)
