"""Ingest benchmark: COCO vs ``json.load``, YOLO and VOC trees, and queries over the result.

Generates its own data in a temp dir, runs each measured step in a fresh subprocess (peak RSS
from ``resource.getrusage(RUSAGE_CHILDREN)`` of that child alone) and prints a markdown table.

    .venv/bin/python benchmarks/bench_ingest.py            # 100K COCO / 100K YOLO / 20K VOC
    .venv/bin/python benchmarks/bench_ingest.py --small    # 10K / 10K / 2K, about 30 s
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHILD = r"""
import json, sys, time, resource
mode, args = sys.argv[1], json.loads(sys.argv[2])
if mode != "json_load":  # imports are not part of the measured work
    import duckdb, pyarrow, numpy, ijson, PIL.Image
    import visionlens_jlab.ingest.open, visionlens_jlab.catalog.queries
t0 = time.perf_counter()
out = {}
if mode == "json_load":
    with open(args["source"], "rb") as f:
        doc = json.load(f)
    out["records"] = len(doc["annotations"])
elif mode == "parse_only":
    from visionlens_jlab.ingest.open import open_dataset
    parsed = open_dataset(args["source"], args["fmt"], images=args.get("images"))
    out["records"] = sum(b.annotations.num_rows for b in parsed.batches() if b.annotations is not None)
elif mode == "ingest":
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.ingest.open import open_dataset
    from visionlens_jlab.catalog.dataset_writer import write_dataset
    with Catalog(args["data"]) as catalog:
        s = write_dataset(catalog, args["name"], open_dataset(args["source"], args["fmt"], images=args.get("images")))
    out.update(samples=s.samples, records=s.annotations, warnings=len(s.warnings), errors=len(s.errors))
elif mode == "queries":
    import statistics
    from visionlens_jlab.catalog import Catalog
    from visionlens_jlab.catalog.queries import facets, samples_page
    specs = {
        "samples page, class + box-count filter": {"labels": {"classes": ["class_3", "class_7"]}, "box_count": {"min": 5}},
        "samples page, split + width filter, sorted": {"sample": {"width": {"min": 600}}, "labels": {"where": {"area": {"max": 2000}}}},
    }
    with Catalog(args["data"]) as catalog:
        for label, spec in specs.items():
            times = []
            for _ in range(args["reps"]):
                t = time.perf_counter()
                page = samples_page(catalog, args["name"], spec, limit=100, offset=200, sort="file_name")
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            out[label] = {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "total": page["total"]}
        times = []
        for _ in range(args["reps"]):
            t = time.perf_counter()
            f = facets(catalog, args["name"], {"labels": {"classes": ["class_3"]}})
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out["facets, class filter"] = {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "total": f["total"]}
out["seconds"] = time.perf_counter() - t0
print(json.dumps(out))
"""


WRAPPER = r"""
import resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(proc.stderr)
print(proc.stdout.strip().splitlines()[-1] if proc.returncode == 0 and proc.stdout.strip() else "")
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(proc.returncode)
"""


def run_child(mode: str, **args: object) -> dict:
    """Run one measured step in a fresh interpreter and return its output plus its peak RSS.

    A small wrapper process runs the step as its only child, so its
    ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is exactly that step's peak RSS.
    """
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, sys.executable, "-c", CHILD, mode, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr}")
    result_line, rss_line = proc.stdout.strip().splitlines()[-2:]
    out = json.loads(result_line)
    out["rss_mb"] = int(rss_line) / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="10K COCO/YOLO, 2K VOC")
    ap.add_argument("--keep", help="generate into this folder and keep it")
    ap.add_argument("--reps", type=int, default=40, help="query repetitions")
    opts = ap.parse_args()
    from tests.ingest_fixtures import write_coco, write_voc, write_yolo

    load0 = _load()  # other jobs on the machine skew times (not peak RSS): print the load
    n_coco, n_yolo, n_voc = (10_000, 10_000, 2_000) if opts.small else (100_000, 100_000, 20_000)
    work = Path(opts.keep) if opts.keep else Path(tempfile.mkdtemp(prefix="vl-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str, str]] = []
    try:
        coco = work / "coco.json"
        marker = work / "generated.json"
        if marker.exists():  # --keep DIR from an earlier run: reuse its data
            n_boxes, yolo_boxes, voc_boxes = json.loads(marker.read_text())
            gen = 0.0
        else:
            t = time.perf_counter()
            n_boxes = write_coco(coco, n_coco, 7)
            yolo_boxes = write_yolo(work / "yolo", n_yolo, 4)
            voc_boxes = write_voc(work / "voc", n_voc, 3)
            gen = time.perf_counter() - t
            marker.write_text(json.dumps([n_boxes, yolo_boxes, voc_boxes]))
        shutil.rmtree(work / "data", ignore_errors=True)
        size_mb = coco.stat().st_size / 1e6
        print(
            f"generated in {gen:.1f} s: COCO {n_coco} images / {n_boxes} boxes ({size_mb:.0f} MB), "
            f"YOLO {n_yolo} / {yolo_boxes}, VOC {n_voc} / {voc_boxes}",
            file=sys.stderr,
        )
        data = str(work / "data")
        ingest = run_child("ingest", source=str(coco), fmt="coco", data=data, name="coco")
        parse = run_child("parse_only", source=str(coco), fmt="coco")
        jl = run_child("json_load", source=str(coco))
        counts = (ingest["records"], n_boxes, jl["records"], parse["records"])
        assert len(set(counts)) == 1, counts
        ratio = ingest["seconds"] / jl["seconds"]
        rows.append(
            (
                f"COCO {n_coco:,} images / {n_boxes:,} boxes ({size_mb:.0f} MB): ingest into DuckDB",
                f"{ingest['seconds']:.1f} s",
                _rss(ingest),
                f"ratio to json.load: **{ratio:.2f}**",
            )
        )
        rows.append(
            ("  same file: parse only (no DuckDB)", f"{parse['seconds']:.1f} s", _rss(parse), "")
        )
        rows.append(
            ("  same file: Python `json.load` alone", f"{jl['seconds']:.1f} s", _rss(jl), "")
        )
        y = run_child("ingest", source=str(work / "yolo"), fmt="yolo", data=data, name="yolo")
        assert y["records"] == yolo_boxes
        rows.append(
            (
                f"YOLO {n_yolo:,} images / {yolo_boxes:,} boxes (header reads for sizes)",
                f"{y['seconds']:.1f} s",
                _rss(y),
                "",
            )
        )
        v = run_child("ingest", source=str(work / "voc"), fmt="voc", data=data, name="voc")
        assert v["records"] == voc_boxes
        rows.append(
            (f"VOC {n_voc:,} XML / {voc_boxes:,} boxes", f"{v['seconds']:.1f} s", _rss(v), "")
        )
        q = run_child("queries", data=data, name="coco", reps=opts.reps)
        for label, stats in q.items():
            if isinstance(stats, dict):
                rows.append(
                    (
                        f"{label} (over the COCO set, {stats['total']:,} matches)",
                        f"p50 {stats['p50']:.1f} ms / p95 {stats['p95']:.1f} ms",
                        "",
                        "",
                    )
                )
    finally:
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(
        f"\nMachine: {platform.node()} · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · {time.strftime('%Y-%m-%d %H:%M %Z')} · "
        f"load average at start {load0} / end {_load()} (1, 5, 15 min)\n"
    )
    print("| step | time | peak RSS | note |\n|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _rss(out: dict) -> str:
    return f"{out['rss_mb']:.0f} MB"


if __name__ == "__main__":
    main()
