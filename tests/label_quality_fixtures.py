"""A scene with planted label errors whose every outcome is known, for the label-quality tests.

Each image holds a few boxes in distinct cells of a 4x3 grid (no two objects touch), and a
confident detector finds every clean object with a small shift. Then, per chosen image, one
plant: drop a box (its prediction is overlooked), flip its class (swapped), shift it to an
IoU of 0.4-0.7 with where it was (badly located) or spawn a box copied from another image
into a free cell (spurious). The bookkeeping of the plants is the oracle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CELL_W, CELL_H = 160.0, 160.0
COLUMNS, ROWS = 4, 3
KINDS = ("drop", "flip", "shift", "spawn")
ISSUE_OF = {"drop": "overlooked", "flip": "swapped", "shift": "badly_located", "spawn": "spurious"}


@dataclass
class Scene:
    """Labels and predictions as lists of COCO-like dicts (0-based images), and the plants."""

    n_images: int
    classes: list[str]
    labels: list[dict] = field(default_factory=list)  # image, cat, bbox, planted kind or None
    predictions: list[dict] = field(default_factory=list)  # image, cat, bbox, score, dropped
    planted: dict[int, str] = field(default_factory=dict)  # image -> kind


def _iou(a: list[float], b: list[float]) -> float:
    ix = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    iy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(ix, 0.0) * max(iy, 0.0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def make_scene(
    n_images: int, planted_share: float, seed: int, classes: list[str], kinds: tuple = KINDS
) -> Scene:
    """``n_images`` images of 2-4 boxes; ``planted_share`` of the images get one plant."""
    rng = np.random.default_rng(seed)
    scene = Scene(n_images, classes)
    cells: list[list[int]] = []
    for _ in range(n_images):
        taken = sorted(rng.choice(COLUMNS * ROWS, int(rng.integers(2, 5)), replace=False))
        cells.append([int(c) for c in taken])
    chosen = rng.choice(n_images, int(round(planted_share * n_images)), replace=False)
    plan = {int(i): kinds[k % len(kinds)] for k, i in enumerate(chosen)}
    for i in range(n_images):
        kind = plan.get(i)
        target = int(rng.integers(0, len(cells[i])))
        for k, cell in enumerate(cells[i]):
            w, h = float(rng.uniform(60, 120)), float(rng.uniform(60, 120))
            x = (cell % COLUMNS) * CELL_W + float(rng.uniform(5, CELL_W - w - 5))
            y = (cell // COLUMNS) * CELL_H + float(rng.uniform(5, CELL_H - h - 5))
            box, cat = [x, y, w, h], int(rng.integers(0, len(classes)))
            pred = [x + 0.03 * w, y - 0.02 * h, w, h]  # IoU about 0.95
            mine = kind if k == target else None
            scene.predictions.append({"image": i, "cat": cat, "bbox": pred, "score": 0.97,
                                      "dropped": mine == "drop"})  # fmt: skip
            if mine == "drop":
                continue
            if mine == "flip":
                cat = (cat + int(rng.integers(1, len(classes)))) % len(classes)
            if mine == "shift":
                box = [x + 0.3 * w, y + 0.1 * h, w, h]
                assert 0.4 <= _iou(box, [x, y, w, h]) <= 0.7
            scene.labels.append({"image": i, "cat": cat, "bbox": box,
                                 "planted": mine if mine in ("flip", "shift") else None})  # fmt: skip
        if kind == "spawn":
            free = [c for c in range(COLUMNS * ROWS) if c not in cells[i]]
            # a box of the previous image, copied with its class and size into a free cell
            source = next((lab for lab in scene.labels if lab["image"] == i - 1), None)
            w, h = (source["bbox"][2], source["bbox"][3]) if source else (90.0, 70.0)
            cat = source["cat"] if source else 0
            cell = free[0]
            x, y = (cell % COLUMNS) * CELL_W + 10, (cell // COLUMNS) * CELL_H + 10
            scene.labels.append({"image": i, "cat": cat, "bbox": [x, y, w, h], "planted": "spawn"})
        if kind:
            scene.planted[i] = kind
    scene.labels.sort(key=lambda lab: lab["image"])
    return scene


def write_coco(scene: Scene, folder: Path, model_suffix: str = "") -> tuple[Path, Path]:
    """The labels as a COCO file and the predictions as a COCO results file (image ids
    1..n, annotation ids 1..n in the labels' order)."""
    folder.mkdir(parents=True, exist_ok=True)
    images = [{"id": i + 1, "file_name": f"img_{i:04d}.jpg", "width": 640, "height": 480}
              for i in range(scene.n_images)]  # fmt: skip
    anns = [{"id": k + 1, "image_id": lab["image"] + 1, "category_id": lab["cat"] + 1,
             "bbox": lab["bbox"], "area": lab["bbox"][2] * lab["bbox"][3], "iscrowd": 0}
            for k, lab in enumerate(scene.labels)]  # fmt: skip
    cats = [{"id": k + 1, "name": name} for k, name in enumerate(scene.classes)]
    gt, dt = folder / "labels.json", folder / "predictions.json"
    gt.write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    dets = [{"image_id": p["image"] + 1, "category_id": p["cat"] + 1, "bbox": p["bbox"],
             "score": p["score"]} for p in scene.predictions]  # fmt: skip
    dt.write_text(json.dumps(dets))
    return gt, dt
