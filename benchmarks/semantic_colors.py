"""The colour path of ``bench_evaluate_semantic.py --masks`` (issue #53): the same label
maps as index PNGs (VOC palette PNGs) and as a CVAT "Segmentation mask 1.1" export
(``labelmap.txt`` + RGB ``SegmentationClass`` PNGs painted in VOC's colours, the void border
in (224,224,192); the predictions painted too, as a model's painted output), each ingested
and evaluated end to end, beside torchmetrics on the index arrays in the same rounds.

Per round and mask kind (a fresh catalog each): ``visionlens semantic-ingest`` and
``visionlens semantic-predictions`` (whole processes, interpreter start included),
``evaluate_semantic(boundary=False)`` in this process, ``visionlens evaluate --json`` (whole
process, boundary IoU included). The kinds' results must be equal, in process and from the
CLI (every field but the model's source folder), and within 1e-6 of torchmetrics'.

A micro figure beside them: ``read_label_map`` alone, per mask, on one mask saved as a
palette PNG, an RGB PNG and an opaque RGBA PNG (with the table the CVAT source reads
through), and Pillow's decoding alone of each file (what the lookup adds is the difference).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from harness import checked, cli_command, run_process, summary
from PIL import Image

from visionlens_jlab.semantic.classes import VOC_CLASSES, voc_colors
from visionlens_jlab.semantic.label_maps import VOID_COLOR, color_table, read_label_map

KINDS = ("index", "rgb")
STEPS = (
    "semantic-ingest (CLI)",
    "semantic-predictions (CLI)",
    "evaluate in process",
    "evaluate (CLI, boundary IoU)",
)
MICRO = 200
"""Masks the micro figure reads per round (each once)."""


def painted(index: np.ndarray) -> np.ndarray:
    """``index`` painted in VOC's colours, 255 in the void colour (as CVAT paints it)."""
    colors = np.asarray(voc_colors(256), dtype=np.uint8)
    colors[255] = VOID_COLOR
    return colors[index]


def write_cvat(voc: Path, preds: Path, folder: Path) -> tuple[Path, Path]:
    """The VOC dataset ``voc`` and predictions ``preds`` (palette PNGs) written again as a
    CVAT export and painted predictions under ``folder`` (kept between runs)."""
    cvat, painted_preds = folder / "cvat", folder / "preds"
    if (folder / "done").exists():
        return cvat, painted_preds
    (cvat / "ImageSets" / "Segmentation").mkdir(parents=True, exist_ok=True)
    colors = voc_colors(len(VOC_CLASSES))
    lines = [f"{n}:{','.join(map(str, c))}::" for n, c in zip(VOC_CLASSES, colors, strict=True)]
    (cvat / "labelmap.txt").write_text(
        "# label:color_rgb:parts:actions\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    masks = sorted((voc / "SegmentationClass").glob("*.png"))
    (cvat / "ImageSets" / "Segmentation" / "default.txt").write_text(
        "\n".join(m.stem for m in masks) + "\n", encoding="utf-8"
    )
    shutil.copytree(voc / "JPEGImages", cvat / "JPEGImages", dirs_exist_ok=True)
    for out in (cvat / "SegmentationClass", painted_preds):
        out.mkdir(parents=True, exist_ok=True)
    for mask in masks:
        for src, out in ((mask, cvat / "SegmentationClass"), (preds / mask.name, painted_preds)):
            pixels = painted(np.asarray(Image.open(src)))
            Image.fromarray(pixels, mode="RGB").save(out / mask.name)
    (folder / "done").touch()
    return cvat, painted_preds


def run_kind(source: Path, preds: Path) -> tuple[dict[str, float], dict[str, Any]]:
    """One round of one mask kind in a fresh catalog: each step's seconds, and the
    in-process and CLI results."""
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.semantic.evaluate import evaluate_semantic

    data = Path(tempfile.mkdtemp(prefix="vl-semantic-colors-"))
    at = ("--data-dir", str(data), "--json")
    times = {}
    for step, argv in (
        (STEPS[0], ("semantic-ingest", str(source), "--name", "bench")),
        (STEPS[1], ("semantic-predictions", "bench", str(preds), "--model", "model")),
    ):
        times[step] = checked(run_process(cli_command(*argv, *at)), step).wall_s
    catalog = Catalog(data)
    t0 = time.perf_counter()
    inside = evaluate_semantic(catalog, "bench", "model", boundary=False)["semantic"]
    times[STEPS[2]] = time.perf_counter() - t0
    catalog.close()
    run = checked(run_process(cli_command("evaluate", "bench", "--model", "model", *at)), "cli")
    times[STEPS[3]] = run.wall_s
    shutil.rmtree(data, ignore_errors=True)
    return times, {"in process": inside, "CLI": json.loads(run.stdout)["semantic"]}


def comparable(result: dict[str, Any]) -> str:
    """``result`` as canonical JSON, without what names the model's folder."""
    return json.dumps({k: v for k, v in result.items() if k not in {"source"}}, sort_keys=True)


def micro(index_png: list[Path], rounds: int) -> list[list[str]]:
    """Rows of ``read_label_map`` per mask (ms) on palette, RGB and RGBA copies of
    ``index_png``, and of Pillow's decoding alone of the same files."""
    folder = Path(tempfile.mkdtemp(prefix="vl-semantic-micro-"))
    table = color_table(voc_colors(len(VOC_CLASSES)))
    files: dict[str, list[str]] = {"index": [str(p) for p in index_png], "rgb": [], "rgba": []}
    for i, path in enumerate(index_png):
        rgb = painted(np.asarray(Image.open(path)))
        rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
        for kind, pixels, mode in (("rgb", rgb, "RGB"), ("rgba", rgba, "RGBA")):
            files[kind].append(str(folder / f"{i}_{kind}.png"))
            Image.fromarray(pixels, mode=mode).save(files[kind][-1])
    for kind in ("rgb", "rgba"):
        for a, b in zip(files["index"], files[kind], strict=True):
            if not np.array_equal(read_label_map(a), read_label_map(b, colors=table)):
                raise SystemExit(f"{b} reads otherwise than {a}")
    readers: dict[str, Callable[[str], object]] = {
        "decode only (Pillow, np.asarray)": lambda p: np.asarray(Image.open(p)),
        "read_label_map": lambda p: read_label_map(p, colors=table),
    }
    for paths in files.values():  # warm the page cache: every kind's files read alike
        for p in paths:
            Path(p).read_bytes()
    rows = []
    for what, read in readers.items():
        for kind, paths in files.items():
            per_mask = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                for p in paths:
                    read(p)
                per_mask.append((time.perf_counter() - t0) / len(paths) * 1000)
            rows.append([kind, what, summary(per_mask).fmt(2)])
    shutil.rmtree(folder, ignore_errors=True)
    return rows
