"""Bulk operations on a view (issue #54): a view copied into a new dataset with its vectors,
a view's labels deleted as one batch of the log, a view's samples deleted (with their
vectors), and the undo of each.

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_bulk_ops.py \\
        [--sizes 100000] [--fraction 0.1] [--delete-fraction 0.3] [--runs 3] [--dim 64]
        [--cache /tmp/vl-browse-cache] [--out FILE]

Per size, the browsing benchmark's synthetic dataset (``bench_browse.dataset_dir``: ``n``
images, 3 ground-truth boxes each, models ``m1`` and ``m2``, an evaluation of ``m1``) is
copied to a temporary directory, and a real Qdrant Edge store gets a ``--dim`` vector for
every sample (recorded as the dataset's vector space). The view is every sample whose id is
a multiple of ``1 / fraction`` (10 %: 100K of 1M). Then ``--runs`` times:

* **subset**: :func:`~visionlens_jlab.bulk.subset.subset_dataset` of the view into a new
  dataset (every row, the derived tables, the evaluation, the view's vectors copied in the
  store), checked: the new dataset's samples and the store's points of it; then the copy is
  deleted (catalog and vectors) for the next run;
* reference, same catalog: a bare ``INSERT ... SELECT`` of the view's ``samples`` and
  ``annotations`` rows into temporary tables (the floor of any copy in DuckDB), the read
  of the view's vectors out of the store alone, and the store's own writes alone (the
  view's vectors upserted under new ids, then those points deleted: the floor of the vector
  side of a copy, an undo and a delete);
* **delete labels**: the view's ground-truth objects deleted as one batch of the log
  (:func:`~visionlens_jlab.bulk.delete_labels.delete_view_labels`), and **undo** of it;
* **delete samples**: every sample whose id ends in 0, 1 or 2 (``--delete-fraction``
  0.3: 30K of 100K) deleted with every row and vector of theirs as one batch
  (:func:`~visionlens_jlab.bulk.delete_samples.delete_view_samples`: rows and vectors kept
  for the undo, derived tables rebuilt, points deleted), checked, and **undo** of it
  (rows inserted again, vectors written back), checked; reference, same catalog: a bare
  ``DELETE`` of the view's ``samples`` and ``annotations`` rows, rolled back.

``--ops`` picks which of ``subset``, ``labels`` and ``samples`` run (default all).
``--cli``: after those, the same subset, sample delete and undo again ``--runs`` times
through the ``visionlens`` command in a new process each (process start, imports and the
catalog's opening included), the view named by the tag ``bulk-view`` (set on the view's
samples before any timing: a list of 100K ids does not fit one command-line argument), so
the CLI deletes the view itself (``--delete-fraction`` then should equal ``--fraction``).
The in-process part writes the store directly: it is opened and closed once as a command
does (reconciled, then stamped in step, :mod:`visionlens_jlab.vectors.in_step`) before the
commands run, the deletes and undos first, then the subsets (see :func:`measure_cli`).
At 1M images (issue #54's size) with the view and the deleted samples 100K:

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_bulk_ops.py --sizes 1000000 \\
        --ops subset samples --delete-fraction 0.1 --cli --cache /tmp/vl-browse-cache
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_browse import dataset_dir
from harness import environment, header, load_average, run_locked, summary, table

from visionlens_jlab import edits
from visionlens_jlab.bulk.delete_labels import delete_view_labels
from visionlens_jlab.bulk.delete_samples import delete_view_samples
from visionlens_jlab.bulk.subset import subset_dataset
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.embed.spaces import record_space
from visionlens_jlab.features import load as load_features
from visionlens_jlab.vectors import EdgeVectorStore, LazyVectorStore
from visionlens_jlab.vectors.lazy import delete_dataset_and_vectors

CPU_SECONDS: dict[str, list[float]] = {}
"""Per function timed by :func:`seconds`, the CPU seconds of the process (every thread:
DuckDB's, the store's) it took: the work itself, which the machine's load inflates far less
than the wall time (on this shared 2-core machine the load was 10-17 while others ran)."""


def seconds(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    t, cpu = time.perf_counter() - t0, time.process_time() - c0
    CPU_SECONDS.setdefault(fn.__name__, []).append(cpu)
    print(f"{fn.__name__}: {t:.2f} s, {cpu:.2f} CPU s", file=sys.stderr, flush=True)
    return t, out


ROOT = Path(__file__).resolve().parents[1]
OPS = ("subset", "labels", "samples")
VIEW_TAG = "bulk-view"
"""The tag naming the view for the CLI (its samples' ids are too many for an argument)."""


def measure(
    n: int,
    runs: int,
    fraction: float,
    delete_fraction: float,
    dim: int,
    cache: Path,
    ops: list[str],
    cli: bool,
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    src = dataset_dir(cache, n)
    with tempfile.TemporaryDirectory(prefix="vl-bulk-") as tmp:
        work = Path(tmp) / "data"
        shutil.copytree(src, work)
        catalog = Catalog(work)
        store = EdgeVectorStore(work / "vectors" / "edge")
        try:
            with catalog.cursor() as cur:
                ds = catalog.dataset_id(cur, "bench")
                ids = np.array([r[0] for r in cur.execute(
                    "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY 1", [ds]
                ).fetchall()], dtype=np.int64)  # fmt: skip
            space = store.ensure_space("bench", "1", dim).name
            rng = np.random.default_rng(0)
            for start in range(0, len(ids), 8192):
                chunk = ids[start : start + 8192]
                store.upsert(space, chunk, rng.normal(size=(len(chunk), dim)), dataset_ids=ds)
            record_space(catalog, ds, space=space, model="bench", version="1", dim=dim,
                         preprocessing="bench", count=len(ids), complete=True, info={})  # fmt: skip
            step = round(1 / fraction)
            view_ids = ids[ids % step == 0]
            spec = {"ids": view_ids.tolist()}
            if cli:
                update_tags(catalog, "bench", spec, add=[VIEW_TAG])
            for _ in range(runs):
                if "subset" not in ops:
                    break
                t, result = seconds(
                    subset_dataset, catalog, "bench", "part", spec, vectors=lambda: store
                )
                assert result.samples == len(view_ids) == result.vectors[space]
                with catalog.cursor() as cur:
                    part = catalog.dataset_id(cur, "part")
                assert store.count(space, part) == len(view_ids)
                times.setdefault("subset (rows, derived, vectors)", []).append(t)
                catalog.delete_dataset("part")
                store.delete_dataset(part)

                t_rows = reference_rows(catalog, ds, view_ids)
                times.setdefault("reference: bare INSERT of samples + annotations", []).append(
                    t_rows
                )
                t_vec, _ = seconds(read_vectors, store, space, view_ids)
                times.setdefault("reference: reading the view's vectors", []).append(t_vec)
                t_up, t_del = bare_vector_writes(store, space, view_ids, int(ids.max()) + 1)
                times.setdefault("reference: upserting them under new ids, bare", []).append(t_up)
                times.setdefault("reference: deleting those points, bare", []).append(t_del)
            for _ in range(runs):
                if "labels" not in ops:
                    break
                t, answer = seconds(delete_view_labels, catalog, "bench",
                                    {"ids": view_ids.tolist()}, "ground_truth", "bench")  # fmt: skip
                times.setdefault("delete the view's ground-truth labels", []).append(t)
                deleted = answer["deleted"]
                t, _ = seconds(edits.undo, catalog, "bench", "bench")
                times.setdefault("undo of that delete", []).append(t)
                times["objects deleted per run"] = [float(deleted)]
            doomed = ids[ids % 10 < round(delete_fraction * 10)]
            for _ in range(runs):
                if "samples" not in ops:
                    break
                t_rows = reference_delete(catalog, ds, doomed)
                times.setdefault("reference: bare DELETE of samples + annotations", []).append(
                    t_rows
                )
                t, answer = seconds(delete_view_samples, catalog, "bench",
                                    {"ids": doomed.tolist()}, "bench", vectors=lambda: store)  # fmt: skip
                assert answer["samples"] == len(doomed) == answer["vectors"][space]
                assert store.count(space, ds) == len(ids) - len(doomed)
                times.setdefault("delete the samples (rows, derived, vectors)", []).append(t)
                t, _ = seconds(edits.undo, catalog, "bench", "bench", vectors=lambda: store)
                assert store.count(space, ds) == len(ids)
                with catalog.cursor() as cur:
                    assert cur.execute("SELECT COUNT(*) FROM samples WHERE dataset_id = ?",
                                       [ds]).fetchall()[0][0] == len(ids)  # fmt: skip
                times.setdefault("undo of the samples' delete (rows, vectors)", []).append(t)
            cpu_rows = {
                "subset_dataset": "CPU seconds: subset",
                "delete_view_samples": "CPU seconds: delete the samples",
                "undo": "CPU seconds: undo of the samples' delete",
            }
            for name, row in cpu_rows.items():
                if name in CPU_SECONDS and (name != "undo" or "samples" in ops):
                    times[row] = CPU_SECONDS.pop(name)
            if "samples" in ops:
                times["samples deleted per run"] = [float(len(doomed))]
            times["samples in the view"] = [float(len(view_ids))]
        finally:
            store.close()
            catalog.close()
        if cli:
            measure_cli(work, runs, len(ids), len(view_ids), ops, times)
    return times


def visionlens(work: Path, *args: str) -> tuple[float, dict[str, Any]]:
    """Seconds of one ``visionlens`` command in a new process, and its ``--json`` answer."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "visionlens_jlab.cli",
        *args,
        "--data-dir",
        str(work),
        "--json",
    ]
    t0 = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    t = time.perf_counter() - t0
    print(f"visionlens {args[0]}: {t:.2f} s", file=sys.stderr, flush=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
    return t, json.loads(done.stdout)


def measure_cli(
    work: Path, runs: int, n: int, n_view: int, ops: list[str], times: dict[str, list[float]]
) -> None:
    """The view's sample delete and its undo, then the subset, through the CLI, each checked
    (in-process, between the commands, the store and catalog closed while they run).

    The store is first opened and closed as any command does (reconciled once, then stamped
    in step: the state a user's last command leaves). The deletes run before the subsets:
    each subset's copy is dropped after it (a dataset of 100K samples deleted), which leaves
    the catalog and the store work that the next command pays, whatever it is."""
    settle(work)
    for _ in range(runs):
        if "samples" in ops:
            t, answer = visionlens(work, "delete-samples", "bench", "--tag", VIEW_TAG, "--yes")
            assert answer["samples"] == n_view and answer["vectors"], answer
            times.setdefault("CLI, end to end: delete the view's samples", []).append(t)
            assert samples_and_points(work) == (n - n_view, n - n_view)
            t, _ = visionlens(work, "undo", "bench")
            times.setdefault("CLI, end to end: undo of that delete", []).append(t)
            assert samples_and_points(work) == (n, n)
    for _ in range(runs):
        if "subset" in ops:
            t, answer = visionlens(work, "subset", "bench", "--to", "part", "--tag", VIEW_TAG)
            assert answer["samples"] == n_view, answer
            times.setdefault("CLI, end to end: subset", []).append(t)
            drop_copy(work)


def settle(work: Path) -> None:
    """Open the store and close it as a command does: reconciled with the catalog (the
    in-process part wrote it directly), then stamped in step."""
    catalog = Catalog(work)
    vectors = LazyVectorStore(catalog, work)
    try:
        vectors.get()
    finally:
        vectors.close()
        catalog.close()


def drop_copy(work: Path) -> None:
    """Delete the subset's dataset ``part`` (catalog and vectors) for the next run, as
    ``visionlens delete`` does (the store left stamped in step for the next command)."""
    catalog = Catalog(work)
    try:
        delete_dataset_and_vectors(catalog, "part")
    finally:
        catalog.close()


def samples_and_points(work: Path) -> tuple[int, int]:
    """The samples of ``bench`` in the catalog, and its points in the store's one space."""
    catalog = Catalog(work)
    store = EdgeVectorStore(work / "vectors" / "edge")
    try:
        with catalog.cursor() as cur:
            ds = catalog.dataset_id(cur, "bench")
            ((samples,),) = cur.execute(
                "SELECT COUNT(*) FROM samples WHERE dataset_id = ?", [ds]
            ).fetchall()
        (space,) = [info.name for info in store.spaces()]
        return int(samples), store.count(space, ds)
    finally:
        store.close()
        catalog.close()


def reference_rows(catalog: Catalog, ds: int, view_ids: np.ndarray) -> float:
    """A bare copy of the view's samples and annotations rows into temporary tables."""
    import pyarrow as pa

    with catalog.cursor() as cur:
        cur.register("_chosen", pa.table({"sample_id": view_ids}))
        t0 = time.perf_counter()
        cur.execute(
            "CREATE TEMP TABLE _s AS SELECT * FROM samples WHERE dataset_id = ? "
            "AND sample_id IN (SELECT sample_id FROM _chosen)",
            [ds],
        )
        cur.execute(
            "CREATE TEMP TABLE _a AS SELECT * FROM annotations WHERE dataset_id = ? "
            "AND sample_id IN (SELECT sample_id FROM _chosen)",
            [ds],
        )
        t = time.perf_counter() - t0
        cur.execute("DROP TABLE _s")
        cur.execute("DROP TABLE _a")
    return t


def reference_delete(catalog: Catalog, ds: int, doomed: np.ndarray) -> float:
    """A bare delete of the samples' ``samples`` and ``annotations`` rows, rolled back."""
    import pyarrow as pa

    with catalog.cursor() as cur:
        cur.register("_doomed", pa.table({"sample_id": doomed}))
        cur.execute("BEGIN")
        t0 = time.perf_counter()
        for table in ("annotations", "samples"):
            cur.execute(
                f"DELETE FROM {table} WHERE dataset_id = ? "  # noqa: S608 - fixed names
                "AND sample_id IN (SELECT sample_id FROM _doomed)",
                [ds],
            )
        t = time.perf_counter() - t0
        cur.execute("ROLLBACK")
    return t


def read_vectors(store: EdgeVectorStore, space: str, view_ids: np.ndarray) -> int:
    got = 0
    for start in range(0, len(view_ids), 8192):
        found, _ = store.get_vectors(space, view_ids[start : start + 8192])
        got += len(found)
    return got


def bare_vector_writes(
    store: EdgeVectorStore, space: str, view_ids: np.ndarray, shift: int
) -> tuple[float, float]:
    """Seconds of the store's own writes alone (the floor of the vector side of a copy,
    of an undo and of a delete): the view's vectors upserted under new ids, in the chunks
    the operations use, then those points deleted."""
    found, matrix = store.get_vectors(space, view_ids)
    new_ids = found + shift
    t0 = time.perf_counter()
    for start in range(0, len(new_ids), 8192):
        chunk = slice(start, start + 8192)
        store.upsert(space, new_ids[chunk], matrix[chunk], dataset_ids=-1)
    t_up = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.delete(new_ids, space=space)
    return t_up, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--fraction", type=float, default=0.1)
    ap.add_argument("--delete-fraction", type=float, default=0.3)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/vl-browse-cache"))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--ops", nargs="+", choices=OPS, default=list(OPS))
    ap.add_argument("--cli", action="store_true", help="also time the CLI, end to end")
    opts = ap.parse_args()
    load_features()
    env, load_start = environment(), load_average()
    results = {
        n: measure(
            n,
            opts.runs,
            opts.fraction,
            opts.delete_fraction,
            opts.dim,
            opts.cache,
            opts.ops,
            opts.cli,
        )
        for n in opts.sizes
    }
    rows = []
    for key in results[opts.sizes[0]]:
        cells = [summary(results[n][key]).fmt(2) for n in opts.sizes]
        rows.append([key, *cells])
    text = header("Bulk operations on a view", env, load_start, load_average())
    text += f"\n{opts.runs} runs per size; median (min–max) in seconds unless named.\n\n"
    text += table(["", *(f"{n:,} images" for n in opts.sizes)], rows)
    if opts.out:
        opts.out.write_text(text)
    print(text)


if __name__ == "__main__":
    run_locked(main)
