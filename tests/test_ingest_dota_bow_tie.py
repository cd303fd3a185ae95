"""DOTA label lines whose corners cross (a bow-tie: two corners swapped) are skipped and
reported by file and line, as the editor refuses one; corners in either winding (DOTA's
clockwise, or counter-clockwise) and a simple quadrilateral that is not convex are read. A
model's Task1 result lines are checked the same way."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tests.ingest_fixtures import ingest, ingest_predictions
from visionlens_jlab.catalog import Catalog

CLOCKWISE = [10.0, 10.0, 50.0, 20.0, 45.0, 40.0, 5.0, 30.0]  # DOTA's order (y down)
COUNTER = [5.0, 30.0, 45.0, 40.0, 50.0, 20.0, 10.0, 10.0]  # the same box, reversed
DART = [60.0, 60.0, 90.0, 60.0, 70.0, 65.0, 60.0, 80.0]  # simple, not convex
BOW_TIE = [10.0, 10.0, 50.0, 20.0, 5.0, 30.0, 45.0, 40.0]  # corners 3 and 4 swapped


def _corners(corners: list[float]) -> str:
    return " ".join(f"{v:g}" for v in corners)


def _line(corners: list[float], label: str) -> str:
    return f"{_corners(corners)} {label} 0"


def _dota(root: Path) -> Path:
    """A DOTA v1.0 folder as its release writes one: images/*.png, labelTxt/*.txt with the
    imagesource and gsd header lines."""
    (root / "images").mkdir(parents=True)
    (root / "labelTxt").mkdir()
    for stem in ("P0001", "P0002"):
        Image.new("RGB", (100, 100)).save(root / "images" / f"{stem}.png")
    header = "imagesource:GoogleEarth\ngsd:0.146\n"
    (root / "labelTxt" / "P0001.txt").write_text(
        header
        + "\n".join(
            [
                _line(CLOCKWISE, "plane"),
                _line(BOW_TIE, "plane"),
                _line(COUNTER, "plane"),
                _line(DART, "ship"),
            ]
        )
        + "\n"
    )
    (root / "labelTxt" / "P0002.txt").write_text(header + _line(BOW_TIE, "ship") + "\n")
    return root


def test_bow_ties_are_skipped_and_reported_by_file_and_line(tmp_path: Path) -> None:
    root = _dota(tmp_path / "dota")
    with Catalog(tmp_path / "data") as catalog:
        summary = ingest(catalog, "dota", root)
        with catalog.cursor() as cur:
            rows = cur.execute(
                "SELECT s.file_name, a.label, a.obb FROM annotations a "
                "JOIN samples s USING (sample_id) ORDER BY a.ann_id"
            ).fetchall()
    assert rows == [
        ("P0001.png", "plane", CLOCKWISE),
        ("P0001.png", "plane", COUNTER),
        ("P0001.png", "ship", DART),
    ]
    (error,) = [e for e in summary.errors if e["code"] == "dota_self_intersecting"]
    assert error["count"] == 2
    assert [e.split(": ", 1)[0] for e in error["examples"]] == ["P0001.txt:4", "P0002.txt:3"]
    assert "plane" in error["examples"][0]
    assert summary.samples == 2


def test_bow_tie_predictions_are_skipped_and_reported_by_file_and_line(tmp_path: Path) -> None:
    """Task1 results as the devkit, mmrotate and Ultralytics write them (``image score x1 y1
    ... x4 y4``, one file per class)."""
    root = _dota(tmp_path / "dota")
    preds = tmp_path / "preds"
    preds.mkdir()
    (preds / "Task1_plane.txt").write_text(
        f"P0001 0.9 {_corners(CLOCKWISE)}\n"
        f"P0001 0.8 {_corners(BOW_TIE)}\n"
        f"P0002 0.7 {_corners(COUNTER)}\n"
    )
    (preds / "Task1_ship.txt").write_text(
        f"P0002 0.6 {_corners(BOW_TIE)}\nP0001 0.5 {_corners(DART)}\n"
    )
    with Catalog(tmp_path / "data") as catalog:
        ingest(catalog, "dota", root)
        summary = ingest_predictions(catalog, "dota", "m", preds, fmt="dota")
        with catalog.cursor() as cur:
            rows = cur.execute(
                "SELECT s.file_name, a.label, a.score, a.obb FROM annotations a "
                "JOIN samples s USING (sample_id) WHERE a.source = 'm' ORDER BY a.ann_id"
            ).fetchall()
    assert rows == [
        ("P0001.png", "plane", 0.9, CLOCKWISE),
        ("P0002.png", "plane", 0.7, COUNTER),
        ("P0001.png", "ship", 0.5, DART),
    ]
    (error,) = summary.errors
    assert (error["code"], error["count"]) == ("dota_self_intersecting", 2)
    assert [e.split(": ", 1)[0] for e in error["examples"]] == [
        "Task1_plane.txt:2", "Task1_ship.txt:1"
    ]  # fmt: skip
    assert "P0001 0.8" in error["examples"][0]
    assert summary.predictions == 3
