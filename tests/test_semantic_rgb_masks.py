"""RGB class masks painted in the dataset's colours: CVAT's "Segmentation mask 1.1" export
(``labelmap.txt`` + ``SegmentationClass`` RGB PNGs, as CVAT lays it out) and a VOC dataset
whose masks were saved again as RGB. Each is evaluated as the same masks saved as PNGs of
class indices are, and as torchmetrics evaluates the index arrays; a colour of no class is
refused at ingest, naming the file and the colours, before anything is written."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from torchmetrics.classification import MulticlassConfusionMatrix, MulticlassJaccardIndex

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.semantic.overlay import overlay_png

from .semantic_fixtures import noisy, run_cli, save_grey

LABELS = (
    ("background", (0, 0, 0)),
    ("car", (250, 50, 83)),
    ("person", (61, 245, 61)),
    ("road", (128, 64, 128)),
    ("tree", (255, 204, 51)),
)
"""A CVAT task's labels: background at CVAT's black, the others CVAT's arbitrary colours."""
HEIGHT, WIDTH, IMAGES = 40, 56, 6


def _paint(index: np.ndarray, colors: list[tuple[int, int, int]]) -> np.ndarray:
    """``index``'s pixels in ``colors[value]`` (the test's own painting, as CVAT's)."""
    table = np.asarray(colors, dtype=np.uint8)
    return table[index]


def _save_rgb(pixels: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, mode="RGB").save(path)


def _write_cvat(root: Path, gts: list[np.ndarray]) -> Path:
    """``gts`` as CVAT exports them with "Save images": labelmap.txt, the subset list, RGB
    SegmentationClass PNGs, instance-coloured SegmentationObject PNGs, JPEGImages."""
    cvat = root / "cvat"
    (cvat / "ImageSets" / "Segmentation").mkdir(parents=True)
    lines = [f"{name}:{','.join(map(str, rgb))}::" for name, rgb in LABELS]
    (cvat / "labelmap.txt").write_text(
        "# label:color_rgb:parts:actions\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    names = [f"frame_{i:06d}" for i in range(len(gts))]
    (cvat / "ImageSets" / "Segmentation" / "default.txt").write_text(
        "\n".join(names) + "\n", encoding="utf-8"
    )
    colors = [rgb for _, rgb in LABELS]
    for name, gt in zip(names, gts, strict=True):
        _save_rgb(_paint(gt, colors), cvat / "SegmentationClass" / f"{name}.png")
        instances = _paint((gt > 0).astype(np.uint8), [(0, 0, 0), (128, 0, 0)])
        _save_rgb(instances, cvat / "SegmentationObject" / f"{name}.png")
        (cvat / "JPEGImages").mkdir(exist_ok=True)
        Image.new("RGB", (WIDTH, HEIGHT), (90, 90, 90)).save(cvat / "JPEGImages" / f"{name}.jpg")
    return cvat


def _write_indexed(root: Path, gts: list[np.ndarray]) -> Path:
    """The same masks as PNGs of class indices, in the ``masks`` layout."""
    plain = root / "plain"
    (plain / "classes.txt").parent.mkdir(parents=True)
    (plain / "classes.txt").write_text("\n".join(n for n, _ in LABELS) + "\n", encoding="utf-8")
    for i, gt in enumerate(gts):
        (plain / "images").mkdir(exist_ok=True)
        name = f"frame_{i:06d}"
        Image.new("RGB", (WIDTH, HEIGHT), (90, 90, 90)).save(plain / "images" / f"{name}.jpg")
        save_grey(gt, plain / "masks" / f"{name}.png")
    return plain


@pytest.fixture
def painted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """One random set of index arrays, ingested twice (CVAT RGB export, index PNGs), with
    one model's predictions painted for the first and as indices for the second."""
    rng = np.random.default_rng(7)
    count = len(LABELS)
    gts = [rng.integers(0, count, (HEIGHT, WIDTH)).astype(np.uint8) for _ in range(IMAGES)]
    for gt in gts:  # blocks, so the classes have areas as well as noise
        y, x = int(rng.integers(0, HEIGHT - 10)), int(rng.integers(0, WIDTH - 10))
        gt[y : y + 10, x : x + 10] = int(rng.integers(1, count))
    preds = [noisy(rng, gt, count, 0.3) for gt in gts]
    colors = [rgb for _, rgb in LABELS]
    for i, pred in enumerate(preds):
        _save_rgb(_paint(pred, colors), tmp_path / "preds_rgb" / f"frame_{i:06d}.png")
        save_grey(pred, tmp_path / "preds_index" / f"frame_{i:06d}.png")
    cvat, plain = _write_cvat(tmp_path, gts), _write_indexed(tmp_path, gts)
    data = str(tmp_path / "data")
    reports = {}
    for name, folder, preds_at, extra in (
        ("rgb", cvat, "preds_rgb", []),
        ("index", plain, "preds_index", ["--indices"]),
    ):
        code, out = run_cli(
            capsys, "semantic-ingest", str(folder), "--name", name, "--data-dir", data
        )
        assert code == 0, out
        reports[f"{name}_ingest"] = out
        code, out = run_cli(
            capsys, "semantic-predictions", name, str(tmp_path / preds_at), "--model", "net",
            *extra, "--data-dir", data,
        )  # fmt: skip
        assert code == 0 and out["masks"] == IMAGES, out
        code, out = run_cli(capsys, "evaluate", name, "--model", "net", "--data-dir", data)
        assert code == 0, out
        reports[name] = out["semantic"]
    return {"gts": gts, "preds": preds, "data": data, "tmp": tmp_path, **reports}


def test_a_cvat_export_is_detected_and_read_by_its_labelmaps_colours(
    painted: dict[str, Any],
) -> None:
    assert painted["rgb_ingest"]["semantic"]["layout"] == "cvat"
    assert painted["rgb_ingest"]["semantic"]["masks"] == IMAGES
    assert painted["rgb_ingest"]["semantic"]["classes"] == len(LABELS)


def test_rgb_masks_evaluate_as_their_index_pngs_and_as_torchmetrics(
    painted: dict[str, Any],
) -> None:
    rgb, index = painted["rgb"], painted["index"]
    for key in ("mIoU", "fwIoU", "pixel_accuracy", "mean_accuracy", "boundary_iou"):
        assert rgb[key] == index[key], key
    assert rgb["confusion_matrix"] == index["confusion_matrix"]
    assert rgb["per_class"] == index["per_class"]
    target = torch.from_numpy(np.stack(painted["gts"]).astype(np.int64))
    pred = torch.from_numpy(np.stack(painted["preds"]).astype(np.int64))
    count = len(LABELS)
    matrix = MulticlassConfusionMatrix(num_classes=count)(pred, target).numpy()
    assert np.array_equal(np.asarray(rgb["confusion_matrix"]), matrix)
    per = MulticlassJaccardIndex(num_classes=count, average="none")(pred, target).numpy()
    for i, (name, _) in enumerate(LABELS):
        assert rgb["per_class"][name]["iou"] == pytest.approx(float(per[i]), abs=1e-6)
    macro = MulticlassJaccardIndex(num_classes=count, average="macro")(pred, target).item()
    assert rgb["mIoU"] == pytest.approx(macro, abs=1e-6)


def test_each_images_iou_field_is_the_index_datasets(painted: dict[str, Any]) -> None:
    catalog = Catalog(Path(painted["data"]), read_only=True)
    try:
        with catalog.cursor() as cur:
            by_dataset = {
                name: cur.execute(
                    "SELECT regexp_extract(s.file_name, 'frame_[0-9]+'), c.num "
                    "FROM computed_values c JOIN samples s USING (dataset_id, sample_id) "
                    "WHERE c.dataset_id = ? AND c.field = 'semantic_miou' ORDER BY 1",
                    [catalog.dataset_id(cur, name)],
                ).fetchall()
                for name in ("rgb", "index")
            }
    finally:
        catalog.close()
    assert len(by_dataset["rgb"]) == IMAGES
    assert by_dataset["rgb"] == by_dataset["index"]


def test_the_overlay_paints_an_rgb_masks_classes_in_their_colours(
    painted: dict[str, Any],
) -> None:
    catalog = Catalog(Path(painted["data"]), read_only=True)
    try:
        with catalog.cursor() as cur:
            ((sample_id,),) = cur.execute(
                "SELECT sample_id FROM samples WHERE dataset_id = ? AND file_name LIKE "
                "'%frame_000002.jpg'",
                [catalog.dataset_id(cur, "rgb")],
            ).fetchall()
        shown = {
            source: np.asarray(
                Image.open(io.BytesIO(overlay_png(catalog, "rgb", sample_id, source)))
            )
            for source in ("ground_truth", "net")
        }
    finally:
        catalog.close()
    for source, labels in (("ground_truth", painted["gts"][2]), ("net", painted["preds"][2])):
        expected = np.zeros((*labels.shape, 4), np.uint8)
        for i, (_, rgb) in enumerate(LABELS[1:], start=1):  # background: transparent
            expected[labels == i] = (*rgb, 255)
        assert np.array_equal(shown[source], expected), source


def test_label_quality_reads_rgb_masks_as_their_index_pngs(painted: dict[str, Any]) -> None:
    """Scores and regions, and a region's pixels found again in the ground truth (the
    region view's), are those of the index dataset."""
    from visionlens_jlab.label_quality.region_pages import region_pixels
    from visionlens_jlab.label_quality.semantic_masks import run_semantic_label_quality

    catalog = Catalog(Path(painted["data"]))
    try:
        runs = {name: run_semantic_label_quality(catalog, name, "net") for name in ("rgb", "index")}
        names = {}
        for name in ("rgb", "index"):
            with catalog.cursor() as cur:
                names[name] = dict(
                    cur.execute(
                        "SELECT sample_id, regexp_extract(file_name, 'frame_[0-9]+') FROM samples "
                        "WHERE dataset_id = ?",
                        [catalog.dataset_id(cur, name)],
                    ).fetchall()
                )

        def keyed(name: str, key: str) -> list[dict[str, Any]]:
            return [{**r, "sample_id": names[name][r["sample_id"]]} for r in runs[name][key]]

        assert keyed("rgb", "images") == keyed("index", "images")
        assert keyed("rgb", "regions") == keyed("index", "regions")
        assert runs["rgb"]["regions"], "the scene has flagged regions to compare"
        first = runs["rgb"]["regions"][0]
        found = region_pixels(catalog, "rgb", first["sample_id"], first)
        twin = next(r for r in runs["index"]["regions"] if r == {**first, "sample_id": r["sample_id"]}
                    and names["index"][r["sample_id"]] == names["rgb"][first["sample_id"]])  # fmt: skip
        expected = region_pixels(catalog, "index", twin["sample_id"], twin)
        assert found is not None and expected is not None
        assert found[:2] == expected[:2] and np.array_equal(found[2], expected[2])
    finally:
        catalog.close()
