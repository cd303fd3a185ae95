"""Benchmark: LVIS federated evaluation (``--protocol lvis``), VisionLens vs hotcoco's
``LVISeval`` (Rust), in one process on the same synthetic LVIS files.

Data (generated once, seeded, untimed; :func:`tests.lvis_fixtures.synthetic_lvis`): N images
with ``neg_category_ids`` / ``not_exhaustive_category_ids``, 300 classes in the three
frequency groups, 0-4 positive classes per image with 1-3 objects each (polygons), 0-24
predictions per image (found objects, class confusions, background boxes of positive,
negative and unverified classes, tied scores) and 1% of the images with 320-420 predictions
(beyond LVIS's 300); bbox and segm (RLE) results. The ground truth and both models are
ingested into a catalog (untimed).

Cases per iou type, rounds interleaved in rotating order:

* ``visionlens``: ``evaluate_model(..., protocol="lvis", store=False)``: read the objects
  (and masks) and the federated sets from DuckDB, match, accumulate, summarise, per-box
  outcomes;
* ``visionlens + store``: the same, writing the report and per-box rows (what the CLI does);
* ``hotcoco``: ``LVIS(gt file)``, ``LVISResults(gt, results list, max_dets=300)``,
  ``LVISeval(...).run()``: its JSON parsing included, as a user runs it.

The 13 summary numbers of every round are compared with hotcoco's; the benchmark exits with
an error when any differs by more than 1e-9.

Usage: ``python benchmarks/bench_evaluate_lvis.py [--images 10000] [--rounds 3]
[--iou-types bbox segm]``; writes the "LVIS federated evaluation" section of
``benchmarks/results/evaluate.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))

from harness import (  # noqa: E402
    bench_lock,
    environment,
    header,
    load_average,
    ratios,
    summary,
    table,
    write_section,
)

from tests.lvis_fixtures import hotcoco_lvis, synthetic_lvis, write_lvis  # noqa: E402
from visionlens_jlab import features  # noqa: E402

CASES = ("visionlens", "visionlens + store", "hotcoco")
RESULTS = ROOT / "results" / "evaluate.md"
SECTION = "## LVIS federated evaluation"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iou-types", nargs="+", default=["bbox", "segm"])
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results file")
    opts = parser.parse_args()
    features.load()
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
    from visionlens_jlab.evaluate import evaluate_model
    from visionlens_jlab.evaluate.lvis import LVIS_STAT_NAMES
    from visionlens_jlab.importing.jobs import prediction_maps
    from visionlens_jlab.ingest.open import open_dataset, open_predictions

    n = opts.images
    with bench_lock():
        env, load_start = environment(), load_average()
        folder = Path(tempfile.mkdtemp(prefix="vl-lvis-"))
        gt, boxes, segms = synthetic_lvis(0, n_images=n, n_cats=300, crowded=max(1, n // 100))
        gt_path, boxes_path, segms_path = write_lvis(folder, gt, boxes, segms)
        results = {"bbox": boxes, "segm": segms}
        catalog = Catalog(folder / "data")
        write_dataset(catalog, "lvis", open_dataset(str(gt_path), fmt="coco"))
        for model, path in (("boxes", boxes_path), ("masks", segms_path)):
            parsed = open_predictions(str(path), fmt="coco", **prediction_maps(catalog, "lvis"))
            write_predictions(catalog, "lvis", model, parsed)
        rows = []
        for iou_type in opts.iou_types:
            model = "boxes" if iou_type == "bbox" else "masks"
            times: dict[str, list[float]] = {c: [] for c in CASES}
            worst = 0.0
            for r in range(opts.rounds):
                order = CASES[r % len(CASES) :] + CASES[: r % len(CASES)]
                found: dict[str, dict[str, Any]] = {}
                for case in order:
                    t0 = time.perf_counter()
                    if case == "hotcoco":
                        found[case] = hotcoco_lvis(gt_path, results[iou_type], iou_type)
                    else:
                        found[case] = evaluate_model(
                            catalog, "lvis", model, protocol="lvis", iou_type=iou_type,
                            store=case != "visionlens",
                        ).stats  # fmt: skip
                    times[case].append(time.perf_counter() - t0)
                for case in CASES[:2]:
                    for name in LVIS_STAT_NAMES:
                        worst = max(worst, abs(found[case][name] - found["hotcoco"][name]))
                print(iou_type, r, {c: round(t[-1], 2) for c, t in times.items()}, flush=True)
            if worst > 1e-9:
                raise SystemExit(f"{iou_type}: VisionLens differs from hotcoco by {worst}")
            for case in CASES:
                speed = (
                    ratios(times["hotcoco"], times[case]).fmt(2) + "x" if case != "hotcoco" else "-"
                )
                rows.append([iou_type, case, summary(times[case]).fmt(2), speed, f"{worst:.1e}"])
        catalog.close()
        text = header(
            "LVIS federated evaluation, VisionLens vs hotcoco LVISeval", env, load_start,
            load_average(),
        ).replace("## LVIS federated evaluation, ", SECTION + ", ", 1)  # fmt: skip
        text += (
            f"\n{n:,} images, {len(gt['annotations']):,} objects, {len(boxes):,} predictions "
            f"per iou type, 300 classes (r/c/f), {max(1, n // 100)} images over 300 "
            f"predictions. `python benchmarks/bench_evaluate_lvis.py --images {n} --rounds "
            f"{opts.rounds} --iou-types {' '.join(opts.iou_types)}`; {opts.rounds} rounds, "
            "median (range) in seconds, in one process (hotcoco's JSON parsing included; "
            "VisionLens reads the ingested catalog).\n\n"
        )
        text += table(
            ["iou type", "case", "seconds", "hotcoco / case (paired)", "max abs diff vs hotcoco"],
            rows,
        )
        opts.out.parent.mkdir(parents=True, exist_ok=True)
        write_section(opts.out, SECTION, text)
        print(text)


if __name__ == "__main__":
    main()
