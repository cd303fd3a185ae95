"""Selection end to end (issue #49 item 4): what a user runs beside the in-process figure.

A dataset of ``--n`` bare samples with ``--dim``-d vectors (the clustered synthetic vectors
of ``bench_select_scale.py``) in a Qdrant Edge space; then, per strategy, 3+ runs each of:

* ``visionlens select NAME --count K --strategy S --json`` (process start, catalog and store
  open, candidates, vectors read, choice, the tag written, the record stored);
* the same through ``run_selection`` in this process;
* the same as the server runs it: one catalog and store open, the vectors gathered from
  search's in-memory matrix of the space (the first run reads it, cold; later runs and any
  run after a search find it warm);
* the bare choice on the vectors already in memory (``choose`` over the strategy's gain):
  the floor the rest is measured against.

    python benchmarks/bench_select.py --n 100000 --k 1000 --runs 3
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_map import add_synthetic_dataset
from bench_select_scale import vectors
from harness import (
    checked,
    child_env,
    cli_command,
    environment,
    header,
    load_average,
    run_process,
    summary,
    table,
)

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.features import load as load_features
from visionlens_jlab.search.matrix_cache import VectorMatrixCache
from visionlens_jlab.select.greedy import Gain, Weighted, choose
from visionlens_jlab.select.request import parse_request
from visionlens_jlab.select.service import run_selection
from visionlens_jlab.select.vector_gains import Diversity, Typicality
from visionlens_jlab.vectors import open_vector_store

NAME = "select-bench"


def bare_gain(word: str, x: np.ndarray, k: int) -> Gain:
    """The strategy's gain over vectors in memory."""
    return Diversity(x) if word == "diversity" else Typicality(x, k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--k", type=int, default=1_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--strategies", default="diversity,typicality")
    args = parser.parse_args()
    env, load_start = environment(), load_average()
    x = vectors(args.n, args.dim)
    rows = []
    with tempfile.TemporaryDirectory(prefix="vl-select-bench-") as tmp:
        data = Path(tmp)
        load_features()
        with Catalog(data) as catalog, open_vector_store(data) as store:
            dataset_id, ids = add_synthetic_dataset(catalog, NAME, args.n)
            space = store.ensure_space("bench-model", "v1", args.dim, "cosine")
            store.upsert(space.name, ids, x, dataset_id)
        for word in args.strategies.split(","):
            cli, inproc, bare = [], [], []
            for run in range(args.runs):
                tag = f"cli-{word}-{run}"
                argv = cli_command(
                    "select", NAME, "--count", str(args.k), "--strategy", word,
                    "--tag", tag, "--json", "--data-dir", str(data),
                )  # fmt: skip
                done = checked(run_process(argv, env=child_env()), f"select {word}")
                cli.append((done.wall_s, done.peak_rss_mb))
                request = parse_request(
                    {"count": args.k, "strategies": [word], "tag": f"in-{word}-{run}"}
                )
                with Catalog(data) as catalog, open_vector_store(data) as store:
                    start = time.perf_counter()
                    record = run_selection(catalog, store, NAME, request)
                    inproc.append(time.perf_counter() - start)
                assert len(record["sample_ids"]) == args.k, record
                start = time.perf_counter()
                choose(len(x), args.k, [Weighted(bare_gain(word, x, args.k))], seed=0)
                bare.append(time.perf_counter() - start)
            served = []
            cache = VectorMatrixCache(4 * 2**30)  # the server's default budget is a setting
            with Catalog(data) as catalog, open_vector_store(data) as store:
                for run in range(args.runs + 1):
                    request = parse_request(
                        {"count": args.k, "strategies": [word], "tag": f"srv-{word}-{run}"}
                    )
                    start = time.perf_counter()
                    run_selection(catalog, store, NAME, request, cache=cache)
                    served.append(time.perf_counter() - start)
            wall = summary([w for w, _ in cli])
            rss = max(r for _, r in cli)
            rows.append([
                word, f"{wall.fmt(2)} s, peak {rss / 1024:.2f} GiB",
                f"{summary(inproc).fmt(2)} s", f"{served[0]:.2f} s",
                f"{summary(served[1:]).fmt(2)} s", f"{summary(bare).fmt(2)} s",
            ])  # fmt: skip
    title = f"Selection end to end: {args.k:,} of {args.n:,} {args.dim}-d vectors"
    print(header(title, env, load_start, load_average()))
    head = [
        "strategy",
        "`visionlens select` (CLI)",
        "`run_selection` (in process)",
        "server, matrix cold",
        "server, matrix warm",
        "bare `choose`",
    ]
    print(table(head, rows))


if __name__ == "__main__":
    from harness import run_locked

    run_locked(main)
