"""A new keypoint object through the edit log (issue #51: every kind drawn, and a point an
annotator draws in Label Studio for a new object): ``add`` with ``keypoints``, as many as the
class's skeleton names, the box taken from the labelled points when none is given; undo and
redo back to the exact rows, COCO export and re-ingest keeping it; bad input refused with
nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.edit_fixtures import coco_dataset, first_row
from tests.export_fixtures import ingest_cli, label_rows, run_cli
from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog


def _row(cat: Catalog, ann_id: int) -> dict[str, Any]:
    query = "SELECT label, x, y, w, h, area, keypoints, num_keypoints FROM annotations "
    return first_row(cat, query + "WHERE ann_id = ?", [ann_id])


def _points(count: int) -> list[float]:
    """``count`` points: the first three labelled (visible, hidden, visible), the rest not."""
    out = [0.0] * (3 * count)
    out[0:9] = [10.0, 20.0, 2.0, 40.0, 15.0, 1.0, 25.0, 60.0, 2.0]
    return out


def test_an_added_keypoint_object_takes_its_box_from_its_points_and_round_trips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = coco_dataset(tmp_path, capsys, "keypoints")
    before = label_rows(data_dir, "src")
    points = _points(17)
    with Catalog(data_dir) as cat:
        answer = edits.apply_edits(
            cat, "src", [{"op": "add", "sample_id": 1, "label": "pose2", "keypoints": points}],
            "tester",
        )  # fmt: skip
        (ann_id,) = answer["added"]
        assert answer["annotations"] == len(before) + 1
        row = _row(cat, ann_id)
        assert row["keypoints"] == points and row["num_keypoints"] == 3
        # the labelled points' extent, hidden ones included (their place is data)
        assert (row["x"], row["y"], row["w"], row["h"]) == (10.0, 15.0, 30.0, 45.0)
        assert row["area"] == 30.0 * 45.0
        boxed = edits.apply_edits(
            cat, "src",
            [{"op": "add", "sample_id": 2, "label": "pose1", "bbox": [5, 5, 80, 90],
              "keypoints": [[p, p + 1, 2] if i < 2 else [0, 0, 0] for i, p in
                            enumerate(range(17))]}],  # the nested form too
            "tester",
        )  # fmt: skip
        box = _row(cat, boxed["added"][0])
        assert (box["x"], box["y"], box["w"], box["h"]) == (5.0, 5.0, 80.0, 90.0)
        assert box["num_keypoints"] == 2
        edits.undo(cat, "src", "tester")
        edits.undo(cat, "src", "tester")
    assert label_rows(data_dir, "src") == before
    with Catalog(data_dir) as cat:
        edits.redo(cat, "src", "tester")
        assert _row(cat, ann_id)["keypoints"] == points
    edited = label_rows(data_dir, "src")
    assert len(edited) == len(before) + 1
    out = tmp_path / "out"
    assert run_cli(capsys, data_dir, "export", "src", "--format", "coco", "--out", str(out))[0] == 0
    ingest_cli(capsys, data_dir, out, "again")
    assert label_rows(data_dir, "again") == edited


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ({"keypoints": _points(16)}, "class 'pose1' has 17 keypoints, the operation gives 16"),
        ({"keypoints": [*_points(17)[:-1], 3.0]}, "visibility 3.0, not 0, 1 or 2"),
        ({"keypoints": [-40.0, *_points(17)[1:]]}, "lies outside the"),
        ({"keypoints": [0.0] * 51}, "no labelled keypoint to take the box from"),
        ({"keypoints": [10.0, 10.0, 2.0, *[0.0] * 48]}, "span no area"),
        ({"keypoints": _points(17), "obb": [1, 1, 9, 1, 9, 9, 1, 9]}, "not to obb"),
        ({"keypoints": [1.0, 2.0]}, "in threes"),
    ],
)
def test_bad_added_keypoints_are_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], op: dict[str, Any], message: str
) -> None:
    data_dir = coco_dataset(tmp_path, capsys, "keypoints")
    before = label_rows(data_dir, "src")
    with Catalog(data_dir) as cat, pytest.raises(edits.EditError, match=message):
        edits.apply_edits(cat, "src", [{"op": "add", "sample_id": 1, "label": "pose1", **op}],
                          "tester")  # fmt: skip
    assert label_rows(data_dir, "src") == before


def test_keypoints_for_a_class_without_a_skeleton_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = coco_dataset(tmp_path, capsys, "segm")
    before = label_rows(data_dir, "src")
    with Catalog(data_dir) as cat:
        with cat.cursor() as cur:
            (label,) = cur.execute("SELECT min(name) FROM categories").fetchone() or ("",)
        with pytest.raises(
            edits.EditError,
            match=r"has no keypoint names here \(the classes with keypoints: none\)",
        ):
            edits.apply_edits(cat, "src", [{"op": "add", "sample_id": 1, "label": label,
                                            "keypoints": _points(3)}], "tester")  # fmt: skip
    assert label_rows(data_dir, "src") == before
