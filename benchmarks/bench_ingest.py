"""Ingest benchmark: COCO variants vs ``json.load`` end to end, YOLO and VOC trees, queries.

Generates its own data (``benchmarks/coco_variants.py``: plain, full-precision polygons,
4-point full-precision polygons, RLE-heavy crowd, pretty-printed, extra keys; YOLO and VOC trees from ``tests.ingest_fixtures``)
and measures, in rounds whose order rotates (``benchmarks/harness.py``):

* **CLI**: ``visionlens ingest FILE --name N --data-dir D --json`` as a fresh process (start,
  imports, parse and DuckDB writes), with the peak RSS of its process tree;
* **in-process**: the same ``open_dataset`` + ``write_dataset`` timed after the imports;
* **reference**: ``python -c 'json.load(...)'`` as a fresh process, and its in-process time.

    python benchmarks/bench_ingest.py                      # 100K images / 700K boxes, 3 rounds
    python benchmarks/bench_ingest.py --small              # 10K / 70K
    python benchmarks/bench_ingest.py --variants plain pretty --rounds 5 --keep /tmp/data
"""

from __future__ import annotations

import argparse
import compileall
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from coco_variants import VARIANTS, write_variant
from harness import (
    REPO,
    Run,
    bench_lock,
    checked,
    child_env,
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

JSON_LOAD = r"""
import json, sys, time
t0 = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    doc = json.load(f)
print(json.dumps({"seconds": time.perf_counter() - t0, "records": len(doc["annotations"])}))
"""

IN_PROCESS = r"""
import json, sys, time
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.features import load as load_features
from visionlens_jlab.catalog.store.ingest_reservations import INGEST_MEMORY_LIMIT
from visionlens_jlab.ingest.open import open_dataset
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
source, data, fmt = sys.argv[1:4]
t0 = time.perf_counter()
load_features()  # the features' tables, before the catalog opens
with Catalog(data, ingest_memory_limit=INGEST_MEMORY_LIMIT) as catalog:  # as the CLI opens it
    s = write_dataset(catalog, "bench", open_dataset(source, fmt))
print(json.dumps({"seconds": time.perf_counter() - t0, "records": s.annotations}))
"""

QUERIES = r"""
import json, statistics, sys, time
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads.queries import facets, samples_page
data, name, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
specs = {
    "samples page, class + box-count filter":
        lambda c: samples_page(c, name, {"labels": {"classes": ["class_3", "class_7"]},
                                        "box_count": {"min": 5}},
                               limit=100, offset=200, sort="file_name"),
    "samples page, width + area filter, sorted":
        lambda c: samples_page(c, name, {"sample": {"width": {"min": 600}},
                                        "labels": {"where": {"area": {"max": 2000}}}},
                               limit=100, offset=200, sort="file_name"),
    "facets, class filter":
        lambda c: facets(c, name, {"labels": {"classes": ["class_3"]}}),
}
out = {}
load_features()  # the features' tables, before the catalog opens
with Catalog(data) as catalog:
    for label, call in specs.items():
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            result = call(catalog)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out[label] = {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1],
                      "total": result["total"]}
print(json.dumps(out))
"""


def cli_ingest(source: Path, data: Path, fmt: str = "auto", code: str | None = None) -> Run:
    """``visionlens ingest`` into a fresh data directory, as a user runs it (``code``: another
    checkout of the package to run instead of this one, e.g. the code before a change)."""
    shutil.rmtree(data, ignore_errors=True)
    run = checked(
        run_process(
            cli_command("ingest", str(source), "--name", "bench", "--format", fmt)
            + ["--data-dir", str(data), "--json"],
            env=child_env(PYTHONPATH=code) if code else None,
        ),
        f"visionlens ingest {source}",
    )
    run.inner["records"] = run.inner.get("annotations")
    return run


def in_process_ingest(source: Path, data: Path, fmt: str = "auto") -> Run:
    """The same ingest timed inside the process, after its imports."""
    shutil.rmtree(data, ignore_errors=True)
    return checked(
        run_process([sys.executable, "-c", IN_PROCESS, str(source), str(data), fmt]),
        f"in-process ingest of {source}",
    )


def cli_round(source: Path, data: Path, r: int, fmt: str = "auto", code: str | None = None) -> Run:
    """Round ``r`` of :func:`cli_ingest` (its own data directory)."""
    return cli_ingest(source, data.with_name(f"{data.name}-{r}"), fmt, code)


def in_process_round(source: Path, data: Path, r: int) -> Run:
    """Round ``r`` of :func:`in_process_ingest` (its own data directory)."""
    return in_process_ingest(source, data.with_name(f"{data.name}-{r}"))


def json_load_round(source: Path, r: int) -> Run:
    """The reference: ``json.load`` of the file in a fresh interpreter."""
    return checked(run_process([sys.executable, "-c", JSON_LOAD, str(source)]), "json.load")


def precompile(*checkouts: Path) -> None:
    """Write the bytecode of each checkout's package, as ``pip install`` does: with
    ``PYTHONDONTWRITEBYTECODE`` set (this machine's shells set it) every measured CLI would
    otherwise compile its ~0.5 s of sources again, which no installed copy does."""
    for checkout in checkouts:
        compileall.compile_dir(checkout / "visionlens_jlab", quiet=1)


def generate(work: Path, variants: list[str], n_images: int) -> dict[str, tuple[Path, int]]:
    """The variant files (reused from an earlier ``--keep`` run of the same size)."""
    files = {}
    for name in variants:
        path = work / f"coco_{name}_{n_images}.json"
        marker = path.with_suffix(".boxes")
        if not marker.exists():
            t = time.perf_counter()
            marker.write_text(str(write_variant(name, path, n_images)))
            size = path.stat().st_size / 1e6
            print(
                f"generated {name} in {time.perf_counter() - t:.0f} s ({size:.0f} MB)",
                file=sys.stderr,
            )
        files[name] = (path, int(marker.read_text()))
    return files


def bench_coco(
    files: dict[str, tuple[Path, int]], work: Path, rounds: int, baseline: str | None
) -> tuple[list[list[str]], list[list[str]]]:
    """One row per variant: CLI and in-process vs json.load, paired, with peak RSS; and, with
    a ``baseline`` checkout, its CLI in the same rounds (before / after rows)."""
    rows, compared = [], []
    for name, (path, boxes) in files.items():
        print(f"{name}: {path.stat().st_size / 1e6:.0f} MB", file=sys.stderr)
        cases: dict[str, Callable[[int], Run]] = {
            "cli": partial(cli_round, path, work / "data-cli"),
            "in-process": partial(in_process_round, path, work / "data-inproc"),
            "json.load": partial(json_load_round, path),
        }
        if baseline:
            cases["cli, baseline"] = partial(cli_round, path, work / "data-base", code=baseline)
        runs = interleave(cases, rounds)
        for case, case_runs in runs.items():
            got = {run.inner.get("records") for run in case_runs}
            assert got == {boxes}, f"{name} {case}: {got} annotations, expected {boxes}"
        cli, inproc, ref = runs["cli"], runs["in-process"], runs["json.load"]
        wall = [r.wall_s for r in cli]
        ref_wall = [r.wall_s for r in ref]
        rows.append(
            [
                f"{name} ({path.stat().st_size / 1e6:.0f} MB)",
                summary(wall).fmt(2, "s"),
                summary(ref_wall).fmt(2, "s"),
                f"**{ratios(wall, ref_wall).fmt(2)}**",
                f"**{summary([r.peak_rss_mb for r in cli]).fmt(0, 'MB')}**",
                summary([r.inner["seconds"] for r in inproc]).fmt(2, "s"),
                ratios([r.inner["seconds"] for r in inproc], [r.inner["seconds"] for r in ref]).fmt(
                    2
                ),
                summary([r.peak_rss_mb for r in ref]).fmt(0, "MB"),
            ]
        )
        if baseline:
            base = runs["cli, baseline"]
            base_wall = [r.wall_s for r in base]
            compared.append(
                [
                    name,
                    f"{summary(base_wall).fmt(2, 's')}, {ratios(base_wall, ref_wall).fmt(2)}x",
                    f"{summary(wall).fmt(2, 's')}, {ratios(wall, ref_wall).fmt(2)}x",
                    summary([r.peak_rss_mb for r in base]).fmt(0, "MB"),
                    summary([r.peak_rss_mb for r in cli]).fmt(0, "MB"),
                    summary([r.cpu_s for r in base]).fmt(1, "s"),
                    summary([r.cpu_s for r in cli]).fmt(1, "s"),
                    summary([r.cpu_s for r in ref]).fmt(1, "s"),
                ]
            )
        for d in work.glob("data-*"):
            shutil.rmtree(d, ignore_errors=True)
    return rows, compared


def bench_trees(work: Path, n_images: int, rounds: int) -> list[list[str]]:
    """YOLO and VOC trees through the CLI (no reference: their cost is file reads)."""
    from tests.ingest_fixtures import write_voc, write_yolo

    rows = []
    for fmt, n, per_image, write in (
        ("yolo", n_images, 4, write_yolo),
        ("voc", n_images // 5, 3, write_voc),
    ):
        root = work / f"{fmt}_{n}"
        marker = root.with_suffix(".boxes")
        if not marker.exists():
            shutil.rmtree(root, ignore_errors=True)
            marker.write_text(str(write(root, n, per_image)))
        boxes = int(marker.read_text())
        runs = interleave({fmt: partial(cli_round, root, work / f"data-{fmt}", fmt=fmt)}, rounds)[
            fmt
        ]
        assert {r.inner["records"] for r in runs} == {boxes}
        rows.append(
            [
                f"{fmt.upper()} {n:,} images / {boxes:,} boxes",
                summary([r.wall_s for r in runs]).fmt(2, "s"),
                summary([r.peak_rss_mb for r in runs]).fmt(0, "MB"),
            ]
        )
    return rows


def bench_queries(path: Path, work: Path, reps: int, rounds: int) -> list[list[str]]:
    """Filtered pages and facets over the ingested plain set, in fresh processes."""
    data = work / "data-queries"
    cli_ingest(path, data)
    runs = interleave(
        {
            "queries": lambda r: checked(
                run_process([sys.executable, "-c", QUERIES, str(data), "bench", str(reps)]),
                "queries",
            )
        },
        rounds,
    )["queries"]
    rows = []
    for label in runs[0].inner:
        stats = [r.inner[label] for r in runs]
        rows.append(
            [
                f"{label} ({stats[0]['total']:,} matches)",
                summary([s["p50"] for s in stats]).fmt(1, "ms"),
                summary([s["p95"] for s in stats]).fmt(1, "ms"),
            ]
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="10K images instead of 100K")
    ap.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    ap.add_argument("--rounds", type=int, default=3, help="repetitions of every measurement")
    ap.add_argument("--reps", type=int, default=40, help="query repetitions per process")
    ap.add_argument("--coco-only", action="store_true", help="skip YOLO, VOC and the queries")
    ap.add_argument("--keep", help="generate into this folder and keep (and reuse) it")
    ap.add_argument(
        "--baseline",
        help="a checkout of the code before a change (e.g. `git worktree add DIR REV`): its "
        "CLI runs in the same rounds, for a paired before/after table",
    )
    opts = ap.parse_args()
    n_images = 10_000 if opts.small else 100_000
    work = Path(opts.keep) if opts.keep else Path(tempfile.mkdtemp(prefix="vl-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    precompile(REPO, *([Path(opts.baseline)] if opts.baseline else []))
    try:
        with bench_lock():
            files = generate(work, opts.variants, n_images)
            load0, env = load_average(), environment()
            coco, compared = bench_coco(files, work, opts.rounds, opts.baseline)
            trees = queries = []
            if not opts.coco_only:
                trees = bench_trees(work, n_images, opts.rounds)
                plain = files.get("plain") or generate(work, ["plain"], n_images)["plain"]
                queries = bench_queries(plain[0], work, opts.reps, opts.rounds)
            load1 = load_average()
    finally:
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(header(f"COCO ingest, {n_images:,} images, {opts.rounds} rounds", env, load0, load1))
    print(
        table(
            [
                "COCO variant",
                "CLI wall",
                "`json.load` wall",
                "CLI / `json.load`",
                "CLI peak RSS",
                "in-process",
                "in-process / `json.load` in-process",
                "`json.load` peak RSS",
            ],
            coco,
        )
    )
    if compared:
        print(
            table(
                [
                    "variant",
                    f"before (`{opts.baseline}`): CLI wall, / `json.load`",
                    "after: CLI wall, / `json.load`",
                    "before peak RSS",
                    "after peak RSS",
                    "before CPU",
                    "after CPU",
                    "`json.load` CPU",
                ],
                compared,
            )
        )
    if trees:
        print(table(["tree (through the CLI)", "wall", "peak RSS"], trees))
    if queries:
        print(table(["query (plain set, fresh process each round)", "p50", "p95"], queries))
    print(
        "Median (min–max) over the rounds; ratios are paired round by round. Walls are whole "
        "processes (start and imports included, from compiled bytecode); `in-process` is "
        "timed after the imports."
    )


if __name__ == "__main__":
    main()
