"""A COCO panoptic JSON and its PNGs that disagree, as hand-edited or merged files do: an
annotation whose ``image_id`` is none of the images, an image without an annotation, a
ground-truth PNG of another size than its image, a model's PNG at the network's
resolution, a model's annotation of no image. What is left out is counted in the report,
naming the entries; a model's PNG that no evaluation could pair is refused at import, the
model's earlier results kept; the rest imports and evaluates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.semantic_fixtures import ingested_panoptic, run_cli

from .panoptic_fixtures import write_panoptic


def _warnings(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {w["code"]: w for w in out["warnings"]}


def test_ground_truth_annotations_and_images_left_out_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = write_panoptic(tmp_path / "set", 5, seed=4)
    gt = json.loads(files["gt_json"].read_text())
    gt["annotations"][3]["image_id"] = 77  # an id of no image: image 3 is left bare
    small = files["gt_folder"] / gt["annotations"][1]["file_name"]
    Image.open(small).resize((28, 20), Image.Resampling.NEAREST).save(small)
    files["gt_json"].write_text(json.dumps(gt))
    data = str(tmp_path / "data")
    argv = ("--images", str(files["images"]), "--data-dir", data)
    code, out = run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "p", *argv)
    assert code == 0, out
    assert out["samples"] == 3 and out["panoptic"]["masks"] == 3
    found = _warnings(out)
    assert found["panoptic_annotation_without_image"]["examples"] == [
        "annotations[3] (000000000003.png, image_id 77)"
    ]
    assert found["panoptic_image_without_annotation"]["examples"] == ["000000000003.jpg"]
    assert found["panoptic_size_mismatch"]["examples"] == [
        "000000000001.jpg: image 56x40, PNG 000000000001.png 28x20"
    ]
    model = ("--model", "m", "--data-dir", data)
    code, out = run_cli(capsys, "panoptic-predictions", "p", str(files["pred_json"]), *model)
    assert code == 0 and out["masks"] == 3 and out["unmatched"] == 2
    assert _warnings(out)["prediction_unknown_image"]["count"] == 2
    code, out = run_cli(capsys, "evaluate", "p", *model)
    assert code == 0 and out["panoptic"]["images"] == 3 and out["panoptic"]["missing"] == 0


def test_a_models_png_of_another_size_is_refused_at_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files, model = ingested_panoptic(capsys, tmp_path, 3, seed=5)
    before = run_cli(capsys, "evaluate", "p", *model)[1]["panoptic"]
    low = tmp_path / "low"  # the model's PNGs again, one at the network's size
    shutil.copytree(files["pred_folder"], low)
    png = sorted(low.glob("*.png"))[2]
    Image.open(png).resize((28, 20), Image.Resampling.NEAREST).save(png)
    low_argv = ("--masks", str(low), *model)
    code, out = run_cli(capsys, "panoptic-predictions", "p", str(files["pred_json"]), *low_argv)
    assert code == 1 and "Traceback" not in out["stderr"]
    assert f"{png.name}: 28x20, its ground truth 56x40" in out["stderr"]
    assert "resize the prediction to its image's size" in out["stderr"]
    code, out = run_cli(capsys, "evaluate", "p", *model)
    assert code == 0 and out["panoptic"] == before


def _paint(png: Path, old: int, new: int) -> None:
    """Repaint segment ``old``'s pixels as id ``new`` (``R + 256 G + 256² B``)."""
    rgb = np.asarray(Image.open(png).convert("RGB")).copy()
    wide = rgb.astype(np.int64)
    at = wide[..., 0] + 256 * wide[..., 1] + 65536 * wide[..., 2] == old
    rgb[at] = (new % 256, new // 256 % 256, new // 65536)
    Image.fromarray(rgb, mode="RGB").save(png)


def test_pngs_and_segments_info_that_differ_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The ground truth is ingested as panopticapi reads it, with a warning naming each
    PNG; a model's is refused at import (panopticapi refuses it), naming the file and the
    ids, the model's earlier results kept."""
    files = write_panoptic(tmp_path / "set", 4, seed=6)
    gt = json.loads(files["gt_json"].read_text())
    gt_png = files["gt_folder"] / gt["annotations"][2]["file_name"]
    _paint(gt_png, gt["annotations"][2]["segments_info"][0]["id"], 0)  # listed, in no pixel
    _paint(gt_png, gt["annotations"][2]["segments_info"][1]["id"], 6543)  # in no entry
    data = str(tmp_path / "data")
    argv = ("--images", str(files["images"]), "--data-dir", data)
    code, out = run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "p", *argv)
    assert code == 0 and out["samples"] == 4
    (example,) = _warnings(out)["panoptic_segments_mismatch"]["examples"]
    first, second = (s["id"] for s in gt["annotations"][2]["segments_info"][:2])
    assert example == (
        f"{gt_png}: segment(s) {', '.join(map(str, sorted([first, second])))} in "
        "segments_info, in no pixel of the PNG; id(s) 6543 in the PNG, in no segments_info entry"
    )
    model = ("--model", "m", "--data-dir", data)
    assert run_cli(capsys, "panoptic-predictions", "p", str(files["pred_json"]), *model)[0] == 0
    before = run_cli(capsys, "evaluate", "p", *model)[1]["panoptic"]
    for edit in ("stray", "absent"):
        copy = tmp_path / edit
        shutil.copytree(files["pred_folder"], copy)
        results = json.loads(files["pred_json"].read_text())
        ann = results["annotations"][1]
        if edit == "stray":
            png = copy / ann["file_name"]
            rgb = np.asarray(Image.open(png).convert("RGB")).copy()
            rgb[:2, :2] = (4321 % 256, 4321 // 256, 0)  # a corner of an id of no entry
            Image.fromarray(rgb, mode="RGB").save(png)
            expected = "id(s) 4321 in the PNG, in no segments_info entry"
        else:
            ann["segments_info"].append({"id": 4242, "category_id": 1, "iscrowd": 0})
            expected = "segment(s) 4242 in segments_info, in no pixel of the PNG"
        listed = tmp_path / f"{edit}.json"
        listed.write_text(json.dumps(results))
        copy_argv = ("--masks", str(copy), *model)
        code, out = run_cli(capsys, "panoptic-predictions", "p", str(listed), *copy_argv)
        assert code == 1 and "Traceback" not in out["stderr"]
        assert f"{copy / ann['file_name']}: {expected}" in out["stderr"], out["stderr"]
        assert "panopticapi refuses the pair" in out["stderr"]
    code, out = run_cli(capsys, "evaluate", "p", *model)
    assert code == 0 and out["panoptic"] == before


def test_a_ground_truth_area_that_is_not_its_pixel_count_is_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON area of 0 (a script that never filled it in), or written as digits: the area
    is the IoU's denominator (panopticapi's), so 0 gave a PQ past 1 and digits stopped the
    evaluation. Each is stored as the segment's pixel count, the changes named; the
    evaluation equals the one of the JSON written right."""
    _, model = ingested_panoptic(capsys, tmp_path, 4, seed=7, name="r")
    data = str(tmp_path / "data")
    expected = run_cli(capsys, "evaluate", "r", *model)[1]["panoptic"]
    for name, area in (("zero", 0), ("digits", None)):
        files = write_panoptic(tmp_path / name, 4, seed=7)
        gt = json.loads(files["gt_json"].read_text())
        for ann in gt["annotations"]:
            for segment in ann["segments_info"]:
                segment["area"] = str(segment["area"]) if area is None else area
        files["gt_json"].write_text(json.dumps(gt))
        argv = ("--images", str(files["images"]), "--data-dir", data)
        code, out = run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", name, *argv)
        assert code == 0, out
        changed = _warnings(out).get("panoptic_area_mismatch")
        if area == 0:
            first = gt["annotations"][0]
            png = files["gt_folder"] / first["file_name"]
            assert changed is not None and changed["count"] == sum(
                len(a["segments_info"]) for a in gt["annotations"]
            )
            assert changed["examples"][0].startswith(
                f"{png}: segment {first['segments_info'][0]['id']}: area 0 in the JSON, "
            )
        else:
            assert changed is None
        code, out = run_cli(capsys, "panoptic-predictions", name, str(files["pred_json"]), *model)
        assert code == 0, out
        code, out = run_cli(capsys, "evaluate", name, *model)
        assert code == 0 and out["panoptic"] == expected, name
    files = write_panoptic(tmp_path / "text", 1, seed=7)
    gt = json.loads(files["gt_json"].read_text())
    gt["annotations"][0]["segments_info"][0]["area"] = "about 300"
    files["gt_json"].write_text(json.dumps(gt))
    argv = ("--images", str(files["images"]), "--data-dir", data)
    code, out = run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "t", *argv)
    assert (
        code == 1
        and "annotations[0].segments_info[0]: 'area' is 'about 300', not an integer"
        in (out["stderr"])
    )


def test_a_ground_truth_segment_of_no_category_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A segment whose category_id is none of the categories (a category deleted from the
    JSON, a typo): panopticapi scores it in no category, so it would vanish from every
    figure silently; it is ingested with a warning naming it."""
    files = write_panoptic(tmp_path / "set", 3, seed=8)
    gt = json.loads(files["gt_json"].read_text())
    segment = gt["annotations"][1]["segments_info"][0]
    segment["category_id"] = 999
    files["gt_json"].write_text(json.dumps(gt))
    data = str(tmp_path / "data")
    argv = ("--images", str(files["images"]), "--data-dir", data)
    code, out = run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "p", *argv)
    assert code == 0 and out["samples"] == 3
    png = files["gt_folder"] / gt["annotations"][1]["file_name"]
    assert _warnings(out)["panoptic_unknown_category"]["examples"] == [
        f"{png}: segment {segment['id']}, category 999"
    ]


def test_categories_without_isthing_or_with_it_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``isthing`` written as text ("0", "1": a CSV turned JSON) is its number, where "0"
    counted as a thing; a category without one is scored as stuff with a warning naming
    it (panopticapi's pq_average raises a KeyError there)."""
    data = str(tmp_path / "data")
    model = ("--model", "m", "--data-dir", data)
    reports = {}
    for name in ("right", "text", "bare"):
        files = write_panoptic(tmp_path / name, 3, seed=9)
        gt = json.loads(files["gt_json"].read_text())
        for category in gt["categories"]:
            if name == "text":
                category["isthing"] = str(category["isthing"])
            elif name == "bare" and category["name"] == "dog":
                del category["isthing"]
        files["gt_json"].write_text(json.dumps(gt))
        argv = ("--images", str(files["images"]), "--data-dir", data)
        code, out = run_cli(capsys, "panoptic-ingest", str(files["gt_json"]), "--name", name, *argv)
        assert code == 0, out
        bare = _warnings(out).get("panoptic_category_without_isthing")
        assert (bare and bare["examples"]) == (["dog"] if name == "bare" else None)
        assert (
            run_cli(capsys, "panoptic-predictions", name, str(files["pred_json"]), *model)[0] == 0
        )
        reports[name] = run_cli(capsys, "evaluate", name, *model)[1]["panoptic"]
    assert reports["text"] == reports["right"]
    assert reports["right"]["Things"]["n"] == 3 and reports["right"]["Stuff"]["n"] == 2
    assert reports["bare"]["Things"]["n"] == 2 and reports["bare"]["Stuff"]["n"] == 3
