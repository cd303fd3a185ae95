"""Label edits (issue #25 item 3, issue #28): one box replaced on one sample, in process.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_edit.py \\
        [--sizes 10000 100000] [--runs 5] [--cache /tmp/vl-browse-cache] [--out FILE]

Per size, the browsing benchmark's synthetic dataset (``bench_browse.dataset_dir``: ``n``
images, 3 ground-truth boxes each, models ``m1`` and ``m2``, tags, an evaluation of ``m1``)
is copied to a temporary directory (the cache stays as written) and opened with a held box
index (one filtered facets request first). Then, ``--runs`` times, on a random sample:

* **edit**: ``replace_labels`` of its ground truth by one box: the write, the SQL
  structures refreshed for that sample in its transaction, the held index patched after
  the commit; with the time of each registered structure's step;
* **next facets**: the filtered facets request right after (the answers cache is dropped by
  the write), answered from the patched index; **edit + facets** is the time until the
  next filtered facets answer after the user saved;
* against a **full rebuild**: every derived SQL table of the dataset refreshed from its rows
  (what a writer calling every refresh pays), the box index built again (what the warmer or
  the next request paid after any box write before the registry), and the next facets
  request after that build.

Median and range in ms over the runs; the machine, commit and load average with the table.
"""

from __future__ import annotations

import argparse
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
from harness import environment, header, load_average, run_locked, summary, table

import visionlens_jlab.catalog.indexes.box_index as box_indexes
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.derived import (
    Change,
    Kind,
    apply_change,
    registry,
)
from visionlens_jlab.catalog.plan import facets
from visionlens_jlab.catalog.store.result_cache import ResultCache
from visionlens_jlab.catalog.writes.sample_labels import replace_labels
from visionlens_jlab.evaluate.eval_summaries import refresh_eval_summaries
from visionlens_jlab.features import load as load_features

SPEC = {"labels": {"source": "ground_truth", "classes": ["cat", "dog"]}}
"""The browsing benchmark's first filtered facets request (two ground-truth classes)."""


def timed_steps(times: dict[str, list[float]]) -> list[registry.Structure]:
    """Record the time of every registered structure's refresh and patch in ``times``;
    returns the structures as registered before (to register again after)."""
    every = {s.name: s for kind in Kind for s in registry.ordered(kind)}
    for name, structure in every.items():

        def wrap(fn: Any, key: str) -> Any:
            def run(*args: Any) -> Any:
                t0 = time.perf_counter()
                out = fn(*args)
                times[key].append((time.perf_counter() - t0) * 1000)
                return out

            return run

        registry.register_structure(
            registry.Structure(
                name,
                structure.kinds,
                structure.refresh and wrap(structure.refresh, f"{name} (in the write)"),
                structure.patch and wrap(structure.patch, f"{name} (after the commit)"),
                structure.after,
            )
        )
    return list(every.values())


def ms(fn: Any, *args: Any) -> float:
    """Milliseconds of ``fn(*args)``."""
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1000


def measure(n: int, runs: int, cache: Path) -> dict[str, list[float]]:
    source = dataset_dir(cache, n)
    times: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix=f"vl-edit-{n}-") as tmp:
        shutil.copytree(source, tmp, dirs_exist_ok=True)
        cat = Catalog(tmp, result_cache_mb=0)
        cat.results = ResultCache(0)  # every request computed: the write drops it anyway
        with cat.cursor() as cur:
            ds = cat.dataset_id(cur, "bench")
        facets.facets(cat, "bench", SPEC)  # the index held, as in a browsing session
        rnd = random.Random(n)
        steps: dict[str, list[float]] = defaultdict(list)
        originals = timed_steps(steps)
        for _ in range(runs):
            sample = rnd.randint(1, n)
            with cat.cursor() as cur:
                ((w, h),) = cur.execute(
                    "SELECT width, height FROM samples WHERE sample_id = ?", [sample]
                ).fetchall()
            box = {"label": rnd.choice(["cat", "dog"]), "x": 1, "y": 1, "w": w / 3, "h": h / 3}
            edit = ms(replace_labels, cat, ds, sample, "ground_truth", [box])
            held = box_indexes.held_index(cat, ds)
            answer = ms(facets.facets, cat, "bench", SPEC)
            assert box_indexes.held_index(cat, ds) is held, "the request rebuilt the index"
            times["edit"].append(edit)
            times["next facets"].append(answer)
            times["edit + facets"].append(edit + answer)

            def full_sql() -> None:
                with cat.write(ds) as cur:
                    apply_change(cat, cur, Change(ds, Kind.SAMPLES_ADDED))
                    refresh_eval_summaries(cur, ds)

            steps_before = {k: len(v) for k, v in steps.items()}
            times["full rebuild: SQL tables"].append(ms(full_sql))
            for key in list(steps):  # only the edit's steps are reported
                del steps[key][steps_before.get(key, 0) :]
            with cat.cursor() as cur:
                times["full rebuild: box index"].append(
                    ms(lambda: box_indexes.box_index(cat, cur, ds))
                )
            times["full rebuild: next facets"].append(ms(facets.facets, cat, "bench", SPEC))
        cat.close()
        for structure in originals:
            registry.register_structure(structure)
    for key, values in steps.items():
        if values:  # (a step only the full rebuild runs has none)
            times[f"  step: {key}"] = values
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/vl-browse-cache"))
    ap.add_argument("--out", type=Path)
    opts = ap.parse_args()
    load_features()  # the features' tables and migration steps, before any catalog opens
    env, load_start = environment(), load_average()
    results = {n: measure(n, opts.runs, opts.cache) for n in opts.sizes}
    rows = []
    for key in results[opts.sizes[0]]:
        cells = []
        for n in opts.sizes:
            values = results[n].get(key)
            cells.append(summary(values).fmt(1) if values else "—")
        rows.append([key, *cells])
    text = header("One-box label edit, in process", env, load_start, load_average())
    text += f"\n{opts.runs} runs per size; median (min–max) in ms.\n\n"
    text += table(["", *(f"{n:,} images" for n in opts.sizes)], rows)
    if opts.out:
        opts.out.write_text(text)
    print(text)


if __name__ == "__main__":
    run_locked(main)
