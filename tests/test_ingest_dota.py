"""Rotated boxes, a label kind added by its declaration (#48 item 6): DOTA folders ingest with
their corners, and the catalog stores, counts, filters, facets, reads and edits them; a model's
DOTA Task1 results (``Task1_<class>.txt``) are its predictions, with their corners too."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image

from tests.export_fixtures import run_cli
from tests.ingest_fixtures import ingest, ingest_predictions
from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.ingest.detect import detect_dataset_format, detect_predictions_format
from visionlens_jlab.ingest.dota import quad_area
from visionlens_jlab.ingest.open import open_predictions
from visionlens_jlab.records.report import IngestError

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
            "boxes": 3, "rotated_boxes": 3, "polylines": 0, "masks": 0, "label_maps": 0, "keypoints": 0, "classifications": 0
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


KITE = [30.0, 10.0, 50.0, 30.0, 30.0, 50.0, 10.0, 30.0]  # a square turned 45 degrees


def _task1(folder: Path, prefix: str = "Task1_") -> Path:
    """DOTA Task1 results as the devkit, mmrotate and Ultralytics write them (one file per
    class, ``image score x1 y1 ... x4 y4``): three detections on the dataset's images, one on
    an image it does not have, bad lines and a class found nowhere."""
    folder.mkdir()
    (folder / f"{prefix}plane.txt").write_text(
        f"P0001 0.9 {_corners(PLANE)}\n"
        f"P0002 0.35 {_corners(KITE)}\n"
        "\n"
        f"P0009 0.8 {_corners(PLANE)}\n"  # no such image
        "P0001 0.5 1 2 3 4\n"  # corners missing
        f"P0001 high {_corners(PLANE)}\n"  # a word for the score
        "P0001 0.5 1 2 3 nan 5 6 7 8\n"
    )
    (folder / f"{prefix}ship.txt").write_text(f"P0001 0.7 {_corners(SHIP)}\n")
    (folder / f"{prefix}harbor.txt").write_text("")
    return folder


def _predicted(catalog: Catalog, model: str) -> list[tuple[Any, ...]]:
    with catalog.cursor() as cur:
        return cur.execute(
            "SELECT s.source_image_id, a.label, a.score, a.obb, a.x, a.y, a.w, a.h, a.area "
            "FROM annotations a JOIN samples s USING (sample_id) WHERE a.source = ? "
            "ORDER BY a.ann_id",
            [model],
        ).fetchall()


def _check_predictions(rows: list[tuple[Any, ...]]) -> None:
    assert [r[:4] for r in rows] == [
        ("P0001", "plane", 0.9, PLANE), ("P0002", "plane", 0.35, KITE), ("P0001", "ship", 0.7, SHIP)
    ]  # fmt: skip
    assert [r[4:8] for r in rows] == [(5, 10, 45, 30), (10, 10, 40, 40), (60, 60, 30, 20)]
    assert [r[8] for r in rows] == pytest.approx([quad_area(PLANE), 800, 600])


@pytest.mark.parametrize("prefix", ["Task1_", ""])
def test_dota_task1_results_are_a_models_rotated_boxes(
    tmp_path: Path, dota: Path, prefix: str
) -> None:
    preds = _task1(tmp_path / "preds", prefix)
    assert detect_predictions_format(str(preds)) == "dota"
    catalog, _ = _ingested(tmp_path, dota)
    with catalog:
        for model, fmt in (("m", "dota"), ("auto", "auto")):
            s = ingest_predictions(catalog, "dota", model, preds, fmt=fmt)
            assert s.predictions == 3
            assert {e["code"]: e["count"] for e in s.errors} == {
                "dota_bad_line": 1, "dota_bad_value": 2
            }  # fmt: skip
            (unknown,) = s.warnings
            assert (unknown["code"], unknown["count"]) == ("prediction_unknown_image", 1)
            assert unknown["examples"] == ["P0009"]
            assert s.label_types == {
                "boxes": 3, "rotated_boxes": 3, "polylines": 0, "masks": 0, "label_maps": 0, "keypoints": 0, "classifications": 0
            }  # fmt: skip
            _check_predictions(_predicted(catalog, model))
        with catalog.cursor() as cur:
            stored = cur.execute("SELECT format, report FROM models ORDER BY name").fetchall()
        assert [f for f, _ in stored] == ["dota", "dota"]
        report = json.loads(stored[0][1])
        assert [(w["code"], w["count"]) for w in report["warnings"]] == [
            ("prediction_unknown_image", 1)
        ]


def test_a_folder_that_is_no_task1_results_is_refused(tmp_path: Path) -> None:
    """Without the Task1_ prefix a folder's files must hold 10 fields a line: per-image
    txt boxes are refused as DOTA results, and an empty folder holds none."""
    boxes = tmp_path / "boxes"
    boxes.mkdir()
    (boxes / "P0001.txt").write_text("plane 0.9 10 10 50 40\n")
    assert detect_predictions_format(str(boxes)) == "txt"
    with pytest.raises(IngestError, match=r"P0001.txt is no DOTA Task1 results file"):
        open_predictions(str(boxes), "dota")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IngestError, match="holds no Task1_<class>.txt files"):
        open_predictions(str(tmp_path / "empty"), "dota")


def test_beside_task1_files_other_txt_files_are_skipped(tmp_path: Path) -> None:
    """DOTA's devkit writes Task2_ (upright boxes) results beside Task1_ ones."""
    preds = _task1(tmp_path / "preds")
    (preds / "Task2_plane.txt").write_text("P0001 0.9 5 10 50 40\n")
    parsed = open_predictions(str(preds), "dota")
    rows = sum(b.annotations.num_rows for b in parsed.batches() if b.annotations is not None)
    assert rows == 4  # P0009's too: matching images is the writer's
    assert [(w["code"], w["examples"]) for w in parsed.report.warnings] == [
        ("dota_not_task1", ["Task2_plane.txt"])
    ]


def test_the_cli_reads_dota_task1_results(
    tmp_path: Path, dota: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    code, _ = run_cli(capsys, data, "ingest", str(dota), "--name", "dota")
    assert code == 0
    preds = _task1(tmp_path / "preds")
    for model, fmt in (("m", "dota"), ("auto", "auto")):
        code, result = run_cli(
            capsys, data, "predictions", "dota", str(preds), "--model", model, "--format", fmt
        )
        assert code == 0, result
        assert result["predictions"] == 3 and result["label_types"]["rotated_boxes"] == 3
        assert [w["code"] for w in result["warnings"]] == ["prediction_unknown_image"]
        assert sorted(e["code"] for e in result["errors"]) == ["dota_bad_line", "dota_bad_value"]
    with Catalog(data) as catalog:
        for model in ("m", "auto"):
            _check_predictions(_predicted(catalog, model))
