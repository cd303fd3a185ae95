"""Vector-store benchmark: Qdrant Edge (embedded default) vs qdrant-client local mode.

Generates clustered synthetic embeddings (a stand-in for CLIP: 1,000 clusters, cosine),
then, per backend in its own process (so peak RSS is its own): upsert time, query latency
p50/p95 (top 50) unfiltered / one dataset of ten / a 2,000-id set, recall@50 of the HNSW
index against exact search, reopen time, peak RSS. Edge also builds its HNSW index (in a
worker process, see ``visionlens_jlab/vectors/edge_index.py``) while a ticker thread
measures how long the calling process stalls.

    python benchmarks/bench_vectors.py                 # 100K Edge, 20K qdrant-client local
    python benchmarks/bench_vectors.py --n 20000 --n-local 5000 --runs 1   # quick look
    python benchmarks/bench_vectors.py --no-index      # skip the 100K index build (minutes)

Every case runs in a fresh process per round (``--runs``, default 3, cases in rotating
order); the table gives median (min–max) over the rounds.

qdrant-client local mode is pure Python (measured earlier: 98 s to upsert 100K), so it runs
at ``--n-local`` points; an Edge run at the same size is included for a like-for-like row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    Run,
    checked,
    cpu_model,
    environment,
    git_commit,
    header,
    interleave,
    load_average,
    ram_gib,
    run_locked,
    run_process,
    summary,
)

from visionlens_jlab.vectors import (
    EdgeVectorStore,
    QdrantClientVectorStore,
    VectorStore,
)

DIM = 512
K = 50
DATASETS = 10


def make_data(n: int, n_queries: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` clustered unit vectors and ``n_queries`` held-out queries from the same clusters."""
    rng = np.random.default_rng(seed)
    # ~20 points per cluster whatever n: a top-50 query must cross clusters, as with real
    # embeddings (few near-duplicates, many semantic neighbours). With 100 points per
    # cluster HNSW finds the query's cluster and recall@50 is trivially 1.0.
    centers = rng.normal(size=(max(100, n // 20), DIM)).astype(np.float32)
    # A common direction, as in CLIP's anisotropic embedding space, plus cluster + noise.
    common = rng.normal(size=DIM).astype(np.float32)
    out = np.empty((n + n_queries, DIM), dtype=np.float32)
    for start in range(0, n + n_queries, 20_000):
        end = min(start + 20_000, n + n_queries)
        assign = rng.integers(0, len(centers), end - start)
        noise = rng.normal(size=(end - start, DIM)).astype(np.float32)
        out[start:end] = 0.8 * common + centers[assign] + 0.7 * noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out[:n], out[n:]


def rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak RSS so far in MiB (Linux reports KiB)."""
    return resource.getrusage(who).ru_maxrss / 1024


def latencies(fn: Any, queries: np.ndarray) -> dict[str, float]:
    """p50/p95 in ms of ``fn(query)`` over every query (after one warm-up call)."""
    fn(queries[0])
    times = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t) * 1000)
    return {"p50": float(np.percentile(times, 50)), "p95": float(np.percentile(times, 95))}


def recall(store: VectorStore, space: str, queries: np.ndarray, **kw: Any) -> float:
    """Mean recall@K of ``store.search(**kw)`` against exact search."""
    total = 0.0
    for q in queries:
        truth = {h.sample_id for h in store.search(space, q, K, exact=True)}
        got = {h.sample_id for h in store.search(space, q, K, **kw)}
        total += len(truth & got) / K
    return total / len(queries)


class Ticker:
    """A thread that wakes every 5 ms: its longest gap is how long the process stalled."""

    def __init__(self) -> None:
        self.max_gap = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.wait(0.005):
            now = time.perf_counter()
            self.max_gap = max(self.max_gap, now - last)
            last = now

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def open_backend(backend: str, path: Path) -> VectorStore:
    if backend == "edge":
        return EdgeVectorStore(path)
    return QdrantClientVectorStore.local(str(path))


def run_child(
    backend: str, n: int, n_queries: int, index: str, tmp_root: str | None
) -> dict[str, Any]:
    """Everything measured for one backend, in this (child) process."""
    data, queries = make_data(n, n_queries)
    ids = np.arange(1, n + 1)
    datasets = ids % DATASETS
    rng = np.random.default_rng(1)
    id_subset = np.sort(rng.choice(ids, size=min(2000, n), replace=False))
    label = backend + (" (tmpfs)" if tmp_root == "/dev/shm" else "")
    res: dict[str, Any] = {"backend": label, "n": n, "queries": n_queries}
    res["rss_base_mb"] = rss_mb()
    with tempfile.TemporaryDirectory(prefix="vl-bench-", dir=tmp_root) as tmp:
        store = open_backend(backend, Path(tmp) / "store")
        space = store.ensure_space("bench-clip", "synthetic", DIM).name
        with Ticker() as tick:
            t = time.perf_counter()
            for start in range(0, n, 8192):
                end = start + 8192
                store.upsert(space, ids[start:end], data[start:end], datasets[start:end])
            store.flush()
            res["upsert_s"] = time.perf_counter() - t
        res["upsert_max_stall_ms"] = tick.max_gap * 1000

        def search(**kw: Any) -> Any:
            return lambda q: store.search(space, q, K, **kw)

        res["query_scan"] = latencies(search(), queries)
        if index == "inprocess" and isinstance(store, EdgeVectorStore):
            # What optimize() would cost if run in the server process: the GIL is held
            # throughout, so every other thread (the tornado loop) stalls.
            shard = store._shards[space]
            with Ticker() as tick:
                t = time.perf_counter()
                shard.optimize()
                res["index_build_s"] = time.perf_counter() - t
            res["index_build_max_stall_ms"] = tick.max_gap * 1000
            res["index_where"] = "in-process"
        elif index == "subprocess":
            with Ticker() as tick:
                t = time.perf_counter()
                store.optimize(space)
                res["index_build_s"] = time.perf_counter() - t
            res["index_build_max_stall_ms"] = tick.max_gap * 1000
            res["index_child_rss_mb"] = rss_mb(resource.RUSAGE_CHILDREN)
            res["index_where"] = "in a worker process"
        if index != "none":
            res["query_hnsw"] = latencies(search(), queries)
            res["query_hnsw_ef128"] = latencies(search(hnsw_ef=128), queries)
            res["query_hnsw_ef256"] = latencies(search(hnsw_ef=256), queries)
            res["query_exact"] = latencies(search(exact=True), queries)
            rq = queries[: min(100, len(queries))]
            res["recall_default"] = recall(store, space, rq)
            res["recall_ef128"] = recall(store, space, rq, hnsw_ef=128)
            res["recall_ef256"] = recall(store, space, rq, hnsw_ef=256)
        res["query_dataset"] = latencies(search(dataset_id=3), queries)
        res["query_idset"] = latencies(search(sample_ids=id_subset), queries)
        t = time.perf_counter()
        store.close()
        res["close_s"] = time.perf_counter() - t
        t = time.perf_counter()
        store = open_backend(backend, Path(tmp) / "store")
        store.search(space, queries[0], K)
        res["reopen_s"] = time.perf_counter() - t
        assert store.count(space) == n
        store.close()
    res["rss_peak_mb"] = rss_mb()
    return res


def med(values: list[float], digits: int = 1, unit: str = "") -> str:
    """``median (min–max)`` of a figure over the rounds."""
    return summary(values).fmt(digits, unit)


def fmt_lat(rounds: list[dict[str, Any]], key: str) -> str:
    """p50 / p95 in ms (medians over the rounds), then the range of the p95 in brackets."""
    lats = [r[key] for r in rounds if r.get(key)]
    if not lats:
        return "-"
    p50 = summary([x["p50"] for x in lats]).median
    p95 = summary([x["p95"] for x in lats])
    return f"{p50:.1f} / {p95.median:.1f} ({p95.low:.1f}–{p95.high:.1f})"


def machine(start_load: float | None = None) -> str:
    """CPU, cores, RAM, OS, Python, the load average and the code's commit. ``start_load``:
    the load taken when the run began (a caller writing its file at the end passes it, so
    the line never shows the end's load as the start's)."""
    now = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    load = (
        f"load average at start {start_load:.1f}, when written {now:.1f}"
        if start_load is not None
        else f"load average {now:.1f}"
    )
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, {ram_gib():.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; {load} (machine shared "
        f"with other work); code at `{git_commit()}`"
    )


def versions() -> str:
    from importlib.metadata import version

    return ", ".join(f"{p} {version(p)}" for p in ("qdrant-edge-py", "qdrant-client", "numpy"))


def report(cases: dict[str, list[Run]], command: str, env: dict[str, str], loads: str) -> str:
    """The Markdown table: per case, median (min–max) over the rounds."""
    load0, load1 = loads.split("|")
    rounds_n = len(next(iter(cases.values())))
    lines = [
        header(f"Vector store, {rounds_n} rounds", env, load0, load1),
        f"`{command}`; {versions()}. Data: clustered synthetic unit vectors, {DIM}-d cosine "
        "(n/20 clusters of ~20 points, a common direction, noise; held-out queries from the "
        f"same clusters); payload `dataset_id` = id mod {DATASETS}. Latencies: p50 / p95 in ms "
        f"for top {K}, one query at a time, through the `VectorStore` API; medians over the "
        "rounds, the p95's range in brackets. Every case is a fresh process per round "
        "(cases in rotating order); other cells: median (min–max) over the rounds.",
        "",
        "| backend | points | q | upsert s | index build s (stall ms) | query: scan | "
        "HNSW default | HNSW ef=128 | ef=256 | exact | one dataset (10%) | 2,000-id set | "
        "reopen s | process wall s | peak RSS MiB (above the data) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for runs in cases.values():
        rs = [r.inner for r in runs]
        first = rs[0]
        build = "-"
        if "index_build_s" in first:
            stall = summary([r["index_build_max_stall_ms"] for r in rs]).median
            build = f"{med([r['index_build_s'] for r in rs])} ({stall:.0f})"
        added = summary([r["rss_peak_mb"] - r["rss_base_mb"] for r in rs]).median
        lines.append(
            f"| {first['backend']} | {first['n']:,} | {first['queries']} | "
            f"{med([r['upsert_s'] for r in rs])} | {build} | {fmt_lat(rs, 'query_scan')} | "
            f"{fmt_lat(rs, 'query_hnsw')} | {fmt_lat(rs, 'query_hnsw_ef128')} | "
            f"{fmt_lat(rs, 'query_hnsw_ef256')} | {fmt_lat(rs, 'query_exact')} | "
            f"{fmt_lat(rs, 'query_dataset')} | {fmt_lat(rs, 'query_idset')} | "
            f"{med([r['reopen_s'] for r in rs], 2)} | {med([r.wall_s for r in runs])} | "
            f"{med([r['rss_peak_mb'] for r in rs], 0)} ({added:.0f}) |"
        )
    lines += ["", "Recall@50 of the HNSW index against exact search (100 queries):", ""]
    for runs in cases.values():
        rs = [r.inner for r in runs]
        if "recall_default" in rs[0]:
            lines.append(
                f"- {rs[0]['backend']} {rs[0]['n']:,}: default ef "
                f"{med([r['recall_default'] for r in rs], 3)}, ef=128 "
                f"{med([r['recall_ef128'] for r in rs], 3)}, ef=256 "
                f"{med([r['recall_ef256'] for r in rs], 3)}; index built {rs[0]['index_where']}; "
                "longest stall of another thread of the calling process meanwhile: "
                f"{med([r['index_build_max_stall_ms'] for r in rs], 0, 'ms')}"
            )
    lines += [
        "",
        "Columns: *query: scan* is before any index is built (Edge: plain segments, i.e. a "
        "full scan; qdrant-client local mode always scans). *process wall*: the whole fresh "
        "process (interpreter start, imports, generating the data, every step). *peak RSS*: "
        "the process's, and in brackets what it added above the generated data. *upsert* "
        "includes the final flush; *reopen* is close-to-first-answer. *q*: queries timed per "
        "column (qdrant-client local mode evaluates filters in Python, seconds per query at "
        "20K, so it gets fewer). The vector store has no CLI command of its own (`visionlens "
        "search` is measured by `bench_search.py`), so there is no CLI row here.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="points for Edge")
    parser.add_argument("--n-local", type=int, default=20_000, help="points for local mode")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="rounds (a fresh process per case)")
    parser.add_argument("--out", default="-", help="also write the Markdown here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--index", default="none", help=argparse.SUPPRESS)
    parser.add_argument("--no-index", action="store_true", help="skip the --n index build")
    parser.add_argument("--edge-only", action="store_true", help="no qdrant-client local rows")
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.n, args.queries, args.index, args.tmp)))
        return 0

    load0, env = load_average(), environment()
    # qdrant-client local mode commits every point to SQLite on its own (one fsync each):
    # on disk it is measured at 1,000 points; the --n-local run uses tmpfs to show the rest.
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    plan: list[tuple[str, int, str, str | None]] = [
        ("edge", args.n, "none" if args.no_index else "subprocess", None),
        ("edge", args.n_local, "inprocess", None),
    ]
    if not args.edge_only:
        plan += [
            ("qdrant-local", args.n_local, "none", shm),
            ("qdrant-local", min(1000, args.n_local), "none", None),
        ]
    cases: dict[str, Callable[[int], Run]] = {}
    for backend, n, index, tmp_root in plan:
        cmd = [sys.executable, __file__, "--child", backend, "--n", str(n)]
        # Local mode filters in Python (over a second per query at 20K): fewer queries.
        n_queries = args.queries if backend == "edge" else min(args.queries, 15)
        cmd += ["--queries", str(n_queries), "--index", index]
        cmd += ["--tmp", tmp_root] if tmp_root else []
        name = f"{backend} {n:,}{' tmpfs' if tmp_root else ''}"
        cases[name] = partial(_case, cmd, name)
    runs = interleave(cases, args.runs)
    command = "python benchmarks/bench_vectors.py " + " ".join(sys.argv[1:])
    text = report(runs, command.strip(), env, f"{load0}|{load_average()}")
    print(text)
    if args.out != "-":
        Path(args.out).write_text(text)
    return 0


def _case(cmd: list[str], name: str, r: int) -> Run:
    return checked(run_process(cmd), name)


if __name__ == "__main__":
    sys.exit(run_locked(main))
