"""Server ingest benchmark: the server's ingest job with and without the parser's JSON check.

The server parses in a spawned worker and writes in its own process
(``visionlens_jlab/importing/jobs.py``). Until ``json_checked`` crossed the worker's pipe,
the writer never saw it, so DuckDB validated again every JSON column (segmentations,
attributes) the COCO parser had already checked; the CLI kept the flag. Measured, in rounds
whose order rotates (``benchmarks/harness.py``), each as a fresh process:

* **server job, checked**: ``submit_ingest`` on a server-mode ``Catalog`` and a
  ``JobManager``, as the REST handler runs it, timed from submit to done (after imports);
  the process tree's peak RSS includes the parse worker;
* **server job, unchecked**: the same with the writer's feed told ``json_checked=False``
  (what the server did before), everything else identical;
* **CLI**: ``visionlens ingest`` end to end (its own, in-process path: the flag was never lost
  there);
* **reference**: ``json.load`` of the file in a fresh interpreter;
* **writer only**: the server-mode writer alone, in one process, over the same batches held
  in memory (the worker's output), checked and unchecked in alternating order: its CPU
  seconds (DuckDB's threads included) isolate the validation from the parse and from the
  machine's load, which the job walls above do not.

    python benchmarks/bench_server_ingest.py                   # 100K images, full_precision
    python benchmarks/bench_server_ingest.py --small --rounds 5
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from bench_ingest import cli_round, generate, json_load_round, precompile
from coco_variants import VARIANTS
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

SERVER_JOB = r"""
import json, sys, time
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.store import row_group_feed
from visionlens_jlab.catalog.writes import dataset_writer
from visionlens_jlab.features import load as load_features
from visionlens_jlab.importing.jobs import submit_ingest
from visionlens_jlab.jobs import JobManager

source, data, checked = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
seen = []


class Feed(row_group_feed.RowGroupFeed):
    def __init__(self, batches, *, json_checked, live):
        seen.append(json_checked)
        super().__init__(batches, json_checked=json_checked and checked, live=live)


dataset_writer.RowGroupFeed = Feed
load_features()  # the features' tables, before the catalog opens
jobs = JobManager(max_workers=1)
with Catalog(data) as catalog:  # as the server opens it (its own memory limit, not the CLI's)
    t0 = time.perf_counter()
    job = submit_ingest(jobs, catalog, source=source, name="bench")
    done = jobs.wait(job.id, timeout=3600)
    seconds = time.perf_counter() - t0
jobs.shutdown()
assert done.status == "done", done.error
print(json.dumps({"seconds": seconds, "records": done.result["annotations"], "sent": seen}))
"""


WRITER_ONLY = r"""
import json, resource, shutil, sys, tempfile, time
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.features import load as load_features
from visionlens_jlab.ingest.open import open_dataset

source, rounds = sys.argv[1], int(sys.argv[2])
load_features()
parsed = open_dataset(source, "coco")
batches = list(parsed.batches())  # what the worker sends, parsed once


class Held:
    def __init__(self, checked):
        self.format, self.source, self.media_root = parsed.format, source, parsed.media_root
        self.report, self.json_checked = parsed.report, checked

    def batches(self):
        yield from batches

    def categories(self):
        return parsed.categories()


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


out = {"checked": [], "unchecked": []}
for r in range(rounds):
    for checked in (True, False) if r % 2 == 0 else (False, True):
        data = tempfile.mkdtemp(prefix="vl-bench-writer-")
        with Catalog(data) as catalog:  # server mode: buffered transactions
            c0, t0 = cpu(), time.perf_counter()
            write_dataset(catalog, "bench", Held(checked))
            wall = time.perf_counter() - t0
        out["checked" if checked else "unchecked"].append({"cpu": cpu() - c0, "wall": wall})
        shutil.rmtree(data, ignore_errors=True)
print(json.dumps(out))
"""


def server_round(source: Path, data: Path, json_checked: bool, r: int) -> Run:
    """Round ``r`` of the server's ingest job into a fresh data directory."""
    target = data.with_name(f"{data.name}-{r}")
    shutil.rmtree(target, ignore_errors=True)
    run = checked(
        run_process(
            [sys.executable, "-c", SERVER_JOB, str(source), str(target), str(int(json_checked))]
        ),
        f"server ingest job of {source}",
    )
    shutil.rmtree(target, ignore_errors=True)
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="10K images instead of 100K")
    ap.add_argument("--variant", choices=VARIANTS, default="full_precision")
    ap.add_argument("--rounds", type=int, default=3, help="repetitions of every measurement")
    ap.add_argument("--keep", help="generate into this folder and keep (and reuse) it")
    opts = ap.parse_args()
    n_images = 10_000 if opts.small else 100_000
    work = Path(opts.keep) if opts.keep else Path(tempfile.mkdtemp(prefix="vl-bench-srv-"))
    work.mkdir(parents=True, exist_ok=True)
    precompile(REPO)
    try:
        with bench_lock():
            path, boxes = generate(work, [opts.variant], n_images)[opts.variant]
            size = path.stat().st_size / 1e6
            load0, env = load_average(), environment()
            runs = interleave(
                {
                    "server job, checked": partial(server_round, path, work / "srv-on", True),
                    "server job, unchecked": partial(server_round, path, work / "srv-off", False),
                    "CLI": partial(cli_round, path, work / "data-cli"),
                    "json.load": partial(json_load_round, path),
                },
                opts.rounds,
            )
            writer = checked(
                run_process([sys.executable, "-c", WRITER_ONLY, str(path), str(opts.rounds)]),
                "writer only",
            ).inner
            load1 = load_average()
    finally:
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)
    for case, case_runs in runs.items():
        got = {run.inner.get("records") for run in case_runs}
        assert got == {boxes}, f"{case}: {got} annotations, expected {boxes}"
    for run in runs["server job, checked"]:
        assert run.inner["sent"] == [True], "the parser's json_checked did not reach the writer"
    ref = [r.wall_s for r in runs["json.load"]]
    off = [r.inner["seconds"] for r in runs["server job, unchecked"]]
    rows = []
    for case, case_runs in runs.items():
        inner = [r.inner.get("seconds", r.wall_s) for r in case_runs]
        walls = [r.wall_s for r in case_runs]
        rows.append(
            [
                case,
                summary(inner).fmt(2, "s"),
                ratios(inner, off).fmt(3) if case.startswith("server") else "",
                summary(walls).fmt(2, "s"),
                ratios(walls, ref).fmt(2),
                summary([r.cpu_s for r in case_runs]).fmt(1, "s"),
                summary([r.peak_rss_mb for r in case_runs]).fmt(0, "MB"),
            ]
        )
    title = f"Server ingest job, {opts.variant} ({size:.0f} MB), {n_images:,} images, {boxes:,} boxes, {opts.rounds} rounds"
    print(header(title, env, load0, load1))
    print(
        table(
            [
                "case",
                "job (server: submit to done; CLI: whole process)",
                "/ unchecked job",
                "process wall",
                "wall / `json.load`",
                "CPU (process tree)",
                "peak RSS (tree)",
            ],
            rows,
        )
    )
    on, off_w = writer["checked"], writer["unchecked"]
    print(
        table(
            ["writer only (same batches, one process)", "CPU", "/ unchecked CPU", "wall"],
            [
                [
                    name,
                    summary([x["cpu"] for x in got]).fmt(2, "s"),
                    ratios([x["cpu"] for x in got], [x["cpu"] for x in off_w]).fmt(3),
                    summary([x["wall"] for x in got]).fmt(2, "s"),
                ]
                for name, got in (("checked", on), ("unchecked", off_w))
            ],
        )
    )
    print(
        "Median (min–max) over the rounds; ratios are paired round by round. The server job "
        "is timed inside its process after the imports (the parse worker's start included); "
        "process walls include start and imports."
    )


if __name__ == "__main__":
    main()
