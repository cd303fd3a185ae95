"""Run every benchmark, one after the other, under one hold of ``/tmp/vl-bench.lock``.

Each benchmark's Markdown output goes to ``OUT/<name>.md`` (default ``build/bench/``); copy
what you keep into ``benchmarks/results/`` with a note on what changed. The browser
benchmarks (JS in headless Chromium: the grid in a real JupyterLab, the map's points layer)
run last and are reported as skipped, with the reason, when their prerequisites are missing.

    python benchmarks/run_all.py                  # everything, full sizes
    python benchmarks/run_all.py --quick          # smaller sizes (minutes, not an hour)
    python benchmarks/run_all.py --only ingest evaluate
    python benchmarks/run_all.py --dry-run        # the command lines, nothing run
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import REPO, bench_lock, child_env, environment, load_average

BENCH = REPO / "benchmarks"
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    # name: (full arguments, --quick arguments); the script writes Markdown to stdout or --out
    "evaluate": ([], ["--sizes", "10000", "--rounds", "1"]),
    "evaluate_labels": ([], ["--sizes", "1000", "--rounds", "1"]),
    "evaluate_keypoints": ([], ["--sizes", "1000", "--rounds", "1"]),
    "vectors": (
        ["--out", "{out}"],
        ["--n", "20000", "--n-local", "5000", "--runs", "1", "--out", "{out}"],
    ),
    "notebook": (["--out", "{out}"], ["--samples", "10000", "--runs", "1", "--out", "{out}"]),
    "media": (["--out", "{out}"], ["--quick", "--runs", "1", "--out", "{out}"]),
    "ingest": ([], ["--small"]),
    "export": ([], ["--small", "--rounds", "1"]),
    "browse": (["--out", "{out}"], ["--sizes", "100000", "--reps", "10", "--out", "{out}"]),
    "embed": (["--out", "{out}"], ["--images", "32", "--runs", "1", "--out", "{out}"]),
    "search": (["--out", "{out}"], ["--n", "20000", "--queries", "50", "--out", "{out}"]),
    "duplicates": (["--out", "{out}"], ["--sizes", "100000", "--runs", "1", "--out", "{out}"]),
    "map": (
        ["--out", "{out}"],
        ["--n", "20000", "--points", "100000", "--runs", "1", "--skip-umap", "--out", "{out}"],
    ),
    "blindspots": ([], ["--images", "20000", "--runs", "1"]),
    "load": (["--out", "{out}"], ["--seconds", "30", "--runs", "1", "--out", "{out}"]),
    "edge_gil": (["--out", "{out}"], ["--runs", "1", "--out", "{out}"]),
    "unique": (["--out", "{out}"], ["--n", "100000", "--runs", "3", "--out", "{out}"]),
    "metrics": (["--out", "{out}"], ["--n", "20000", "--runs", "3", "--out", "{out}"]),
    "edit": (
        ["--sizes", "10000", "100000", "1000000", "--out", "{out}"],
        ["--sizes", "10000", "--runs", "3", "--out", "{out}"],
    ),
    "versions": (["--out", "{out}"], ["--sizes", "10000", "--runs", "1", "--out", "{out}"]),
    "version_browse": (
        ["--out", "{out}"],
        ["--size", "5000", "--edits", "500", "--runs", "1", "--out", "{out}"],
    ),
    "predict": (["--out", "{out}"], ["--images", "4", "--runs", "1", "--out", "{out}"]),
    "predict_torchvision": (
        ["--out", "{out}"],
        ["--images", "4", "--runs", "1", "--out", "{out}"],
    ),
    "patches": (["--out", "{out}"], ["--images", "20000", "--runs", "1", "--out", "{out}"]),
    "image_quality": (
        ["--out", "{out}"],
        ["--images", "1000", "--small-images", "300", "--rounds", "1", "--out", "{out}"],
    ),
    "label_quality": (
        ["--million", "--out", "{out}"],
        ["--sizes", "20000", "--rounds", "1", "--accuracy-images", "5000", "--out", "{out}"],
    ),
    "grid": ([], ["--samples", "10000"]),
    "map_render": ([], ["--points", "100000", "--runs", "1"]),
    "ray": (["--out", "{out}"], ["--images", "1000", "--runs", "1", "--out", "{out}"]),
    "evaluate_hotcoco": ([], ["--sizes", "10000", "--rounds", "1"]),
    "evaluate_tide": ([], ["--sizes", "2000", "--rounds", "1"]),
    "evaluate_lvis": (["--out", "{out}"], ["--images", "2000", "--rounds", "1", "--out", "{out}"]),
    "evaluate_semantic": (
        ["--out", "{out}"],
        ["--sizes", "200", "--rounds", "1", "--out", "{out}"],
    ),
    "panoptic": (["--out", "{out}"], ["--sizes", "200", "--rounds", "1", "--out", "{out}"]),
    "evaluate_tracking": ([], ["--sequences", "4", "--frames", "150", "--rounds", "1"]),
    "label_quality_masks": (["--out", "{out}"], ["--seeds", "1", "--out", "{out}"]),
    "server_ingest": ([], ["--small", "--rounds", "1"]),
    "ingest_mot": ([], ["--sequences", "10", "--rounds", "1"]),
    "image_keys": (["--out", "{out}"], ["--sizes", "20000", "--rounds", "1", "--out", "{out}"]),
    "bulk_ops": (
        ["--cli", "--out", "{out}"],
        ["--sizes", "10000", "--runs", "1", "--out", "{out}"],
    ),
    "edit_shapes": (
        ["--out", "{out}"],
        ["--sizes", "10000", "--runs", "3", "--cli-runs", "1", "--out", "{out}"],
    ),
    "select": ([], ["--n", "10000", "--k", "100", "--runs", "1"]),
    "select_quality": ([], ["--seeds", "2", "--budgets", "20,50"]),
    "select_demo": (
        ["--out", "{out}"],
        ["--images", "600", "--seeds", "2", "--budgets", "20,50", "--out", "{out}"],
    ),
    "select_scale": ([], ["--n", "100000", "--k", "1000", "--quality-n", "10000"]),
    "preprocess": (["--out", "{out}"], ["--images", "2", "--runs", "1", "--out", "{out}"]),
    "warm_workers": (["--out", "{out}"], ["--images", "4", "--runs", "1", "--out", "{out}"]),
    "caption": (["--out", "{out}"], ["--images", "4", "--runs", "1", "--out", "{out}"]),
    "segment": (["--out", "{out}"], ["--runs", "1", "--out", "{out}"]),
    "segment_boxes": (["--out", "{out}"], ["--images", "1", "--runs", "1", "--out", "{out}"]),
    "video_seek": (
        ["--out", "{out}"],
        ["--seconds", "10", "--rounds", "1", "--seeks", "10", "--steps", "10", "--out", "{out}"],
    ),
    "video_seek_gcs": (
        ["--gcs", "--seconds", "25", "--out", "{out}"],
        ["--gcs", "--seconds", "10", "--gcs-frames", "10", "--out", "{out}"],
    ),
    "video_export": (["--out", "{out}"], ["--rounds", "1", "--out", "{out}"]),
    "patches_browser": (
        ["--out", "{out}"],
        ["--images", "20000", "--rounds", "1", "--out", "{out}"],
    ),
    "video_playback": (
        ["--out", "{out}"],
        ["--rounds", "1", "--seconds", "5", "--out", "{out}"],
    ),
}
SCRIPTS = {"video_seek_gcs": "video_seek"}
"""Entries that run another entry's script with other arguments."""
NOT_RUN = {
    "evaluate_cli_paired": "pairs this code with a commit given as --before: run it on a change",
    "feed": "pairs the model jobs' feed with a commit given as --before: run it on a change",
    "segment_feed": "pairs the box-to-mask feed with a commit given as --before: run it on a change",
    "eval_pages": "needs --data (bench_patches.py's 1M-image catalog, copied) and --ref",
    "video_object_views": "reads the 2M-frame catalog that `bench_browse.py --videos 1000` caches",
    "embed_device": "needs a CUDA GPU: the job against its model alone, decoding on the GPU",
    "device_decode": "needs a CUDA GPU: nvJPEG decoding alone, against the CPU stand-in",
}
"""Benchmark scripts ``run_all.py`` leaves out, and why (each run by hand, as its results say)."""
BROWSER_BENCHMARKS = ("grid", "map_render", "patches_browser", "video_playback")
"""JS benchmarks in headless Chromium, run with node (they need the browser prerequisites)."""


def browser_missing() -> str | None:
    """Why the browser benchmarks cannot run here, or None."""
    if shutil.which("node") is None:
        return "no `node` on the PATH"
    if not (REPO / "ui-tests" / "node_modules" / "playwright-core").exists():
        return "`jlpm install` has not been run in ui-tests/ (playwright-core missing)"
    if shutil.which("chromium") is None and not Path("/usr/bin/chromium").exists():
        return "no system Chromium (`make chromium`)"
    if not (REPO / "visionlens_jlab" / "labextension" / "package.json").exists():
        return "the lab extension is not built (`jlpm build`)"
    return None


def command(name: str, args: list[str]) -> list[str]:
    """The command line of benchmark ``name``."""
    script = SCRIPTS.get(name, name)
    if name in BROWSER_BENCHMARKS:
        return ["node", str(BENCH / f"bench_{script}.js"), *args]
    return [sys.executable, str(BENCH / f"bench_{script}.py"), *args]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    ap.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these")
    ap.add_argument("--out", type=Path, default=REPO / "build" / "bench")
    ap.add_argument("--dry-run", action="store_true", help="print the command lines only")
    opts = ap.parse_args()
    if opts.dry_run:
        for name, (full, quick) in BENCHMARKS.items():
            if not opts.only or name in opts.only:
                args = [
                    a.replace("{out}", str(opts.out / f"{name}.md"))
                    for a in (quick if opts.quick else full)
                ]
                print(f"{name}: {' '.join(command(name, args))}")
        return 0
    opts.out.mkdir(parents=True, exist_ok=True)
    failed = []
    summary = []
    with bench_lock():
        env = environment()
        print(f"{env['date']} · {env['cpu']} · {env['cores']} cores · {env['commit']}")
        for name, (full, quick) in BENCHMARKS.items():
            if opts.only and name not in opts.only:
                continue
            out = opts.out / f"{name}.md"
            reason = browser_missing() if name in BROWSER_BENCHMARKS else None
            if reason:
                summary.append(f"{name}: skipped ({reason})")
                continue
            args = [a.replace("{out}", str(out)) for a in (quick if opts.quick else full)]
            load0, t0 = load_average(), time.perf_counter()
            print(f"== {name}: {' '.join(command(name, args))}", flush=True)
            with open(opts.out / f"{name}.log", "w") as log:
                proc = subprocess.run(
                    command(name, args),
                    stdout=subprocess.PIPE,
                    stderr=log,
                    text=True,
                    cwd=REPO,
                    env=child_env(),  # holds VL_BENCH_LOCK_HELD: the lock is held here
                    check=False,
                )
            if "{out}" not in " ".join(full):  # the others write --out themselves
                out.write_text(proc.stdout)
            wall = time.perf_counter() - t0
            status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
            if proc.returncode:
                failed.append(name)
            summary.append(
                f"{name}: {status} in {wall:.0f} s, load {load0} -> {load_average()}, "
                f"output {os.path.relpath(out, REPO)}, log {name}.log"
            )
    print("\n".join(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
