"""Label quality by mask IoU: the stored scores equal an independent computation (pycocotools'
mask IoU and the documented formulas in plain loops), a wrong mask in a right box is found
by mask IoU and missed by box IoU, ``auto`` picks masks only when both sides have them, and
what cannot be scored by masks is refused (engine, CLI, REST)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.label_quality.job import run_label_quality

from .evaluate_fixtures import ingest, ingest_predictions
from .test_label_quality import cli

W, H = 320, 240
CLASSES = ["car", "person", "dog"]


def polygon_box(poly: list[float]) -> list[float]:
    xs, ys = poly[0::2], poly[1::2]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def write(folder: Path, images: int, labels: list[dict], preds: list[dict]) -> tuple[Path, Path]:
    """COCO labels and results files; each object is ``{"image", "cat", "poly"[, "score"]}``
    (``"poly": None``: a box-only object, its ``"box"`` given)."""
    folder.mkdir(parents=True, exist_ok=True)

    def record(o: dict, k: int) -> dict[str, Any]:
        box = o.get("box") or polygon_box(o["poly"])
        out = {"id": k + 1, "image_id": o["image"] + 1, "category_id": o["cat"] + 1,
               "bbox": box, "area": box[2] * box[3], "iscrowd": 0}  # fmt: skip
        if o.get("poly"):
            out["segmentation"] = [o["poly"]]
        if "score" in o:
            out["score"] = o["score"]
        return out

    gt = {
        "images": [
            {"id": i + 1, "file_name": f"img_{i:03d}.jpg", "width": W, "height": H}
            for i in range(images)
        ],  # fmt: skip
        "annotations": [record(o, k) for k, o in enumerate(labels)],
        "categories": [{"id": k + 1, "name": n} for k, n in enumerate(CLASSES)],
    }
    gt_path, dt_path = folder / "labels.json", folder / "predictions.json"
    gt_path.write_text(json.dumps(gt))
    dt_path.write_text(json.dumps([record(o, k) for k, o in enumerate(preds)]))
    return gt_path, dt_path


def random_scene(seed: int) -> tuple[int, list[dict], list[dict]]:
    """Overlapping random pentagons: labels, and predictions that jitter, shrink, relabel,
    miss some of them and add false positives, with random confidences."""
    rng = np.random.default_rng(seed)
    images = 8
    labels: list[dict] = []
    preds: list[dict] = []

    def pentagon(cx: float, cy: float, r: float) -> list[float]:
        angle = np.sort(rng.uniform(0, 2 * np.pi, 5))
        radius = r * rng.uniform(0.5, 1.0, 5)
        pts = np.column_stack([cx + radius * np.cos(angle), cy + radius * np.sin(angle)])
        return [round(float(v), 2) for v in np.clip(pts, 1, [W - 1, H - 1]).ravel()]

    for i in range(images):
        for _ in range(rng.integers(2, 6)):
            cx, cy, r = rng.uniform(40, W - 40), rng.uniform(40, H - 40), rng.uniform(15, 40)
            cat = int(rng.integers(0, 3))
            labels.append({"image": i, "cat": cat, "poly": pentagon(cx, cy, r)})
            if rng.random() < 0.85:  # found, perhaps a little off and perhaps mislabelled
                dx, dy = rng.normal(0, r * 0.3, 2)
                pcat = cat if rng.random() < 0.8 else (cat + 1) % 3
                preds.append({"image": i, "cat": pcat, "poly": pentagon(cx + dx, cy + dy, r),
                              "score": round(float(rng.uniform(0.05, 1)), 3)})  # fmt: skip
        for _ in range(rng.integers(0, 3)):  # false positives
            preds.append({"image": i, "cat": int(rng.integers(0, 3)),
                          "poly": pentagon(rng.uniform(40, W - 40), rng.uniform(40, H - 40), 30),
                          "score": round(float(rng.uniform(0.05, 1)), 3)})  # fmt: skip
    return images, labels, preds


def oracle(labels: list[dict], preds: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """The four type scores of every label and prediction by docs/label_quality.md's table,
    object by object, with pycocotools' mask IoU (polygons rasterised at the image size)."""

    def rle(o: dict) -> Any:
        return mask_utils.merge(mask_utils.frPyObjects([o["poly"]], H, W))

    def ramp(x: float, lo: float, hi: float) -> float:
        return min(max((x - lo) / (hi - lo), 0.0), 1.0)

    gt_rle, dt_rle = [rle(o) for o in labels], [rle(o) for o in preds]
    owned: list[list[tuple[int, float]]] = [[] for _ in labels]
    best = np.zeros(len(preds))
    for d, p in enumerate(preds):
        mine = [g for g, o in enumerate(labels) if o["image"] == p["image"]]
        if not mine:
            continue
        iou = mask_utils.iou([dt_rle[d]], [gt_rle[g] for g in mine], [0] * len(mine))[0]
        best[d] = max(iou)
        for g, u in zip(mine, iou, strict=True):
            if u > 0 and u >= best[d]:
                owned[g].append((d, float(u)))
    gt_types = np.full((len(labels), 4), np.nan)
    for g, o in enumerate(labels):
        same = max([preds[d]["score"] * ramp(u, 0.3, 0.6) for d, u in owned[g]
                    if preds[d]["cat"] == o["cat"]], default=0.0)  # fmt: skip
        other = max([preds[d]["score"] * ramp(u, 0.3, 0.6) for d, u in owned[g]
                     if preds[d]["cat"] != o["cat"]], default=0.0)  # fmt: skip
        support = max([preds[d]["score"] * min(u / 0.5, 1.0) for d, u in owned[g]], default=0.0)
        located = [(u, preds[d]["score"]) for d, u in owned[g] if preds[d]["cat"] == o["cat"]]
        badly = 1.0
        if located:
            top = max(u for u, _ in located)
            badly = 1 - max(c for u, c in located if u == top) * (1 - top)
        gt_types[g, 1:] = [1 - max(0.0, other - same), badly, 1 - 0.5 * (1 - support)]
    dt_types = np.full((len(preds), 4), np.nan)
    for d, p in enumerate(preds):
        dt_types[d, 0] = 1 - p["score"] * (1 - min(best[d] / 0.5, 1.0))
    return gt_types, dt_types


def stored_types(catalog: Catalog, model: str) -> tuple[np.ndarray, np.ndarray]:
    """The stored type scores of the labels and of the predictions, in file order (the
    catalog keeps each side's objects in the order of its file)."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT q.source = 'ground_truth', q.overlooked, q.swapped, q.badly_located, "
            "q.spurious FROM label_quality q WHERE q.model = ? ORDER BY q.ann_id",
            [model],
        ).fetchall()
    table = np.array([[np.nan if v is None else v for v in r[1:]] for r in rows], float)
    is_gt = np.array([r[0] for r in rows])
    return table[is_gt], table[~is_gt]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mask_scores_equal_the_independent_computation(tmp_path: Path, seed: int) -> None:
    images, labels, preds = random_scene(seed)
    gt_path, dt_path = write(tmp_path / "src", images, labels, preds)
    with Catalog(tmp_path / "data") as catalog:
        ingest(catalog, "shapes", gt_path, "coco")
        ingest_predictions(catalog, "shapes", "seg", dt_path, "coco")
        out = run_label_quality(catalog, "shapes", "seg")  # auto: both sides have masks
        assert out["summary"]["iou"] == "mask" and out["summary"]["warnings"] == []
        got_gt, got_dt = stored_types(catalog, "seg")
        want_gt, want_dt = oracle(labels, preds)
        assert got_gt.shape == want_gt.shape and got_dt.shape == want_dt.shape
        np.testing.assert_allclose(got_gt, want_gt, rtol=0, atol=1e-9)
        np.testing.assert_allclose(got_dt, want_dt, rtol=0, atol=1e-9)
        # box IoU is a different overlap on these shapes: the scores move
        boxed = run_label_quality(catalog, "shapes", "seg", iou="box")
        assert boxed["summary"]["iou"] == "box"
        assert not np.allclose(np.nan_to_num(stored_types(catalog, "seg")[0]),
                               np.nan_to_num(want_gt))  # fmt: skip


def triangle(x: float, y: float, s: float, upper: bool) -> list[float]:
    """The lower-left (or upper-right) half of the square at (x, y): both have its box."""
    if upper:
        return [x, y, x + s, y, x + s, y + s]
    return [x, y, x, y + s, x + s, y + s]


def planted_scene() -> tuple[int, list[dict], list[dict], dict[int, str]]:
    """Triangles on a grid, each found by a confident prediction of its own mask; plants:
    the wrong half of the box (mask only; its prediction then covers no label), a shrunk
    mask, another class, a missing label.
    Returns the plants as {label index or -(prediction index + 1): issue}."""
    images = 6
    labels: list[dict] = []
    preds: list[dict] = []
    plants: dict[int, str] = {}
    kinds = ["wrong_half", "shrunk", "swap", "missing", None, None]
    for i in range(images):
        for k in range(4):
            x, y, s = 20 + 75 * k, 30 + 90 * (k % 2), 50
            kind = kinds[(i + k) % len(kinds)]
            preds.append({"image": i, "cat": k % 3, "poly": triangle(x + 1, y, s, False),
                          "score": 0.95})  # fmt: skip
            if kind == "missing":
                plants[-len(preds)] = "overlooked"
                continue
            poly = triangle(x, y, s, kind == "wrong_half")
            if kind == "shrunk":
                poly = triangle(x, y + s * 0.45, s * 0.55, False)
            cat = (k + 1) % 3 if kind == "swap" else k % 3
            if kind == "wrong_half":  # its prediction covers no label now: overlooked too
                plants[-len(preds)] = "overlooked"
            if kind is not None:
                plants[len(labels)] = {"wrong_half": "badly_located", "shrunk": "badly_located",
                                       "swap": "swapped"}[kind]  # fmt: skip
            labels.append({"image": i, "cat": cat, "poly": poly, "kind": kind})
    return images, labels, preds, plants


def test_planted_mask_errors_are_found_by_mask_iou_and_not_all_by_box(tmp_path: Path) -> None:
    images, labels, preds, plants = planted_scene()
    gt_path, dt_path = write(tmp_path / "src", images, labels, preds)
    with Catalog(tmp_path / "data") as catalog:
        ingest(catalog, "tri", gt_path, "coco")
        ingest_predictions(catalog, "tri", "seg", dt_path, "coco")
        found = {}
        for iou in ("mask", "box"):
            out = run_label_quality(catalog, "tri", "seg", iou=iou)
            with catalog.cursor() as cur:
                rows = cur.execute(
                    "SELECT source, ann_id, issue, flagged FROM label_quality WHERE model = 'seg' "
                    "ORDER BY source = 'ground_truth' DESC, ann_id"
                ).fetchall()
            n_gt = len(labels)
            flagged = {(k if k < n_gt else -(k - n_gt + 1)): r[2]
                       for k, r in enumerate(rows) if r[3]}  # fmt: skip
            found[iou] = flagged
            assert out["summary"]["iou"] == iou
        assert found["mask"] == plants  # every plant with its issue, nothing clean
        wrong_half = {k for k, o in enumerate(labels) if o["kind"] == "wrong_half"}
        assert wrong_half and not wrong_half & set(found["box"])  # the box cannot see them
        their_preds = {-(preds.index(p) + 1) for p in preds if any(
            o["kind"] == "wrong_half" and o["image"] == p["image"] and o["poly"][0] == p["poly"][0] - 1
            for o in labels)}  # fmt: skip
        assert {k: v for k, v in plants.items()
                if k not in wrong_half | their_preds} == found["box"]  # fmt: skip


def test_auto_and_refusals(tmp_path: Path) -> None:
    images, labels, preds = random_scene(5)
    boxes_only = [{**p, "box": polygon_box(p["poly"]), "poly": None} for p in preds]
    gt_path, dt_path = write(tmp_path / "src", images, labels, preds)
    _, box_path = write(tmp_path / "boxes", images, labels, boxes_only)
    data = tmp_path / "data"
    with Catalog(data) as catalog:
        ingest(catalog, "shapes", gt_path, "coco")
        ingest_predictions(catalog, "shapes", "seg", dt_path, "coco")
        ingest_predictions(catalog, "shapes", "det", box_path, "coco")
        assert run_label_quality(catalog, "shapes", "det")["summary"]["iou"] == "box"
        with pytest.raises(CatalogError, match="--iou mask needs masks on both sides; 'det'"):
            run_label_quality(catalog, "shapes", "det", iou="mask")
        with pytest.raises(ValueError, match="iou must be one of auto, mask, box"):
            run_label_quality(catalog, "shapes", "seg", iou="segm")
    done = cli(data, "label-quality", "shapes", "--model", "det", "--iou", "mask", "--json")
    assert done.returncode == 1 and "needs masks on both sides" in done.stderr
    done = cli(data, "label-quality", "shapes", "--model", "seg", "--iou", "pixels")
    assert done.returncode == 2 and "invalid choice: 'pixels'" in done.stderr
    done = cli(data, "label-quality", "shapes", "--model", "seg")
    assert done.returncode == 0 and "(overlap: mask IoU)" in done.stdout
