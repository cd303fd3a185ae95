"""Rotated-box evaluation (iou type ``rotated``): the quadrilaterals' IoU against exact cases,
a rasterised overlap and the box IoU of upright boxes, and COCO AP equal to pycocotools'
bbox evaluation when every rotated box is upright."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.evaluate_fixtures import coco_input, pycocotools_eval
from tests.ingest_fixtures import ingest, ingest_predictions
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.evaluate.api import evaluate_arrays, evaluate_model
from visionlens_jlab.evaluate.boxes import Boxes, pair_iou
from visionlens_jlab.evaluate.labels import ObjectLabels
from visionlens_jlab.evaluate.rotated import corners, rotated_iou

STATS = ("AP", "AP50", "AP75", "APsmall", "APmedium", "APlarge",
         "AR1", "AR10", "AR100", "ARsmall", "ARmedium", "ARlarge")  # fmt: skip


def rectangle(cx: float, cy: float, w: float, h: float, angle: float) -> np.ndarray:
    """A ``w`` x ``h`` rectangle centred at ``cx, cy`` turned by ``angle`` radians, (4, 2)."""
    c, s = math.cos(angle), math.sin(angle)
    half = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
    return half @ np.array([[c, s], [-s, c]]) + [cx, cy]


def upright(boxes: np.ndarray) -> np.ndarray:
    """The corners of ``x, y, w, h`` boxes as (n, 4, 2)."""
    x, y, w, h = boxes.T
    return np.stack([np.c_[x, y], np.c_[x + w, y], np.c_[x + w, y + h], np.c_[x, y + h]], 1)


def test_a_square_and_its_quarter_turn_overlap_in_an_octagon() -> None:
    square = rectangle(0, 0, 1, 1, 0)[None]
    turned = rectangle(0, 0, 1, 1, math.pi / 4)[None]
    assert rotated_iou(square, square)[0] == pytest.approx(1.0)
    assert rotated_iou(square, square + 5)[0] == 0.0  # apart
    # the octagon: 2(sqrt 2 - 1); the union 2 minus it; their ratio 1/sqrt 2
    assert rotated_iou(turned, square)[0] == pytest.approx(1 / math.sqrt(2), abs=1e-12)
    # corners in either order, from any corner, give the same overlap
    assert rotated_iou(turned[:, ::-1], np.roll(square, 1, 1))[0] == pytest.approx(1 / math.sqrt(2))


def test_upright_quadrilaterals_give_the_box_iou() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    gt = np.c_[rng.uniform(0, 100, (n, 2)), rng.uniform(1, 60, (n, 2))]
    dt = np.c_[gt[:, :2] + rng.normal(0, 15, (n, 2)), gt[:, 2:] * rng.uniform(0.5, 1.5, (n, 2))]
    crowd = rng.random(n) < 0.2

    def boxes(b: np.ndarray) -> Boxes:
        z = np.zeros(n, np.int64)
        return Boxes(z, z, z, b[:, 0], b[:, 1], b[:, 2], b[:, 3], b[:, 2] * b[:, 3], crowd=crowd)

    idx = np.arange(n)
    want = pair_iou(boxes(dt), boxes(gt), idx, idx, crowd=crowd)
    got = rotated_iou(upright(dt), upright(gt), crowd)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert (want > 0).sum() > n // 2 and (want == 0).sum() > 10  # overlaps and misses both


def test_the_iou_does_not_change_when_both_turn_together() -> None:
    rng = np.random.default_rng(1)
    n = 500
    params = np.c_[rng.uniform(20, 80, (n, 2)), rng.uniform(5, 40, (n, 2)), rng.uniform(0, 3, n)]
    a = np.stack([rectangle(*p) for p in params])
    b = np.stack([rectangle(*(p + [4, -3, 5, 2, 0.4])) for p in params])
    turn = rng.uniform(0, 2 * math.pi)
    c, s = math.cos(turn), math.sin(turn)
    rot = np.array([[c, s], [-s, c]])
    np.testing.assert_allclose(rotated_iou(a @ rot, b @ rot), rotated_iou(a, b), atol=1e-9)


def test_the_iou_is_the_rasterised_overlap() -> None:
    """An independent measure: both shapes drawn on a fine grid, pixels counted."""
    rng = np.random.default_rng(2)
    scale = 20  # 20 grid cells per unit
    for _ in range(12):
        cx, cy, w, h = rng.uniform(30, 70, 2).tolist() + rng.uniform(10, 40, 2).tolist()
        a = rectangle(cx, cy, w, h, rng.uniform(0, 3))
        bx, by = (a.mean(0) + rng.normal(0, 8, 2)).tolist()
        bw, bh = rng.uniform(10, 40, 2).tolist()
        b = rectangle(bx, by, bw, bh, rng.uniform(0, 3))
        masks = []
        for quad in (a, b):
            img = Image.new("1", (100 * scale, 100 * scale))
            ImageDraw.Draw(img).polygon([tuple(p) for p in quad * scale], fill=1)
            masks.append(np.asarray(img))
        inter = (masks[0] & masks[1]).sum()
        union = (masks[0] | masks[1]).sum()
        assert rotated_iou(a[None], b[None])[0] == pytest.approx(inter / union, abs=0.01)


def _labels(quads: np.ndarray) -> ObjectLabels:
    out = ObjectLabels.empty(len(quads))
    out.obb = quads.reshape(-1, 8)
    return out


def _case(seed: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    gt_anns: list[dict[str, Any]] = []
    dets: list[dict[str, Any]] = []
    for image in range(1, 9):
        for _ in range(rng.integers(0, 6)):
            x, y = rng.uniform(0, 150, 2)
            w, h = rng.uniform(4, 60, 2)
            cat = int(rng.integers(1, 3))
            gt_anns.append({"id": len(gt_anns) + 1, "image_id": image, "category_id": cat,
                            "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0})  # fmt: skip
            if rng.random() < 0.8:
                jitter = rng.normal(0, 4, 4)
                dets.append({"image_id": image, "category_id": cat, "score": rng.random(),
                             "bbox": [x + jitter[0], y + jitter[1], max(1, w + jitter[2]),
                                      max(1, h + jitter[3])]})  # fmt: skip
        for _ in range(rng.integers(0, 3)):  # background detections
            dets.append({"image_id": image, "category_id": int(rng.integers(1, 3)),
                         "score": rng.random(), "bbox": [*rng.uniform(0, 150, 2), 20, 20]})  # fmt: skip
    gt = {
        "images": [{"id": i, "width": 200, "height": 200} for i in range(1, 9)],
        "categories": [{"id": 1, "name": "plane"}, {"id": 2, "name": "ship"}],
        "annotations": gt_anns,
    }
    return gt, dets


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_upright_rotated_evaluation_equals_pycocotools_bbox(seed: int) -> None:
    gt, dets = _case(seed)
    expected = pycocotools_eval(gt, dets).stats
    inp = coco_input(gt, dets)
    inp.iou_type = "rotated"
    inp.gt_labels = _labels(corners(inp.gt, ObjectLabels.empty(len(inp.gt))))
    inp.dt_labels = _labels(corners(inp.dt, ObjectLabels.empty(len(inp.dt))))
    report, _ = evaluate_arrays(inp, "coco", 0.5)
    np.testing.assert_allclose([report.stats[s] for s in STATS], expected, rtol=0, atol=1e-9)


def test_a_thin_object_turned_the_other_way_is_a_box_match_but_no_rotated_match() -> None:
    """Two thin diagonals of one hull: the same box (bbox AP 1), hardly any overlap."""
    along = rectangle(50, 50, 80, 4, math.pi / 4)
    across = rectangle(50, 50, 80, 4, -math.pi / 4)
    hull = [*along.min(0), *(along.max(0) - along.min(0))]
    gt = {"images": [{"id": 1, "width": 100, "height": 100}],
          "categories": [{"id": 1, "name": "ship"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": hull,
                           "area": 320.0, "iscrowd": 0}]}  # fmt: skip
    dets = [{"image_id": 1, "category_id": 1, "score": 0.9, "bbox": hull}]
    boxes, _ = evaluate_arrays(coco_input(gt, dets), "coco", 0.5)
    inp = coco_input(gt, dets)
    inp.iou_type = "rotated"
    inp.gt_labels, inp.dt_labels = _labels(along[None]), _labels(across[None])
    rotated, _ = evaluate_arrays(inp, "coco", 0.5)
    assert boxes.stats["AP50"] == pytest.approx(1.0)
    assert rotated.stats["AP50"] == 0.0
    assert rotated_iou(across[None], along[None])[0] < 0.1


def test_a_dota_dataset_and_its_task1_results_evaluate_by_their_corners(tmp_path: Path) -> None:
    """From files to AP: DOTA ground truth, Task1 results; the turned ship matches its
    hull as a box (bbox AP50 1) but not as a rotated box (half the objects found)."""
    plane = rectangle(30, 30, 30, 10, 0.5)
    ship = rectangle(70, 70, 40, 4, math.pi / 4)
    crossed = rectangle(70, 70, 40, 4, -math.pi / 4)  # the same hull, the other diagonal
    root = tmp_path / "dota"
    (root / "images").mkdir(parents=True)
    (root / "labelTxt").mkdir()
    Image.new("RGB", (100, 100)).save(root / "images" / "P1.png")

    def flat(quad: np.ndarray) -> str:
        return " ".join(f"{v:.6f}" for v in quad.ravel())

    (root / "labelTxt" / "P1.txt").write_text(f"{flat(plane)} plane 0\n{flat(ship)} ship 0\n")
    results = tmp_path / "results"
    results.mkdir()
    (results / "Task1_plane.txt").write_text(f"P1 0.9 {flat(plane)}\n")
    (results / "Task1_ship.txt").write_text(f"P1 0.8 {flat(crossed)}\n")
    with Catalog(tmp_path / "data") as catalog:
        ingest(catalog, "dota", root)
        ingest_predictions(catalog, "dota", "m", results)
        rotated = evaluate_model(catalog, "dota", "m", iou_type="rotated")
        boxes = evaluate_model(catalog, "dota", "m")
    assert boxes.stats["AP50"] == pytest.approx(1.0)
    per_class = rotated.per_class.set_index("class")
    assert per_class.loc["plane", "tp"] == 1 and per_class.loc["ship", "fp"] == 1
    assert rotated.stats["AP50"] == pytest.approx(0.5)
    assert rotated.key == "m--coco-rotated-iou0.5"
