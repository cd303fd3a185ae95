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
from visionlens_jlab.catalog.dataset_writer import write_dataset  # noqa: E402
from visionlens_jlab.ingest.batches import SAMPLE_SCHEMA, Batch, ColumnBuffer  # noqa: E402
from visionlens_jlab.ingest.report import IngestReport  # noqa: E402
from visionlens_jlab.search.engine import DEFAULT_PLAN, Query, SearchPlan, search  # noqa: E402
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
        store = open_vector_store(data)
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

        def run(spec: dict[str, Any] | None, plan: SearchPlan) -> tuple[list[float], float, str]:
            times, recall, strategy = [], 0.0, ""
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
                )
                times.append((time.perf_counter() - t) * 1000)
                strategy = out["strategy"]
                scores = vectors[rows] @ vectors[q]
                truth = set(ids[rows[np.argsort(-scores)[:K]]].tolist())
                got = {r["sample_id"] for r in out["results"]}
                recall += len(got & truth) / max(1, min(K, len(rows)))
            return times, recall / len(queries), strategy

        lines += [
            "| filter (share of samples) | default plan p50 / p95 ms | strategy | recall@50 | "
            + " | ".join(f"{name} p50 / p95" for name in FORCED)
            + " |",
            "|---|---|---|---|" + "---|" * len(FORCED),
        ]
        cases: list[tuple[str, dict[str, Any] | None]] = [("none (100 %)", None)]
        cases += [
            (f"{share:.1%}", {"sample": {"width": {"max": share * SCALE - 1}}})
            for share in SHARES.values()
        ]
        for label, spec in cases:
            times, recall, strategy = run(spec, DEFAULT_PLAN)
            forced = []
            for plan in FORCED.values():
                if spec is None:
                    forced.append("-")
                else:
                    forced.append(percentiles(run(spec, plan)[0]))
            lines.append(
                f"| {label} | {percentiles(times)} | {strategy} | {recall:.3f} | "
                + " | ".join(forced)
                + " |"
            )
            print(lines[-1], flush=True)
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
        f"- Machine: {machine()}",
        f"- `{' '.join(sys.argv)}`: {args.n:,} samples and 512-d vectors (clustered, "
        f"`bench_vectors.make_data`) in Qdrant Edge; catalog ingest {ingest_s:.1f} s, upsert "
        f"{upsert_s:.1f} s, HNSW index "
        + (f"built in a worker process in {index_s:.0f} s" if index_s is not None else "not built")
        + f". {args.queries} `like=` queries per row, top {K}, in-process through "
        "`search.engine.search` (query vector lookup + DuckDB filter + vector search + file "
        "names). Filters are range filters on a sample column matching the given share. Recall@50 "
        "against brute-force numpy within the filter.",
        "",
    ]
    footer = [
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
    sys.exit(main())
