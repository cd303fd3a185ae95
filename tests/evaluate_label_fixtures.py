"""Synthetic COCO segm and keypoints data for the evaluation tests, its engine input, the
pycocotools oracle, and a parsed source that writes it through the catalog writer."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
from pycocotools import mask as mask_utils

from visionlens_jlab.evaluate.boxes import Boxes
from visionlens_jlab.evaluate.labels import ObjectLabels
from visionlens_jlab.evaluate.load import EvalInput
from visionlens_jlab.records.batches import (
    ANNOTATION_LABEL_FIELDS,
    ANNOTATION_SCHEMA,
    SAMPLE_SCHEMA,
    Batch,
)
from visionlens_jlab.records.report import IngestReport

SCORES = (0.95, 0.9, 0.8, 0.8, 0.6, 0.5, 0.5, 0.3, 0.1)  # few values: ties are common


def _polygon(rng: np.random.Generator, cx: float, cy: float, r: float) -> list[float]:
    """A star-shaped polygon of 5-9 vertices around (cx, cy), radius about r."""
    n = int(rng.integers(5, 10))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = r * rng.uniform(0.5, 1.0, n)
    pts = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1)
    return [round(float(v), 2) for v in pts.ravel()]


def _uncompressed(mask: np.ndarray) -> dict[str, Any]:
    """COCO's uncompressed RLE (column-major runs, starting with zeros) of a binary mask."""
    flat = mask.ravel(order="F").astype(np.int8)
    edges = np.flatnonzero(np.diff(np.r_[0, flat, 1 - flat[-1]]))
    counts = np.diff(np.r_[0, edges]).tolist()
    return {"size": list(mask.shape), "counts": counts}


def synthetic_segm(seed: int, n_images: int = 14, n_cats: int = 7) -> tuple[dict, list[dict]]:
    """Ground truth (polygons, multi-part polygons, crowd regions as uncompressed RLE, areas
    of every range) and segm results (compressed RLE) with matches, duplicates, class swaps,
    background false positives, missed objects, an image without ground truth and an image
    with more than 100 predictions of one class."""
    rng = np.random.default_rng(seed)
    images: list[dict[str, Any]] = []
    anns: list[dict[str, Any]] = []
    dets: list[dict[str, Any]] = []
    for img in range(1, n_images + 1):
        h, w = int(rng.integers(120, 260)), int(rng.integers(120, 260))
        images.append({"id": img * 3, "width": w, "height": h, "file_name": f"{img}.jpg"})
        n_gt = 0 if img == 2 else int(rng.integers(0, 8))
        for _ in range(n_gt):
            cat = int(rng.integers(1, n_cats + 1))
            r = float(rng.choice([6, 12, 20, 35, 60]))
            cx, cy = rng.uniform(r / 2, w - r / 2), rng.uniform(r / 2, h - r / 2)
            crowd = rng.random() < 0.12
            if crowd:
                m = np.zeros((h, w), np.uint8)
                m[int(cy - r / 2) : int(cy + r), int(cx - r / 2) : int(cx + r)] = 1
                seg: Any = _uncompressed(m)
                rle = mask_utils.frPyObjects(seg, h, w)
            else:
                seg = [_polygon(rng, cx, cy, r)]
                if rng.random() < 0.2:
                    seg.append(_polygon(rng, min(cx + r, w - 3), cy, r / 3))
                rle = mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
            area = float(mask_utils.area(rle))
            if rng.random() < 0.1:
                area = float(rng.choice([1024.0, 9216.0]))  # exactly on a range boundary
            anns.append({
                "id": len(anns) + 1, "image_id": img * 3, "category_id": cat,
                "segmentation": seg, "area": area, "iscrowd": int(crowd),
                "bbox": [float(v) for v in mask_utils.toBbox(rle)],
            })  # fmt: skip
            for _ in range(int(rng.choice([0, 1, 1, 1, 2]))):  # missed, found, duplicated
                swap = rng.random() < 0.1
                base = np.array(seg[0] if not crowd else _polygon(rng, cx, cy, r / 2))
                noise = rng.normal(0, r * float(rng.choice([0.02, 0.08, 0.2])), len(base))
                poly = [[round(float(v), 2) for v in base + noise]]
                dets.append(_segm_det(img * 3, poly, h, w, rng, cat % n_cats + 1 if swap else cat))
        for _ in range(int(rng.integers(0, 3))):  # background false positives
            r = float(rng.choice([5, 15, 40]))
            poly = [_polygon(rng, rng.uniform(r, w - r), rng.uniform(r, h - r), r)]
            dets.append(_segm_det(img * 3, poly, h, w, rng, int(rng.integers(1, n_cats + 1))))
    first = images[0]
    for k in range(110):  # beyond maxDets 100 in one (image, class)
        poly = [_polygon(rng, 10 + (k % 10) * 9, 10 + (k // 10) * 9, 4)]
        dets.append(
            _segm_det(first["id"], poly, first["height"], first["width"], rng, 1, 0.01 + k * 1e-4)
        )
    gt = {
        "images": images,
        "categories": [{"id": c, "name": f"class{c}"} for c in range(1, n_cats + 1)],
        "annotations": anns,
    }
    return gt, dets


def _segm_det(
    image_id: int, poly: list, h: int, w: int, rng: Any, cat: int, score: float | None = None
) -> dict[str, Any]:
    rle = mask_utils.merge(mask_utils.frPyObjects(poly, h, w))
    rle["counts"] = rle["counts"].decode()
    return {
        "image_id": image_id,
        "category_id": cat,
        "segmentation": rle,
        "score": float(rng.choice(SCORES)) if score is None else score,
    }


def synthetic_keypoints(
    seed: int, points: int = 17, n_images: int = 16, n_cats: int = 3
) -> tuple[dict, list[dict]]:
    """Keypoint ground truth (labelled, hidden and unlabelled points, objects without
    labelled points, crowd regions) and keypoint results near them, with swaps, duplicates
    and background predictions, over ``n_cats`` classes of one ``points``-point skeleton."""
    rng = np.random.default_rng(seed)
    images: list[dict[str, Any]] = []
    anns: list[dict[str, Any]] = []
    dets: list[dict[str, Any]] = []
    for img in range(1, n_images + 1):
        h, w = 300, 300
        images.append({"id": img, "width": w, "height": h, "file_name": f"{img}.jpg"})
        for _ in range(int(rng.integers(0, 7))):
            cat = int(rng.integers(1, n_cats + 1))
            bw, bh = (float(v) for v in rng.choice([20, 45, 80, 140], 2))
            x, y = float(rng.uniform(0, w - bw)), float(rng.uniform(0, h - bh))
            kx, ky = rng.uniform(x, x + bw, points), rng.uniform(y, y + bh, points)
            v = rng.choice([0, 1, 2, 2, 2], points)
            if rng.random() < 0.15:
                v[:] = 0  # no labelled point: ignored
            crowd = rng.random() < 0.05
            if crowd:
                v[:] = 0
            kp = np.stack([np.where(v > 0, kx, 0), np.where(v > 0, ky, 0), v], 1)
            anns.append({
                "id": len(anns) + 1, "image_id": img, "category_id": cat,
                "bbox": [x, y, bw, bh], "area": bw * bh * float(rng.choice([0.5, 0.7, 1.0])),
                "iscrowd": int(crowd), "num_keypoints": int((v > 0).sum()),
                "keypoints": [round(float(t), 2) for t in kp.ravel()],
            })  # fmt: skip
            for _ in range(int(rng.choice([0, 1, 1, 1, 2]))):
                noise = rng.normal(0, float(rng.choice([1.0, 4.0, 12.0])), (points, 2))
                swap = rng.random() < 0.1
                dets.append(_kp_det(img, kx + noise[:, 0], ky + noise[:, 1], rng,
                                    cat % n_cats + 1 if swap else cat))  # fmt: skip
        for _ in range(int(rng.integers(0, 2))):
            bx, by = rng.uniform(0, 250, 2)
            dets.append(_kp_det(img, rng.uniform(bx, bx + 50, points),
                                rng.uniform(by, by + 50, points), rng,
                                int(rng.integers(1, n_cats + 1))))  # fmt: skip
    for _ in range(25):  # beyond maxDets 20 in one (image, class)
        dets.append(_kp_det(1, rng.uniform(0, 300, points), rng.uniform(0, 300, points), rng, 1))
    gt = {
        "images": images,
        "categories": [
            {"id": c, "name": f"pose{c}", "keypoints": [f"p{i}" for i in range(points)]}
            for c in range(1, n_cats + 1)
        ],
        "annotations": anns,
    }
    return gt, dets


def _kp_det(image_id: int, xs: Any, ys: Any, rng: Any, cat: int) -> dict[str, Any]:
    kp = np.stack([xs, ys, np.ones(len(xs))], 1)
    return {
        "image_id": image_id,
        "category_id": cat,
        "keypoints": [round(float(t), 2) for t in kp.ravel()],
        "score": float(rng.choice(SCORES)),
    }


def pycocotools_run(
    gt: dict, dets: list[dict], iou_type: str, sigmas: list[float] | None = None
) -> Any:
    """pycocotools' COCOeval of ``iou_type`` on in-memory data, quietly."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = json.loads(json.dumps(gt))
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(json.loads(json.dumps(dets)))
        ev = COCOeval(coco_gt, coco_dt, iou_type)
        if sigmas is not None:
            ev.params.kpt_oks_sigmas = np.array(sigmas)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def _extent(kp: list[float]) -> list[float]:
    xs, ys = kp[0::3], kp[1::3]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def det_bbox(det: dict[str, Any]) -> list[float]:
    """The box a result gets when it has none (``COCO.loadRes``)."""
    if "keypoints" in det:
        return _extent(det["keypoints"])
    return [float(v) for v in mask_utils.toBbox(det["segmentation"])]


def label_input(gt: dict, dets: list[dict], iou_type: str) -> EvalInput:
    """Engine input with masks or keypoints, straight from COCO dicts (no catalog)."""
    images = sorted(im["id"] for im in gt["images"])
    ipos = {i: k for k, i in enumerate(images)}
    size = {im["id"]: (im["height"], im["width"]) for im in gt["images"]}
    cats = sorted(c["id"] for c in gt["categories"])
    cpos = {c: k for k, c in enumerate(cats)}

    def side(anns: list[dict], is_dt: bool) -> tuple[Boxes, ObjectLabels]:
        n = len(anns)
        bb = np.array([det_bbox(a) if is_dt else a["bbox"] for a in anns], float).reshape(n, 4)
        boxes = Boxes(
            ann_id=np.arange(n, dtype=np.int64) + (100000 if is_dt else 0),
            image=np.array([ipos[a["image_id"]] for a in anns], np.int64),
            cat=np.array([cpos[a["category_id"]] for a in anns], np.int64),
            x=bb[:, 0], y=bb[:, 1], w=bb[:, 2], h=bb[:, 3],
            area=bb[:, 2] * bb[:, 3] if is_dt else np.array([a["area"] for a in anns], float),
            score=np.array([a.get("score", 1.0) for a in anns], float),
            crowd=np.array([bool(a.get("iscrowd", 0)) for a in anns], bool),
        )  # fmt: skip
        kps = [a.get("keypoints") or [] for a in anns]
        labels = ObjectLabels(
            [json.dumps(a["segmentation"]) if "segmentation" in a else None for a in anns],
            np.full(n, np.nan),
            np.array([v for kp in kps for v in kp], float),
            np.concatenate([[0], np.cumsum([len(kp) for kp in kps])]).astype(np.int64),
            np.array([a.get("num_keypoints", 0) for a in anns], np.int64),
            np.array([size[a["image_id"]][0] for a in anns], np.int64),
            np.array([size[a["image_id"]][1] for a in anns], np.int64),
        )
        return boxes, labels

    (g, gl), (d, dl) = side(gt["annotations"], False), side(dets, True)
    names = {c["id"]: c["name"] for c in gt["categories"]}
    return EvalInput(
        dataset_id=0, classes=[names[c] for c in cats], gt=g, dt=d,
        gt_sample=g.image.copy(), dt_sample=d.image.copy(), missing_scores=0,
        iou_type=iou_type, gt_labels=gl, dt_labels=dl,
    )  # fmt: skip


LABEL_SCHEMA = pa.schema([*ANNOTATION_SCHEMA, *ANNOTATION_LABEL_FIELDS])


class CocoLabelSource:
    """A parsed source of a COCO ground-truth dict (or, with ``predictions``, of a results
    list) whose annotation batches carry the label columns (keypoints, num_keypoints,
    mask_area), as the COCO ingest writes them."""

    def __init__(self, gt: dict, predictions: list[dict] | None = None) -> None:
        self.format = "coco"
        self.source = "/data/annotations.json"
        self.media_root = "/data/images"
        self.json_checked = False
        self.report = IngestReport()
        self._gt = gt
        self._predictions = predictions

    def categories(self) -> list[tuple[Any, ...]]:
        return [
            (c["name"], None, c["id"], c.get("keypoints"), c.get("skeleton"))
            for c in self._gt["categories"]
        ]

    def batches(self) -> Iterator[Batch]:
        names = {c["id"]: c["name"] for c in self._gt["categories"]}
        index = {im["id"]: k for k, im in enumerate(self._gt["images"])}
        rows = []
        for k, a in enumerate(self._predictions or self._gt["annotations"]):
            seg = a.get("segmentation")
            kp = a.get("keypoints")
            x, y, w, h = a["bbox"] if "bbox" in a else det_bbox(a)
            pred = self._predictions is not None
            rows.append({
                "sample_index": None if pred else index[a["image_id"]],
                "image_ref": str(a["image_id"]) if pred else None,
                "label": names[a["category_id"]], "x": x, "y": y, "w": w, "h": h,
                "score": a.get("score"), "area": a.get("area"),
                "iscrowd": bool(a.get("iscrowd", 0)), "difficult": False,
                "source_ann_id": str(a.get("id", k)),
                "segmentation": None if seg is None else json.dumps(seg),
                "attributes": None, "normalized": False, "keypoints": kp,
                "num_keypoints": a.get("num_keypoints"),
                # every other prediction leaves its mask area to be computed
                "mask_area": float(mask_utils.area(seg)) if pred and seg and k % 2 else None,
            })  # fmt: skip
        if self._predictions is None:
            samples = pa.Table.from_pylist(
                [
                    {
                        "sample_index": k,
                        "file_name": im["file_name"],
                        "location": f"/data/images/{im['file_name']}",
                        "width": im["width"],
                        "height": im["height"],
                        "split": None,
                        "source_image_id": str(im["id"]),
                        "fields": None,
                    }
                    for k, im in enumerate(self._gt["images"])
                ],
                schema=SAMPLE_SCHEMA,
            )
            yield Batch(samples, pa.Table.from_pylist(rows, schema=LABEL_SCHEMA))
        else:
            yield Batch(None, pa.Table.from_pylist(rows, schema=LABEL_SCHEMA))
