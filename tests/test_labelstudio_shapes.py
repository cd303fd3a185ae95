"""Rotated boxes, polygons and masks through Label Studio's geometry (no server: the geometry,
the brush codec and the diff; tests/test_labelstudio.py and test_labelstudio_masks.py take
them through a real Label Studio): a rectangle's corner, size and clockwise turn about that
corner, polygon points in percent, and a brush region's packed RGBA runs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.edits import apply_edits
from visionlens_jlab.export.view import read_view
from visionlens_jlab.labelstudio.brush import decode_brush, encode_brush
from visionlens_jlab.labelstudio.changes import read_changes
from visionlens_jlab.labelstudio.shapes import rect_corners, rotated_rect
from visionlens_jlab.labelstudio.tasks import build_tasks
from visionlens_jlab.records.masks import mask_answer

from .test_edits_server import write_toy

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


def _brush(rid: str, label: str, mask: np.ndarray) -> dict[str, Any]:
    return {"id": rid, "from_name": "brush", "type": "brushlabels",
            "value": {"format": "rle", "rle": encode_brush(mask),
                      "brushlabels": [label]}}  # fmt: skip


def _stream(fields: list[tuple[int, int]]) -> list[int]:
    """Bytes of ``(value, bits)`` fields written most significant bit first, zero-padded."""
    bits = "".join(format(v, f"0{n}b") for v, n in fields)
    bits += "0" * (-len(bits) % 8)
    return [int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)]


def test_a_brush_mask_packs_long_runs_and_reads_words_given_one_by_one() -> None:
    rng = np.random.default_rng(3)
    for mask in (rng.random((37, 53)) < 0.4, np.ones((300, 400), bool), np.zeros((9, 1), bool)):
        assert np.array_equal(decode_brush(encode_brush(mask), mask.shape[1], mask.shape[0]), mask)
    # 120,000 values of one word: two 16-bit records (a record holds at most 65,536)
    assert len(encode_brush(np.ones((100, 300), bool))) == 14  # 53 + 2 * 27 bits, padded
    # what Label Studio's editor writes: a 2 x 1 image, the first pixel opaque red, the
    # second a run of zeros; words given one by one (flag 0) and a run (flag 1)
    header = [(8, 32), (7, 5), (2, 4), (3, 4), (7, 4), (15, 4)]
    red = [(0, 1), (0, 2), (3, 3), (255, 8), (0, 8), (0, 8), (255, 8)]
    stream = _stream([*header, *red, (1, 1), (0, 2), (3, 3), (0, 8)])
    assert np.array_equal(decode_brush(stream, 2, 1), [[True, False]])
    assert np.array_equal(decode_brush(stream, 1, 2), [[True], [False]])
    assert decode_brush(stream, 3, 1) == "a brush mask of 8 RGBA values, the image has 12 (3 x 1)"
    assert decode_brush(stream[:-2], 2, 1) == "a brush region's rle ends before its last value"
    assert decode_brush([256], 1, 1) == "a brush region's rle is not a list of bytes (0 to 255)"
    assert decode_brush(None, 1, 1) == "a brush region without its rle bytes"
    # a painted region as an editor writes it: one record of 64 words given one by one
    # (16 pixels, opaque red and clear by turns), read in one step
    pixels = [(255, 0, 0, 255) if k % 2 == 0 else (0, 0, 0, 0) for k in range(16)]
    given = [(0, 1), (2, 2), (63, 8), *((v, 8) for p in pixels for v in p)]
    long_record = _stream([(64, 32), *header[1:], *given])
    assert np.array_equal(decode_brush(long_record, 16, 1), [[k % 2 == 0 for k in range(16)]])
    assert decode_brush(long_record[:-3], 16, 1) == (
        "a brush region's rle ends before its last value"
    )


def test_a_painted_brush_region_is_a_reshape_a_new_one_an_add_and_bad_ones_are_listed() -> None:
    inside = np.zeros((H, W), bool)
    inside[20:60, 30:90] = True
    sent_mask = mask_answer(inside)["mask"]
    sent = {"dataset": "d", "sample_id": 5, "width": W, "height": H,
            "sent": {"7": {"label": "cell", "bbox": [30.0, 20.0, 60.0, 40.0], "shaped": False,
                           "mask": sent_mask},
                     "8": {"label": "cell", "bbox": [0.0, 0.0, 10.0, 10.0], "shaped": False,
                           "mask": mask_answer(np.eye(H, W, dtype=bool))["mask"]},
                     "9": {"label": "cell", "bbox": [0.0, 0.0, 10.0, 10.0],
                           "shaped": False}}}  # fmt: skip
    grown = inside.copy()
    grown[60:70, 30:40] = True
    drawn = np.zeros((H, W), bool)
    drawn[5:15, 150:190] = True
    result = [
        _brush("vl-7", "cell", grown),
        _brush("vl-8", "cell", np.eye(H, W, dtype=bool)),  # left alone
        _brush("vl-9", "cell", drawn),  # a box painted over: not the kind sent
        _brush("new", "nucleus", drawn),
        _brush("empty", "cell", np.zeros((H, W), bool)),
        {**_brush("small", "cell", drawn[:50]), "id": "small"},
        # a nucleus' centre drawn with the new brush region selected joins it
        {"id": "c", "parentID": "new", "from_name": "keypoint", "type": "keypointlabels",
         "value": {"x": 85.0, "y": 10.0, "keypointlabels": ["centre"]}},
    ]  # fmt: skip
    task = {"id": 1, "data": {"visionlens": sent},
            "annotations": [{"id": 1, "updated_at": "2026-01-01", "result": result}]}  # fmt: skip
    changes = read_changes("d", [task], keypoint_classes={"nucleus": ["centre"]})
    reshape, add = changes.operations  # vl-9 is kept as it was, listed below
    assert reshape == {"op": "reshape", "annotation_id": 7,
                       "segmentation": mask_answer(grown)["mask"],
                       "expected": {"bbox": [30.0, 20.0, 60.0, 40.0]}}  # fmt: skip
    assert add == {"op": "add", "sample_id": 5, "label": "nucleus",
                   "segmentation": mask_answer(drawn)["mask"],
                   "keypoints": [170.0, 10.0, 2.0]}  # fmt: skip
    reasons = {s["region"]: s["reason"] for s in changes.skipped}
    assert reasons == {
        "vl-9": "the object is a box, the region a mask",
        "empty": "a brush mask with no pixel painted",
        "small": f"a brush mask of {4 * W * 50} RGBA values, the image has {4 * W * H} ({W} x {H})",
    }


def test_a_polyline_goes_as_its_box_which_is_not_moved_alone(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog:
        write_toy(catalog, "toy")
        view = read_view(catalog, "toy", None)
        sample, width = view.samples["sample_id"][0], view.samples["width"][0]
        line = [2.0, 2.0, width / 2, 6.0, width - 2.0, 3.0]
        added = apply_edits(catalog, "toy", [{"op": "add", "sample_id": sample,
                                              "label": view.class_names[0],
                                              "polyline": line}], "t")  # fmt: skip
        tasks = build_tasks("http://h/", read_view(catalog, "toy", None), None)
    (ann,) = added["added"]
    (task,) = [t for t in tasks if t["data"]["visionlens"]["sample_id"] == sample]
    sent = task["data"]["visionlens"]["sent"]
    assert sent[str(ann)]["shaped"] and sent[str(ann)]["bbox"] == [2.0, 2.0, width - 4.0, 4.0]
    assert not any(o["shaped"] for a, o in sent.items() if a != str(ann))  # plain boxes
    result = task["annotations"][0]["result"]
    region = next(r for r in result if r["id"] == f"vl-{ann}")
    assert region["type"] == "rectanglelabels"
    region["value"]["x"] += 10.0
    task = {**task, "id": 1, "annotations": [{"id": 1, "updated_at": "2026", "result": result}]}
    changes = read_changes("toy", [task])
    assert changes.operations == []
    (skipped,) = changes.skipped
    assert skipped["region"] == f"vl-{ann}" and "not moved alone" in skipped["reason"]
