"""Edits through the operation log and versions (issue #28), in process and by the CLI.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_versions.py \\
        [--sizes 10000 100000] [--runs 3] [--bulk 10000] [--cache /tmp/vl-browse-cache]
        [--out FILE]

Per size, the browsing benchmark's synthetic dataset (``bench_browse.dataset_dir``: ``n``
images, 3 ground-truth boxes each, models ``m1`` and ``m2``, an evaluation of ``m1``) is
copied to a temporary directory and opened with a held box index (one filtered facets
request). Then ``--runs`` times:

* **snapshot**: a version (one row) and the catalog file's growth for it (after a
  ``CHECKPOINT`` on either side);
* **edit → new counts**: ``apply_edits`` of one relabel on a random ground-truth box (the
  touched sample's boxes matched again for the evaluation, ``evaluate/rematch.py``), then
  the next filtered facets request (answered from the patched index): the time from the edit
  request to the new counts;
* **bulk relabel**: one batch relabelling ``--bulk`` random ground-truth boxes (one
  transaction; its log rows), and the next facets request (past ``MAX_PATCHED`` samples
  the patch is folded into the index's planes, :mod:`~visionlens_jlab.catalog.indexes.box_patches`);
* **diff** from the run's version to ``current`` (the bulk batch folded per object), the
  same diff with ``model="m1"`` (its predictions evaluated, COCO, on the labels at the
  version and now: two loads and two evaluations), and **restore** of that version (the
  inverse batch), and the next facets request.

Whether the box index held at the start was ever rebuilt is noted under the table.

With ``--edits-only`` the run stops there and leaves out the diff with the evaluation and
the CLI (minutes at 1M images); it adds, as the reference of the fix that brought the edit
down, the touched sample's eval facet counts (``rematch.touched_value_counts``) by the query as it
was (a lateral unpivot before the filter) and as it is, on the same catalog.

Then the catalog is closed and the CLI runs end to end, ``--runs`` times each (a new
process opening the catalog): ``visionlens edit`` of one operation, ``visionlens snapshot``
and ``visionlens diff`` (without and with ``--model m1``). The disk the log takes is the
file's growth over the whole run, shown beside the number of log rows written.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_browse import dataset_dir
from harness import (
    checked,
    cli_command,
    environment,
    header,
    load_average,
    run_locked,
    run_process,
    summary,
    table,
)

import visionlens_jlab.catalog.indexes.box_index as box_indexes
from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.plan import facets
from visionlens_jlab.catalog.store.result_cache import ResultCache
from visionlens_jlab.config import CATALOG_FILE
from visionlens_jlab.evaluate.rematch import touched_value_counts
from visionlens_jlab.features import load as load_features

SPEC = {"labels": {"source": "ground_truth", "classes": ["cat", "dog"]}}
"""The browsing benchmark's first filtered facets request (two ground-truth classes)."""


def ms(fn: Any, *args: Any) -> tuple[float, Any]:
    """Milliseconds of ``fn(*args)``, and its value."""
    t0 = time.perf_counter()
    out = fn(*args)
    return (time.perf_counter() - t0) * 1000, out


def file_mb(cat: Catalog, path: Path) -> float:
    """The catalog file's size after a checkpoint, in MB. No write first: an unscoped
    ``cat.write()`` drops every dataset's derived rows (the index token with them), which
    made the first figures' "next facets" a rebuild of every in-memory index."""
    with cat.cursor() as cur:
        cur.execute("CHECKPOINT")
    return (path / CATALOG_FILE).stat().st_size / 1e6


def relabels(cur: Any, rnd: random.Random, k: int) -> list[dict[str, Any]]:
    """One relabel (cat <-> dog, or to cat) of each of ``k`` random ground-truth boxes."""
    rows = cur.execute(
        "SELECT ann_id, label FROM annotations WHERE source = 'ground_truth'"
    ).fetchall()
    return [
        {"op": "relabel", "annotation_id": a, "label": "dog" if label == "cat" else "cat"}
        for a, label in rnd.sample(rows, k)
    ]


OLD_VALUE_COUNTS = """
    SELECT f.facet, f.value, COUNT(*) FROM box_evaluations b,
    LATERAL (SELECT 'eval.status' AS facet, b.status AS value
             UNION ALL SELECT 'eval.error', b.error_type) f
    WHERE b.dataset_id = ? AND b.eval_key = ? AND f.value IS NOT NULL
      AND b.sample_id IN (SELECT unnest(?::BIGINT[]))
    GROUP BY ALL
"""
"""``rematch.touched_value_counts``'s query before the fix (the reference of ``--edits-only``)."""


def value_counts_rows(cat: Catalog, ds: int, rnd: random.Random, times: dict) -> None:
    """The eval facet counts of one random sample, by the old query and by the current."""
    with cat.cursor() as cur:
        ((key,),) = cur.execute("SELECT eval_key FROM evaluations LIMIT 1").fetchall()
        ((top,),) = cur.execute("SELECT MAX(sample_id) FROM samples").fetchall()
        ids = [rnd.randint(1, int(top))]
        old = ms(lambda: cur.execute(OLD_VALUE_COUNTS, [ds, key, ids]).fetchall())
        new = ms(touched_value_counts, cur, ds, key, ids)
    assert sorted(old[1]) == sorted((f, v, n) for (f, v), n in new[1].items())
    times["reference: eval facet counts of 1 sample, old query"].append(old[0])
    times["eval facet counts of 1 sample, as now"].append(new[0])


def measure(
    n: int, runs: int, bulk: int, cache: Path, edits_only: bool = False
) -> tuple[dict[str, list[float]], str]:
    source = dataset_dir(cache, n)
    times: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix=f"vl-versions-{n}-") as tmp:
        shutil.copytree(source, tmp, dirs_exist_ok=True)
        path = Path(tmp)
        cat = Catalog(tmp, result_cache_mb=0)
        cat.results = ResultCache(0)
        facets.facets(cat, "bench", SPEC)  # the index held, as in a browsing session
        with cat.cursor() as cur:
            ds = cat.dataset_id(cur, "bench")
        kept: list[bool] = []  # per facets request: it answered from the index the write left

        def counts_after() -> float:
            held = box_indexes.held_index(cat, ds)
            took = ms(facets.facets, cat, "bench", SPEC)[0]
            kept.append(held is not None and box_indexes.held_index(cat, ds) is held)
            return took

        rnd = random.Random(n)
        start_mb = file_mb(cat, path)
        for _ in range(runs):
            before = file_mb(cat, path)
            took, version = ms(edits.snapshot, cat, "bench", "bench", "bench")
            times["snapshot (in process)"].append(took)
            times["snapshot: file growth, MB"].append(file_mb(cat, path) - before)
            with cat.cursor() as cur:
                one = relabels(cur, rnd, 1)
                many = relabels(cur, rnd, bulk)
            edit, _ = ms(edits.apply_edits, cat, "bench", one, "bench")
            answer = counts_after()
            times["edit (1 relabel)"].append(edit)
            times["next facets"].append(answer)
            times["edit → new counts"].append(edit + answer)
            bulk_ms = ms(edits.apply_edits, cat, "bench", many, "bench")[0]
            answer = counts_after()
            times[f"bulk relabel of {bulk:,} objects"].append(bulk_ms)
            times["next facets after the bulk relabel"].append(answer)
            times["bulk relabel → new counts"].append(bulk_ms + answer)
            times["diff version → current"].append(
                ms(edits.diff_versions, cat, "bench", version["version"], "current")[0]
            )
            if edits_only:
                value_counts_rows(cat, ds, rnd, times)
                continue
            times["diff version → current with m1's COCO evaluation"].append(
                ms(lambda v: edits.diff_versions(cat, "bench", v, "current", model="m1"),
                   version["version"])[0]
            )  # fmt: skip
            times["restore version"].append(
                ms(edits.restore_version, cat, "bench", version["version"], "bench")[0]
            )
            times["next facets after the restore"].append(counts_after())
        with cat.cursor() as cur:
            ((logged,),) = cur.execute("SELECT COUNT(*) FROM edit_ops").fetchall()
        grown = file_mb(cat, path) - start_mb
        cat.close()
        note = f"{n:,} images: {logged:,} log rows written; the file grew {grown:.1f} MB in all"
        note += f"; facets requests answered by the index the edit left: {sum(kept)}/{len(kept)}"
        if edits_only:
            return times, note
        ops = path / "ops.json"
        with Catalog(tmp) as cat, cat.cursor() as cur:
            ops.write_text(json.dumps(relabels(cur, rnd, 1)))
        for _ in range(runs):
            for name, argv in (
                ("CLI edit (1 op, end to end)", ["edit", "bench", "--ops", str(ops)]),
                ("CLI snapshot (end to end)", ["snapshot", "bench"]),
                ("CLI diff 1 → current (end to end)", ["diff", "bench", "1", "current"]),
                (
                    "CLI diff 1 → current --model m1 (end to end)",
                    ["diff", "bench", "1", "current", "--model", "m1"],
                ),
            ):
                run = checked(run_process(cli_command(*argv, "--data-dir", tmp, "--json")), name)
                times[name].append(run.wall_s * 1000)
            ops.write_text(ops.read_text().replace('"cat"', '"tmp"').replace('"dog"', '"cat"')
                           .replace('"tmp"', '"dog"'))  # fmt: skip
    return times, note


def p95_line(times: dict[str, list[float]]) -> str:
    """The issue's figure: the 95th percentile of edit → new counts (nearest rank), with how
    many runs it rests on (fewer than 20 runs cannot tell a p95 from the maximum)."""
    values = sorted(times["edit → new counts"])
    rank = max(1, math.ceil(0.95 * len(values)))
    return f"edit → new counts p95 {values[rank - 1]:.1f} ms over {len(values)} runs"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bulk", type=int, default=10_000)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/vl-browse-cache"))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--edits-only", action="store_true", help="no model diff, no CLI")
    opts = ap.parse_args()
    load_features()
    env, load_start = environment(), load_average()
    results = {n: measure(n, opts.runs, opts.bulk, opts.cache, opts.edits_only) for n in opts.sizes}
    rows = []
    for key in results[opts.sizes[0]][0]:
        cells = [summary(results[n][0][key]).fmt(1) for n in opts.sizes]
        rows.append([key, *cells])
    text = header("Edits through the operation log, versions", env, load_start, load_average())
    text += f"\n{opts.runs} runs per size; median (min–max) in ms unless named.\n\n"
    text += table(["", *(f"{n:,} images" for n in opts.sizes)], rows)
    text += "\n" + "\n".join(f"- {results[n][1]}" for n in opts.sizes) + "\n"
    text += "".join(f"- {n:,} images: {p95_line(results[n][0])}\n" for n in opts.sizes)
    if opts.out:
        opts.out.write_text(text)
    print(text)


if __name__ == "__main__":
    run_locked(main)
