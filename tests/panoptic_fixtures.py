"""Generated COCO panoptic files: ground truth (stuff regions, thing rectangles, some crowd,
void pixels) and predictions (things shifted, some missed, some invented, stuff relabelled
at times), as PNGs of ``R + 256 G + 256² B`` ids and their JSON files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

CATEGORIES = [
    {"id": 1, "name": "person", "isthing": 1, "supercategory": "person"},
    {"id": 3, "name": "car", "isthing": 1, "supercategory": "vehicle"},
    {"id": 7, "name": "dog", "isthing": 1, "supercategory": "animal"},
    {"id": 100, "name": "road", "isthing": 0, "supercategory": "ground"},
    {"id": 120, "name": "sky", "isthing": 0, "supercategory": "sky"},
]
THINGS = [1, 3, 7]


def _save(ids: np.ndarray, path: Path) -> None:
    rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], axis=-1).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb, mode="RGB").save(path)


def _segments(ids: np.ndarray, cats: dict[int, int], crowd: set[int]) -> list[dict[str, Any]]:
    out = []
    for sid in np.unique(ids).tolist():
        if sid == 0:
            continue
        out.append(
            {
                "id": sid,
                "category_id": cats[sid],
                "iscrowd": int(sid in crowd),
                "area": int((ids == sid).sum()),
            }
        )
    return out


def _scene(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, dict[int, int], set[int]]:
    ids = np.zeros((h, w), np.int64)
    cats: dict[int, int] = {}
    split = int(rng.integers(h // 3, 2 * h // 3))
    ids[:split], cats[1000] = 1000, 120
    ids[split:], cats[2000] = 2000, 100
    ids[rng.random((h, w)) < 0.03] = 0  # void speckles
    crowd: set[int] = set()
    for k in range(int(rng.integers(1, 5))):
        sid = 3000 + k * 7
        y, x = int(rng.integers(0, h - 6)), int(rng.integers(0, w - 6))
        ids[y : y + int(rng.integers(4, h // 2)), x : x + int(rng.integers(4, w // 2))] = sid
        cats[sid] = int(rng.choice(THINGS))
        if rng.random() < 0.2:
            crowd.add(sid)
    return ids, cats, crowd


def write_panoptic(
    root: Path, images: int, seed: int = 0, size: tuple[int, int] = (40, 56)
) -> dict[str, Path]:
    """Ground truth and predictions under ``root``; returns their JSON files and folders."""
    rng = np.random.default_rng(seed)
    h, w = size
    gt_anns, pred_anns, image_rows = [], [], []
    for i in range(images):
        name = f"{i:012d}"
        ids, cats, crowd = _scene(rng, h, w)
        Image.new("RGB", (w, h)).save(_touch(root / "images" / f"{name}.jpg"))
        _save(ids, root / "panoptic_gt" / f"{name}.png")
        gt_anns.append(
            {
                "image_id": i,
                "file_name": f"{name}.png",
                "segments_info": _segments(ids, cats, crowd),
            }
        )
        image_rows.append({"id": i, "file_name": f"{name}.jpg", "width": w, "height": h})
        pred = np.roll(ids, int(rng.integers(-2, 3)), axis=1)
        pred = np.where(pred == 0, 2000, pred)  # the model fills the void
        pcats = dict(cats)
        for sid in list(pcats):
            if sid >= 3000 and rng.random() < 0.2:  # missed: painted as road
                pred[pred == sid] = 2000
                del pcats[sid]
            elif sid >= 3000 and rng.random() < 0.2:  # the wrong class
                pcats[sid] = int(rng.choice(THINGS))
        if rng.random() < 0.5:  # an invented thing
            y, x = int(rng.integers(0, h - 5)), int(rng.integers(0, w - 5))
            pred[y : y + 5, x : x + 5] = 9000
            pcats[9000] = int(rng.choice(THINGS))
        present = set(np.unique(pred).tolist())
        pcats = {k: v for k, v in pcats.items() if k in present}
        _save(pred, root / "panoptic_pred" / f"{name}.png")
        pred_anns.append(
            {
                "image_id": i,
                "file_name": f"{name}.png",
                "segments_info": _segments(pred, pcats, set()),
            }
        )
    gt_json, pred_json = root / "panoptic_gt.json", root / "panoptic_pred.json"
    gt_json.write_text(
        json.dumps({"images": image_rows, "annotations": gt_anns, "categories": CATEGORIES})
    )
    pred_json.write_text(
        json.dumps({"images": image_rows, "annotations": pred_anns, "categories": CATEGORIES})
    )
    return {
        "gt_json": gt_json,
        "gt_folder": root / "panoptic_gt",
        "pred_json": pred_json,
        "pred_folder": root / "panoptic_pred",
        "images": root / "images",
    }


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
