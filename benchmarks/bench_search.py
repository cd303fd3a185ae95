"""Search benchmark: ``search.engine.search`` within filters of every selectivity.

Builds a catalog of N samples (``split`` drawn so that filters match 0.1 % .. 90 %) and a
Qdrant Edge space of N clustered 512-d vectors (``bench_vectors.make_data``), builds the
HNSW index (in a worker process, as the embedding job does), then times "more like this"
queries (``like=`` a random sample: vector lookup, filter in DuckDB, vector search, file
names) through the engine with the default plan, and with each strategy forced, per
selectivity: where the strategies cross over. Recall@k of the default plan against a
brute-force numpy top-k within the filter is reported beside each row. Last, the same query
end to end through ``visionlens search --json`` (a new process: start, catalog and shard
opening included).

The server's path (``--runs`` rounds, median and range of each round's p50 / p95): the same
queries through a :class:`VectorMatrixCache` (the dataset's vectors as one float32 matrix,
exact numpy scan), the first query of each round paying the read of the matrix after a write.
``--no-forced`` skips the store's forced strategies (the store's default plan, the
reference, still runs). ``--edge-in-child`` opens the Edge store in a child process, as the
server does (``VisionLensApp.vector_store_process``).

    flock /tmp/vl-bench.lock python benchmarks/bench_search.py          # 100K
    python benchmarks/bench_search.py --n 20000 --queries 50 --out -    # quick look
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_vectors import machine, make_data  # noqa: E402

from visionlens_jlab.catalog import Catalog  # noqa: E402
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset  # noqa: E402
from visionlens_jlab.features import load as load_features  # noqa: E402
from visionlens_jlab.records.batches import SAMPLE_SCHEMA, Batch, ColumnBuffer  # noqa: E402
from visionlens_jlab.records.report import IngestReport  # noqa: E402
from visionlens_jlab.search.engine import DEFAULT_PLAN, Query, SearchPlan, search  # noqa: E402
from visionlens_jlab.search.matrix_cache import VectorMatrixCache  # noqa: E402
from visionlens_jlab.vectors import open_vector_store  # noqa: E402

K = 50
SCALE = 1_000_000
SHARES = {"s0_1": 0.001, "s1": 0.01, "s5": 0.05, "s20": 0.2, "s50": 0.5, "s90": 0.9}
"""Filter selectivities measured."""
FORCED = {
    "exact-ids": SearchPlan(postfilter_min=2.0),
    "post-filter": SearchPlan(postfilter_min=0.0),
}


class Samples:
    """N samples; sample i has ``width = floor(u_i * 10^6)``, so ``width < share * 10^6``
    matches the share of samples wanted."""

    format = "coco"
    source = "/bench/annotations.json"
    media_root = "/bench"
    json_checked = False

    def __init__(self, n: int, u: np.ndarray) -> None:
        self.n, self.u = n, u
        self.report = IngestReport()

    def batches(self) -> Any:
        for start in range(0, self.n, 20_000):
            buf = ColumnBuffer(SAMPLE_SCHEMA)
            for i in range(start, min(self.n, start + 20_000)):
                buf.append(
                    sample_index=i, file_name=f"{i}.jpg", location=f"/bench/{i}.jpg",
                    width=int(self.u[i] * SCALE), height=480, split="train",
                    source_image_id=str(i), fields=None,
                )  # fmt: skip
            yield Batch(buf.take(), None)

    def categories(self) -> list[tuple[Any, ...]]:
        return []


def percentiles(times: list[float]) -> str:
    return f"{np.percentile(times, 50):.1f} / {np.percentile(times, 95):.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-index", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="rounds of the cached path")
    parser.add_argument("--cache-mb", type=int, default=4096)
    parser.add_argument("--no-forced", action="store_true")
    parser.add_argument(
        "--edge-in-child",
        action="store_true",
        help="the Edge store in a child process, as the server runs it (vector_store_process)",
    )
    parser.add_argument("--shares", default=",".join(SHARES), help="filters, e.g. s1,s50")
    parser.add_argument("--out", default=str(HERE / "results" / "search.md"))
    args = parser.parse_args()
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    t_all = time.perf_counter()
    vectors, _ = make_data(args.n, 0)
    rng = np.random.default_rng(3)
    u = rng.random(args.n)
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="vl-bench-search-") as tmp:
        data = Path(tmp) / "data"
        load_features()  # the features' tables, before the catalog opens
        catalog = Catalog(data)
        t = time.perf_counter()
        write_dataset(catalog, "bench", Samples(args.n, u))
        ingest_s = time.perf_counter() - t
        with catalog.cursor() as cur:
            dataset_id = catalog.dataset_id(cur, "bench")
            ids = np.array(
                [r[0] for r in cur.execute(
                    "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY 1", [dataset_id]
                ).fetchall()], dtype=np.int64,
            )  # fmt: skip
        store = open_vector_store(data, edge_in_child=args.edge_in_child)
        space = store.ensure_space("bench-clip", "synthetic", vectors.shape[1]).name
        t = time.perf_counter()
        for start in range(0, args.n, 8192):
            store.upsert(
                space, ids[start : start + 8192], vectors[start : start + 8192], dataset_id
            )
        store.flush()
        upsert_s = time.perf_counter() - t
        index_s = None
        if not args.no_index:
            t = time.perf_counter()
            store.optimize(space)
            index_s = time.perf_counter() - t
        queries = rng.choice(args.n, size=args.queries, replace=False)

        cache = VectorMatrixCache(args.cache_mb * 2**20)
        load_ms: list[float] = []

        def run(
            spec: dict[str, Any] | None, plan: SearchPlan, cached: bool = False
        ) -> tuple[list[float], float, str]:
            times, recall, strategy = [], 0.0, ""
            if cached:  # a write since the last round: the first query reads the matrix
                store.delete([-1 + 2**62], space)
                t = time.perf_counter()
                search(catalog, store, "bench", Query(like=int(ids[0])), k=K, cache=cache)
                load_ms.append((time.perf_counter() - t) * 1000)
            mask = np.ones(args.n, dtype=bool)
            if spec is not None:
                mask = np.floor(u * SCALE) <= spec["sample"]["width"]["max"]
            rows = np.flatnonzero(mask)
            for q in queries:
                t = time.perf_counter()
                out = search(
                    catalog,
                    store,
                    "bench",
                    Query(like=int(ids[q])),
                    filter_spec=spec,
                    k=K,
                    plan=plan,
                    cache=cache if cached else None,
                )
                times.append((time.perf_counter() - t) * 1000)
                strategy = out["strategy"]
                # all rows: no 2 GB copy of the matrix at 1M
                scores = (vectors @ vectors[q]) if spec is None else vectors[rows] @ vectors[q]
                truth = set(ids[rows[np.argsort(-scores)[:K]]].tolist())
                got = {r["sample_id"] for r in out["results"]}
                recall += len(got & truth) / max(1, min(K, len(rows)))
            return times, recall / len(queries), strategy

        forced_names = [] if args.no_forced else list(FORCED)
        lines += [
            f"| filter (share of samples) | server (memory) p50 / p95 ms: median of {args.runs} "
            "rounds [range of p95] | recall@50 | store plan p50 / p95 | strategy |"
            + "".join(f" {name} p50 / p95 |" for name in forced_names),
            "|---|---|---|---|---|" + "---|" * len(forced_names),
        ]
        cases: list[tuple[str, dict[str, Any] | None]] = [("none (100 %)", None)]
        cases += [
            (f"{SHARES[s]:.1%}", {"sample": {"width": {"max": SHARES[s] * SCALE - 1}}})
            for s in args.shares.split(",")
        ]
        for label, spec in cases:
            rounds = [run(spec, DEFAULT_PLAN, cached=True) for _ in range(args.runs)]
            p50s = [float(np.percentile(r[0], 50)) for r in rounds]
            p95s = [float(np.percentile(r[0], 95)) for r in rounds]
            memory = (
                f"{np.median(p50s):.1f} / {np.median(p95s):.1f} [{min(p95s):.1f}-{max(p95s):.1f}]"
            )
            recall = min(r[1] for r in rounds)
            times, _, strategy = run(spec, DEFAULT_PLAN)
            store_cell, forced = percentiles(times), []
            if not args.no_forced:
                for plan in FORCED.values():
                    forced.append("-" if spec is None else percentiles(run(spec, plan)[0]))
            lines.append(
                f"| {label} | {memory} | {recall:.3f} | {store_cell} | {strategy} |"
                + "".join(f" {cell} |" for cell in forced)
            )
            print(lines[-1], flush=True)
        cached = [m for _, m in cache._entries.values()]
        first_pass = (
            "int8 first pass (numba kernel) + exact float32 re-rank of the rows its error "
            "bound keeps"
            if any(m.quantized is not None for m in cached)
            else "float32 scan of the whole matrix (no int8 pass: numba missing or too few rows)"
        )
        store.close()
        catalog.close()
        cli_times = []
        for q in queries[:5]:
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "visionlens_jlab.cli", "search", "bench", "--like",
                 str(int(ids[q])), "--filter", json.dumps({"sample": {"width": {"max": 0.01 * SCALE - 1}}}), "--json",
                 "--data-dir", str(data)],
                check=True, capture_output=True, cwd=str(HERE.parent),
            )  # fmt: skip
            cli_times.append(time.perf_counter() - t)
    header = [
        "# Search benchmark",
        "",
        f"- Date: {started}; total wall time {time.perf_counter() - t_all:.0f} s; load "
        f"average at start {load:.1f}, at the end {os.getloadavg()[0]:.1f} (2 shared cores)",
        f"- Machine: {machine(load)}",
        f"- `{' '.join(sys.argv)}`: {args.n:,} samples and 512-d vectors (clustered, "
        f"`bench_vectors.make_data`) in Qdrant Edge; catalog ingest {ingest_s:.1f} s, upsert "
        f"{upsert_s:.1f} s, HNSW index "
        + (f"built in a worker process in {index_s:.0f} s" if index_s is not None else "not built")
        + f". {args.queries} `like=` queries per row, top {K}, in-process through "
        "`search.engine.search` (query vector lookup + DuckDB filter + vector search + file "
        "names). Filters are range filters on a sample column matching the given share. Recall@50 "
        "against brute-force numpy within the filter.",
        f"- Server path: {first_pass}; file names of the hits from the cached matrix (read "
        "once per matrix).",
        "",
    ]
    footer = [
        "",
        f"Reading the matrix into the server's cache (the first query after a write, "
        f"{args.n:,} x 512 float32 = {args.n * 512 * 4 / 2**20:.0f} MiB): median "
        f"{np.median(load_ms) / 1000:.1f} s, range {min(load_ms) / 1000:.1f}-"
        f"{max(load_ms) / 1000:.1f} s over {len(load_ms)} reads. Load average at the end "
        f"{os.getloadavg()[0]:.1f}.",
        "",
        f"End to end through the CLI (`visionlens search bench --like ID --filter <1 %> --json`, "
        f"a new process each: start, catalog and shard opening included): "
        f"median {np.median(cli_times):.2f} s, range {min(cli_times):.2f}-{max(cli_times):.2f} s "
        f"over {len(cli_times)} runs.",
        "",
    ]
    text = "\n".join(header + lines + footer)
    if args.out != "-":
        out = Path(args.out)
        marker = "<!-- notes: kept across runs -->"
        old = out.read_text() if out.exists() else ""
        if marker in old:
            text += "\n" + old[old.index(marker) :]
        out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    from harness import run_locked

    sys.exit(run_locked(main))
