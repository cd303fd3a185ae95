"""Browsing a saved version against browsing the current labels (issue #28), in process and
through REST as a user runs it.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_version_browse.py \\
        [--size 20000] [--edits 2000] [--runs 3] [--reps 5] [--cache /tmp/vl-browse-cache]
        [--code DIR] [--out FILE]

The browsing benchmark's synthetic dataset (``bench_browse.dataset_dir``: ``--size`` images,
3 ground-truth boxes each, models ``m1`` and ``m2``, an evaluation of ``m1``) is copied to a
temporary directory; version 1 is saved, then ``--edits`` operations on random ground-truth
boxes (relabels, moves, deletes, tags, in batches of 200) are written through the edit log.
Each request below is then read at the current labels and at version 1:

* **in process** (``queries.samples_page`` / ``queries.facets`` / ``patches_page`` on an open
  catalog with the answers cache off, the in-memory indexes held): per run, ``--reps``
  requests each, the run's median; also the current labels with the planner forced to the
  SQL route (``forced_sql``: the route a version's read takes, no in-memory index holding
  a version); the first browse of the version (which copies it) is timed apart;
* **through REST** (a real ``jupyter server`` started per run, the catalog opened by it,
  a keep-alive connection; a write that matches nothing before every request, so the
  answers cache cannot serve it): the same, plus the time from starting the server to the
  first answer at the version (process start, imports, catalog open included).

``--code DIR``: measure the ``visionlens_jlab`` of another checkout (e.g. the code before
a change: ``git archive REV visionlens_jlab | tar -x -C DIR``), in process and in the server.

There is no CLI for a page, a count or facets: a user browses through the lab or a
notebook, both of which send these REST requests.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

CODE = Path(__file__).resolve().parents[1]
if "--code" in sys.argv:  # the measured checkout's package first, before anything imports it
    CODE = Path(sys.argv[sys.argv.index("--code") + 1]).resolve()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_browse import TOUCH, Server, dataset_dir  # noqa: E402
from harness import environment, header, load_average, run_locked, summary, table  # noqa: E402

sys.path.insert(0, str(CODE))  # after bench_browse, which puts this checkout first

import visionlens_jlab  # noqa: E402
from visionlens_jlab import edits  # noqa: E402
from visionlens_jlab.catalog import Catalog  # noqa: E402
from visionlens_jlab.catalog.plan.planner import forced_sql  # noqa: E402
from visionlens_jlab.catalog.reads import queries  # noqa: E402
from visionlens_jlab.catalog.reads.object_pages import parse_patch_query, patches_page  # noqa: E402
from visionlens_jlab.catalog.store.result_cache import ResultCache  # noqa: E402
from visionlens_jlab.features import load as load_features  # noqa: E402

CLASSES = {"labels": {"source": "ground_truth", "classes": ["cat", "dog"]}}
AREA = {"labels": {"source": "ground_truth", "where": {"area": {"min": 1000, "max": 5000}}}}
REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("page of 60, two gt classes", "samples/query", {"filter": CLASSES, "limit": 60}),
    ("page of 60 sorted by box_count.ground_truth", "samples/query",
     {"sort": "box_count.ground_truth", "order": "desc", "limit": 60}),
    ("count, two gt classes", "samples/query", {"filter": CLASSES, "limit": 0}),
    ("count, gt area 1000-5000", "samples/query", {"filter": AREA, "limit": 0}),
    ("facets, no filter", "facets", {}),
    ("facets, two gt classes", "facets", {"filter": CLASSES}),
    ("patches page of 60, gt cats by area", "patches",
     {"filter": {"labels": {"source": "ground_truth", "classes": ["cat"]}}, "sort": "area",
      "limit": 60}),
]  # fmt: skip
"""(label, REST path, body) of every measured request; the body's ``version`` is added."""


def in_process(cat: Catalog, path: str, body: dict[str, Any]) -> Any:
    """What the REST route of ``path`` answers for ``body``, called in process."""
    version = body.get("version")
    if path == "facets":
        return queries.facets(cat, "bench", body.get("filter"), version)
    if path == "patches":
        return patches_page(cat, "bench", body.get("filter"), parse_patch_query(body))
    return queries.samples_page(
        cat, "bench", body.get("filter"), limit=body["limit"], sort=body.get("sort"),
        order=body.get("order"), version=version,
    )  # fmt: skip


def sql_route(cat: Catalog, path: str, body: dict[str, Any]) -> Any:
    """:func:`in_process` with every plan forced to the SQL route."""
    with forced_sql():
        return in_process(cat, path, body)


SIDES: tuple[tuple[str, int | None, Callable[[Catalog, str, dict[str, Any]], Any]], ...] = (
    ("current", None, in_process),
    ("current, SQL route", None, sql_route),
    ("v1", 1, in_process),
)
"""(name, version, call) of each side measured in process."""


def ms(fn: Callable[[], Any]) -> float:
    """Milliseconds of ``fn()``."""
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def edit_log(cat: Catalog, rnd: random.Random, k: int) -> None:
    """``k`` operations on random ground-truth boxes, in batches of 200."""
    with cat.cursor() as cur:
        rows = cur.execute(
            "SELECT ann_id, label FROM annotations WHERE source = 'ground_truth'"
        ).fetchall()
    picked = rnd.sample(rows, k)
    ops: list[dict[str, Any]] = []
    for i, (ann, label) in enumerate(picked):
        kind = i % 4
        if kind == 0:
            ops.append({"op": "relabel", "annotation_id": ann,
                        "label": "dog" if label == "cat" else "cat"})  # fmt: skip
        elif kind == 1:
            ops.append({"op": "move", "annotation_id": ann, "bbox": [1, 2, 40, 50]})
        elif kind == 2:
            ops.append({"op": "delete", "annotation_id": ann})
        else:
            ops.append({"op": "tag", "annotation_id": ann, "tag": "checked"})
    for start in range(0, k, 200):
        edits.apply_edits(cat, "bench", ops[start : start + 200], "bench")


def measure_in_process(data: Path, runs: int, reps: int) -> dict[str, list[float]]:
    """Per request and side (current / v1), one median per run; and the first browse."""
    times: dict[str, list[float]] = defaultdict(list)
    cat = Catalog(data, result_cache_mb=0)
    cat.results = ResultCache(0)
    try:
        first = REQUESTS[0]
        times["first browse of v1: " + first[0]].append(
            ms(lambda: in_process(cat, first[1], {**first[2], "version": 1}))
        )
        for _label, path, body in REQUESTS:  # warm-up: the indexes held, every side answered
            for _name, side, call in SIDES:
                call(cat, path, {**body, "version": side})
        for _ in range(runs):
            for label, path, body in REQUESTS:
                for name, side, call in SIDES:
                    asked = {**body, "version": side}
                    one = [ms(partial(call, cat, path, asked)) for _ in range(reps)]
                    times[f"{label} | {name}"].append(statistics.median(one))
    finally:
        cat.close()
    return times


def measure_rest(data: Path, runs: int, reps: int) -> dict[str, list[float]]:
    """As :func:`measure_in_process`, through a real server started per run."""
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        t0 = time.perf_counter()
        server = Server(CODE, data)
        try:
            first = REQUESTS[0]
            status, raw = server.post(f"datasets/bench/{first[1]}", {**first[2], "version": 1})
            if status != 200:
                raise RuntimeError(f"the first request failed: {raw[:300]!r}")
            times["server start → first answer at v1"].append((time.perf_counter() - t0) * 1000)
            for label, path, body in REQUESTS:
                for side, name in ((None, "current"), (1, "v1")):
                    asked = {**body, "version": side}
                    server.post(f"datasets/bench/{path}", asked)  # warm-up
                    one = []
                    for _ in range(reps):
                        status, raw = server.post(TOUCH, {"filter": {"ids": []}, "add": ["t"]})
                        if status != 200:
                            raise RuntimeError(f"the write failed: {raw[:300]!r}")
                        t1 = time.perf_counter()
                        status, raw = server.post(f"datasets/bench/{path}", asked)
                        one.append((time.perf_counter() - t1) * 1000)
                        if status != 200:
                            raise RuntimeError(f"{label} failed: {raw[:300]!r}")
                    times[f"{label} | {name}"].append(statistics.median(one))
        finally:
            server.close()
    return times


def rows_of(times: dict[str, list[float]]) -> list[list[str]]:
    """Table rows: one per request with current, current by the SQL route (in process),
    v1 and the ratios of v1 to both; then the other figures."""
    rows, done = [], set()
    for key in times:
        if " | " not in key:
            rows.append([key, summary(times[key]).fmt(1), "", "", "", ""])
            continue
        label = key.split(" | ")[0]
        if label in done:
            continue
        done.add(label)
        then = times[f"{label} | v1"]
        cells = [label]
        for name in ("current", "current, SQL route"):
            now = times.get(f"{label} | {name}")
            cells.append(summary(now).fmt(1) if now else "–")
        cells.append(summary(then).fmt(1))
        for name in ("current", "current, SQL route"):
            now = times.get(f"{label} | {name}")
            ratios = [t / c for t, c in zip(then, now, strict=True)] if now else []
            cells.append(f"{statistics.median(ratios):.2f}" if ratios else "–")
        rows.append(cells)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=20_000)
    ap.add_argument("--edits", type=int, default=2_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/vl-browse-cache"))
    ap.add_argument("--code", type=Path, help="the checkout measured (default: this one)")
    ap.add_argument("--out", type=Path)
    opts = ap.parse_args()
    if not Path(visionlens_jlab.__file__).resolve().is_relative_to(CODE):
        raise SystemExit(f"measuring {visionlens_jlab.__file__}, not the code in {CODE}")
    load_features()
    env, load_start = environment(), load_average()
    source = dataset_dir(opts.cache, opts.size)
    with tempfile.TemporaryDirectory(prefix="vl-version-browse-") as tmp:
        shutil.copytree(source, tmp, dirs_exist_ok=True)
        with Catalog(tmp) as cat:
            edits.snapshot(cat, "bench", "v1", "bench")
            t0 = time.perf_counter()
            edit_log(cat, random.Random(opts.size), opts.edits)
            edit_s = time.perf_counter() - t0
        local = measure_in_process(Path(tmp), opts.runs, opts.reps)
        rest = measure_rest(Path(tmp), opts.runs, opts.reps)
    head = ["", "current", "current, SQL route", "version 1", "v1 / current", "v1 / SQL route"]
    text = header("Browsing a saved version", env, load_start, load_average())
    text += (
        f"\n{opts.size:,} images, {opts.edits:,} edits since version 1 (written in "
        f"{edit_s:.1f} s). {opts.runs} runs of {opts.reps} requests each: median of the "
        f"runs' medians (min–max) in ms; ratio: median over runs. Code measured: `{CODE}`.\n\n"
    )
    text += "### In process\n\n" + table(head, rows_of(local))
    text += "\n### Through REST (a real server per run; a write before every request)\n\n"
    text += table(head, rows_of(rest))
    if opts.out:
        opts.out.write_text(text)
    print(text)


if __name__ == "__main__":
    run_locked(main)
