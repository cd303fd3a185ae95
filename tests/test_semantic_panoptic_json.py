"""COCO panoptic JSON as other tools write it, through ``panoptic-ingest`` and
``panoptic-predictions``: an entry without a field the ingest or the evaluation reads, or a
folder holding none of the PNGs, is one line naming it before anything is written (not a
traceback, not a dataset left without its masks); a ground-truth PNG missing leaves its image
out, reported, and a model's PNG missing leaves that image without a prediction, reported
and left out of the evaluation as an image the results do not name; image ids written as
text still find their images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.semantic_fixtures import ingested_panoptic, run_cli

from .panoptic_fixtures import write_panoptic


def _edited(tmp_path: Path, key: str, edit: Any) -> tuple[dict[str, Path], str]:
    files = write_panoptic(tmp_path, 3, seed=2)
    data = json.loads(files[key].read_text())
    edit(data)
    files[key].write_text(json.dumps(data))
    return files, str(tmp_path / "data")


def _ingest(capsys: pytest.CaptureFixture[str], files: dict[str, Path], data: str) -> Any:
    return run_cli(
        capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "pan",
        "--images", str(files["images"]), "--data-dir", data,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["annotations"][1].pop("file_name"), "annotations[1] has no 'file_name'"),
        (lambda d: d["annotations"][0].pop("image_id"), "annotations[0] has no 'image_id'"),
        (
            lambda d: d["annotations"][2]["segments_info"][0].pop("area"),
            "annotations[2].segments_info[0] has no 'area'",
        ),
        (
            lambda d: d["annotations"][0].update(segments_info=None),
            "annotations[0]: 'segments_info' is not a list",
        ),
        (lambda d: d["categories"][0].pop("name"), "categories[0] has no 'name'"),
        (  # the catalog keeps class ids in 32 bits: refused as a line, not an Arrow error
            lambda d: d["categories"][0].update(id=2**40),
            "categories[0]: 'id' is 1099511627776, past the 32-bit ids a catalog keeps",
        ),
        (lambda d: d["images"][1].pop("id"), "images[1] has no 'id'"),
        (  # one id twice (as text the second time): two samples, one of them without a mask
            lambda d: d["images"].append({**d["images"][1], "id": "1", "file_name": "b.jpg"}),
            "images[1] and images[3] have one id, '1'",
        ),
    ],
)
def test_a_ground_truth_entry_without_a_field_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, message: str
) -> None:
    files, data = _edited(tmp_path, "gt_json", edit)
    code, out = _ingest(capsys, files, data)
    assert code == 1 and message in out["stderr"] and "Traceback" not in out["stderr"]
    assert run_cli(capsys, "datasets", "--data-dir", data)[1]["datasets"] == []


def test_a_missing_ground_truth_png_leaves_its_image_out_and_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, one PNG missing refused the whole ingest: now the other images are ingested
    with their segments, and the report names the image and its PNG; the model's results
    and the evaluation go on over the images there."""
    files, data = _edited(tmp_path, "gt_json", lambda d: None)
    (files["gt_folder"] / "000000000001.png").unlink()
    code, out = _ingest(capsys, files, data)
    assert code == 0, out
    assert out["samples"] == 2 and out["panoptic"]["masks"] == 2
    (warning,) = [w for w in out["warnings"] if w["code"] == "panoptic_png_missing"]
    assert warning["count"] == 1
    assert warning["examples"] == ["000000000001.jpg: 000000000001.png"]
    assert str(files["gt_folder"].resolve()) in warning["message"]
    model = ("--model", "m", "--data-dir", data)
    code, out = run_cli(capsys, "panoptic-predictions", "pan", str(files["pred_json"]), *model)
    assert code == 0 and out["masks"] == 2 and out["unmatched"] == 1
    code, out = run_cli(capsys, "evaluate", "pan", *model)
    assert code == 0 and out["panoptic"]["images"] == 2 and out["panoptic"]["missing"] == 0


def test_a_missing_predicted_png_leaves_its_image_without_a_prediction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, one of a model's PNGs missing refused the whole import: now the others are
    stored, the report names the annotation and its PNG, and the evaluation leaves the
    image out (``missing``), scoring exactly as results that do not name the image."""
    files, model = ingested_panoptic(capsys, tmp_path, 4, seed=3)
    data = model[-1]
    results = json.loads(files["pred_json"].read_text())
    results["annotations"].pop(1)
    without = tmp_path / "without.json"
    without.write_text(json.dumps(results))
    argv = ("--masks", str(files["pred_folder"]), "--data-dir", data)
    assert run_cli(capsys, "panoptic-predictions", "p", str(without), "--model", "n", *argv)[0] == 0
    (files["pred_folder"] / "000000000001.png").unlink()
    code, out = run_cli(
        capsys, "panoptic-predictions", "p", str(files["pred_json"]), "--model", "m2", *argv
    )
    assert code == 0, out
    assert out["masks"] == 3 and out["unmatched"] == 0
    (warning,) = out["warnings"]
    assert (warning["code"], warning["count"]) == ("panoptic_png_missing", 1)
    assert warning["examples"] == ["annotations[1]: 000000000001.png"]
    assert str(files["pred_folder"].resolve()) in warning["message"]
    scores = {}
    for name in ("n", "m2"):
        code, out = run_cli(capsys, "evaluate", "p", "--model", name, "--data-dir", data)
        assert code == 0 and out["panoptic"]["images"] == 3 and out["panoptic"]["missing"] == 1
        scores[name] = {k: v for k, v in out["panoptic"].items() if k != "model"}
    assert scores["m2"] == scores["n"]


def test_no_predicted_png_found_names_the_folder_searched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --masks folder holding none of the model's PNGs is a wrong folder: refused naming
    it, the model's earlier results kept."""
    files, model = ingested_panoptic(capsys, tmp_path, 3, seed=6)
    before = run_cli(capsys, "evaluate", "p", *model)[1]["panoptic"]
    wrong = ("--masks", str(files["images"]), *model)
    code, out = run_cli(capsys, "panoptic-predictions", "p", str(files["pred_json"]), *wrong)
    assert code == 1 and "Traceback" not in out["stderr"], out
    assert f"none of its 3 PNGs is in {files['images'].resolve()}" in out["stderr"]
    assert run_cli(capsys, "evaluate", "p", *model)[1]["panoptic"] == before


@pytest.mark.parametrize("wrong", ["folder", "names"])
def test_no_ground_truth_png_found_names_the_folder_searched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], wrong: str
) -> None:
    """Every PNG missing is a wrong folder (or PNGs named otherwise), not a missing file:
    refused, naming the folder, with nothing written."""
    files, data = _edited(tmp_path, "gt_json", lambda d: None)
    searched = files["images"] if wrong == "folder" else files["gt_folder"]
    if wrong == "names":
        for png in files["gt_folder"].glob("*.png"):
            png.rename(png.with_name("x" + png.name))
    code, out = run_cli(
        capsys, "panoptic-ingest", str(files["gt_json"]), "--name", "pan",
        "--masks", str(searched), "--images", str(files["images"]), "--data-dir", data,
    )  # fmt: skip
    assert code == 1 and "Traceback" not in out["stderr"], out
    assert f"none of its 3 PNGs is in {searched.resolve()}" in out["stderr"]
    assert "--masks" in out["stderr"]
    assert run_cli(capsys, "datasets", "--data-dir", data)[1]["datasets"] == []


def test_image_ids_written_as_text_find_their_images(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def as_text(d: dict[str, Any]) -> None:
        for ann in d["annotations"]:
            ann["image_id"] = str(ann["image_id"])

    files, data = _edited(tmp_path, "gt_json", as_text)
    code, out = _ingest(capsys, files, data)
    assert code == 0 and out["samples"] == 3 and out["panoptic"]["masks"] == 3


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["annotations"][0]["segments_info"][0].pop("category_id"),
            "annotations[0].segments_info[0] has no 'category_id'",
        ),
        (
            lambda d: d["annotations"][1]["segments_info"][0].update(id="x"),
            "annotations[1].segments_info[0]: 'id' is 'x', not an integer",
        ),
        (lambda d: d["annotations"][2].pop("file_name"), "annotations[2] has no 'file_name'"),
    ],
)
def test_a_malformed_result_is_one_line_at_predictions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, message: str
) -> None:
    files, data = _edited(tmp_path, "pred_json", edit)
    assert _ingest(capsys, files, data)[0] == 0
    code, out = run_cli(
        capsys, "panoptic-predictions", "pan", str(files["pred_json"]), "--model", "m",
        "--data-dir", data,
    )  # fmt: skip
    assert code == 1 and message in out["stderr"] and "Traceback" not in out["stderr"]


def _twice(d: dict[str, Any]) -> None:
    """A second annotation of image 1 (another tool's export of it, say)."""
    d["annotations"].append({**d["annotations"][1], "file_name": "000000000002.png"})


def test_two_annotations_of_one_image_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files, data = _edited(tmp_path, "gt_json", _twice)
    code, out = _ingest(capsys, files, data)
    assert code == 1, out
    assert (
        "annotations[1] (000000000001.png) and annotations[3] (000000000002.png) are both "
        "for image 000000000001.jpg" in out["stderr"]
    )
    assert run_cli(capsys, "datasets", "--data-dir", data)[1]["datasets"] == []
    for key, edit in (("gt_json", lambda d: d["annotations"].pop()), ("pred_json", _twice)):
        data = json.loads(files[key].read_text())
        edit(data)
        files[key].write_text(json.dumps(data))
    assert _ingest(capsys, files, str(tmp_path / "data2"))[0] == 0
    code, out = run_cli(
        capsys, "panoptic-predictions", "pan", str(files["pred_json"]), "--model", "m",
        "--data-dir", str(tmp_path / "data2"),
    )  # fmt: skip
    assert code == 1 and "are both for image 000000000001.jpg" in out["stderr"]


def test_pngs_only_of_annotations_of_no_image_are_no_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The one PNG there is an annotation's whose image_id is none of the images: no image
    would keep a mask, so the ingest is refused naming the folder, not an empty dataset."""
    files, data = _edited(tmp_path, "gt_json", lambda d: d["annotations"][0].update(image_id=77))
    for name in ("000000000001.png", "000000000002.png"):
        (files["gt_folder"] / name).unlink()
    code, out = _ingest(capsys, files, data)
    assert code == 1 and "Traceback" not in out["stderr"], out
    assert f"no annotated image has its PNG in {files['gt_folder'].resolve()}" in out["stderr"]
    assert run_cli(capsys, "datasets", "--data-dir", data)[1]["datasets"] == []
