"""DOTA export: rotated boxes leave with their corners and come back the same; other boxes
leave as their corners; a split per folder; class names a DOTA line cannot hold are refused
and leave nothing behind."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.export_fixtures import coco_source, ingest_cli, ingest_source, leftovers, run_cli
from visionlens_jlab.catalog import Catalog

PLANE = [10.0, 10.0, 50.0, 20.0, 45.0, 40.0, 5.0, 30.0]
SHIP = [60.5, 60.0, 90.0, 60.0, 90.0, 80.25, 60.5, 80.25]


def _objects(data_dir: Path, dataset: str) -> list[tuple[Any, ...]]:
    with Catalog(data_dir) as catalog, catalog.cursor() as cur:
        return cur.execute(
            "SELECT s.file_name, a.label, a.obb, a.x, a.y, a.w, a.h, a.difficult "
            "FROM annotations a JOIN samples s USING (sample_id) "
            "JOIN datasets d ON d.dataset_id = s.dataset_id WHERE d.name = ? "
            "ORDER BY s.file_name, a.ann_id",
            [dataset],
        ).fetchall()


def _dota(root: Path, ship_class: str = "ship") -> Path:
    (root / "images").mkdir(parents=True)
    (root / "labelTxt").mkdir()
    for stem in ("P1", "P2"):
        Image.new("RGB", (100, 100), "gray").save(root / "images" / f"{stem}.png")
    corners = " ".join(f"{v:g}" for v in PLANE)
    (root / "labelTxt" / "P1.txt").write_text(f"gsd:0.1\n{corners} plane 0\n")
    ship = " ".join(f"{v:g}" for v in SHIP)
    (root / "labelTxt" / "P2.txt").write_text(f"{ship} {ship_class} 1\n")
    return root


def test_rotated_boxes_leave_and_come_back_with_their_corners(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "vl"
    ingest_cli(capsys, data, _dota(tmp_path / "src"), "src")
    out = tmp_path / "out"
    code, result = run_cli(capsys, data, "export", "src", "--format", "dota", "--out", str(out))
    assert code == 0, result
    assert result["annotations"] == 2
    assert sorted(os.listdir(out)) == ["images", "labelTxt"]
    assert sorted(os.listdir(out / "images")) == ["P1.png", "P2.png"]
    ingest_cli(capsys, data, out, "again")
    assert _objects(data, "again") == _objects(data, "src")
    assert [r[2] for r in _objects(data, "again")] == [PLANE, SHIP]


def test_upright_boxes_leave_as_their_corners_a_split_per_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    coco_source(tmp_path / "src", "segm")  # train / val alternating
    data = ingest_source(capsys, tmp_path / "src", tmp_path / "vl")
    out = tmp_path / "out"
    code, result = run_cli(capsys, data, "export", "src", "--format", "dota", "--out", str(out))
    assert code == 0, result
    assert sorted(os.listdir(out)) == ["train", "val"]
    n = 0
    for split in ("train", "val"):
        ingest_cli(capsys, data, out / split, f"again-{split}")
        for _file, _label, obb, x, y, w, h, _difficult in _objects(data, f"again-{split}"):
            assert obb == pytest.approx([x, y, x + w, y, x + w, y + h, x, y + h])
            n += 1
    assert n == result["annotations"] > 0


def test_a_class_name_with_a_space_is_refused_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "vl"
    ingest_cli(capsys, data, _dota(tmp_path / "src"), "src")
    with Catalog(data) as catalog, catalog.write() as cur:
        cur.execute("UPDATE annotations SET label = 'cargo ship' WHERE label = 'ship'")
    code, result = run_cli(
        capsys, data, "export", "src", "--format", "dota", "--out", str(tmp_path / "out")
    )
    assert code != 0 and "cannot be a DOTA class" in result["errors"][0]["message"]
    assert leftovers(tmp_path, "out") == []
