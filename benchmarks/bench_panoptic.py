"""Benchmark: panoptic segmentation evaluation (PQ / SQ / RQ), VisionLens vs hotcoco's
``panoptic.pq_compute`` (Rust, a port of panopticapi's) on the same COCO panoptic files.

Data (generated once per size, seeded, untimed; :func:`tests.panoptic_fixtures.write_panoptic`):
N images of 240x320 with two stuff regions, 1-4 things (some crowd) and 3% void pixels, and
a model's results (things shifted, some missed, some relabelled, some invented): PNGs of
``R + 256 G + 256² B`` ids and their JSON files. The ground truth and the model are ingested
into a catalog once (untimed, ``panoptic-ingest`` / ``panoptic-predictions`` in process).

Cases, each a fresh process (peak RSS its own), rounds interleaved in rotating order:

* ``visionlens``: ``evaluate_panoptic(catalog, ...)`` timed in the process after its imports:
  read the PNG rows from DuckDB, decode both PNGs of every image, PQStat per image, summed,
  and each image's PQ / SQ / RQ written as computed fields;
* **CLI**: ``visionlens evaluate bench --model model --data-dir DIR --json``, the whole
  process (interpreter start, imports, opening the catalog, the same work, printing);
* ``hotcoco``: ``panoptic.pq_compute(gt_json, pred_json, gt_folder, pred_folder)`` timed in
  its process after the import (its JSON parsing and PNG decoding included).

PQ, SQ, RQ (All, Things, Stuff) and every class's TP / FP / FN / PQ of every round are
compared with hotcoco's; the benchmark exits with an error when any differs by more than
1e-9.

Usage: ``python benchmarks/bench_panoptic.py [--sizes 1000 5000] [--rounds 3] [--cache DIR]``;
writes the "Panoptic segmentation" section of ``benchmarks/results/evaluate_semantic.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT.parent))

from harness import (  # noqa: E402
    Run,
    bench_lock,
    checked,
    cli_command,
    environment,
    header,
    interleave,
    load_average,
    ratios,
    run_process,
    summary,
    table,
    write_section,
)

SIZE = (240, 320)
CLI = "CLI"
TOOLS = ("visionlens", CLI, "hotcoco")
RESULTS = ROOT / "results" / "evaluate_semantic.md"
SECTION = "## Panoptic segmentation"
TOLERANCE = 1e-9


def prepare(cache: Path, n: int) -> tuple[dict[str, Path], Path]:
    """The files of ``n`` images and a catalog holding them (both kept between runs)."""
    from tests.panoptic_fixtures import write_panoptic

    root, data = cache / f"files{n}", cache / f"catalog{n}"
    names = ("gt_json", "gt_folder", "pred_json", "pred_folder", "images")
    files = {k: root / v for k, v in zip(names, _LAYOUT, strict=True)}
    if not (root / "done").exists():
        write_panoptic(root, n, seed=n, size=SIZE)
        (root / "done").touch()
    if not (data / "done").exists():
        from visionlens_jlab import features
        from visionlens_jlab.catalog import Catalog
        from visionlens_jlab.semantic.panoptic import ingest_panoptic, ingest_panoptic_predictions

        features.load()
        with Catalog(data) as catalog:
            gt, images = str(files["gt_json"]), str(files["images"])
            ingest_panoptic(catalog, "bench", gt, None, images)
            ingest_panoptic_predictions(catalog, "bench", "model", str(files["pred_json"]), None)
        (data / "done").touch()
    return files, data


_LAYOUT = ("panoptic_gt.json", "panoptic_gt", "panoptic_pred.json", "panoptic_pred", "images")


def _figures(report: dict[str, Any], names: dict[Any, str] | None = None) -> dict[str, float]:
    """The compared numbers, flat: group metrics and per-class TP/FP/FN/PQ by class name."""
    out = {f"{g}.{m}": report[g][m] for g in ("All", "Things", "Stuff") for m in ("pq", "sq", "rq")}
    for key, row in report["per_class"].items():
        name = names[int(key)] if names else key
        if row["tp"] + row["fp"] + row["fn"]:
            for m in ("tp", "fp", "fn", "pq"):
                out[f"{name}.{m}"] = row[m]
    return out


def child(tool: str, cache: Path, n: int) -> None:
    """One tool's evaluation, timed after its imports; prints its figures as JSON."""
    files, data = prepare(cache, n)
    if tool == "hotcoco":
        from hotcoco import panoptic

        from tests.panoptic_fixtures import CATEGORIES

        t0 = time.perf_counter()
        report = panoptic.pq_compute(
            str(files["gt_json"]),
            str(files["pred_json"]),
            str(files["gt_folder"]),
            str(files["pred_folder"]),
        )
        seconds = time.perf_counter() - t0
        figures = _figures(report, {c["id"]: str(c["name"]) for c in CATEGORIES})
    else:
        from visionlens_jlab import features
        from visionlens_jlab.catalog import Catalog
        from visionlens_jlab.semantic.panoptic import evaluate_panoptic

        features.load()
        with Catalog(data) as catalog:
            t0 = time.perf_counter()
            report = evaluate_panoptic(catalog, "bench", "model")["panoptic"]
            seconds = time.perf_counter() - t0
        figures = _figures(report)
    print(json.dumps({"eval_s": seconds, "figures": figures}))


def _round(tool: str, cache: Path, n: int, _r: int) -> Run:
    if tool != CLI:
        argv = [sys.executable, __file__, "--child", tool, str(n), "--cache", str(cache)]
        return checked(run_process(argv), tool)
    _, data = prepare(cache, n)
    argv = cli_command("evaluate", "bench", "--model", "model", "--data-dir", str(data), "--json")
    run = checked(run_process(argv), CLI)
    run.inner = {"eval_s": run.wall_s, "figures": _figures(json.loads(run.stdout)["panoptic"])}
    return run


def _worst(runs: dict[str, list[Run]]) -> float:
    """The largest difference of any compared number, any round, from hotcoco's first."""
    expected = runs["hotcoco"][0].inner["figures"]
    worst = 0.0
    for tool_runs in runs.values():
        for run in tool_runs:
            got = run.inner["figures"]
            if set(got) != set(expected):
                raise SystemExit(f"the compared classes differ: {sorted(set(got) ^ set(expected))}")
            worst = max(worst, *(abs(got[k] - v) for k, v in expected.items()))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results file")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "vl-bench-panoptic"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        child(opts.child[0], opts.cache, int(opts.child[1]))
        return
    opts.cache.mkdir(parents=True, exist_ok=True)
    with bench_lock():
        env, load_start = environment(), load_average()
        rows = []
        for n in opts.sizes:
            prepare(opts.cache, n)
            runs = interleave(
                {tool: partial(_round, tool, opts.cache, n) for tool in TOOLS}, opts.rounds
            )
            worst = _worst(runs)
            if worst > TOLERANCE:
                raise SystemExit(f"{n} images: VisionLens differs from hotcoco by {worst}")
            reference = [r.inner["eval_s"] for r in runs["hotcoco"]]
            for tool, tool_runs in runs.items():
                seconds = [r.inner["eval_s"] for r in tool_runs]
                rows.append(
                    [
                        f"{n:,}",
                        "**CLI** (`visionlens evaluate`, end to end)" if tool == CLI else tool,
                        summary(seconds).fmt(2),
                        "-" if tool == "hotcoco" else ratios(reference, seconds).fmt(2) + "x",
                        summary([r.wall_s for r in tool_runs]).fmt(2),
                        summary([r.peak_rss_mb for r in tool_runs]).fmt(0),
                        f"{worst:.1e}",
                    ]
                )
            print(rows[-len(TOOLS) :], flush=True)
        load_end = load_average()
    text = header(
        "Panoptic segmentation, VisionLens vs hotcoco pq_compute", env, load_start, load_end
    )
    text += (
        f"\n`python benchmarks/bench_panoptic.py --sizes {' '.join(map(str, opts.sizes))} "
        f"--rounds {opts.rounds}`: {SIZE[0]}x{SIZE[1]} COCO panoptic PNGs (generated, seeded), "
        f"{opts.rounds} rounds interleaved in rotating order, median (range). `seconds`: the "
        "evaluation timed inside its process after the imports (VisionLens: read the rows from "
        "DuckDB, decode the PNGs, PQ per image, the per-image fields written; hotcoco: "
        "`pq_compute` from the JSON files), for the CLI its whole process; `process s` and "
        "peak RSS: the whole process. The difference is the largest over PQ/SQ/RQ of All, "
        "Things, Stuff and every class's TP/FP/FN/PQ, every round, against hotcoco.\n\n"
    )
    text += table(
        [
            "images",
            "tool",
            "seconds",
            "hotcoco / tool (paired)",
            "process s",
            "peak RSS MB",
            "max abs diff vs hotcoco",
        ],
        rows,
    )
    write_section(opts.out, SECTION, text)
    print(text)


if __name__ == "__main__":
    main()
