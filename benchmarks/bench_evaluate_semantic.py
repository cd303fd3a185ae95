"""Benchmark: semantic segmentation evaluation, VisionLens vs torchmetrics on CPU, in one
process on the same PNG files.

Data (generated once per size, seeded, untimed): N pairs of 512x512 VOC-style palette PNG
masks (21 classes, a few rectangles on background, 255 void borders) and predictions (the
mask shifted a few pixels, 1% of the pixels set to random classes), a catalog holding the
dataset (``semantic-ingest``) and the model (``semantic-predictions``).

Cases, rounds interleaved in rotating order:

* ``visionlens``: ``evaluate_semantic(..., boundary=False)``: read the masks' rows from
  DuckDB, decode both PNGs of every image with Pillow in a thread pool, one bincount
  confusion matrix per image, the metrics, and the per-image mIoU written as a computed
  field;
* ``visionlens + boundary IoU``: the same with boundary IoU (four filters per image);
* ``visionlens CLI``: what a user runs, ``visionlens evaluate bench --model model --json`` in
  a fresh process (interpreter start, imports and opening the catalog included; boundary
  IoU included, as the CLI computes it), its wall time from spawn to exit;
* ``torchmetrics``: the reference: decode the same PNGs with Pillow one after another (as a
  data loader of one worker would) and ``update`` a ``MetricCollection`` of
  ``MulticlassJaccardIndex`` (macro, weighted, none), ``MulticlassAccuracy`` (micro, macro)
  and ``MulticlassConfusionMatrix`` (``ignore_index=255``, compute groups sharing their
  state, ``validate_args=False``: its fastest setting), then ``compute``.

* ``hotcoco``: Rust, mmsegmentation's protocol: ``SemanticEval(21).update_folders(gt, preds)``
  (its own PNG decoding; its mAcc is mmseg's, not compared).

mIoU, fwIoU, pixel and mean accuracy of every round are compared with torchmetrics'; the
benchmark exits with an error when any differs by more than 1e-6.

``--masks rgb`` measures the colour path instead (:mod:`semantic_colors`): the same masks as
index PNGs and as a CVAT export of RGB masks, ingested and evaluated end to end, beside
torchmetrics, and ``read_label_map`` alone on index, RGB and RGBA masks.

Usage: ``python benchmarks/bench_evaluate_semantic.py [--sizes 1000 10000] [--rounds 3]
[--cache DIR] [--masks index|rgb]``; appends to ``benchmarks/results/evaluate_semantic.md``
(``--masks rgb``: a section at its top).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))

from harness import (  # noqa: E402
    bench_lock,
    checked,
    cli_command,
    environment,
    header,
    load_average,
    ratios,
    run_process,
    summary,
    table,
    write_section,
)
from semantic_colors import KINDS, MICRO, STEPS, comparable, micro, run_kind, write_cvat  # noqa: E402

from tests.semantic_fixtures import blob_mask, noisy, save_palette  # noqa: E402
from visionlens_jlab import features  # noqa: E402
from visionlens_jlab.semantic.classes import VOC_CLASSES  # noqa: E402

SIZE = 512
C = len(VOC_CLASSES)
CLI = "visionlens CLI (`visionlens evaluate`, end to end, boundary IoU included)"
CASES = ("visionlens", "visionlens + boundary IoU", CLI, "torchmetrics", "hotcoco")
RESULTS = ROOT / "results" / "evaluate_semantic.md"


def make_data(folder: Path, n: int) -> tuple[Path, list[tuple[str, str]]]:
    """The dataset and predictions of ``n`` images under ``folder`` (kept between runs)."""
    voc, preds = folder / f"voc{n}", folder / f"preds{n}"
    done = folder / f"done{n}"
    rng = np.random.default_rng(n)
    pairs = []
    for i in range(n):
        stem = f"{i:06d}"
        pairs.append((str(voc / "SegmentationClass" / f"{stem}.png"), str(preds / f"{stem}.png")))
        if done.exists():
            continue
        if i == 0:
            (voc / "JPEGImages").mkdir(parents=True, exist_ok=True)
        # the image at the mask's size: the ingest refuses a mask sized otherwise
        Image.new("RGB", (SIZE, SIZE)).save(voc / "JPEGImages" / f"{stem}.jpg")
        mask = blob_mask(rng, SIZE, SIZE, C)
        save_palette(mask, voc / "SegmentationClass" / f"{stem}.png")
        save_palette(noisy(rng, mask, C, 0.01), preds / f"{stem}.png")
    done.touch()
    return voc, pairs


def torchmetrics_case(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """The reference: sequential Pillow decoding, a MetricCollection's updates, compute."""
    import torch
    from torchmetrics import MetricCollection
    from torchmetrics.classification import (
        MulticlassAccuracy,
        MulticlassConfusionMatrix,
        MulticlassJaccardIndex,
    )

    # validate_args off: its per-update checks (torch.unique of every mask) cost ~0.3 s of
    # a 512x512 image here, 4x the update itself; the reference runs at its fastest
    args: dict[str, Any] = {"num_classes": C, "ignore_index": 255, "validate_args": False}
    metrics = MetricCollection(
        {
            "mIoU": MulticlassJaccardIndex(**args, average="macro"),
            "fwIoU": MulticlassJaccardIndex(**args, average="weighted"),
            "per_class": MulticlassJaccardIndex(**args, average="none"),
            "pixel_accuracy": MulticlassAccuracy(**args, average="micro"),
            "mean_accuracy": MulticlassAccuracy(**args, average="macro"),
            "confusion": MulticlassConfusionMatrix(**args),
        },
        compute_groups=True,
    )
    for gt_at, pred_at in pairs:
        gt = torch.from_numpy(np.asarray(Image.open(gt_at)).astype(np.int64))
        pred = torch.from_numpy(np.asarray(Image.open(pred_at)).astype(np.int64))
        metrics.update(pred[None], gt[None])
    out = metrics.compute()
    return {k: float(out[k]) for k in ("mIoU", "fwIoU", "pixel_accuracy", "mean_accuracy")}


def hotcoco_case(voc: Path, preds: Path) -> dict[str, float]:
    """The Rust reference on the same folders (mIoU, fwIoU, pixel accuracy)."""
    from hotcoco import semantic

    ev = semantic.SemanticEval(C, ignore_index=255)
    ev.update_folders(str(voc / "SegmentationClass"), str(preds))
    m = ev.report()["metrics"]
    return {"mIoU": m["mIoU"], "fwIoU": m["fwIoU"], "pixel_accuracy": m["aAcc"]}


def cli_case(data: Path) -> tuple[float, dict[str, float]]:
    """``visionlens evaluate`` in a fresh process on the catalog in ``data`` (closed by the
    caller: DuckDB lets one process open it): its wall time and its metrics."""
    argv = cli_command("evaluate", "bench", "--model", "model", "--data-dir", str(data), "--json")
    run = checked(run_process(argv), "visionlens evaluate")
    return run.wall_s, json.loads(run.stdout)["semantic"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results file (appended)")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "vl-bench-semantic"
    )
    parser.add_argument(
        "--masks", choices=("index", "rgb"), default="index", help="rgb: the colour path"
    )
    opts = parser.parse_args()
    features.load()
    if opts.masks == "rgb":
        with bench_lock():
            colors_main(opts)
        return
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.semantic.evaluate import evaluate_semantic
    from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
    from visionlens_jlab.semantic.layouts import open_semantic

    with bench_lock():
        env, load_start = environment(), load_average()
        rows = []
        for n in opts.sizes:
            opts.cache.mkdir(parents=True, exist_ok=True)
            voc, pairs = make_data(opts.cache, n)
            data = Path(tempfile.mkdtemp(prefix="vl-semantic-"))
            catalog = Catalog(data)
            ingest_semantic(catalog, "bench", open_semantic(str(voc)))
            ingest_semantic_predictions(catalog, "bench", "model", str(opts.cache / f"preds{n}"))
            times: dict[str, list[float]] = {c: [] for c in CASES}
            worst = 0.0
            for r in range(opts.rounds):
                order = CASES[r % len(CASES) :] + CASES[: r % len(CASES)]
                found: dict[str, dict[str, Any]] = {}
                for case in order:
                    if case == CLI:
                        catalog.close()
                        wall, found[case] = cli_case(data)
                        times[case].append(wall)
                        catalog = Catalog(data)
                        continue
                    t0 = time.perf_counter()
                    if case == "torchmetrics":
                        found[case] = torchmetrics_case(pairs)
                    elif case == "hotcoco":
                        found[case] = hotcoco_case(voc, opts.cache / f"preds{n}")
                    else:
                        found[case] = evaluate_semantic(
                            catalog, "bench", "model", boundary=case != "visionlens"
                        )["semantic"]
                    times[case].append(time.perf_counter() - t0)
                for case in (*CASES[:3], "hotcoco"):
                    for key, value in found["torchmetrics"].items():
                        if key in found[case]:
                            worst = max(worst, abs(found[case][key] - value))
            catalog.close()
            if worst > 1e-6:
                raise SystemExit(f"{n} images: VisionLens differs from torchmetrics by {worst}")
            for case in CASES:
                speed = (
                    ratios(times["torchmetrics"], times[case]).fmt(1) + "x"
                    if case != "torchmetrics"
                    else "-"
                )
                rows.append([f"{n:,}", case, summary(times[case]).fmt(2), speed, f"{worst:.1e}"])
            print(rows[-len(CASES) :], flush=True)
        text = header("Semantic segmentation, 512x512 masks", env, load_start, load_average())
        text += (
            f"\n`python benchmarks/bench_evaluate_semantic.py --sizes {' '.join(map(str, opts.sizes))}"
            f" --rounds {opts.rounds}`; {opts.rounds} rounds, median (range) in seconds.\n\n"
        )
        text += table(
            [
                "images",
                "case",
                "seconds",
                "torchmetrics / case (paired)",
                "max abs diff of the 4 metrics vs torchmetrics",
            ],
            rows,
        )
        opts.out.parent.mkdir(parents=True, exist_ok=True)
        with opts.out.open("a", encoding="utf-8") as out:
            out.write(text + "\n")
        print(text)


def colors_main(opts: argparse.Namespace) -> None:
    """The colour path beside the index path and torchmetrics (:mod:`semantic_colors`)."""
    env, load_start = environment(), load_average()
    rows = []
    for n in opts.sizes:
        opts.cache.mkdir(parents=True, exist_ok=True)
        voc, pairs = make_data(opts.cache, n)
        sources = {
            "index": (voc, opts.cache / f"preds{n}"),
            "rgb": write_cvat(voc, opts.cache / f"preds{n}", opts.cache / f"cvat{n}"),
        }
        times: dict[str, list[float]] = {}
        worst = 0.0
        cases = (*KINDS, "torchmetrics")
        for r in range(opts.rounds):
            found: dict[str, dict[str, Any]] = {}
            for case in cases[r % len(cases) :] + cases[: r % len(cases)]:
                if case == "torchmetrics":
                    t0 = time.perf_counter()
                    reference = torchmetrics_case(pairs)
                    times.setdefault(case, []).append(time.perf_counter() - t0)
                    continue
                steps, found[case] = run_kind(*sources[case])
                for step, seconds in steps.items():
                    times.setdefault(f"{case}|{step}", []).append(seconds)
            for how in ("in process", "CLI"):
                if comparable(found["index"][how]) != comparable(found["rgb"][how]):
                    raise SystemExit(f"{n} images, round {r}: RGB {how} results differ from index")
                for key, value in reference.items():
                    worst = max(worst, abs(found["index"][how][key] - value))
        if worst > 1e-6:
            raise SystemExit(f"{n} images: VisionLens differs from torchmetrics by {worst}")
        for step in STEPS:
            index, rgb = times[f"index|{step}"], times[f"rgb|{step}"]
            rows.append(
                [f"{n:,}", step, summary(index).fmt(2), summary(rgb).fmt(2), ratios(rgb, index).fmt(2) + "x",
                 f"{(summary(rgb).median - summary(index).median) / n * 1000:+.2f}"]
            )  # fmt: skip
        rows.append([f"{n:,}", "torchmetrics (index arrays)", summary(times["torchmetrics"]).fmt(2),
                     "-", "-", "-"])  # fmt: skip
        print(rows[-len(STEPS) - 1 :], flush=True)
    masks = sorted((voc / "SegmentationClass").glob("*.png"))[:MICRO]
    micro_rows = micro(masks, opts.rounds)
    text = header("Semantic segmentation, index vs RGB masks", env, load_start, load_average())
    text += (
        f"\n`python benchmarks/bench_evaluate_semantic.py --masks rgb --sizes "
        f"{' '.join(map(str, opts.sizes))} --rounds {opts.rounds}`; {opts.rounds} rounds in "
        "rotating order, median (range) in seconds; each round a fresh catalog per kind. "
        "`index`: VOC palette PNGs; `rgb`: the same label maps as a CVAT export (labelmap.txt "
        "+ RGB PNGs, the predictions painted too). The index and RGB results are equal (every "
        f"field, in process and CLI, asserted); max abs diff of the 4 metrics vs torchmetrics "
        f"{worst:.1e}.\n\n"
    )
    text += table(
        ["images", "step", "index s", "RGB s", "RGB / index (paired)", "RGB - index, ms / image"],
        rows,
    )
    text += (
        f"\n\n`read_label_map` alone, ms per 512x512 mask ({len(masks)} masks each round, "
        "RGB/RGBA through the CVAT source's colour table), and Pillow's decoding alone:\n\n"
    )
    text += table(["mask", "what", "ms / mask"], micro_rows)
    write_section(opts.out, "## Semantic segmentation, index vs RGB masks", text, top=True)
    print(text)


if __name__ == "__main__":
    main()
