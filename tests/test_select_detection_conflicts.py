"""Detection uncertainty's conflict term at its edges (issue #49 item 2): two boxes conflict
when their classes differ and they overlap by IoU >= 0.5 (the bound included); two boxes
of one class on one place are a duplicate, not a conflict. Expected orders are worked by
hand from the definition: a low-confidence box scores ``1 - |2s - 1|``, a conflict
``min(s) / max(s)``, an image its most uncertain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.select.request import parse_request
from visionlens_jlab.select.service import run_selection

from .evaluate_fixtures import ingest, ingest_predictions

# image -> the model's boxes: (class, bbox, score)
BOXES = {
    # one class twice on one place: no conflict, its low-score term 1 - |2 * 0.88 - 1| = 0.24
    1: [(1, [0, 0, 10, 10], 0.9), (1, [0, 0, 10, 10], 0.88)],
    # a lone box: 1 - |2 * 0.7 - 1| = 0.6
    2: [(1, [0, 0, 10, 10], 0.7)],
    # two classes at IoU 50 / 100 = 0.5 exactly: a conflict, 0.8 / 0.9 = 0.89 (low: 0.4)
    3: [(1, [0, 0, 10, 10], 0.9), (2, [0, 0, 10, 5], 0.8)],
    # two classes at IoU 40 / 100 = 0.4: no conflict, low 1 - |2 * 0.95 - 1| = 0.1
    4: [(1, [0, 0, 10, 10], 0.95), (2, [0, 0, 10, 4], 0.94)],
}


def test_conflicts_need_two_classes_and_count_an_iou_of_one_half(tmp_path: Path) -> None:
    gt = {
        "images": [{"id": i, "file_name": f"{i}.jpg", "width": 64, "height": 64} for i in BOXES],
        "annotations": [
            {
                "id": i,
                "image_id": i,
                "category_id": 1,
                "bbox": [0, 0, 10, 10],
                "area": 100,
                "iscrowd": 0,
            }
            for i in BOXES
        ],  # fmt: skip
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
    }
    dets = [{"image_id": i, "category_id": c, "bbox": b, "score": s}
            for i, found in BOXES.items() for c, b, s in found]  # fmt: skip
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "a.json").write_text(json.dumps(dets))
    with Catalog(tmp_path / "data") as catalog:
        ingest(catalog, "det", tmp_path / "gt.json", "coco")
        ingest_predictions(catalog, "det", "a", tmp_path / "a.json", "coco")
        with catalog.cursor() as cur:
            rows = cur.execute("SELECT sample_id, source_image_id FROM samples").fetchall()
        image_of: dict[int, Any] = {sample: int(image) for sample, image in rows}
        request = parse_request({"count": 4, "strategies": "uncertainty", "models": ["a"]})
        out = run_selection(catalog, None, "det", request)
    assert [image_of[s] for s in out["sample_ids"]] == [3, 2, 1, 4]
