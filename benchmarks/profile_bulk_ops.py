"""Wall and CPU seconds of the bulk operations at 1M images, in process (issue #54).

    python benchmarks/profile_bulk_ops.py WORK_DIR [--runs 3] [--profile]

``WORK_DIR``: made on first use from the browsing benchmark's 1M catalog
(``/tmp/vl-browse-cache/browse-1000000``, copied, never changed) with a real Qdrant Edge
store holding a 64-d vector for every sample (the dataset's vector space), then reused: each
run leaves it as it found it. Per run: the subset of every 10th sample (100K) into a new
dataset (then deleted again), the delete of the same 100K samples with their vectors, and
its undo, each checked; then the store's own work alone on the same 100K vectors (read,
upserted under new ids, deleted: the floor of the vector side). Each line: wall seconds, the
process's CPU seconds (every thread: DuckDB's, the store's), the load average.
``--profile``: cProfile of each operation (cumulative, top 45). A development measurement
without the benchmark lock, for when the lock is held for longer than a session has; the
figures of record come from ``bench_bulk_ops.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from visionlens_jlab import edits
from visionlens_jlab.bulk.delete_samples import delete_view_samples
from visionlens_jlab.bulk.subset import subset_dataset
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.embed.spaces import record_space
from visionlens_jlab.features import load as load_features
from visionlens_jlab.vectors import EdgeVectorStore

SOURCE = Path("/tmp/vl-browse-cache/browse-1000000")
DIM = 64


def prepare(work: Path) -> None:
    """The 1M catalog copied to ``work`` with a vector for every sample."""
    shutil.copytree(SOURCE, work)
    catalog = Catalog(work)
    store = EdgeVectorStore(work / "vectors" / "edge")
    try:
        with catalog.cursor() as cur:
            ds = catalog.dataset_id(cur, "bench")
            ids = cur.execute(
                "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY 1", [ds]
            ).fetchnumpy()["sample_id"]
            ids = np.asarray(ids, dtype=np.int64)
        space = store.ensure_space("bench", "1", DIM).name
        rng = np.random.default_rng(0)
        for start in range(0, len(ids), 8192):
            chunk = ids[start : start + 8192]
            store.upsert(space, chunk, rng.normal(size=(len(chunk), DIM)), dataset_ids=ds)
        record_space(catalog, ds, space=space, model="bench", version="1", dim=DIM,
                     preprocessing="bench", count=len(ids), complete=True, info={})  # fmt: skip
    finally:
        store.close()
        catalog.close()


def timed(name: str, fn: Callable[[], Any], profile: bool) -> Any:
    """Run ``fn``; print its wall and CPU seconds (and its profile)."""
    prof = cProfile.Profile() if profile else None
    t0, c0 = time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    out = fn()
    if prof:
        prof.disable()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{name}: {wall:.2f} s, {cpu:.2f} CPU s, load {os.getloadavg()[0]:.2f}", flush=True)
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
    return out


def one_run(catalog: Catalog, store: EdgeVectorStore, profile: bool) -> None:
    with catalog.cursor() as cur:
        ds = catalog.dataset_id(cur, "bench")
        ids = cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY 1", [ds]
        ).fetchnumpy()["sample_id"]
    ids = np.asarray(ids, dtype=np.int64)
    view = ids[ids % 10 == 0]
    spec = {"ids": view.tolist()}
    space = store.spaces()[0].name
    timed("subset", lambda: subset_dataset(catalog, "bench", "part", spec,
                                           vectors=lambda: store), profile)  # fmt: skip
    with catalog.cursor() as cur:
        part = catalog.dataset_id(cur, "part")
    assert store.count(space, part) == len(view)
    catalog.delete_dataset("part")
    store.delete_dataset(part)
    answer = timed("delete", lambda: delete_view_samples(catalog, "bench", spec, "bench",
                                                         vectors=lambda: store), profile)  # fmt: skip
    assert answer["samples"] == len(view) == answer["vectors"][space]
    assert store.count(space, ds) == len(ids) - len(view)
    timed("undo", lambda: edits.undo(catalog, "bench", "bench", vectors=lambda: store), profile)
    assert store.count(space, ds) == len(ids)
    found, matrix = timed("store alone: read 100K", lambda: store.get_vectors(space, view), False)
    new = found + int(ids.max()) + 1

    def upsert() -> None:
        for start in range(0, len(new), 8192):
            chunk = slice(start, start + 8192)
            store.upsert(space, new[chunk], matrix[chunk], dataset_ids=-1)

    timed("store alone: upsert 100K", upsert, False)
    timed("store alone: delete 100K", lambda: store.delete(new, space=space), False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    opts = ap.parse_args()
    load_features()
    if not opts.work.exists():
        prepare(opts.work)
    catalog = Catalog(opts.work)
    store = EdgeVectorStore(opts.work / "vectors" / "edge")
    try:
        for run in range(opts.runs):
            print(f"run {run + 1}, load {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
            one_run(catalog, store, opts.profile)
        print(f"end, load {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        store.close()
        catalog.close()


if __name__ == "__main__":
    main()
