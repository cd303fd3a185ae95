"""Rotated boxes, a label kind added by its declaration (#48 item 6): DOTA folders ingest with
their corners, and the catalog stores, counts, filters, facets, reads and edits them."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image

from tests.ingest_fixtures import ingest
from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.ingest.detect import detect_dataset_format
from visionlens_jlab.ingest.dota import quad_area

OLD_CATALOG = Path(__file__).resolve().parent / "fixtures" / "old_catalog" / "data.tar.gz"
PLANE = [10.0, 10.0, 50.0, 20.0, 45.0, 40.0, 5.0, 30.0]  # a rotated quadrilateral
SHIP = [60.0, 60.0, 90.0, 60.0, 90.0, 80.0, 60.0, 80.0]  # axis-aligned


def _corners(values: list[float]) -> str:
    return " ".join(f"{v:g}" for v in values)


@pytest.fixture
def dota(tmp_path: Path) -> Path:
    """A DOTA v1.0 folder: two labelled images (headers, a difficult ship, bad lines) and
    one image without a label file."""
    root = tmp_path / "dota"
    (root / "images").mkdir(parents=True)
    (root / "labelTxt").mkdir()
    for stem in ("P0001", "P0002", "P0003"):
        Image.new("RGB", (100, 100), "gray").save(root / "images" / f"{stem}.png")
    (root / "labelTxt" / "P0001.txt").write_text(
        "imagesource:GoogleEarth\ngsd:0.146\n"
        f"{_corners(PLANE)} plane 0\n{_corners(SHIP)} ship 1\n"
        "1 2 3 4 plane 0\n"  # corners missing
        "1 2 3 x 5 6 7 8 plane 0\n"  # not a number
    )
    (root / "labelTxt" / "P0002.txt").write_text(f"{_corners(SHIP)} ship 0\n")
    return root


def _ingested(tmp_path: Path, dota: Path) -> tuple[Catalog, Any]:
    catalog = Catalog(tmp_path / "data")
    return catalog, ingest(catalog, "dota", dota)


def test_a_dota_folder_is_detected_and_ingested_with_its_corners(
    tmp_path: Path, dota: Path
) -> None:
    assert detect_dataset_format(str(dota)) == "dota"
    catalog, summary = _ingested(tmp_path, dota)
    with catalog:
        assert summary.samples == 3
        errors = {e["code"]: e["count"] for e in summary.errors}
        assert errors == {"dota_bad_line": 1, "dota_bad_value": 1}
        with catalog.cursor() as cur:
            rows = cur.execute(
                "SELECT label, obb, x, y, w, h, area, difficult FROM annotations ORDER BY ann_id"
            ).fetchall()
            gsd = cur.execute("SELECT fields FROM samples ORDER BY sample_id").fetchall()
        assert [r[0] for r in rows] == ["plane", "ship", "ship"]
        plane = rows[0]
        assert plane[1] == PLANE
        assert plane[2:6] == (5.0, 10.0, 45.0, 30.0)  # the corners' axis-aligned hull
        assert plane[6] == pytest.approx(quad_area(PLANE)) and plane[6] < 45.0 * 30.0
        assert [r[7] for r in rows] == [False, True, False]
        assert json.loads(gsd[0][0]) == {"gsd": 0.146}
        assert summary.label_types == {
            "boxes": 3, "rotated_boxes": 3, "masks": 0, "keypoints": 0, "classifications": 0
        }  # fmt: skip


def test_rotated_boxes_are_filtered_faceted_and_read(tmp_path: Path, dota: Path) -> None:
    catalog, _ = _ingested(tmp_path, dota)
    with catalog:
        rotated = {"labels": {"source": "ground_truth", "type": "rotated"}}
        assert len(queries.sample_ids(catalog, "dota", rotated)) == 2
        assert len(queries.sample_ids(catalog, "dota", {"labels": {"type": "mask"}})) == 0
        facets = queries.facets(catalog, "dota", None)["facets"]
        (types,) = [f for f in facets if f["name"] == "label_type"]
        assert types["values"] == [{"value": "rotated", "count": 3}]
        page = queries.samples_page(catalog, "dota", rotated, limit=10)
        objects = [o for s in page["samples"] for o in s["annotations"]]
        # a page carries the stored corners as JSON text, unparsed (orjson.Fragment)
        assert [json.loads(orjson.dumps(o))["obb"] for o in objects] == [PLANE, SHIP, SHIP]
        sample = queries.sample_detail(catalog, "dota", page["samples"][0]["sample_id"])
        assert [o["obb"] for o in sample["annotations"]] == [PLANE, SHIP]


def test_an_edit_keeps_the_corners_and_a_move_is_refused(tmp_path: Path, dota: Path) -> None:
    catalog, _ = _ingested(tmp_path, dota)
    with catalog:
        with catalog.cursor() as cur:
            ((ann,),) = cur.execute("SELECT min(ann_id) FROM annotations").fetchall()
        with pytest.raises(edits.EditError, match=r"beyond its box \(rotated_box\)"):
            edits.apply_edits(catalog, "dota", [{"op": "move", "annotation_id": ann,
                                                 "bbox": [0, 0, 2, 2]}], "u")  # fmt: skip
        edits.apply_edits(catalog, "dota", [{"op": "delete", "annotation_id": ann}], "u")
        edits.undo(catalog, "dota", "u")
        with catalog.cursor() as cur:
            ((obb,),) = cur.execute(
                "SELECT obb FROM annotations WHERE ann_id = ?", [ann]
            ).fetchall()
        assert obb == PLANE
        # a browsed version's copy of the objects keeps their corners too
        version = edits.snapshot(catalog, "dota", "v1", "u")["version"]
        edits.apply_edits(catalog, "dota", [{"op": "delete", "annotation_id": ann}], "u")
        rotated = {"labels": {"type": "rotated"}}
        page = queries.samples_page(catalog, "dota", rotated, limit=10, version=version)
        kept = [
            json.loads(orjson.dumps(o))["obb"] for s in page["samples"] for o in s["annotations"]
        ]
        assert kept == [PLANE, SHIP, SHIP]


def test_an_old_catalog_gets_the_rotated_box_column(tmp_path: Path) -> None:
    """A catalog written before rotated boxes (commit b74eabe's fixture) opens migrated: its
    objects have no rotated box, and a DOTA folder ingests into it."""
    with tarfile.open(OLD_CATALOG) as tar:
        tar.extractall(tmp_path, filter="data")
    with Catalog(tmp_path / "data") as catalog, catalog.cursor() as cur:
        ((with_obb, total),) = cur.execute(
            "SELECT count(obb), count(*) FROM annotations"
        ).fetchall()
    assert with_obb == 0 and total > 0


def test_an_edit_logged_before_rotated_boxes_is_undone(tmp_path: Path, dota: Path) -> None:
    """A state the log kept before the kind was declared has no ``obb``: undoing it restores
    the object without one (not a KeyError)."""
    catalog, _ = _ingested(tmp_path, dota)
    with catalog:
        with catalog.cursor() as cur:
            ((ann,),) = cur.execute(
                "SELECT max(ann_id) FROM annotations WHERE label = 'ship'"
            ).fetchall()
        edits.apply_edits(catalog, "dota", [{"op": "delete", "annotation_id": ann}], "u")
        with catalog.write() as cur:  # as the code before rotated boxes logged it
            cur.execute("UPDATE edit_ops SET before = json_merge_patch(before, '{\"obb\": null}')")
        edits.undo(catalog, "dota", "u")
        with catalog.cursor() as cur:
            ((label, obb),) = cur.execute(
                "SELECT label, obb FROM annotations WHERE ann_id = ?", [ann]
            ).fetchall()
    assert (label, obb) == ("ship", None)
