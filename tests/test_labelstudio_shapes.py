"""Rotated boxes and polygons through Label Studio's geometry (no server: the geometry and
the diff; tests/test_labelstudio.py takes them through a real Label Studio): a rectangle's
corner, size and clockwise turn about that corner, and polygon points in percent."""

from __future__ import annotations

import math
from typing import Any

import pytest

from visionlens_jlab.labelstudio.changes import read_changes
from visionlens_jlab.labelstudio.shapes import rect_corners, rotated_rect

W, H = 200, 100


def test_a_quarter_turn_clockwise_on_the_screen_sends_the_width_down() -> None:
    # y grows downwards: turning clockwise by 90 degrees points the first edge at +y
    corners = rect_corners([10.0, 20.0, 30.0, 10.0], 90.0)
    assert corners == pytest.approx([10, 20, 10, 50, 0, 50, 0, 20], abs=1e-12)
    assert rotated_rect(corners) == pytest.approx((10, 20, 30, 10, 90))
    # the same rectangle listed the other way round is the same rectangle
    backwards = [*corners[6:8], *corners[4:6], *corners[2:4], *corners[0:2]]
    again = rect_corners(list(rotated_rect(backwards)[:4]), rotated_rect(backwards)[4])
    pairs = sorted(zip(again[0::2], again[1::2], strict=True))
    want = sorted(zip(corners[0::2], corners[1::2], strict=True))
    assert [c for p in pairs for c in p] == pytest.approx([c for p in want for c in p])


@pytest.mark.parametrize("turn", [0.0, 17.0, 135.0, 300.0])
def test_a_rectangle_survives_the_round_trip(turn: float) -> None:
    corners = rect_corners([50.0, 40.0, 36.0, 12.0], turn)
    x, y, w, h, rotation = rotated_rect(corners)
    assert (x, y, w, h) == pytest.approx((50, 40, 36, 12))
    assert math.isclose(rotation % 360, turn % 360, abs_tol=1e-9)


def _region(rid: str, kind: str, label: str, value: dict[str, Any]) -> dict[str, Any]:
    name = "polygon" if kind == "polygonlabels" else "label"
    return {"id": rid, "from_name": name, "type": kind, "value": {**value, kind: [label]}}


def test_turned_corners_moved_points_and_new_shapes_become_reshapes_and_adds() -> None:
    obb = rect_corners([40.0, 20.0, 60.0, 30.0], 30.0)
    ring = [10.0, 10.0, 50.0, 12.0, 30.0, 60.0]
    sent = {"dataset": "d", "sample_id": 5, "width": W, "height": H,
            "sent": {"7": {"label": "plane", "bbox": [1.0, 2.0, 3.0, 4.0], "shaped": False,
                           "obb": obb},
                     "8": {"label": "plane", "bbox": [10.0, 10.0, 40.0, 50.0], "shaped": False,
                           "polygon": ring},
                     "9": {"label": "ship", "bbox": [0.0, 0.0, 10.0, 10.0], "shaped": False}}}  # fmt: skip
    pct = [[ring[i] / W * 100, ring[i + 1] / H * 100] for i in range(0, 6, 2)]
    moved = [list(p) for p in pct]
    moved[2][0] += 5.0  # the third point 5 % of the width (10 px) to the right
    result = [
        _region("vl-7", "rectanglelabels", "plane", {"x": 20.0, "y": 20.0, "width": 30.0,
                                                     "height": 30.0, "rotation": 45.0}),
        _region("vl-8", "polygonlabels", "ship", {"points": moved}),
        _region("vl-9", "rectanglelabels", "ship", {"x": 0.0, "y": 0.0, "width": 5.0,
                                                    "height": 10.0, "rotation": 10.0}),
        _region("new-obb", "rectanglelabels", "ship", {"x": 50.0, "y": 50.0, "width": 10.0,
                                                       "height": 10.0, "rotation": 20.0}),
        _region("new-poly", "polygonlabels", "plane", {"points": [[1, 1], [9, 1], [5, 9]]}),
        _region("bad-poly", "polygonlabels", "plane", {"points": [[1, 1], [9, 1]]}),
    ]  # fmt: skip
    task = {"id": 1, "data": {"visionlens": sent},
            "annotations": [{"id": 1, "updated_at": "2026-01-01", "result": result}]}  # fmt: skip
    changes = read_changes("d", [task])
    ops = {(op["op"], op.get("annotation_id")): op for op in changes.operations}
    assert ops[("reshape", 7)]["obb"] == pytest.approx(rect_corners([40, 20, 60, 30], 45.0))
    assert ops[("reshape", 7)]["expected"] == {"bbox": [1.0, 2.0, 3.0, 4.0]}
    assert ops[("reshape", 8)]["segmentation"] == [pytest.approx([10, 10, 50, 12, 40, 60])]
    assert ops[("relabel", 8)]["label"] == "ship"
    adds = {"obb" in op: op for op in changes.operations if op["op"] == "add"}
    assert adds[True]["obb"] == pytest.approx(rect_corners([100, 50, 20, 10], 20.0))
    assert adds[False]["segmentation"] == [pytest.approx([2, 1, 18, 1, 10, 9])]
    assert len(changes.operations) == 5  # the two reshapes, the relabel, the two adds
    reasons = {s["region"]: s["reason"] for s in changes.skipped}
    assert reasons == {
        "vl-9": "the object is a box, the region a rotated box",
        "bad-poly": "a polygon needs at least 3 points",
    }
    assert changes.counts()["reshaped"] == 2
