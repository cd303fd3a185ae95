"""Benchmark: COCO bbox and segm evaluation, VisionLens against hotcoco (Rust) in the same run.

hotcoco (``hotcoco`` on PyPI, pycocotools-compatible, written in Rust) is the fastest COCO
evaluator we know of. This benchmark decides whether VisionLens keeps its own matching
(:mod:`visionlens_jlab.evaluate.coco`) or adopts hotcoco's behind its per-object results:

* ``visionlens CLI``: what a user runs, ``visionlens evaluate bench --model model --iou-type
  T --data-dir DIR --json`` in a fresh process (interpreter start, imports, opening the
  catalog, matching, explaining every object (status, matched object, IoU, TIDE error type),
  storing the per-object rows, the facets' summaries and the report, printing the JSON), on
  a fresh copy of a catalog written beforehand (copying and writing are not timed);
* ``visionlens``: the same evaluation in process (``evaluate_model``; "load" = the imports it
  needs and opening the catalog, as the references' imports and file reading);
* ``hotcoco``: ``COCO(gt.json)``, ``load_res(results.json)`` ("load"), then ``evaluate()``,
  ``accumulate()`` and ``summarize()`` ("eval") in process, on the same data as JSON files:
  the 12 statistics, no per-object results.

Data: bbox as ``bench_evaluate.py`` generates it (~7 boxes per image, 80 classes), segm as
``bench_evaluate_labels.py`` (polygon masks, RLE predictions), both seeded. Every tool runs
in its own process per round (so each peak RSS is its own), rounds in rotating order.

Usage: ``python benchmarks/bench_evaluate_hotcoco.py [--iou-types bbox segm] [--sizes 10000
100000] [--rounds 3] [--cache DIR] [--skip TOOL ...]``. ``--cache DIR`` keeps each size's
files and catalog in ``DIR`` for later runs (100,000 segm images take minutes to generate).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_evaluate
import bench_evaluate_labels
from harness import (
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
)

CLI = "visionlens CLI"
TOOLS = (CLI, "visionlens", "hotcoco")
ENGINES = "engines"
"""The in-process engine comparison (bbox only: :func:`run_engines`), its own table."""


def run_hotcoco(iou_type: str, folder: Path) -> dict[str, Any]:
    """hotcoco in process: JSON load, then evaluate + accumulate + summarize."""
    peak = bench_evaluate_labels.peak_rss_mb
    before = peak()
    t0 = time.perf_counter()
    import hotcoco

    coco_gt = hotcoco.COCO(str(folder / "gt.json"))
    coco_dt = coco_gt.load_res(str(folder / "results.json"))
    t1 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        ev = hotcoco.COCOeval(coco_gt, coco_dt, iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    t2 = time.perf_counter()
    return {"load_s": t1 - t0, "eval_s": t2 - t1, "stats": [float(v) for v in ev.stats],
            "rss_before_mb": before, "peak_rss_mb": peak()}  # fmt: skip


def run_engines(folder: Path) -> dict[str, Any]:
    """The matching engines alone, in one process, on the bbox arrays VisionLens loaded from
    its catalog (loading not timed): VisionLens' match + accumulate + summarize, against
    hotcoco fed from the same arrays (its objects built, then evaluate + accumulate +
    summarize), and hotcoco's only per-detection result reachable without per-image Python
    dicts: ``image_diagnostics`` (the match at one IoU, as dicts by annotation id) to arrays."""
    import hotcoco
    import numpy as np

    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.evaluate.coco import (
        IOU_THRESHOLDS,
        accumulate_coco,
        match_coco,
        summarize_coco,
    )
    from visionlens_jlab.evaluate.load import load_input
    from visionlens_jlab.features import load as load_features

    load_features()
    with Catalog(folder / "catalog", read_only=True) as catalog:
        inp = load_input(catalog, "bench", "model")
    gt, dt, n_cats = inp.gt, inp.dt, len(inp.classes)
    t0 = time.perf_counter()
    match = match_coco(gt, dt, n_cats, IOU_THRESHOLDS)
    precision, recall = accumulate_coco(gt, dt, match, n_cats)
    ours = list(summarize_coco(precision, recall, IOU_THRESHOLDS).values())
    t1 = time.perf_counter()
    # ids 1..n in VisionLens' order (annotation id order: the tie-breaking order)
    boxes = np.stack([gt.x, gt.y, gt.w, gt.h], axis=1).tolist()
    coco_gt = hotcoco.COCO({
        "images": [{"id": int(i) + 1} for i in np.unique(np.concatenate([gt.image, dt.image]))],
        "categories": [{"id": k + 1, "name": str(k)} for k in range(n_cats)],
        "annotations": [
            {"id": k + 1, "image_id": i + 1, "category_id": c + 1, "bbox": b, "area": a,
             "iscrowd": int(cr)}
            for k, (i, c, b, a, cr) in enumerate(zip(gt.image.tolist(), gt.cat.tolist(), boxes,
                                                     gt.area.tolist(), gt.crowd.tolist(), strict=True))
        ],
    })  # fmt: skip
    coco_dt = coco_gt.load_res(
        np.stack([dt.image + 1, dt.x, dt.y, dt.w, dt.h, dt.score, dt.cat + 1], axis=1)
    )
    t2 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        ev = hotcoco.COCOeval(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    t3 = time.perf_counter()
    diag = ev.image_diagnostics(iou_thr=0.5)["dt_match"]
    dt_ids = np.fromiter(diag.keys(), np.int64, len(diag))
    dt_gt = np.full(len(dt), -1, np.int64)
    dt_gt[dt_ids - 1] = np.fromiter(diag.values(), np.int64, len(diag)) - 1
    t4 = time.perf_counter()
    return {"visionlens_s": t1 - t0, "hotcoco_build_s": t2 - t1, "hotcoco_eval_s": t3 - t2,
            "hotcoco_matches_s": t4 - t3, "stats": ours,
            "matches_differing": int(np.count_nonzero(dt_gt != match.dt_gt)),
            "hotcoco_stats": [float(v) for v in ev.stats]}  # fmt: skip


def prepare(iou_type: str, n: int, folder: Path) -> str:
    """The JSON files and the catalog of one size (not timed); the object counts as text."""
    if iou_type != "bbox":
        return bench_evaluate_labels.prepare(iou_type, n, folder)
    data = bench_evaluate.generate(n)
    gt, dets = bench_evaluate.coco_dicts(data, n)
    counts = f"{len(data['g_img']):,} / {len(data['d_img']):,}"
    del data
    (folder / "gt.json").write_text(json.dumps(gt))
    (folder / "results.json").write_text(json.dumps(dets))
    del gt, dets
    bench_evaluate.write_catalog(n, folder / "catalog")  # the same seeded data
    return counts


@contextlib.contextmanager
def data_folder(cache: Path | None, iou_type: str, n: int) -> Iterator[tuple[Path, str]]:
    """One size's prepared folder (temporary, or kept in ``cache``) and its counts."""
    if cache is None:
        with tempfile.TemporaryDirectory(prefix="vl-bench-hotcoco-") as tmp:
            yield Path(tmp), _prepared(iou_type, n, Path(tmp))
        return
    folder = cache / f"{iou_type}-{n}"
    done = folder / "counts.txt"  # written last: a folder without it is incomplete
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        done.write_text(_prepared(iou_type, n, folder))
    yield folder, done.read_text()


def _prepared(iou_type: str, n: int, folder: Path) -> str:
    # in its own process: the generator's memory is not held by the benchmark's parent
    argv = [sys.executable, __file__, "--prepare", iou_type, str(n), str(folder)]
    return checked(run_process(argv), f"prepare {iou_type} {n}").stdout.strip().splitlines()[-1]


def _round(tool: str, iou_type: str, folder: Path, r: int) -> Run:
    if tool == CLI:
        return _cli_round(iou_type, folder)
    argv = [sys.executable, __file__, "--child", tool, iou_type, str(folder)]
    return checked(run_process(argv), f"{tool} {iou_type}")


def _cli_round(iou_type: str, folder: Path) -> Run:
    with tempfile.TemporaryDirectory(prefix="vl-bench-hotcoco-cli-") as tmp:
        data = Path(tmp) / "catalog"
        shutil.copytree(folder / "catalog", data)  # each round on the same untouched catalog
        argv = cli_command("evaluate", "bench", "--model", "model", "--iou-type", iou_type,
                           "--data-dir", str(data), "--json")  # fmt: skip
        run = checked(run_process(argv), CLI)
    report = json.loads(run.stdout)
    stats = [float("nan") if v is None else v for v in report["stats"].values()]
    run.inner = {"load_s": 0.0, "eval_s": run.wall_s, "stats": stats}
    return run


def _rows(iou_type: str, n: int, counts: str, runs: dict[str, list[Run]]) -> list[list[str]]:
    ref = runs.get("hotcoco")
    rows = []
    for tool, tool_runs in runs.items():
        if tool == ENGINES:
            continue
        inner = [r.inner for r in tool_runs]
        whole = [i["load_s"] + i["eval_s"] for i in inner]  # CLI: its process wall
        speed = diff = rss = "-"
        if ref and tool != "hotcoco":
            ref_whole = [r.inner["load_s"] + r.inner["eval_s"] for r in ref]
            speed = ratios(whole, ref_whole).fmt(2)
            rss = ratios([r.peak_rss_mb for r in tool_runs], [r.peak_rss_mb for r in ref]).fmt(2)
            pairs = zip(inner[0]["stats"], ref[0].inner["stats"], strict=True)
            diff = f"{max(abs(a - b) for a, b in pairs):.1e} vs hotcoco"
        cli = tool == CLI
        rows.append([
            iou_type, f"{n:,}", counts,
            "**visionlens CLI** (`visionlens evaluate`, end to end)" if cli else tool,
            "-" if cli else summary([i["load_s"] for i in inner]).fmt(2),
            "-" if cli else summary([i["eval_s"] for i in inner]).fmt(2),
            summary(whole).fmt(2), speed,
            summary([r.wall_s for r in tool_runs]).fmt(1),
            summary([r.peak_rss_mb for r in tool_runs]).fmt(0), rss, diff,
        ])  # fmt: skip
    return rows


def _engine_row(n: int, counts: str, runs: list[Run]) -> list[str]:
    inner = [r.inner for r in runs]
    hot = [i["hotcoco_build_s"] + i["hotcoco_eval_s"] for i in inner]
    diff = max(
        abs(a - b) for a, b in zip(inner[0]["stats"], inner[0]["hotcoco_stats"], strict=True)
    )
    return [
        f"{n:,}", counts, summary([i["visionlens_s"] for i in inner]).fmt(2),
        summary([i["hotcoco_build_s"] for i in inner]).fmt(2),
        summary([i["hotcoco_eval_s"] for i in inner]).fmt(2), summary(hot).fmt(2),
        ratios([i["visionlens_s"] for i in inner], hot).fmt(2),
        summary([i["hotcoco_matches_s"] for i in inner]).fmt(2),
        str(inner[0]["matches_differing"]), f"{diff:.1e}",
    ]  # fmt: skip


ENGINE_HEAD = [
    "images", "boxes GT / pred", "visionlens match + accumulate + summarize s",
    "hotcoco: its objects from the same arrays s", "hotcoco evaluate + accumulate + summarize s",
    "hotcoco build + eval s", "visionlens / hotcoco (paired)",
    "hotcoco per-detection match at IoU 0.5 (image_diagnostics to arrays) s",
    "predictions whose match at IoU 0.5 differs from VisionLens'",
    "max abs difference of the 12 stats",
]  # fmt: skip
ENGINE_NOTE = (
    "The matching engines alone (bbox), in one process per round on the arrays VisionLens "
    "read from its catalog (not timed): what adopting hotcoco behind VisionLens' per-object "
    "results would replace (VisionLens' match keeps every area range and IoU threshold per "
    "prediction; hotcoco's only per-detection output besides its per-image Python dicts "
    "(`eval_imgs`) is `image_diagnostics`' match at one IoU threshold)."
)
HEAD = [
    "iou type", "images", "objects GT / pred", "tool", "load s", "eval s",
    "load + eval s (CLI: its whole process)", "time / hotcoco's load + eval (paired)",
    "process wall s", "peak RSS MB", "peak RSS / hotcoco's (paired)",
    "max abs difference of the 12 stats",
]  # fmt: skip
NOTE = (
    "Median (min–max) over the rounds, tools interleaved in rotating order, each a fresh "
    "process. hotcoco's `load + eval` is its in-process JSON load, evaluate, accumulate and "
    "summarize; VisionLens' in-process `load + eval` is its imports, opening the catalog and "
    "`evaluate_model` (per-object rows, TIDE and report stored); the CLI row's is its whole "
    "process, interpreter start included. `process wall` includes each child's start and "
    "imports; peak RSS is each process tree's."
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iou-types", nargs="+", default=["bbox", "segm"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[], help="tools to skip")
    parser.add_argument("--cache", type=Path, help="keep and reuse the prepared data here")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        print(prepare(args.prepare[0], int(args.prepare[1]), Path(args.prepare[2])))
        return
    if args.child:
        tool, iou_type, folder = args.child
        if tool == "engines":
            print(json.dumps(run_engines(Path(folder))))
            return
        run = run_hotcoco if tool == "hotcoco" else bench_evaluate_labels.run_visionlens
        print(json.dumps(run(iou_type, Path(folder))))
        return
    tools = [t for t in TOOLS if t not in args.skip]
    with bench_lock():
        load0, env = load_average(), environment()
        rows, engine_rows = [], []
        for iou_type in args.iou_types:
            for n in args.sizes:
                with data_folder(args.cache, iou_type, n) as (folder, counts):
                    cases: dict[str, Callable[[int], Run]] = {
                        t: partial(_round, t, iou_type, folder) for t in tools
                    }
                    if iou_type == "bbox" and ENGINES not in args.skip:
                        cases[ENGINES] = partial(_round, ENGINES, iou_type, folder)
                    runs = interleave(cases, args.rounds)
                    rows += _rows(iou_type, n, counts, runs)
                    if ENGINES in runs:
                        engine_rows.append(_engine_row(n, counts, runs[ENGINES]))
        load1 = load_average()
    title = f"COCO evaluation against hotcoco, {args.rounds} rounds"
    print(header(title, env, load0, load1))
    print(table(HEAD, rows))
    print(NOTE)
    if engine_rows:
        print()
        print(table(ENGINE_HEAD, engine_rows))
        print(ENGINE_NOTE)


if __name__ == "__main__":
    main()
