"""Ultralytics OBB rows (format ``yolo-obb``) whose corners cross (a bow-tie: two corners
swapped) are skipped and reported by file and line, in ground truth and in a model's
``yolo predict task=obb save_txt save_conf`` files, as DOTA's are; either winding is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import ingest, ingest_predictions
from tests.yolo_fixtures import H, W, yolo_dataset, yolo_row
from visionlens_jlab.catalog import Catalog

YAML = "path: .\ntrain: images/train\nnames: [plane, ship]\n"
CLOCKWISE = [0.1, 0.1, 0.5, 0.2, 0.45, 0.4, 0.05, 0.3]  # DOTA's order (y down)
COUNTER = [0.05, 0.3, 0.45, 0.4, 0.5, 0.2, 0.1, 0.1]  # the same box, reversed
BOW_TIE = [0.1, 0.1, 0.5, 0.2, 0.05, 0.3, 0.45, 0.4]  # corners 3 and 4 swapped


def _pixels(values: list[float]) -> list[float]:
    return [v * (W if i % 2 == 0 else H) for i, v in enumerate(values)]


def _stored(catalog: Catalog, source: str) -> list[tuple[str, str, Any]]:
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT s.source_image_id, a.label, a.obb FROM annotations a "
            "JOIN samples s USING (sample_id) WHERE a.source = ? ORDER BY a.ann_id",
            [source],
        ).fetchall()
    return [(stem, label, pytest.approx(obb, abs=1e-3)) for stem, label, obb in rows]


def _rows(*rows: tuple[list[float], int]) -> str:
    return "".join(f"{yolo_row(values, cls)}\n" for values, cls in rows)


def test_bow_ties_are_skipped_in_ground_truth_and_predictions(tmp_path: Path) -> None:
    root = yolo_dataset(
        tmp_path / "obb",
        YAML,
        {
            "a": _rows((CLOCKWISE, 0), (BOW_TIE, 1), (COUNTER, 1)),
            "b": _rows((BOW_TIE, 0)),
        },
    )
    preds = tmp_path / "preds"
    preds.mkdir()
    (preds / "a.txt").write_text(_rows(([*BOW_TIE, 0.9], 0), ([*COUNTER, 0.8], 1)))
    (preds / "b.txt").write_text(_rows(([*CLOCKWISE, 0.7], 0), ([*BOW_TIE, 0.6], 1)))
    with Catalog(tmp_path / "data") as catalog:
        truth = ingest(catalog, "obb", root, fmt="yolo-obb")
        predicted = ingest_predictions(
            catalog, "obb", "m", preds, fmt="yolo-obb", classes=["plane", "ship"]
        )
        assert _stored(catalog, "ground_truth") == [
            ("a", "plane", _pixels(CLOCKWISE)), ("a", "ship", _pixels(COUNTER))
        ]  # fmt: skip
        assert _stored(catalog, "m") == [
            ("a", "ship", _pixels(COUNTER)), ("b", "plane", _pixels(CLOCKWISE))
        ]  # fmt: skip
    for summary, lines in ((truth, ["a.txt:2", "b.txt:1"]), (predicted, ["a.txt:1", "b.txt:2"])):
        (error,) = summary.errors
        assert (error["code"], error["count"]) == ("yolo_self_intersecting", 2)
        assert [e.split(": ", 1)[0] for e in error["examples"]] == lines
        assert "corners cross" in error["message"]
    assert (truth.label_types or {}).get("rotated_boxes") == 2
    assert predicted.predictions == 2


# a concave quadrilateral (in order as written) whose corners 2 and 4 lie below the image:
# clamped onto its bottom edge, corner 4 passes corner 3 and the edges cross
CROSSES_CLAMPED = [1.02, 0.49, 0.56, 1.07, 0.33, 0.97, 0.92, 1.36]
# corners 2 and 4 clamped onto the same point of the image's left edge: no area left
FLAT_CLAMPED = [0.85, 0.92, -0.09, 1.35, 0.16, 0.67, -0.29, 1.49]
PARTLY_OUT = [0.6, 0.5, 1.2, 0.7, 1.3, 0.9, 0.7, 0.7]  # stays a quadrilateral once clamped


def test_corners_partly_outside_are_checked_once_clamped(tmp_path: Path) -> None:
    """Before, the bow-tie test saw only the corners as written: a quadrilateral that
    clamping made cross itself, or flattened, was stored as a rotated box."""
    root = yolo_dataset(
        tmp_path / "obb",
        YAML,
        {"a": _rows((CROSSES_CLAMPED, 0), (FLAT_CLAMPED, 1), (PARTLY_OUT, 1), (CLOCKWISE, 0))},
    )
    with Catalog(tmp_path / "data") as catalog:
        summary = ingest(catalog, "obb", root, fmt="yolo-obb")
        clamped = [min(max(v, 0.0), 1.0) for v in PARTLY_OUT]
        assert _stored(catalog, "ground_truth") == [
            ("a", "ship", _pixels(clamped)), ("a", "plane", _pixels(CLOCKWISE))
        ]  # fmt: skip
    (error,) = summary.errors
    assert (error["code"], error["count"]) == ("yolo_clamped_self_intersecting", 1)
    assert error["examples"][0].startswith("a.txt:1: ") and "clamped" in error["message"]
    warnings = {w["code"]: w for w in summary.warnings}
    assert warnings["yolo_empty_box"]["examples"] == ["a.txt:2"]
    assert warnings["yolo_clamped"]["count"] == 3
