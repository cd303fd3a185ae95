"""How long Qdrant Edge calls keep other threads of the calling process waiting for the GIL.

    python benchmarks/bench_edge_gil.py [--runs 3] [--dim 512] [--out FILE]

A ticker thread sleeps 1 ms at a time and records its longest gap while each store call
runs: a gap is how long the calling process's other threads (the server's event loop) could
not run. The same calls, in the same run, three ways: ``EdgeVectorStore`` in the process
(the server before this change), the same with upserts chunked to 64 points (the
alternative to a child process: creating a space, flushing and closing cannot be chunked),
and ``EdgeProcessStore`` (the store in a child process, the server's default now). Each
row: median (range) over ``--runs`` of the longest gap, and of the call's wall time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from media_support import loadavg, machine

from visionlens_jlab.vectors import EdgeProcessStore, EdgeVectorStore, VectorStore

CALLS = ("create space", "upsert 64", "upsert 600", "upsert 1024", "upsert 600 again", "flush")
CHUNK = 64


class Ticker:
    """A thread that wakes every 1 ms; ``longest`` is its longest gap since ``reset``."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop:
            time.sleep(0.001)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    def reset(self) -> None:
        self.longest = 0.0

    def stop(self) -> None:
        self._stop = True
        self._thread.join()


def one_run(kind: str, root: Path, dim: int, ticker: Ticker) -> dict[str, tuple[float, float]]:
    """``{call: (longest gap ms, wall ms)}`` for one fresh store of ``kind``."""
    store: VectorStore = (
        EdgeProcessStore(root) if kind == "child process" else EdgeVectorStore(root)
    )
    rng = np.random.default_rng(0)
    out: dict[str, tuple[float, float]] = {}
    space = ""
    base = 0

    def timed(label: str, call: Callable[[], object]) -> None:
        ticker.reset()
        start = time.perf_counter()
        call()
        out[label] = (ticker.longest * 1000, (time.perf_counter() - start) * 1000)

    def upsert(n: int) -> None:
        nonlocal base
        vectors = rng.standard_normal((n, dim)).astype(np.float32)
        ids = np.arange(base, base + n)
        base += n
        step = CHUNK if kind == "in process, chunked upserts" else n
        for start in range(0, n, step):
            store.upsert(space, ids[start : start + step], vectors[start : start + step], 1)

    try:
        start = time.perf_counter()
        ticker.reset()
        space = store.ensure_space("bench", "v", dim).name
        out["create space"] = (ticker.longest * 1000, (time.perf_counter() - start) * 1000)
        for label, n in (("upsert 64", 64), ("upsert 600", 600), ("upsert 1024", 1024)):
            timed(label, lambda n=n: upsert(n))  # type: ignore[misc]
        timed("upsert 600 again", lambda: upsert(600))
        timed("flush", store.flush)
    finally:
        store.close()
    return out


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--out", type=Path, help="append the report to this Markdown file")
    args = parser.parse_args()
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_start = loadavg()
    kinds = ("in process", "in process, chunked upserts", "child process")
    results: dict[str, list[dict[str, tuple[float, float]]]] = {k: [] for k in kinds}
    ticker = Ticker()
    try:
        with tempfile.TemporaryDirectory(prefix="vl-edge-gil-") as tmp:
            for run in range(args.runs):
                for kind in kinds:  # interleaved: each run meets the same machine state
                    root = Path(tmp) / f"{run}-{kind.replace(' ', '_').replace(',', '')}"
                    results[kind].append(one_run(kind, root, args.dim, ticker))
    finally:
        ticker.stop()
    lines = [
        f"### {started}: longest wait of another thread of the caller, ms (call wall time, ms)",
        "",
        f"`python benchmarks/bench_edge_gil.py --runs {args.runs} --dim {args.dim}`; "
        f"{machine()}; load average {load_start} at the start, {loadavg()} at the end. "
        "Median (range) over the runs.",
        "",
        "| call | " + " | ".join(kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for call in CALLS:
        cells = []
        for kind in kinds:
            gaps = [r[call][0] for r in results[kind]]
            walls = [r[call][1] for r in results[kind]]
            cells.append(f"{spread(gaps)} ({statistics.median(walls):.0f})")
        lines.append(f"| {call} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    from harness import run_locked

    run_locked(main)
