"""Planted label errors after Schubert et al. (WACV 2024) and a simulated detector.

A clean dataset of boxes is drawn; then a fraction of its boxes gets one planted error each,
the four kinds in equal parts: *drop* (the box is removed: its object is overlooked),
*flip* (another class: swapped), *shift* (moved until its IoU with the original lies in
0.4-0.7: badly located) and *spawn* (a box of another image copied here: spurious). The
detector sees only the clean boxes, so its errors (misses, class confusions, jitter, false
positives) do not know the plants.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

WIDTH, HEIGHT = 640.0, 480.0
KINDS = ("drop", "flip", "shift", "spawn")


@dataclass
class Planted:
    """Noisy labels, predictions and what was planted where (image indices ``0..n-1``)."""

    n_images: int
    n_classes: int
    gt_image: np.ndarray
    gt_cat: np.ndarray
    gt_box: np.ndarray  # (n, 4) x, y, w, h
    gt_kind: np.ndarray  # -1 clean, else index into KINDS (flip, shift, spawn)
    dt_image: np.ndarray
    dt_cat: np.ndarray
    dt_box: np.ndarray
    dt_score: np.ndarray
    dt_dropped: np.ndarray  # bool: the detection of a dropped box
    image_error: np.ndarray  # bool per image


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ix = np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2]) - np.maximum(a[:, 0], b[:, 0])
    iy = np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3]) - np.maximum(a[:, 1], b[:, 1])
    inter = np.clip(ix, 0, None) * np.clip(iy, 0, None)
    return inter / (a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter)


def _shifted(box: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each box moved (and a little rescaled) until its IoU with itself is in 0.4-0.7."""
    out = box.copy()
    todo = np.arange(len(box))
    for _ in range(50):
        if not len(todo):
            break
        b = box[todo]
        frac = rng.uniform(0.12, 0.35, (len(todo), 2)) * rng.choice([-1, 1], (len(todo), 2))
        scale = rng.uniform(0.85, 1.15, (len(todo), 2))
        cand = np.column_stack([b[:, 0] + frac[:, 0] * b[:, 2], b[:, 1] + frac[:, 1] * b[:, 3],
                                b[:, 2] * scale[:, 0], b[:, 3] * scale[:, 1]])  # fmt: skip
        iou = _iou(cand, b)
        ok = (iou >= 0.4) & (iou <= 0.7)
        out[todo[ok]] = cand[ok]
        todo = todo[~ok]
    return out


def make(n_images: int, *, error_rate: float = 0.2, n_classes: int = 10, seed: int = 0) -> Planted:
    """``n_images`` images, about 3 boxes each, ``error_rate`` of the boxes with a plant."""
    rng = np.random.default_rng(seed)
    per_image = rng.poisson(3.0, n_images)
    image = np.repeat(np.arange(n_images), per_image)
    n = len(image)
    cat = rng.integers(0, n_classes, n)
    w = np.clip(rng.lognormal(np.log(80), 0.5, n), 12, WIDTH * 0.6)
    h = np.clip(w * rng.lognormal(0, 0.3, n), 12, HEIGHT * 0.6)
    x, y = rng.uniform(0, WIDTH - w), rng.uniform(0, HEIGHT - h)
    clean = np.column_stack([x, y, w, h])
    detections = _detector(image, cat, clean, n_images, n_classes, rng)
    # plants: each chosen box gets one kind; spawn adds a copy of the box to another image
    kind = np.full(n, -1)
    chosen = rng.choice(n, int(round(error_rate * n)), replace=False)
    kind[chosen] = rng.integers(0, 4, len(chosen))
    box, label = clean.copy(), cat.copy()
    flip = kind == 1
    label[flip] = (cat[flip] + rng.integers(1, n_classes, int(flip.sum()))) % n_classes
    shift = kind == 2
    box[shift] = _shifted(clean[shift], rng)
    spawn_src = np.flatnonzero(kind == 3)
    spawn_to = (image[spawn_src] + rng.integers(1, max(2, n_images), len(spawn_src))) % n_images
    keep = kind != 0
    gt_kind = np.where(kind[keep] == 3, -1, kind[keep])  # the source box stays clean
    gt_image = np.r_[image[keep], spawn_to]
    gt_cat = np.r_[label[keep], cat[spawn_src]]
    gt_box = np.r_[box[keep], clean[spawn_src]]
    gt_kind = np.r_[gt_kind, np.full(len(spawn_src), 3)]
    order = np.argsort(gt_image, kind="stable")
    dt_image, dt_cat, dt_box, dt_score, dt_of = detections
    dropped = np.zeros(n, bool)
    dropped[kind == 0] = True
    dt_dropped = (dt_of >= 0) & dropped[np.maximum(dt_of, 0)]
    image_error = np.zeros(n_images, bool)
    image_error[image[kind == 0]] = True
    image_error[image[(kind == 1) | (kind == 2)]] = True
    image_error[spawn_to] = True
    return Planted(
        n_images, n_classes, gt_image[order], gt_cat[order], gt_box[order], gt_kind[order],
        dt_image, dt_cat, dt_box, dt_score, dt_dropped, image_error,
    )  # fmt: skip


def _detector(
    image: np.ndarray,
    cat: np.ndarray,
    box: np.ndarray,
    n_images: int,
    n_classes: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A detector run on the clean boxes: misses (more of the small), class confusions with
    lower confidence, localisation jitter, and false positives of low confidence."""
    n = len(image)
    small = box[:, 2] * box[:, 3] < 32 * 32 * 2
    hit = rng.random(n) < np.where(small, 0.75, 0.92)
    confused = rng.random(n) < 0.06
    det_cat = np.where(confused, (cat + rng.integers(1, n_classes, n)) % n_classes, cat)
    conf = np.where(confused, rng.beta(3, 4, n), rng.beta(9, 1, n))
    jitter = rng.normal(0, 0.05, (n, 4)) * np.column_stack([box[:, 2], box[:, 3]] * 2)
    det = box + jitter
    det[:, 2:] = np.maximum(det[:, 2:], 4)
    n_fp = rng.poisson(0.4, n_images)
    fp_image = np.repeat(np.arange(n_images), n_fp)
    m = len(fp_image)
    fw = np.clip(rng.lognormal(np.log(60), 0.6, m), 8, WIDTH * 0.5)
    fh = np.clip(fw * rng.lognormal(0, 0.3, m), 8, HEIGHT * 0.5)
    fp_box = np.column_stack([rng.uniform(0, WIDTH - fw), rng.uniform(0, HEIGHT - fh), fw, fh])
    image_all = np.r_[image[hit], fp_image]
    order = np.argsort(image_all, kind="stable")
    return (
        image_all[order],
        np.r_[det_cat[hit], rng.integers(0, n_classes, m)][order],
        np.r_[det[hit], fp_box][order],
        np.r_[conf[hit], rng.beta(2, 5, m)][order],
        np.r_[np.flatnonzero(hit), np.full(m, -1)][order],
    )


def cleanlab_inputs(p: Planted) -> tuple[list[dict], list[list[np.ndarray]], list[np.ndarray]]:
    """cleanlab's ``labels`` and ``predictions`` (x1, y1, x2, y2; per class arrays), and per
    image the indices of the predictions in cleanlab's order (class by class)."""
    gt_start = np.searchsorted(p.gt_image, np.arange(p.n_images + 1))
    dt_order = np.lexsort((p.dt_cat, p.dt_image))
    img_sorted, cat_sorted = p.dt_image[dt_order], p.dt_cat[dt_order]
    dt_start = np.searchsorted(img_sorted, np.arange(p.n_images + 1))
    xyxy_gt = np.column_stack([p.gt_box[:, :2], p.gt_box[:, :2] + p.gt_box[:, 2:]])
    rows = np.column_stack([p.dt_box[:, :2], p.dt_box[:, :2] + p.dt_box[:, 2:], p.dt_score])
    labels, predictions, order = [], [], []
    for i in range(p.n_images):
        a, b = gt_start[i], gt_start[i + 1]
        labels.append({"bboxes": xyxy_gt[a:b], "labels": p.gt_cat[a:b]})
        c, d = dt_start[i], dt_start[i + 1]
        idx = dt_order[c:d]
        cuts = np.searchsorted(cat_sorted[c:d], np.arange(p.n_classes + 1))
        predictions.append([rows[idx[cuts[k] : cuts[k + 1]]] for k in range(p.n_classes)])
        order.append(idx)
    return labels, predictions, order


def write_coco(p: Planted, folder: Path, class_names: list[str] | None = None) -> tuple[Path, Path]:
    """The noisy labels as a COCO file and the predictions as a COCO results file (image
    ids 1..n, annotation ids in order, so the catalog's ann ids follow the arrays' order)."""
    import json

    names = class_names or [f"class_{k}" for k in range(p.n_classes)]
    folder.mkdir(parents=True, exist_ok=True)
    images = [{"id": i + 1, "file_name": f"img_{i:07d}.jpg", "width": WIDTH, "height": HEIGHT}
              for i in range(p.n_images)]  # fmt: skip
    anns = [
        {"id": k + 1, "image_id": int(i) + 1, "category_id": int(c) + 1,
         "bbox": [round(float(v), 2) for v in b], "area": float(b[2] * b[3]), "iscrowd": 0}
        for k, (i, c, b) in enumerate(zip(p.gt_image, p.gt_cat, p.gt_box, strict=True))
    ]  # fmt: skip
    cats = [{"id": k + 1, "name": name} for k, name in enumerate(names)]
    gt_path, dt_path = folder / "labels.json", folder / "predictions.json"
    gt_path.write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    dets = [
        {"image_id": int(i) + 1, "category_id": int(c) + 1,
         "bbox": [round(float(v), 2) for v in b], "score": round(float(s), 4)}
        for i, c, b, s in zip(p.dt_image, p.dt_cat, p.dt_box, p.dt_score, strict=True)
    ]  # fmt: skip
    dt_path.write_text(json.dumps(dets))
    return gt_path, dt_path
