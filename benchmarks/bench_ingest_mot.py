"""MOT ingest benchmark: 100 generated MOT Challenge sequences ingested, against reading
their ``gt.txt`` files with pandas (issue #52: goal ≤ 1.5x).

Measured in rounds whose order rotates (``benchmarks/harness.py``), each a fresh process:

* **CLI**: ``visionlens ingest DIR --format mot --json`` end to end, as a user runs it
  (interpreter start and imports included): frames listed, ``seqinfo.ini`` read, every
  ``gt.txt`` parsed and checked, samples, objects, videos and frame mapping written;
* **in process**: the same ingest timed inside the process after its imports;
* **CLI floor**: the same command on one sequence of 4 frames: interpreter start, imports,
  catalog creation and the dataset's summaries, what no faster parse removes;
* **reference, pandas**: ``pandas.read_csv`` of every ``gt.txt`` (header-less, MOT's nine
  columns) in a fresh interpreter: its wall time end to end, and in-process after ``import
  pandas``. It reads the text only (no frame listing, no checks, no catalog): the floor an
  ingest of these files cannot go below.

The ratios pair ours with the reference round by round (CLI wall / pandas wall, in-process
seconds / pandas in-process seconds).

    python benchmarks/bench_ingest_mot.py                       # 100 sequences
    python benchmarks/bench_ingest_mot.py --sequences 10 --rounds 3
    python benchmarks/bench_ingest_mot.py --before /tmp/wt-base  # + that checkout's CLI
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from bench_ingest import cli_round, in_process_ingest, precompile
from harness import (
    REPO,
    Run,
    bench_lock,
    checked,
    environment,
    header,
    interleave,
    load_average,
    ratios,
    run_process,
    summary,
    table,
)

PANDAS = r"""
import glob, json, sys, time
t0 = time.perf_counter()
import pandas as pd
t1 = time.perf_counter()
rows = 0
for path in sorted(glob.glob(sys.argv[1] + "/*/gt/gt.txt")):
    frame = pd.read_csv(path, header=None, names=["frame", "id", "x", "y", "w", "h", "conf",
                                                  "cls", "visibility"])
    rows += len(frame)
print(json.dumps({"seconds": time.perf_counter() - t1, "records": rows}))
"""


PARSE_ONLY = r"""
import json, sys, time
from visionlens_jlab.ingest.open import open_dataset
t0 = time.perf_counter()
parsed = open_dataset(sys.argv[1], "mot")
rows = sum(b.annotations.num_rows for b in parsed.batches() if b.annotations is not None)
parsed.feature_rows()
print(json.dumps({"seconds": time.perf_counter() - t0, "records": rows}))
"""


FLOOR = "CLI floor (1 sequence, 4 frames)"


def generate(root: Path, sequences: int, frames: int, objects: int, seed: int = 0) -> int:
    """Write ``sequences`` MOT17-style sequences of ``frames`` frames with ``objects``
    tracks each (one box per track on every frame of its run); returns the gt rows. The
    frames are hard links of one small JPEG (ingest reads no pixels)."""
    rng = np.random.default_rng(seed)
    jpeg = root / "frame.jpg"
    root.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (1920, 1080), (90, 90, 90)).save(jpeg, "JPEG", quality=30)
    total = 0
    for s in range(1, sequences + 1):
        seq = root / f"SEQ-{s:03d}"
        (seq / "img1").mkdir(parents=True)
        (seq / "gt").mkdir()
        (seq / "seqinfo.ini").write_text(
            f"[Sequence]\nname=SEQ-{s:03d}\nimDir=img1\nframeRate=30\nseqLength={frames}\n"
            "imWidth=1920\nimHeight=1080\nimExt=.jpg\n"
        )
        for f in range(1, frames + 1):
            os.link(jpeg, seq / "img1" / f"{f:06d}.jpg")
        starts = rng.integers(1, frames // 2, objects)
        ends = rng.integers(frames // 2, frames + 1, objects)
        lines = []
        for track, (a, b) in enumerate(zip(starts, ends, strict=True), start=1):
            n = b - a + 1
            xs, ys = rng.uniform(0, 1800, n), rng.uniform(0, 900, n)
            conf = (rng.random(n) > 0.1).astype(int)
            cls = rng.choice([1, 1, 1, 2, 7], n)
            vis = rng.random(n)
            lines += [
                f"{f},{track},{x:.2f},{y:.2f},60.00,140.00,{c},{k},{v:.5f}"
                for f, x, y, c, k, v in zip(range(a, b + 1), xs, ys, conf, cls, vis, strict=True)
            ]
        (seq / "gt" / "gt.txt").write_text("\n".join(lines) + "\n")
        total += len(lines)
    jpeg.unlink()
    return total


def pandas_round(root: Path, r: int) -> Run:
    """The reference: pandas reads every gt.txt in a fresh interpreter."""
    return checked(run_process([sys.executable, "-c", PANDAS, str(root)]), "pandas")


def parse_round(root: Path, r: int) -> Run:
    """The MOT parser alone, in a fresh interpreter."""
    return checked(run_process([sys.executable, "-c", PARSE_ONLY, str(root)]), "parse only")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sequences", type=int, default=100)
    ap.add_argument("--frames", type=int, default=300, help="frames per sequence")
    ap.add_argument("--objects", type=int, default=25, help="tracks per sequence")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--before",
        type=Path,
        help="another checkout (the code before a change): its CLI as one more case",
    )
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vl-bench-mot-"))
    precompile(REPO, *([opts.before] if opts.before else []))
    try:
        with bench_lock():
            root = work / "mot"
            rows = generate(root, opts.sequences, opts.frames, opts.objects)
            floor_root = work / "mot-floor"
            floor_rows = generate(floor_root, 1, 4, 1)
            load0, env = load_average(), environment()
            cases = {"CLI": partial(cli_round, root, work / "data-cli", fmt="mot")}
            if opts.before:
                before = partial(cli_round, root, work / "data-before", fmt="mot")
                cases[f"CLI of {opts.before}"] = partial(before, code=str(opts.before))
            runs = interleave(
                {
                    **cases,
                    "in process": lambda r: in_process_ingest(root, work / f"data-in-{r}", "mot"),
                    "parse only": partial(parse_round, root),
                    FLOOR: partial(cli_round, floor_root, work / "data-floor", fmt="mot"),
                    "pandas.read_csv (reference)": partial(pandas_round, root),
                },
                opts.rounds,
            )
            load1 = load_average()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for case, case_runs in runs.items():
        got = {run.inner.get("records") for run in case_runs}
        expected = floor_rows if case == FLOOR else rows
        assert got == {expected}, f"{case}: {got} rows, expected {expected}"
    ref = runs["pandas.read_csv (reference)"]
    ref_wall, ref_inner = [r.wall_s for r in ref], [r.inner["seconds"] for r in ref]
    out = []
    for case, case_runs in runs.items():
        walls = [r.wall_s for r in case_runs]
        inner = [r.inner["seconds"] for r in case_runs if "seconds" in r.inner]
        out.append(
            [
                case,
                summary(walls).fmt(2, "s"),
                ratios(walls, ref_wall).fmt(2),
                summary(inner).fmt(2, "s") if inner else "",
                ratios(inner, ref_inner).fmt(2) if inner else "",
                summary([r.cpu_s for r in case_runs]).fmt(1, "s"),
                summary([r.peak_rss_mb for r in case_runs]).fmt(0, "MB"),
            ]
        )
    frames = opts.sequences * opts.frames
    title = (
        f"MOT ingest, {opts.sequences} sequences, {frames:,} frames, {rows:,} gt rows, "
        f"{opts.rounds} rounds"
    )
    print(header(title, env, load0, load1))
    head = ["case", "wall", "÷ pandas wall", "in process", "÷ pandas in process", "CPU", "peak RSS"]
    print(table(head, out))


if __name__ == "__main__":
    main()
