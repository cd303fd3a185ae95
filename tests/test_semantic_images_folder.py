"""``semantic-ingest --images DIR``: the images in a folder apart from the masks (ADE20K's
annotations kept apart from its images, Cityscapes' leftImg8bit elsewhere, a masks folder
exported without the images, a CVAT export without "Save images"). An image is the file
below DIR at its mask's path without the extension; what pairs with nothing is reported as
without it; the REST route takes the same folder, checked against the allowed roots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from visionlens_jlab.catalog import Catalog

from .ingest_fixtures import allowed_settings, queued_job
from .semantic_fixtures import run_cli, save_grey


@pytest.fixture
def vl_settings(tmp_path: Path, jp_root_dir: Path) -> dict[str, Any]:
    return allowed_settings(tmp_path, jp_root_dir)


def _mask(value: int) -> np.ndarray:
    mask = np.zeros((6, 8), np.uint8)
    mask[2:, 3:] = value
    return mask


def _image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 6), (40, 80, 120)).save(path)


def _samples(data: str, name: str) -> tuple[str, list[tuple[str, str | None]]]:
    with Catalog(Path(data), read_only=True) as catalog, catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, name)
        ((media_root,),) = cur.execute(
            "SELECT media_root FROM datasets WHERE dataset_id = ?", [dataset_id]
        ).fetchall()
        rows = cur.execute(
            "SELECT file_name, split FROM samples WHERE dataset_id = ? ORDER BY 1", [dataset_id]
        ).fetchall()
    return media_root, rows


def _warnings(out: dict[str, Any]) -> dict[str, list[str]]:
    return {w["code"]: w["examples"] for w in out["warnings"]}


def _ade_apart(tmp_path: Path) -> tuple[Path, Path]:
    """ADE20K-like annotations (with a mask of no image) and its images elsewhere (with an
    image of no mask), sub-folders alike on both sides."""
    ade, photos = tmp_path / "ade", tmp_path / "photos"
    (ade / "classes.txt").parent.mkdir(parents=True)
    (ade / "classes.txt").write_text("wall\nfloor\n")
    for split, stem in (("training", "x"), ("validation", "y"), ("training", "orphan")):
        save_grey(_mask(2), ade / "annotations" / split / f"{stem}.png")
    for split, stem in (("training", "x"), ("validation", "y"), ("validation", "extra")):
        _image(photos / split / f"{stem}.jpg")
    return ade, photos


def test_ade20k_annotations_with_images_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ade, photos = _ade_apart(tmp_path)
    data = str(tmp_path / "data")
    base = ("semantic-ingest", str(ade), "--name", "ade", "--classes", str(ade / "classes.txt"))
    code, out = run_cli(capsys, *base, "--data-dir", data)
    assert code != 0 and "give their folder with --images" in out["stderr"]
    code, out = run_cli(capsys, *base, "--images", str(photos), "--data-dir", data)
    assert code == 0, out
    assert out["semantic"]["layout"] == "ade20k" and out["semantic"]["masks"] == 2
    assert out["semantic"]["masks_without_image"] == out["semantic"]["images_without_mask"] == 1
    warnings = _warnings(out)
    assert warnings["semantic_mask_without_image"] == ["annotations/training/orphan.png"]
    assert warnings["semantic_image_without_mask"] == ["validation/extra.jpg"]
    media_root, rows = _samples(data, "ade")
    assert media_root == str(photos.resolve())
    assert rows == [("training/x.jpg", "training"), ("validation/y.jpg", "validation")]


def test_a_masks_folder_exported_without_its_images(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The source is the masks' folder itself (no masks/, no images/): its PNGs are the
    masks, matched below --images by their path; a model's masks evaluate against them."""
    labels, pics, preds = tmp_path / "labels", tmp_path / "pics", tmp_path / "preds"
    (labels / "classes.txt").parent.mkdir(parents=True)
    (labels / "classes.txt").write_text("bg\ncar\nsky\n")
    for key, value in (("a", 1), ("sub/b", 2)):
        save_grey(_mask(value), labels / f"{key}.png")
        _image(pics / f"{key}.jpg")
        save_grey(_mask(value), preds / f"{key}.png")
    _image(pics / "b.jpg")  # the same stem in another folder: not sub/b's image
    data = str(tmp_path / "data")
    code, out = run_cli(
        capsys, "semantic-ingest", str(labels), "--name", "m", "--images", str(pics),
        "--data-dir", data,
    )  # fmt: skip
    assert code == 0 and out["semantic"]["layout"] == "masks", out
    assert _warnings(out)["semantic_image_without_mask"] == ["b.jpg"]
    assert _samples(data, "m")[1] == [("a.jpg", None), ("sub/b.jpg", "sub")]
    args = ("--model", "net", "--indices", "--data-dir", data)
    assert run_cli(capsys, "semantic-predictions", "m", str(preds), *args)[0] == 0
    code, out = run_cli(capsys, "evaluate", "m", "--model", "net", "--data-dir", data)
    assert code == 0 and out["semantic"]["pixel_accuracy"] == 1.0, out
    # images inside the masks folder would be read as masks: refused, saying what to give
    code, out = run_cli(
        capsys, "semantic-ingest", str(tmp_path), "--name", "n", "--layout", "masks",
        "--classes", str(labels / "classes.txt"), "--images", str(pics), "--data-dir", data,
    )  # fmt: skip
    assert code != 0 and "is inside the masks folder" in out["stderr"]


def test_cityscapes_and_cvat_with_images_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    city, left = tmp_path / "city", tmp_path / "leftImg8bit"
    for split, stem in (("train", "aachen_000000_000019"), ("val", "lindau_000000_000019")):
        town = stem.split("_")[0]
        save_grey(_mask(7), city / "gtFine" / split / town / f"{stem}_gtFine_labelIds.png")
        _image(left / split / town / f"{stem}_leftImg8bit.png")
    data = str(tmp_path / "data")
    code, out = run_cli(
        capsys, "semantic-ingest", str(city), "--name", "c", "--images", str(left),
        "--data-dir", data,
    )  # fmt: skip
    assert code == 0 and out["semantic"]["layout"] == "cityscapes", out
    assert out["semantic"]["masks"] == 2 and out["semantic"]["images_without_mask"] == 0
    assert [split for _, split in _samples(data, "c")[1]] == ["train", "val"]

    cvat, frames = tmp_path / "cvat", tmp_path / "frames"
    (cvat / "labelmap.txt").parent.mkdir(parents=True)
    (cvat / "labelmap.txt").write_text("background:0,0,0::\ncar:250,50,83::\n")
    colors = np.asarray([(0, 0, 0), (250, 50, 83)], np.uint8)
    (cvat / "SegmentationClass").mkdir()
    Image.fromarray(colors[_mask(1)], mode="RGB").save(cvat / "SegmentationClass" / "f1.png")
    _image(frames / "f1.jpg")
    code, out = run_cli(capsys, "semantic-ingest", str(cvat), "--name", "v", "--data-dir", data)
    assert code != 0 and "or give their folder with --images" in out["stderr"]
    code, out = run_cli(
        capsys, "semantic-ingest", str(cvat), "--name", "v", "--images", str(frames),
        "--data-dir", data,
    )  # fmt: skip
    assert code == 0 and out["semantic"]["layout"] == "cvat" and out["semantic"]["masks"] == 1


def test_an_images_folder_that_is_not_one_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ade, _ = _ade_apart(tmp_path)
    code, out = run_cli(
        capsys, "semantic-ingest", str(ade), "--name", "a", "--images", str(tmp_path / "nope"),
        "--data-dir", str(tmp_path / "data"),
    )  # fmt: skip
    assert code != 0 and f"--images {tmp_path / 'nope'}: not a folder" in out["stderr"]


async def test_the_route_takes_the_images_folder_inside_the_allowed_roots(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    allowed = tmp_path / "allowed"
    ade, photos = _ade_apart(allowed)
    _, outside = _ade_apart(tmp_path / "outside")
    body = {"source": str(ade), "name": "ade", "classes": str(ade / "classes.txt")}
    status, answer = await api("POST", "semantic-datasets", {**body, "images": str(outside)})
    assert status == 403 and "outside the folders" in answer["message"]
    done = await queued_job(api, wait_job, "semantic-datasets", {**body, "images": str(photos)})
    assert done["status"] == "done", done
    assert done["result"]["semantic"]["masks"] == 2
    assert done["result"]["semantic"]["images_without_mask"] == 1
