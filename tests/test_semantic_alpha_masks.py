"""Masks with an alpha channel: RGBA colour masks as GIMP, Label Studio's brush PNGs and
Pillow's saving of a 4-channel array write them, LA (grey + alpha) index masks, palette
PNGs with a ``tRNS`` transparency. An opaque one reads as the same mask without its alpha
wherever masks are read (the ingest's checks, a model's masks, the evaluation and each
image's IoU, the overlay, label quality); one with a translucent pixel is refused naming the
file, how many pixels and the fix, nothing written."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.semantic.overlay import overlay_png
from visionlens_jlab.semantic.records import mask_layout

from .semantic_fixtures import noisy, run_cli, save_grey, write_voc


def _with_alpha(png: Path, mode: str) -> None:
    """Save ``png`` again as ``mode`` (RGBA or LA), every pixel opaque."""
    with Image.open(png) as image:
        flat = image.convert("RGB" if mode == "RGBA" else "L") if image.mode == "P" else image
        if mode == "RGBA" and flat.mode == "L":
            raise AssertionError("an index mask is not painted")
        flat.convert(mode).save(png)


def _datasets(capsys: pytest.CaptureFixture[str], data: str) -> list[str]:
    return [d["name"] for d in run_cli(capsys, "datasets", "--data-dir", data)[1]["datasets"]]


def _per_image_iou(catalog: Catalog) -> list[tuple[str, float]]:
    with catalog.cursor() as cur:
        return cur.execute(
            "SELECT s.file_name, c.num FROM computed_values c JOIN samples s "
            "USING (dataset_id, sample_id) WHERE c.dataset_id = ? AND c.field = 'semantic_miou' "
            "ORDER BY 1",
            [catalog.dataset_id(cur, "v")],
        ).fetchall()


@pytest.fixture
def voc_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """One VOC dataset and a model's masks, ingested as palette PNGs and as opaque RGBA
    PNGs in the palette's colours (ground truth and model), each evaluated."""
    out: dict[str, Any] = {}
    for name in ("palette", "rgba"):
        voc, preds, _, _ = write_voc(tmp_path / name, 6, seed=11)
        if name == "rgba":
            for png in [*(voc / "SegmentationClass").glob("*.png"), *preds.glob("*.png")]:
                _with_alpha(png, "RGBA")
        data = str(tmp_path / name / "data")
        code, ingest = run_cli(
            capsys, "semantic-ingest", str(voc), "--name", "v", "--data-dir", data
        )
        assert code == 0, ingest
        args = ("--model", "net", "--data-dir", data)
        code, pred = run_cli(capsys, "semantic-predictions", "v", str(preds), *args)
        assert code == 0 and pred["masks"] == 6, pred
        code, report = run_cli(capsys, "evaluate", "v", "--model", "net", "--data-dir", data)
        assert code == 0, report
        out[name] = {"data": data, "voc": voc, "preds": preds, "report": report["semantic"]}
    return out


def test_opaque_rgba_masks_evaluate_as_their_palette_pngs(voc_twice: dict[str, Any]) -> None:
    rgba, palette = voc_twice["rgba"], voc_twice["palette"]
    with Image.open(next((rgba["voc"] / "SegmentationClass").glob("*.png"))) as image:
        assert image.mode == "RGBA"
    assert rgba["report"] == palette["report"]
    catalogs = {name: Catalog(Path(voc_twice[name]["data"])) for name in ("rgba", "palette")}
    try:
        # a model's RGBA masks are painted ones: the layout every reader reads them by
        assert mask_layout(catalogs["rgba"], "v", "net") == "predictions-rgb"
        ious = {name: _per_image_iou(c) for name, c in catalogs.items()}
        overlays: dict[str, list[np.ndarray]] = {}
        assert len(ious["rgba"]) == 6 and ious["rgba"] == ious["palette"]
        for catalog in catalogs.values():
            with catalog.cursor() as cur:  # the same samples in the same order in both
                ids = [
                    r[0] for r in cur.execute("SELECT sample_id FROM samples ORDER BY 1").fetchall()
                ]
            for source in ("ground_truth", "net"):
                shown = np.asarray(
                    Image.open(io.BytesIO(overlay_png(catalog, "v", ids[1], source)))
                )
                overlays.setdefault(source, []).append(shown)
        for source, (ours, theirs) in overlays.items():
            assert ours.any() and np.array_equal(ours, theirs), source
        from visionlens_jlab.label_quality.semantic_masks import run_semantic_label_quality

        runs = [run_semantic_label_quality(c, "v", "net") for c in catalogs.values()]
        assert runs[0]["images"] == runs[1]["images"] and runs[0]["regions"] == runs[1]["regions"]
    finally:
        for catalog in catalogs.values():
            catalog.close()


def test_a_translucent_rgba_mask_is_refused_naming_file_count_and_fix(
    voc_twice: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voc = voc_twice["rgba"]["voc"]
    first = sorted((voc / "SegmentationClass").glob("*.png"))[2]
    pixels = np.asarray(Image.open(first)).copy()
    pixels[0, :3, 3] = 0  # erased with a soft brush: transparent, and one half so
    pixels[5, 5, 3] = 128
    Image.fromarray(pixels, mode="RGBA").save(first)
    data = str(tmp_path / "fresh")
    code, out = run_cli(capsys, "semantic-ingest", str(voc), "--name", "v", "--data-dir", data)
    assert code != 0 and "Traceback" not in out["stderr"]
    assert (
        f"{first.name}: 4 of {pixels.shape[0] * pixels.shape[1]} pixels are translucent"
        in (out["stderr"])
    )
    assert "flatten the image (remove its alpha channel) or save the mask as RGB" in out["stderr"]
    assert _datasets(capsys, data) == []
    pixels[..., 3] = 255  # the mask as ingested before, which the evaluation reads again
    Image.fromarray(pixels, mode="RGBA").save(first)
    # a model's translucent mask: refused, its earlier masks kept
    data = voc_twice["rgba"]["data"]
    preds = voc_twice["rgba"]["preds"]
    soft = tmp_path / "soft"
    soft.mkdir()
    for png in preds.glob("*.png"):
        pixels = np.asarray(Image.open(png)).copy()
        pixels[1, 1, 3] = 254
        Image.fromarray(pixels, mode="RGBA").save(soft / png.name)
    args = ("--model", "net", "--data-dir", data)
    code, out = run_cli(capsys, "semantic-predictions", "v", str(soft), *args)
    assert code == 1 and "1 of" in out["stderr"] and "translucent" in out["stderr"]
    code, out = run_cli(capsys, "evaluate", "v", "--model", "net", "--data-dir", data)
    assert code == 0 and out["semantic"] == voc_twice["rgba"]["report"]


def test_an_opaque_rgba_mask_of_a_layout_without_colours_is_refused_as_rgb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, data = tmp_path / "set", str(tmp_path / "data")
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "classes.txt").write_text("bg\ncar\n")
    Image.new("RGB", (4, 3)).save(root / "images" / "a.jpg")
    # in a colour: a grey one (equal channels) is its grey values (test_semantic_grey_rgb_masks)
    Image.new("RGBA", (4, 3), (250, 50, 83, 255)).save(root / "masks" / "a.png")
    code, out = run_cli(capsys, "semantic-ingest", str(root), "--name", "s", "--data-dir", data)
    assert code != 0 and "a.png: a RGBA image, not a label map" in out["stderr"]
    assert "RGB masks painted in the classes' colours are read for a VOC layout" in out["stderr"]


def test_la_and_transparent_palette_masks_are_their_indices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An opaque LA mask is its grey channel; a palette PNG whose background index is
    transparent (``tRNS``) is its indices, the transparency no part of them; both evaluate
    as the same masks saved grey. A translucent LA mask is refused as an RGBA one is."""
    rng = np.random.default_rng(3)
    gts = [rng.integers(0, 3, (12, 16)).astype(np.uint8) for _ in range(4)]
    preds = [noisy(rng, gt, 3, 0.3) for gt in gts]
    reports = {}
    for name in ("grey", "alpha"):
        root = tmp_path / name
        (root / "images").mkdir(parents=True)
        (root / "classes.txt").write_text("bg\ncar\nsky\n")
        for i, (gt, pred) in enumerate(zip(gts, preds, strict=True)):
            Image.new("RGB", (16, 12)).save(root / "images" / f"{i}.jpg")
            for array, path in ((gt, root / "masks" / f"{i}.png"), (pred, root / f"preds/{i}.png")):
                save_grey(array, path)
                if name == "alpha" and i % 2:
                    opaque = np.full_like(array, 255)
                    Image.fromarray(np.stack([array, opaque], -1), mode="LA").save(path)
                elif name == "alpha":
                    palette = Image.fromarray(array, mode="P")
                    palette.putpalette([0, 0, 0, 250, 50, 83, 0, 0, 255])
                    palette.save(path, transparency=0)
        data = str(root / "data")
        assert (
            run_cli(capsys, "semantic-ingest", str(root), "--name", "v", "--data-dir", data)[0] == 0
        )
        args = ("--model", "net", "--indices", "--data-dir", data)
        assert run_cli(capsys, "semantic-predictions", "v", str(root / "preds"), *args)[0] == 0
        code, out = run_cli(capsys, "evaluate", "v", "--model", "net", "--data-dir", data)
        assert code == 0, out
        reports[name] = out["semantic"]
    with (
        Image.open(tmp_path / "alpha" / "masks" / "1.png") as la,
        Image.open(tmp_path / "alpha" / "masks" / "0.png") as palette,
    ):
        assert la.mode == "LA" and palette.mode == "P" and palette.info["transparency"] == 0
    assert reports["alpha"] == reports["grey"]
    assert reports["alpha"]["pixel_accuracy"] < 1.0
    translucent = tmp_path / "alpha" / "masks" / "1.png"
    alpha = np.full_like(gts[1], 255)
    alpha[0, 0] = 0
    Image.fromarray(np.stack([gts[1], alpha], -1), mode="LA").save(translucent)
    data = str(tmp_path / "refused")
    code, out = run_cli(
        capsys, "semantic-ingest", str(tmp_path / "alpha"), "--name", "v", "--data-dir", data
    )
    assert code != 0 and "1.png: 1 of 192 pixels are translucent" in out["stderr"]
    assert "save the mask as single-channel grey (L)" in out["stderr"]
    assert _datasets(capsys, data) == []
