"""What VisionLens adds to a ``/metrics`` scrape: jupyter_server's exposition alone against
the same with a server's readings, at a vector space of ``--n`` points.

    python benchmarks/bench_metrics.py [--n 100000] [--dim 128] [--runs 5] [--out FILE]

A scrape is ``prometheus_client.generate_latest(REGISTRY)``, what jupyter_server's
``/metrics`` handler writes (the HTTP round trip, the same for both, is not timed). The
process holds jupyter_server's metrics, VisionLens' counters and histograms with the series
of 200 finished jobs of ten kinds and their stages, and an embedded Qdrant Edge store with
one space of ``--n`` vectors. Each round times, back to back:

* the reference: the scrape with no VisionLens server readings registered;
* a scrape with the readings, the vector counts current (the usual case: nothing written
  since the last scrape);
* a scrape right after a write to the store (one point upserted, untimed), whose counts are
  taken again in the scrape (or served stale after 0.5 s);
* the store's exact count of the space alone, what the last one waits for.

In-process wall times in milliseconds, median (min-max) over the rounds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jupyter_server.prometheus.metrics  # noqa: F401 - the server's own series, registered
from harness import environment, header, load_average, run_locked, summary, table
from prometheus_client import REGISTRY, generate_latest

from visionlens_jlab.app_metrics import ServerReadings
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.features import load as load_features
from visionlens_jlab.jobs import JobContext, JobEffects, JobKind, JobManager
from visionlens_jlab.metrics import watch
from visionlens_jlab.vectors import LazyVectorStore


def finished_jobs(jobs: JobManager, n: int = 200) -> None:
    """``n`` jobs of ten kinds, each through two stages, run to their end."""

    def work(ctx: JobContext) -> None:
        ctx.stage("reading")
        ctx.items("writing", 1, 1)

    kinds = [JobKind(f"kind{i}", JobEffects()) for i in range(10)]
    for job in [jobs.submit(kinds[i % 10], work) for i in range(n)]:
        jobs.wait(job.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    load_start = load_average()
    load_features()  # the catalog's tables, as every entry point does
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp, Catalog(Path(tmp) / "data") as catalog:
        lazy = LazyVectorStore(catalog, Path(tmp) / "data")
        store = lazy.get()
        space = store.ensure_space("bench", "1", args.dim, "cosine").name
        for start in range(0, args.n, 10_000):
            ids = list(range(start + 1, min(start + 10_000, args.n) + 1))
            store.upsert(space, ids, rng.random((len(ids), args.dim), np.float32), 1)
        jobs = JobManager()
        finished_jobs(jobs)
        readings = ServerReadings(Path(tmp) / "data", catalog, jobs, lazy)
        times: dict[str, list[float]] = {k: [] for k in ("ref", "warm", "written", "count")}
        size = {}
        next_id = args.n + 1
        for _ in range(args.runs):
            t0 = time.perf_counter()
            size["ref"] = len(generate_latest(REGISTRY))
            times["ref"].append(time.perf_counter() - t0)
            unwatch = watch(readings)
            generate_latest(REGISTRY)  # the counts current before the warm scrape
            t0 = time.perf_counter()
            text = generate_latest(REGISTRY)
            times["warm"].append(time.perf_counter() - t0)
            size["warm"] = len(text)
            counted = f'visionlens_vectors{{space="{space}"}} {float(next_id - 1)}'
            assert counted.encode() in text, "the current counts were not served"
            store.upsert(space, [next_id], rng.random((1, args.dim), np.float32), 1)
            next_id += 1
            t0 = time.perf_counter()
            text = generate_latest(REGISTRY)
            times["written"].append(time.perf_counter() - t0)
            counted = f'visionlens_vectors{{space="{space}"}} {float(next_id - 1)}'
            assert counted.encode() in text, "the counts after a write were served stale"
            unwatch()
            t0 = time.perf_counter()
            store.count(space)
            times["count"].append(time.perf_counter() - t0)
        jobs.shutdown()
        lazy.close()
    ms = {k: summary([t * 1e3 for t in v]) for k, v in times.items()}
    rows = [
        ["jupyter_server's metrics and VisionLens' counters, no server readings (reference)",
         ms["ref"].fmt(2), f"{size['ref']:,}"],
        ["with the server's readings, vector counts current", ms["warm"].fmt(2),
         f"{size['warm']:,}"],
        ["with the server's readings, right after a vector write", ms["written"].fmt(2),
         f"{size['warm']:,}"],
        [f"the Edge store's exact count of {args.n:,} points alone", ms["count"].fmt(2), ""],
    ]  # fmt: skip
    report = header("A /metrics scrape with VisionLens' readings", environment(), load_start,
                    load_average())  # fmt: skip
    report += (
        f"\n`python benchmarks/bench_metrics.py --n {args.n} --dim {args.dim} --runs "
        f"{args.runs}`; milliseconds of `generate_latest(REGISTRY)` in process, median "
        "(min–max) over the rounds.\n\n"
    )
    report += table(["scrape", "ms", "bytes of text"], rows)
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    run_locked(main)
