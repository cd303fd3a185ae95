"""Ultralytics OBB labels (format ``yolo-obb``): the YOLO layout of rows ``class x1 y1 ... x4
y4`` normalised, ingested as rotated boxes in pixels (corners, hull box, quadrilateral area);
``yolo predict task=obb save_txt save_conf`` files as a model's rotated boxes, scaled by the
writer; the same folder read as ``yolo`` still holds 4-point polygons."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.export_fixtures import run_cli
from tests.ingest_fixtures import ingest, ingest_predictions
from tests.yolo_fixtures import H, W, run_ultralytics, stored_rows, yolo_dataset, yolo_row
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.ingest.dota import quad_area

YAML = "path: .\ntrain: images/train\nnames: [plane, ship]\n"
PLANE = [0.05, 0.1, 0.25, 0.2, 0.225, 0.4, 0.025, 0.3]  # a rotated quadrilateral
SHIP = [0.3, 0.6, 0.45, 0.6, 0.45, 0.8, 0.3, 0.8]  # axis-aligned
OUTSIDE = [-0.1, 0.5, 0.2, 0.5, 0.2, 0.7, -0.1, 0.7]  # its left side beyond the image
CLAMPED = [0.0, 0.5, 0.2, 0.5, 0.2, 0.7, 0.0, 0.7]
BAD_ROWS = (
    "0 0.5 0.5 0.2 0.2\n"  # a detection row: not an OBB row
    "1 0.1 0.1 0.2 0.1 0.3 0.3\n"  # three corners
    "0 0.1 0.1 0.2 0.1 0.2 x 0.1 0.2\n"  # a word for a coordinate
)
NO_OTHER_KINDS = {"masks": 0, "label_maps": 0, "keypoints": 0, "classifications": 0}


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with Catalog(tmp_path / "data") as cat:
        yield cat


@pytest.fixture
def obb(tmp_path: Path) -> Path:
    """An Ultralytics OBB dataset: image ``a`` with a plane and a ship, image ``b`` with a box
    partly outside the image and rows that are no OBB rows."""
    return yolo_dataset(
        tmp_path / "obb",
        YAML,
        {
            "a": f"{yolo_row(PLANE)}\n{yolo_row(SHIP, 1)}\n",
            "b": f"{yolo_row(OUTSIDE, 1)}\n{BAD_ROWS}",
        },
    )


def _pixels(values: list[float]) -> list[float]:
    return [v * (W if i % 2 == 0 else H) for i, v in enumerate(values)]


def _hull(corners: list[float]) -> tuple[float, float, float, float]:
    xs, ys = corners[0::2], corners[1::2]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def _objects(catalog: Catalog, dataset: str, source: str = "ground_truth") -> list[Any]:
    """``(image stem, label, score, obb, (x, y, w, h), area, segmentation)`` of each object."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT s.source_image_id, a.label, a.score, a.obb, a.x, a.y, a.w, a.h, a.area, "
            "a.segmentation FROM annotations a JOIN samples s USING (sample_id) "
            "JOIN datasets d ON d.dataset_id = s.dataset_id "
            "WHERE d.name = ? AND a.source = ? ORDER BY a.ann_id",
            [dataset, source],
        ).fetchall()
    return [(r[0], r[1], r[2], r[3], r[4:8], r[8], r[9]) for r in rows]


def _check_rotated(objects: list[Any], expected: list[tuple[str, str, list[float]]]) -> None:
    """Each object holds its row's corners in pixels, their hull as its box, their area."""
    assert [(o[0], o[1]) for o in objects] == [(stem, label) for stem, label, _ in expected]
    for (*_, obb, box, area, segmentation), (_, _, fractions) in zip(
        objects, expected, strict=True
    ):
        pixels = _pixels(fractions)
        assert obb == pytest.approx(pixels)
        assert box == pytest.approx(_hull(pixels))
        assert area == pytest.approx(quad_area(pixels))
        assert segmentation is None


GROUND_TRUTH = [("a", "plane", PLANE), ("a", "ship", SHIP), ("b", "ship", CLAMPED)]


def _check_report(errors: list[dict[str, Any]], warnings: list[dict[str, Any]]) -> None:
    assert {e["code"]: e["count"] for e in errors} == {"yolo_bad_line": 2, "yolo_bad_value": 1}
    (bad_line,) = [e for e in errors if e["code"] == "yolo_bad_line"]
    assert "an OBB row is class x1 y1 x2 y2 x3 y3 x4 y4" in bad_line["message"]
    assert {w["code"]: w["count"] for w in warnings} == {"yolo_clamped": 1}


def test_obb_rows_are_rotated_boxes_in_pixels(catalog: Catalog, obb: Path) -> None:
    s = ingest(catalog, "obb", obb, fmt="yolo-obb")
    assert s.samples == 2
    _check_rotated(_objects(catalog, "obb"), GROUND_TRUTH)
    _, _, w, h = _hull(_pixels(PLANE))
    assert quad_area(_pixels(PLANE)) < w * h  # the plane's area is its own, not its hull's
    _check_report(s.errors, s.warnings)
    assert s.label_types == {"boxes": 3, "rotated_boxes": 3, "polylines": 0, **NO_OTHER_KINDS}
    dataset = catalog.get_dataset("obb")
    assert dataset["format"] == "yolo-obb"
    assert dataset["report"]["counts"]["yolo_rotated_boxes"] == 3


def test_the_cli_ingests_yolo_obb(
    tmp_path: Path, obb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "cli"
    code, result = run_cli(
        capsys, data, "ingest", str(obb), "--name", "obb", "--format", "yolo-obb"
    )
    assert code == 0, result
    assert result["label_types"] == {
        "boxes": 3,
        "rotated_boxes": 3,
        "polylines": 0,
        **NO_OTHER_KINDS,
    }
    _check_report(result["errors"], result["warnings"])
    with Catalog(data) as catalog:
        _check_rotated(_objects(catalog, "obb"), GROUND_TRUTH)


def test_the_same_rows_read_as_yolo_are_polygons(catalog: Catalog, obb: Path) -> None:
    """Without ``yolo-obb`` an 8-coordinate row stays a 4-point YOLO-seg polygon (and the
    rows OBB refuses are a box and a triangle)."""
    s = ingest(catalog, "seg", obb, fmt="yolo")
    assert s.label_types == {
        "boxes": 5, "rotated_boxes": 0, "polylines": 0, "masks": 4, "label_maps": 0, "keypoints": 0, "classifications": 0
    }  # fmt: skip
    assert {e["code"] for e in s.errors} == {"yolo_bad_value"}
    (plane, ship) = stored_rows(catalog, "seg", "a")
    assert json.loads(plane["segmentation"]) == [pytest.approx(_pixels(PLANE))]
    assert json.loads(ship["segmentation"]) == [pytest.approx(_pixels(SHIP))]
    assert all(o[3] is None for o in _objects(catalog, "seg"))
    assert catalog.get_dataset("seg")["format"] == "yolo"


def _predictions(folder: Path) -> Path:
    """``yolo predict task=obb save_txt save_conf`` files: rows with the confidence last, one
    without it and one for an image the dataset does not have."""
    folder.mkdir()
    (folder / "a.txt").write_text(
        f"{yolo_row([*PLANE, 0.9])}\n{yolo_row([*SHIP, 0.4], 1)}\n{yolo_row(SHIP, 1)}\n"
    )
    (folder / "b.txt").write_text(f"{yolo_row([*OUTSIDE, 0.75], 1)}\n")
    (folder / "z.txt").write_text(f"{yolo_row([*SHIP, 0.5])}\n")
    return folder


def _check_predictions(objects: list[Any]) -> None:
    _check_rotated(objects, GROUND_TRUTH)
    assert [o[2] for o in objects] == [0.9, 0.4, 0.75]


def test_obb_predictions_are_scaled_by_the_writer(
    catalog: Catalog, obb: Path, tmp_path: Path
) -> None:
    ingest(catalog, "obb", obb, fmt="yolo-obb")
    preds = _predictions(tmp_path / "preds")
    s = ingest_predictions(catalog, "obb", "m", preds, fmt="yolo-obb", classes=["plane", "ship"])
    assert s.predictions == 3
    assert s.label_types == {"boxes": 3, "rotated_boxes": 3, "polylines": 0, **NO_OTHER_KINDS}
    (bad,) = s.errors
    assert (bad["code"], bad["count"]) == ("yolo_bad_line", 1)
    assert "class x1 y1 x2 y2 x3 y3 x4 y4 conf" in bad["message"]
    assert {w["code"]: w["count"] for w in s.warnings} == {
        "yolo_clamped": 1, "prediction_unknown_image": 1
    }  # fmt: skip
    _check_predictions(_objects(catalog, "obb", "m"))


def test_the_cli_reads_yolo_obb_predictions(
    tmp_path: Path, obb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI names the classes by the dataset's, as Ultralytics numbers them."""
    data = tmp_path / "cli"
    code, _ = run_cli(capsys, data, "ingest", str(obb), "--name", "obb", "--format", "yolo-obb")
    assert code == 0
    preds = _predictions(tmp_path / "preds")
    code, result = run_cli(
        capsys, data, "predictions", "obb", str(preds), "--model", "m", "--format", "yolo-obb"
    )
    assert code == 0, result
    assert result["predictions"] == 3 and result["label_types"]["rotated_boxes"] == 3
    with Catalog(data) as catalog:
        _check_predictions(_objects(catalog, "obb", "m"))


ULTRALYTICS_OBB = """
import json, sys
import numpy as np
import torch
from ultralytics.engine.results import Results

args = json.loads(sys.stdin.read())
result = Results(np.zeros((args["h"], args["w"], 3), np.uint8), "a.jpg", {0: "plane", 1: "ship"},
                 obb=torch.tensor(args["obb"]))
result.save_txt(args["file"], save_conf=True)
print(json.dumps({"corners": result.obb.xyxyxyxy.reshape(-1, 8).tolist(),
                  "conf": result.obb.conf.tolist()}))
"""


def test_ultralytics_obb_rows_read_back(catalog: Catalog, tmp_path: Path) -> None:
    """Ultralytics' own writer (``Results.save_txt`` of an OBB result, what ``yolo predict
    task=obb save_txt save_conf`` runs) as the oracle: its rows, read as predictions and,
    without the confidence, as ground truth, hold the corners of its boxes in pixels."""
    boxes = [  # x_center y_center width height angle (pixels, radians) confidence class
        [60.0, 40.0, 50.0, 20.0, 0.5, 0.9, 0.0],
        [140.0, 60.0, 30.0, 20.0, -0.3, 0.6, 1.0],
    ]
    preds = tmp_path / "preds"
    oracle = run_ultralytics(
        tmp_path, ULTRALYTICS_OBB, {"w": W, "h": H, "obb": boxes, "file": str(preds / "a.txt")}
    )
    rows = (preds / "a.txt").read_text().splitlines()
    truth = "".join(" ".join(row.split()[:-1]) + "\n" for row in rows)
    ingest(catalog, "u", yolo_dataset(tmp_path / "u", YAML, {"a": truth}), fmt="yolo-obb")
    s = ingest_predictions(catalog, "u", "m", preds, fmt="yolo-obb", classes=["plane", "ship"])
    assert s.errors == [] and s.warnings == []
    for source in ("ground_truth", "m"):
        objects = _objects(catalog, "u", source)
        assert [o[1] for o in objects] == ["plane", "ship"]
        for obb, corners in zip([o[3] for o in objects], oracle["corners"], strict=True):
            assert obb == pytest.approx(corners, abs=1e-3)
    scores = [o[2] for o in _objects(catalog, "u", "m")]
    assert scores == pytest.approx(oracle["conf"], abs=1e-6)
