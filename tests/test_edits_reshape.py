"""Reshaping what is not a box (issue #51 item 1): a polygon's vertices moved, added or
deleted (``reshape``: the mask changes and the box follows its extent) and keypoints dragged
or their visibility toggled (``keypoints``), through the edit log — undo and redo back to
the exact rows, COCO export and re-ingest keeping the edit, bad input refused with nothing
written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pycocotools import mask as mask_utils

from tests.edit_fixtures import coco_dataset, first_row
from tests.export_fixtures import ingest_cli, label_rows, run_cli
from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog


def _object(cat: Catalog, where: str) -> dict[str, Any]:
    """The first ground-truth object of ``src`` matching ``where``, with its image's size."""
    query = (
        "SELECT a.ann_id, a.x, a.y, a.w, a.h, a.area, CAST(a.segmentation AS VARCHAR) AS "
        "segmentation, a.mask_area, a.keypoints, a.num_keypoints, s.width, s.height "
        "FROM annotations a JOIN samples s USING (sample_id) JOIN datasets d ON "
        "d.dataset_id = a.dataset_id WHERE d.name = 'src' AND a.source = 'ground_truth' AND "
    ) + f"{where} ORDER BY a.ann_id LIMIT 1"  # the tests' own predicates
    return first_row(cat, query)


def _edit(cat: Catalog, op: dict[str, Any]) -> dict[str, Any]:
    return edits.apply_edits(cat, "src", [op], "tester")


def test_a_polygon_reshaped_moves_its_box_and_undoes_to_the_exact_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = coco_dataset(tmp_path, capsys, "segm")
    before = label_rows(data_dir, "src")
    with Catalog(data_dir) as cat:
        obj = _object(cat, "NOT a.iscrowd AND json_array_length(a.segmentation) = 1")
        width, height = obj["width"], obj["height"]
        # a vertex dragged, one added, one deleted: a new outline of four points
        polygon = [[2.0, 3.0, width - 4.0, 5.0, width - 6.0, height - 2.0, 3.0, height - 7.0]]
        answer = _edit(cat, {"op": "reshape", "annotation_id": obj["ann_id"],
                             "segmentation": polygon})  # fmt: skip
        assert answer["annotations"] == len(before)
        now = _object(cat, f"a.ann_id = {obj['ann_id']}")
        assert (now["x"], now["y"], now["w"], now["h"]) == (2.0, 3.0, width - 6.0, height - 5.0)
        expected_area = mask_utils.area(mask_utils.merge(mask_utils.frPyObjects(polygon, height,
                                                                                width)))  # fmt: skip
        # COCO's ``area`` of an object with a mask is the mask's (what evaluation's area
        # ranges read), as ingest stores it
        assert now["mask_area"] == now["area"] == float(expected_area)
        # ``mask`` keeps the box where ``reshape`` moved it
        _edit(cat, {"op": "mask", "annotation_id": obj["ann_id"],
                    "segmentation": [[4.0, 4.0, 9.0, 4.0, 9.0, 9.0]]})  # fmt: skip
        kept = _object(cat, f"a.ann_id = {obj['ann_id']}")
        assert (kept["x"], kept["y"], kept["w"], kept["h"]) == (now["x"], now["y"], now["w"],
                                                                now["h"])  # fmt: skip
        edits.undo(cat, "src", "tester")
        edits.undo(cat, "src", "tester")
    assert label_rows(data_dir, "src") == before
    with Catalog(data_dir) as cat:
        edits.redo(cat, "src", "tester")
    reshaped = label_rows(data_dir, "src")
    assert reshaped != before
    # the edit survives COCO export and ingest again
    out = tmp_path / "out"
    assert run_cli(capsys, data_dir, "export", "src", "--format", "coco", "--out", str(out))[0] == 0
    ingest_cli(capsys, data_dir, out, "again")
    again = label_rows(data_dir, "again")
    for a, b in zip(again, reshaped, strict=True):
        assert a == b, {k: (a[k], b[k]) for k in a if a[k] != b[k]}


def test_keypoints_dragged_and_hidden_undo_and_survive_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = coco_dataset(tmp_path, capsys, "keypoints")
    before = label_rows(data_dir, "src")
    with Catalog(data_dir) as cat:
        obj = _object(cat, "a.num_keypoints > 1")
        points = list(obj["keypoints"])
        first = next(k for k in range(0, len(points), 3) if points[k + 2] > 0)
        points[first : first + 2] = [1.5, 2.5]  # dragged
        hidden = next(k for k in range(first + 3, len(points), 3) if points[k + 2] > 0)
        points[hidden + 2] = 0.0  # no longer labelled
        _edit(cat, {"op": "keypoints", "annotation_id": obj["ann_id"], "keypoints": points})
        now = _object(cat, f"a.ann_id = {obj['ann_id']}")
        assert now["keypoints"] == points
        assert now["num_keypoints"] == obj["num_keypoints"] - 1
        assert (now["x"], now["y"], now["w"], now["h"]) == (obj["x"], obj["y"], obj["w"], obj["h"])
        # the nested form is the same operation
        nested = [points[k : k + 3] for k in range(0, len(points), 3)]
        nested[0] = [nested[0][0] + 1, nested[0][1], nested[0][2] or 2]
        _edit(cat, {"op": "keypoints", "annotation_id": obj["ann_id"], "keypoints": nested})
        assert _object(cat, f"a.ann_id = {obj['ann_id']}")["keypoints"][:3] == nested[0]
        edits.undo(cat, "src", "tester")
        edits.undo(cat, "src", "tester")
    assert label_rows(data_dir, "src") == before
    with Catalog(data_dir) as cat:
        edits.redo(cat, "src", "tester")
        log = edits.edit_log(cat, "src")["operations"]
        assert log[0]["op"] == "keypoints"
    edited = label_rows(data_dir, "src")
    out = tmp_path / "out"
    assert run_cli(capsys, data_dir, "export", "src", "--format", "coco", "--out", str(out))[0] == 0
    ingest_cli(capsys, data_dir, out, "again")
    assert label_rows(data_dir, "again") == edited


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p[:-3], "has 17 keypoints, the operation gives 16"),
        (lambda p: [*p, 1.0, 1.0, 2.0], "a point past its skeleton"),
        (lambda p: [*p[:2], 3.0, *p[3:]], "visibility 3.0, not 0, 1 or 2"),
        (lambda p: [-40.0, 5.0, 2.0, *p[3:]], "lies outside the"),
        (lambda p: p[:-1], "in threes"),
        (lambda p: [float("nan"), *p[1:]], "finite numbers"),
        (lambda p: [], "non-empty list"),
    ],
)
def test_bad_keypoints_are_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, message: str
) -> None:
    data_dir = coco_dataset(tmp_path, capsys, "keypoints")
    before = label_rows(data_dir, "src")
    with Catalog(data_dir) as cat:
        obj = _object(cat, "a.num_keypoints > 0")
        op = {"op": "keypoints", "annotation_id": obj["ann_id"], "keypoints": change(
            list(obj["keypoints"]))}  # fmt: skip
        with pytest.raises(edits.EditError, match=message):
            _edit(cat, op)
    assert label_rows(data_dir, "src") == before


def test_reshape_and_keypoints_refuse_what_the_object_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = coco_dataset(tmp_path, capsys, "segm")
    before = label_rows(data_dir, "src")
    with Catalog(data_dir) as cat:
        obj = _object(cat, "NOT a.iscrowd")
        with pytest.raises(edits.EditError, match="has no keypoints"):
            _edit(cat, {"op": "keypoints", "annotation_id": obj["ann_id"],
                        "keypoints": [1, 1, 2]})  # fmt: skip
        with pytest.raises(edits.EditError, match="crosses itself"):
            _edit(cat, {"op": "reshape", "annotation_id": obj["ann_id"],
                        "segmentation": [[1, 1, 10, 10, 10, 1, 1, 10]]})  # fmt: skip
        with pytest.raises(edits.EditError, match="outside the"):
            _edit(cat, {"op": "reshape", "annotation_id": obj["ann_id"],
                        "segmentation": [[1, 1, obj["width"] + 5, 1, 3, 9]]})  # fmt: skip
        with pytest.raises(edits.EditError, match="reshape its mask"):
            _edit(cat, {"op": "move", "annotation_id": obj["ann_id"], "bbox": [0, 0, 3, 3]})
    assert label_rows(data_dir, "src") == before


PLANE = [10.0, 10.0, 50.0, 20.0, 45.0, 40.0, 5.0, 30.0]
CVAT_LINE = """<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version>
  <meta><task><labels><label><name>lane</name><type>polyline</type></label></labels></task></meta>
  <image id="0" name="road.png" width="100" height="80">
    <polyline label="lane" source="manual" occluded="0" points="1,1;50,40;90,60" z_order="0"/>
  </image>
</annotations>
"""


def _shape_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A DOTA folder (one rotated box) and a CVAT export (one polyline), as ``src``."""
    from PIL import Image

    root = tmp_path / "dota"
    (root / "images").mkdir(parents=True)
    (root / "labelTxt").mkdir()
    Image.new("RGB", (100, 80), "gray").save(root / "images" / "P1.png")
    (root / "labelTxt" / "P1.txt").write_text(" ".join(f"{v:g}" for v in PLANE) + " plane 0\n")
    cvat = tmp_path / "cvat"
    (cvat / "images").mkdir(parents=True)
    Image.new("RGB", (100, 80), "gray").save(cvat / "images" / "road.png")
    (cvat / "annotations.xml").write_text(CVAT_LINE)
    data_dir = tmp_path / "vl"
    ingest_cli(capsys, data_dir, root, "src")
    ingest_cli(capsys, data_dir, cvat, "lines")
    return data_dir


def _shape(cat: Catalog, dataset: str) -> dict[str, Any]:
    return first_row(
        cat,
        "SELECT a.ann_id, a.x, a.y, a.w, a.h, a.area, a.obb, a.polyline FROM annotations a "
        "JOIN datasets d USING (dataset_id) WHERE d.name = ? ORDER BY a.ann_id LIMIT 1",
        [dataset],
    )


def test_a_rotated_box_and_a_polyline_reshaped_move_their_box_and_undo_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rotated box's corners turned (its box their hull, its area the quadrilateral's) and
    a polyline's points moved, undone to the exact rows; the rotated box leaves for DOTA
    with its new corners and comes back the same."""
    from visionlens_jlab.ingest.dota import quad_area

    data_dir = _shape_source(tmp_path, capsys)
    turned = [20.0, 5.0, 60.0, 25.0, 50.0, 45.0, 10.0, 25.0]
    with Catalog(data_dir) as cat:
        before = _shape(cat, "src")
        _edit(cat, {"op": "reshape", "annotation_id": before["ann_id"], "obb": turned})
        now = _shape(cat, "src")
        assert now["obb"] == turned
        assert (now["x"], now["y"], now["w"], now["h"]) == (10.0, 5.0, 50.0, 40.0)
        assert now["area"] == pytest.approx(quad_area(turned)) and now["area"] != 50.0 * 40.0
        line = _shape(cat, "lines")
        path = [3.0, 70.0, 40.0, 10.0, 95.0, 30.0, 60.0, 75.0]
        edits.apply_edits(cat, "lines", [{"op": "reshape", "annotation_id": line["ann_id"],
                                          "polyline": path}], "tester")  # fmt: skip
        moved = _shape(cat, "lines")
        assert moved["polyline"] == path
        assert (moved["x"], moved["y"], moved["w"], moved["h"]) == (3.0, 10.0, 92.0, 65.0)
        edits.undo(cat, "lines", "tester")
        assert _shape(cat, "lines") == line
    out = tmp_path / "out"
    code, result = run_cli(capsys, data_dir, "export", "src", "--format", "dota", "--out", str(out))
    assert code == 0, result
    ingest_cli(capsys, data_dir, out, "again")
    with Catalog(data_dir) as cat:
        again = _shape(cat, "again")
        assert again["obb"] == turned and again["area"] == pytest.approx(now["area"])
        edits.undo(cat, "src", "tester")
        assert _shape(cat, "src") == before


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ({"obb": [1, 2, 3, 4, 5, 6]}, "a rotated box has 4 corners"),
        ({"obb": [10, 2, 30, 4, 50, 60, 7, 70, 5, 30]}, "4 corners .*got 5"),
        ({"obb": [1, 2, 3, float("nan"), 5, 6, 7, 8]}, "finite numbers in pairs"),
        ({"obb": [1, 2, 3, 4, 5, 6, 7, 8], "segmentation": [[1, 2, 3, 4, 5, 6]]}, "one of"),
        ({"polyline": [1, 2, 3, 4]}, "has no polyline to reshape"),
        ({"obb": [-50, 2, 30, 4, 50, 60, 7, 80]}, "x and y must be >= 0"),
        ({"obb": [10, 2, 130, 4, 50, 60, 7, 70]}, "past the image"),
        # a bow-tie: before, stored with the area 0
        ({"obb": [10, 2, 50, 40, 50, 2, 10, 40]}, "corners cross"),
    ],
)
def test_bad_point_reshapes_are_refused_and_change_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], op: dict[str, Any], message: str
) -> None:
    data_dir = _shape_source(tmp_path, capsys)
    with Catalog(data_dir) as cat:
        before = _shape(cat, "src")
        with pytest.raises(edits.EditError, match=message):
            _edit(cat, {"op": "reshape", "annotation_id": before["ann_id"], **op})
        assert _shape(cat, "src") == before


def test_a_rotated_box_and_a_polyline_are_added_by_their_points_and_undone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``add`` takes a rotated box's corners or a polyline's points: the box is their hull, a
    rotated box's area its quadrilateral's; it leaves for DOTA with its corners; the undo
    takes it away; bad points are refused with nothing written."""
    from visionlens_jlab.ingest.dota import quad_area

    data_dir = _shape_source(tmp_path, capsys)
    corners = [30.0, 10.0, 70.0, 30.0, 60.0, 50.0, 20.0, 30.0]
    with Catalog(data_dir) as cat:
        first = _shape(cat, "src")
        with cat.cursor() as cur:
            (sample,) = cur.execute("SELECT sample_id FROM annotations WHERE ann_id = ?",
                                    [first["ann_id"]]).fetchone() or ()  # fmt: skip
        bad_shapes: list[tuple[dict[str, Any], str]] = [
            ({"obb": corners[:6]}, "a rotated box has 4 corners"),
            ({"obb": corners, "polyline": [1, 2, 3, 4]}, "one shape"),
            ({"obb": corners, "segmentation": [[1, 2, 3, 4, 5, 6]]}, "one shape"),
            ({"polyline": [1, 2, 300, 4]}, "past the image"),
            ({"obb": [30.0, 10.0, 60.0, 50.0, 70.0, 30.0, 20.0, 30.0]}, "corners cross"),
        ]
        for bad, message in bad_shapes:
            with pytest.raises(edits.EditError, match=message):
                _edit(cat, {"op": "add", "sample_id": sample, "label": "plane", **bad})
        assert _shape(cat, "src") == first
        answer = _edit(cat, {"op": "add", "sample_id": sample, "label": "plane", "obb": corners})
        (added,) = answer["added"]
        with cat.cursor() as cur:
            row = cur.execute("SELECT x, y, w, h, area, obb, polyline FROM annotations "
                              "WHERE ann_id = ?", [added]).fetchone()  # fmt: skip
        assert row == (20.0, 10.0, 50.0, 40.0, pytest.approx(quad_area(corners)), corners, None)
    out = tmp_path / "out"
    code, result = run_cli(capsys, data_dir, "export", "src", "--format", "dota", "--out", str(out))
    assert code == 0, result
    ingest_cli(capsys, data_dir, out, "again")
    with Catalog(data_dir) as cat:
        with cat.cursor() as cur:
            shapes = cur.execute("SELECT obb FROM annotations JOIN datasets USING (dataset_id) "
                                 "WHERE name = 'again' ORDER BY ann_id").fetchall()  # fmt: skip
        assert [s[0] for s in shapes] == [first["obb"], corners]
        edits.undo(cat, "src", "tester")
        assert _shape(cat, "src") == first
        line = _shape(cat, "lines")
        with cat.cursor() as cur:
            (road,) = cur.execute("SELECT sample_id FROM annotations WHERE ann_id = ?",
                                  [line["ann_id"]]).fetchone() or ()  # fmt: skip
        path = [5.0, 60.0, 45.0, 20.0, 90.0, 35.0]
        answer = edits.apply_edits(cat, "lines", [{"op": "add", "sample_id": road,
                                                   "label": "lane", "polyline": path}], "tester")  # fmt: skip
        with cat.cursor() as cur:
            row = cur.execute("SELECT x, y, w, h, obb, polyline FROM annotations "
                              "WHERE ann_id = ?", answer["added"]).fetchone()  # fmt: skip
        assert row == (5.0, 20.0, 85.0, 40.0, None, path)


def test_a_level_and_an_upright_line_are_drawn_and_a_flat_rotated_box_is_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line's extent may have no height (level) or no width (upright), as CVAT's ingest
    keeps it; a line whose points are all one point, and a rotated box without a width, are
    refused with nothing written."""
    data_dir = _shape_source(tmp_path, capsys)
    with Catalog(data_dir) as cat:
        line = _shape(cat, "lines")
        with cat.cursor() as cur:
            (road,) = cur.execute("SELECT sample_id FROM annotations WHERE ann_id = ?",
                                  [line["ann_id"]]).fetchone() or ()  # fmt: skip
        level = [5.0, 40.0, 60.0, 40.0, 90.0, 40.0]
        answer = edits.apply_edits(cat, "lines", [{"op": "add", "sample_id": road,
                                                   "label": "lane", "polyline": level}], "tester")  # fmt: skip
        with cat.cursor() as cur:
            row = cur.execute("SELECT x, y, w, h, polyline FROM annotations WHERE ann_id = ?",
                              answer["added"]).fetchone()  # fmt: skip
        assert row == (5.0, 40.0, 85.0, 0.0, level)
        upright = [30.0, 10.0, 30.0, 70.0]
        edits.apply_edits(cat, "lines", [{"op": "reshape", "annotation_id": line["ann_id"],
                                          "polyline": upright}], "tester")  # fmt: skip
        moved = _shape(cat, "lines")
        assert (moved["x"], moved["y"], moved["w"], moved["h"]) == (30.0, 10.0, 0.0, 60.0)
        for bad, message in (
            ({"polyline": [20.0, 20.0, 20.0, 20.0]}, "all one point"),
            ({"polyline": [20.0, 20.0, 120.0, 20.0]}, "past the image"),
        ):
            with pytest.raises(edits.EditError, match=message):
                edits.apply_edits(cat, "lines", [{"op": "reshape",
                                                  "annotation_id": line["ann_id"], **bad}],
                                  "tester")  # fmt: skip
        assert _shape(cat, "lines") == moved
        edits.undo(cat, "lines", "tester")
        edits.undo(cat, "lines", "tester")
        assert _shape(cat, "lines") == line
        first = _shape(cat, "src")
        with pytest.raises(edits.EditError, match="w and h must be positive"):
            _edit(cat, {"op": "reshape", "annotation_id": first["ann_id"],
                        "obb": [10.0, 20.0, 50.0, 20.0, 50.0, 20.0, 10.0, 20.0]})  # fmt: skip
        assert _shape(cat, "src") == first
