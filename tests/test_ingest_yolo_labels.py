"""YOLO segmentation and pose label files: stored polygons, masks, keypoints and the report
rows of bad rows, checked against values computed here and against Ultralytics' own reader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from tests.ingest_fixtures import ingest
from tests.yolo_fixtures import H, W, run_ultralytics, stored_rows, yolo_dataset, yolo_row
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.ingest.detect import detect_dataset_format

TRIANGLE = [0.1, 0.2, 0.5, 0.2, 0.3, 0.8]
SQUARE = [0.6, 0.1, 0.9, 0.1, 0.9, 0.4, 0.6, 0.4]


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with Catalog(tmp_path / "data") as cat:
        yield cat


def _shoelace(poly: list[float]) -> float:
    xs, ys = poly[0::2], poly[1::2]
    n = len(xs)
    return abs(sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i] for i in range(n))) / 2


def _pixels(values: list[float]) -> list[float]:
    return [v * (W if i % 2 == 0 else H) for i, v in enumerate(values)]


SEG_YAML = "path: .\ntrain: images/train\nnames:\n  0: cat\n  1: dog\n"


def test_segmentation_rows_become_polygons_with_areas(catalog: Catalog, tmp_path: Path) -> None:
    root = yolo_dataset(
        tmp_path / "seg",
        SEG_YAML,
        {
            "good": f"{yolo_row(TRIANGLE)}\n{yolo_row(SQUARE, 1)}\n0 0.5 0.5 0.2 0.2\n",
            "bad": "0 0.1 0.1 0.2 0.2 0.3\n"  # odd coordinate count
            "1 0.1 0.1 0.2 0.2 0.3 0.3 0.4\n"  # 7 coordinates: odd too
            "0 0.1 0.1\n"  # one point: fewer than 3
            f"{yolo_row([0.1, 0.1, 0.2, 0.1, 0.3, 0.1])}\n"  # collinear: no area, skipped
            f"{yolo_row([-0.2, 0.5, 0.4, 0.5, 0.4, 0.9])}\n",  # outside: clamped
        },
    )
    assert detect_dataset_format(str(root)) == "yolo"
    s = ingest(catalog, "seg", root)
    good = stored_rows(catalog, "seg", "good")
    assert [r["label"] for r in good] == ["cat", "dog", "cat"]
    for row, poly in zip(good[:2], (TRIANGLE, SQUARE), strict=True):
        pixels = _pixels(poly)
        stored = json.loads(row["segmentation"])
        assert stored == [pytest.approx(pixels)]
        assert row["mask_area"] == pytest.approx(_shoelace(pixels))
        # the stored polygon rasterises to the mask of the polygon drawn
        drawn = mask_utils.decode(mask_utils.frPyObjects([pixels], H, W))
        got = mask_utils.decode(mask_utils.frPyObjects(stored, H, W))
        assert np.array_equal(drawn, got) and drawn.sum() > 0
        xs, ys = pixels[0::2], pixels[1::2]
        box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
        assert (row["x"], row["y"], row["w"], row["h"]) == pytest.approx(box)
    assert good[2]["segmentation"] is None and good[2]["mask_area"] is None
    (clamped,) = stored_rows(catalog, "seg", "bad")
    assert json.loads(clamped["segmentation"]) == [pytest.approx([0, 50, 80, 50, 80, 90])]
    errors = {e["code"]: e["count"] for e in s.errors}
    assert errors == {"yolo_odd_coordinates": 2, "yolo_bad_line": 1}
    warnings = {w["code"]: w["count"] for w in s.warnings}
    assert warnings["yolo_empty_box"] == 1 and warnings["yolo_clamped"] == 1
    counts = catalog.get_dataset("seg")["report"]["counts"]
    assert (counts["yolo_polygons"], counts["yolo_boxes"]) == (3, 1)


POSE_YAML = (
    "path: .\ntrain: images/train\nnames: [person, hand]\nkpt_shape: [3, {dims}]\n"
    "flip_idx: [1, 0, 2]\nkpt_names:\n  0: [left, right, top]\n"
)


def test_pose_rows_with_three_values(catalog: Catalog, tmp_path: Path) -> None:
    person = [0.5, 0.5, 0.4, 0.6, 0.4, 0.3, 2, 0.6, 0.3, 1, 0.0, 0.0, 0]
    root = yolo_dataset(
        tmp_path / "pose3",
        POSE_YAML.format(dims=3),
        {
            "good": f"{yolo_row(person)}\n",
            "bad": f"{yolo_row(person[:-3])}\n"  # two points, kpt_shape says 3
            f"{yolo_row(person[:-1] + [3])}\n"  # visibility 3
            f"{yolo_row(person[:4] + [1.5, 0.3, 2] + person[7:])}\n",  # point outside: kept
        },
    )
    s = ingest(catalog, "pose3", root)
    (row,) = stored_rows(catalog, "pose3", "good")
    assert row["keypoints"] == pytest.approx([80, 30, 2, 120, 30, 1, 0, 0, 0])
    assert row["num_keypoints"] == 2
    assert (row["x"], row["y"], row["w"], row["h"]) == pytest.approx((60, 20, 80, 60))
    assert row["segmentation"] is None
    (outside,) = stored_rows(catalog, "pose3", "bad")
    assert outside["keypoints"][:3] == pytest.approx([300, 30, 2])
    assert {e["code"]: e["count"] for e in s.errors} == {
        "yolo_bad_keypoint_count": 1,
        "yolo_bad_visibility": 1,
    }
    assert {w["code"]: w["count"] for w in s.warnings}["yolo_keypoint_outside"] == 1
    with catalog.cursor() as cur:
        cats = cur.execute("SELECT name, keypoint_names FROM categories ORDER BY category_id")
        assert cats.fetchall() == [("person", ["left", "right", "top"]), ("hand", ["0", "1", "2"])]


def test_pose_rows_with_two_values(catalog: Catalog, tmp_path: Path) -> None:
    # Ultralytics: a 2-value point with a negative coordinate is not labelled
    person = [0.5, 0.5, 0.4, 0.6, 0.4, 0.3, 0.6, 0.3, -1, -1]
    root = yolo_dataset(
        tmp_path / "pose2", POSE_YAML.format(dims=2), {"a": f"{yolo_row(person, 1)}\n"}
    )
    s = ingest(catalog, "pose2", root)
    (row,) = stored_rows(catalog, "pose2", "a")
    assert row["label"] == "hand"
    assert row["keypoints"] == pytest.approx([80, 30, 2, 120, 30, 2, 0, 0, 0])
    assert row["num_keypoints"] == 2
    assert s.errors == []


def test_bad_kpt_names_and_flip_idx_are_reported(catalog: Catalog, tmp_path: Path) -> None:
    yaml_text = (
        "path: .\ntrain: images/train\nnames: [p]\nkpt_shape: [2, 2]\n"
        "flip_idx: [0, x]\nkpt_names:\n  0: [only_one]\n"
    )
    root = yolo_dataset(tmp_path / "p", yaml_text, {"a": f"{yolo_row([0.5] * 8)}\n"})
    s = ingest(catalog, "p", root)
    assert {w["code"] for w in s.warnings} == {"yolo_bad_kpt_names", "yolo_bad_flip_idx"}
    with catalog.cursor() as cur:
        assert cur.execute("SELECT keypoint_names FROM categories").fetchall() == [(["0", "1"],)]


def test_bad_kpt_shape_is_one_clear_error(tmp_path: Path) -> None:
    from visionlens_jlab.ingest.open import open_dataset
    from visionlens_jlab.records.report import IngestError

    root = yolo_dataset(tmp_path / "p", SEG_YAML + "kpt_shape: [17, 4]\n", {"a": ""})
    with pytest.raises(IngestError, match="kpt_shape"):
        open_dataset(str(root))


ULTRALYTICS_ORACLE = """
import json, sys
import numpy as np
from ultralytics.data.utils import verify_image_label

out = []
for args in json.loads(sys.stdin.read()):
    _, boxes, shape, segments, keypoints, *_, message = verify_image_label(tuple(args))
    out.append({
        "boxes": np.asarray(boxes).tolist(),
        "shape": list(shape),
        "segments": [np.asarray(s).tolist() for s in segments],
        "keypoints": None if keypoints is None else np.asarray(keypoints).tolist(),
        "message": message,
    })
print(json.dumps(out))
"""


def _verify_with_ultralytics(tmp_path: Path, calls: list[list[Any]]) -> list[dict[str, Any]]:
    """Ultralytics' ``verify_image_label`` on each argument list."""
    result: list[dict[str, Any]] = run_ultralytics(tmp_path, ULTRALYTICS_ORACLE, calls)
    return result


def test_ultralytics_reader_agrees(catalog: Catalog, tmp_path: Path) -> None:
    """Ultralytics' own label check (``verify_image_label``) as the oracle for polygons,
    boxes and keypoints."""
    rng = np.random.default_rng(3)
    seg_lines = []
    for k in range(4):
        n = int(rng.integers(3, 9))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        cx, cy, r = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7), rng.uniform(0.05, 0.25)
        poly = np.column_stack((cx + r * np.cos(angles), cy + r * np.sin(angles))).ravel()
        seg_lines.append(yolo_row(poly.tolist(), k % 2))
    seg = yolo_dataset(tmp_path / "s", SEG_YAML, {"a": "\n".join(seg_lines) + "\n"})
    ingest(catalog, "s", seg)
    calls = [
        [
            str(seg / "images/train/a.jpg"),
            str(seg / "labels/train/a.txt"),
            "",
            False,
            2,
            0,
            0,
            False,
        ]
    ]
    for dims in (2, 3):
        pts = rng.uniform(0.1, 0.9, (5, dims))
        if dims == 3:
            pts[:, 2] = [2, 1, 0, 2, 1]
            pts[2, :2] = 0  # COCO's and Ultralytics' converters write "0 0 0" for unlabelled
        line = yolo_row([0.5, 0.5, 0.5, 0.5, *pts.ravel().tolist()])
        yaml_text = "path: .\ntrain: images/train\nnames: [p]\n" + f"kpt_shape: [5, {dims}]\n"
        pose = yolo_dataset(tmp_path / f"p{dims}", yaml_text, {"a": line + "\n"})
        ingest(catalog, f"p{dims}", pose)
        calls.append(
            [
                str(pose / "images/train/a.jpg"),
                str(pose / "labels/train/a.txt"),
                "",
                True,
                1,
                5,
                dims,
                False,
            ]
        )
    seg_result, *pose_results = _verify_with_ultralytics(tmp_path, calls)

    assert tuple(seg_result["shape"]) == (H, W)
    rows = stored_rows(catalog, "s", "a")
    assert len(rows) == len(seg_result["segments"]) == 4
    for row, box, segment in zip(rows, seg_result["boxes"], seg_result["segments"], strict=True):
        expect = (np.array(segment) * np.array([W, H])).ravel()
        assert json.loads(row["segmentation"])[0] == pytest.approx(expect.tolist(), abs=2e-3)
        cx, cy, w, h = np.array(box[1:]) * np.array([W, H, W, H])
        assert (row["x"], row["y"], row["w"], row["h"]) == pytest.approx(
            (cx - w / 2, cy - h / 2, w, h), abs=2e-3
        )
    for dims, result in zip((2, 3), pose_results, strict=True):
        assert result["keypoints"] is not None, result["message"]
        expected = np.array(result["keypoints"][0], dtype=np.float64)  # (5, 3): x, y, v/mask
        expected[:, :2] *= [W, H]
        if dims == 2:  # Ultralytics' mask 1 (every in-image point) is COCO's "visible"
            assert (expected[:, 2] == 1).all()
            expected[:, 2] = 2
        (row,) = stored_rows(catalog, f"p{dims}", "a")
        assert row["keypoints"] == pytest.approx(expected.ravel().tolist(), abs=2e-3)


def test_a_folder_of_polygon_label_files_is_yolo(tmp_path: Path) -> None:
    (tmp_path / "classes.txt").write_text("cat\n")
    (tmp_path / "a.txt").write_text(f"{yolo_row(TRIANGLE)}\n{yolo_row(SQUARE)}\n")
    (tmp_path / "b.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    assert detect_dataset_format(str(tmp_path)) == "yolo"
    (tmp_path / "c.txt").write_text("0 10 20 30 40\n")  # pixels: the txt format
    assert detect_dataset_format(str(tmp_path)) == "txt"


def test_flat_and_self_crossing_polygons_are_reported(catalog: Catalog, tmp_path: Path) -> None:
    """A diagonal line (a box with an area, a polygon without) and a bow tie are kept, each
    counted in its own report row; a good polygon beside them is not."""
    line = [0.1, 0.1, 0.2, 0.2, 0.3, 0.3]
    bow_tie = [0.1, 0.1, 0.6, 0.5, 0.6, 0.1, 0.1, 0.3]  # lopsided: its shoelace area is not 0
    root = yolo_dataset(
        tmp_path / "seg",
        SEG_YAML,
        {"odd": f"{yolo_row(line)}\n{yolo_row(bow_tie, 1)}\n{yolo_row(TRIANGLE)}\n"},
    )
    s = ingest(catalog, "seg", root)
    assert len(stored_rows(catalog, "seg", "odd")) == 3
    warnings = {w["code"]: w["count"] for w in s.warnings}
    assert warnings["yolo_degenerate_polygon"] == 1
    assert warnings["yolo_self_intersecting_polygon"] == 1


def test_a_box_inside_the_image_keeps_the_files_width_and_height(
    catalog: Catalog, tmp_path: Path
) -> None:
    """A box the image does not clamp is stored with the file's own width and height times
    the image's (the right edge less the left one rounds in the last bits, enough to tip an
    IoU of exactly a threshold); its left and top edge are the centre less half of them."""
    rng = np.random.default_rng(5)
    values = [
        [xc, yc, w, h]
        for w, h in rng.uniform(0.01, 0.4, size=(300, 2)).round(6)
        for xc, yc in [rng.uniform([w / 2, h / 2], [1 - w / 2, 1 - h / 2]).round(6)]
        if xc - w / 2 >= 0 and xc + w / 2 <= 1 and yc - h / 2 >= 0 and yc + h / 2 <= 1
    ]
    text = "\n".join(yolo_row(v) for v in values) + "\n"
    ingest(catalog, "ds", yolo_dataset(tmp_path / "ds", SEG_YAML, {"img": text}))
    rows = stored_rows(catalog, "ds", "img")
    assert len(rows) == len(values)
    for row, (xc, yc, w, h) in zip(rows, values, strict=True):
        assert (row["w"], row["h"]) == (w * W, h * H)
        assert (row["x"], row["y"]) == ((xc - w / 2) * W, (yc - h / 2) * H)
