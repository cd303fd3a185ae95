"""Near-duplicate benchmark: the IVF self-join against exact blockwise numpy (and FiftyOne
Brain when it is installed in a separate venv).

Synthetic clustered 512-d unit vectors (``dedup_data.py``: a shared direction, clusters,
noise) with 1,000 planted pairs at cosine 0.97-0.995, threshold 0.95, balanced and skewed
cluster sizes. Each measurement runs in its own process (its peak RSS is its own, data
generation included) and is repeated (median and range). Recall is against exact search:
every pair at or above the threshold involving a random sample of rows, found by an exact
matmul of those rows against all rows; the planted pairs' recall is reported too.

    flock /tmp/vl-bench.lock python benchmarks/bench_duplicates.py            # 100K and 1M
    python benchmarks/bench_duplicates.py --sizes 100000 --runs 1 --out -        # quick look
    python benchmarks/bench_duplicates.py --fiftyone /tmp/fo-venv/bin/python     # + FiftyOne
    python benchmarks/bench_duplicates.py --real-only --out -                    # real images

The real-embeddings part (``dedup_real.py``, after the synthetic sizes unless ``--no-real``)
embeds real photos and planted copies with the built-in embedder and a tiny random
open_clip model, and checks the self-join's recall on those vectors.

The exact join is run in full at 100K; at 1M it is timed on a slice of rows against all
rows and extrapolated (the full run would take well over an hour here).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_vectors import machine  # noqa: E402
from dedup_data import make_vectors  # noqa: E402

from visionlens_jlab.dedup.near import exact_pairs, ivf_self_join  # noqa: E402

THRESHOLD = 0.95
PLANTED = 1000
RECALL_ROWS = 2000
NOTES_MARKER = "<!-- notes: kept across runs -->"


def rss_mb() -> float:
    """Peak RSS (MiB) since the start, or since :func:`reset_peak_rss` where Linux allows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> None:
    """Reset the peak-RSS mark (Linux >= 4.0: ``5`` into ``/proc/self/clear_refs``)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def exact_truth(x: np.ndarray, rows: np.ndarray) -> set[tuple[int, int]]:
    """Every pair at or above the threshold that involves one of ``rows`` (exact)."""
    out: set[tuple[int, int]] = set()
    for start in range(0, len(rows), 64):
        chunk = rows[start : start + 64]
        sims = x[chunk] @ x.T
        sims[np.arange(len(chunk)), chunk] = -1
        r, c = np.nonzero(sims >= THRESHOLD)
        for a, b in zip(chunk[r].tolist(), c.tolist(), strict=True):
            out.add((min(a, b), max(a, b)))
    return out


def child(method: str, n: int, skewed: bool, seed: int) -> dict[str, Any]:
    x, planted = make_vectors(n, planted=PLANTED, skewed=skewed, seed=seed)
    reset_peak_rss()  # the peak from here on: the data held plus what the method adds
    base = current_rss_mb()
    res: dict[str, Any] = {"method": method, "n": n, "skewed": skewed, "rss_data_mb": base}
    if method == "ivf":
        t = time.perf_counter()
        got = ivf_self_join(x, THRESHOLD, seed=seed)
        res["seconds"] = time.perf_counter() - t
        res["rss_peak_mb"] = rss_mb()  # before the recall check's own allocations
        found = set(zip(got.i.tolist(), got.j.tolist(), strict=True))
        sample = RECALL_ROWS if n <= 200_000 else RECALL_ROWS // 4  # 1M: an exact pass each
        rows = np.random.default_rng(seed + 1).choice(n, size=min(n, sample), replace=False)
        truth = exact_truth(x, rows)
        in_sample = set(rows.tolist())
        sampled = {p for p in found if p[0] in in_sample or p[1] in in_sample}
        # no true pair among the sampled rows: nothing to measure (None, shown as n/a)
        res["recall_sample"] = len(truth & sampled) / len(truth) if truth else None
        res["truth_pairs_in_sample"] = len(truth)
        res["false_pairs"] = len(sampled - truth)
        res["planted_recall"] = np.mean([tuple(p) in found for p in planted.tolist()])
        res["pairs"] = len(got)
    elif method == "exact":
        t = time.perf_counter()
        if n <= 200_000:
            got = exact_pairs(x, THRESHOLD)
            res["pairs"] = len(got)
            res["planted_recall"] = 1.0
            res["seconds"] = time.perf_counter() - t
        else:  # a slice of rows against all rows, extrapolated to the upper triangle
            n_rows = 1024
            for start in range(0, n_rows, 4096):
                sims = x[start : min(n_rows, start + 4096)] @ x.T
                np.nonzero(sims >= THRESHOLD)
            slice_s = time.perf_counter() - t
            res["seconds"] = slice_s * (n / n_rows) / 2
            res["extrapolated"] = True
    res.setdefault("rss_peak_mb", rss_mb())
    return res


FIFTYONE_SCRIPT = r"""
import json, sys, time, resource, numpy as np
sys.path.insert(0, sys.argv[1])
from dedup_data import make_vectors
import fiftyone as fo, fiftyone.brain as fob
n, seed = int(sys.argv[2]), int(sys.argv[3])
x, planted = make_vectors(n, planted=1000, seed=seed)
ds = fo.Dataset()
ds.add_samples([fo.Sample(filepath=f"/nonexistent/{i}.jpg", split="train" if i % 5 else "val") for i in range(n)])
t = time.perf_counter()
idx = fob.compute_near_duplicates(ds, embeddings=x, threshold=1 - 0.95)
near_s = time.perf_counter() - t
print(json.dumps({"method": "fiftyone", "n": n, "seconds": near_s,
                  "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(args: list[str], python: str = sys.executable) -> dict[str, Any]:
    out = subprocess.run(
        [python, *args], capture_output=True, text=True, check=False, cwd=str(HERE.parent)
    )
    if out.returncode != 0:
        return {"error": (out.stderr or out.stdout).strip().splitlines()[-1:]}
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def summary(values: list[float], fmt: str = "{:.1f}") -> str:
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def sampled_recall(runs: list[dict[str, Any]]) -> str:
    """Median (range) of the runs' sampled recall; a run whose sample held no true pair
    measured nothing and is counted as n/a, never as 0."""
    if not any("recall_sample" in r for r in runs):
        return "-"
    measured = [r["recall_sample"] for r in runs if r.get("recall_sample") is not None]
    empty = sum(1 for r in runs if "recall_sample" in r and r["recall_sample"] is None)
    if not measured:
        return "n/a (no true pair in the sample)"
    text = summary(measured, "{:.3f}")
    return text + (f"; n/a in {empty} run(s) (no true pair in the sample)" if empty else "")


def render(
    rows: list[tuple[str, int, str, list[dict[str, Any]]]],
    args: argparse.Namespace,
    started: str,
    load: float,
    real: list[str] | None = None,
) -> None:
    """Write (and print) the table of the rows measured so far."""
    lines = [
        "# Near-duplicate benchmark",
        "",
        f"- Date: {started}; load average at start {load:.1f}, when this table was written "
        f"{os.getloadavg()[0]:.1f} (2 cores shared with other engineers' work)",
        f"- Machine: {machine(load)}",
        f"- numpy {np.__version__}; `{' '.join(sys.argv)}`",
        f"- Data: `benchmarks/dedup_data.py`, 512-d unit vectors, {PLANTED:,} planted pairs "
        f"(cosine 0.97-0.995), threshold {THRESHOLD}; recall against exact search over every "
        f"pair involving {RECALL_ROWS:,} random rows ({RECALL_ROWS // 4:,} at 1M), and recall of the planted pairs. Times: median (range) of the runs; "
        "peak RSS: the process's peak after the data was generated (the vectors, n x 512 "
        "float32, plus what the method adds).",
        "",
        "| method | n | data | runs | seconds | pairs found | recall (sampled, exact) | "
        "planted recall | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for method, n, label, runs in rows:
        ok = [r for r in runs if "error" not in r]
        if not ok:
            lines.append(f"| {method} | {n:,} | {label} | 0 | failed: {runs[0]['error']} | | | | |")
            continue
        secs = summary([r["seconds"] for r in ok]) + (
            " (extrapolated)" if ok[0].get("extrapolated") else ""
        )
        recall = sampled_recall(ok)
        planted = summary([r["planted_recall"] for r in ok if "planted_recall" in r], "{:.3f}")
        rss = summary([r["rss_peak_mb"] for r in ok], "{:.0f}")
        pairs = summary([r["pairs"] for r in ok if "pairs" in r], "{:.0f}")
        lines.append(
            f"| {method} | {n:,} | {label} | {len(ok)} | {secs} | {pairs} | {recall} | "
            f"{planted} | {rss} |"
        )
    if real:
        lines += ["", *real]
    text = "\n".join(lines) + "\n"
    if args.out != "-":
        out = Path(args.out)
        old = out.read_text() if out.exists() else ""
        if NOTES_MARKER in old:  # hand-written notes below the marker survive a rerun
            text += "\n" + old[old.index(NOTES_MARKER) :]
        out.write_text(text)
    print(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--skewed-runs-1m", type=int, default=1, help="skewed runs at 1M")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fiftyone", help="python of a venv with fiftyone installed")
    parser.add_argument("--no-exact", action="store_true", help="skip the exact join")
    parser.add_argument("--no-real", action="store_true", help="skip the real-embeddings part")
    parser.add_argument("--real-only", action="store_true", help="only the real embeddings")
    parser.add_argument("--out", default=str(HERE / "results" / "duplicates.md"))
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        method, n, skewed, seed = args.child
        print(json.dumps(child(method, int(n), skewed == "1", int(seed))))
        return 0
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    rows: list[tuple[str, int, str, list[dict[str, Any]]]] = []
    for n in [] if args.real_only else [int(s) for s in args.sizes.split(",")]:
        for skewed in (False, True):
            label = "skewed" if skewed else "balanced"
            count = args.skewed_runs_1m if skewed and n >= 1_000_000 else args.runs
            runs = [
                run_child([__file__, "--child", "ivf", str(n), str(int(skewed)), str(seed)])
                for seed in range(count)
            ]
            rows.append(("IVF self-join (this code)", n, label, runs))
            render(rows, args, started, load)
        exact_runs = 0 if args.no_exact else 1 if n > 200_000 else args.runs
        runs = [
            run_child([__file__, "--child", "exact", str(n), "0", str(seed)])
            for seed in range(exact_runs)
        ]
        if runs:
            rows.append(("exact blockwise numpy", n, "balanced", runs))
            render(rows, args, started, load)
        if args.fiftyone and n <= 100_000:
            script = [
                "-c",
                FIFTYONE_SCRIPT,
                str(HERE),
                str(n),
                "0",
            ]
            fo_runs = [run_child(script, args.fiftyone) for _ in range(args.runs)]
            rows.append(("FiftyOne Brain compute_near_duplicates", n, "balanced", fo_runs))
            render(rows, args, started, load)
    real = None
    if not args.no_real:
        try:
            from dedup_real import section

            real = section()
        except ImportError as exc:  # the embed extra (torch, open_clip) is not installed
            real = ["## Real embeddings", "", f"- Skipped: {exc}", ""]
    render(rows, args, started, load, real)
    return 0


if __name__ == "__main__":
    from harness import run_locked

    sys.exit(run_locked(main))
