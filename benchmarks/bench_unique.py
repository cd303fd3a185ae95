"""Distinct integers: ``np.unique`` against ``visionlens_jlab.int_unique``, paired, per call site.

    python benchmarks/bench_unique.py [--n 1000000] [--runs 5] [--out FILE]

Since numpy 2.3 ``np.unique`` of integers uses a hash table, which on small shared machines
costs seconds at 1M values. Each row is one call site's input, at the size that site sees
(``--n``: 1M by default), made here from a fixed seed; every round times the old call and
the new one back to back on the same array (paired: both see the same moment of a shared
machine) and checks that both give the same values. Figures are in-process wall times,
median (min–max) over the rounds: the change is inside library functions whose end-to-end
benchmarks (bench_duplicates.py, bench_evaluate.py, bench_map.py) time whole runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import environment, header, load_average, run_locked, summary, table

from visionlens_jlab.int_unique import unique_ints, unique_small_ints
from visionlens_jlab.maps.answers import parse_ids_in

Case = tuple[str, Callable[[], object], Callable[[], object]]


def cases(n: int) -> list[Case]:
    """``(site and input, old call, new call)`` for every changed call site."""
    rng = np.random.default_rng(0)
    ids_sorted = (np.arange(1, n + 1, dtype=np.int64) * 3).tolist()
    ids_shuffled = rng.permutation(n).astype(np.int64).tolist()
    keys = rng.integers(0, 10**12, int(n * 0.7)).repeat(2)[:n]
    rng.shuffle(keys)
    few_keys = rng.integers(0, 10**12, max(n // 10, 1))
    ranks = rng.integers(0, 100, int(n * 2.85))  # 2.85 predictions per image, ranks < 100
    return [
        (
            f"maps `ids_in`: {n:,} sorted ids (JSON list)",
            lambda: np.unique(np.asarray(ids_sorted, dtype=np.int64)),
            lambda: parse_ids_in(ids_sorted),
        ),
        (
            f"maps `ids_in`: {n:,} shuffled ids (JSON list)",
            lambda: np.unique(np.asarray(ids_shuffled, dtype=np.int64)),
            lambda: parse_ids_in(ids_shuffled),
        ),
        (
            f"dedup pair / pHash candidate keys: {n:,}, 30 % repeats",
            lambda: np.unique(keys),
            lambda: unique_ints(keys),
        ),
        (
            f"dedup pair / pHash candidate keys: {len(few_keys):,}",
            lambda: np.unique(few_keys),
            lambda: unique_ints(few_keys),
        ),
        (
            f"evaluate COCO ranks: {len(ranks):,} in 0..99",
            lambda: np.unique(ranks),
            lambda: unique_small_ints(ranks),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    load_start = load_average()
    rows = []
    for name, old, new in cases(args.n):
        old_ms: list[float] = []
        new_ms: list[float] = []
        for _ in range(args.runs):
            for fn, times in ((old, old_ms), (new, new_ms)):
                t0 = time.perf_counter()
                value = fn()
                times.append((time.perf_counter() - t0) * 1e3)
                if fn is old:
                    expected = value
                elif not np.array_equal(np.asarray(value), np.asarray(expected)):
                    raise SystemExit(f"{name}: the new call's values differ from np.unique's")
        a, b = summary(old_ms), summary(new_ms)
        speedup = summary([x / y for x, y in zip(old_ms, new_ms, strict=True)])
        rows.append(
            [
                name,
                f"{a.median:,.2f} ({a.low:,.2f}–{a.high:,.2f})",
                f"{b.median:,.2f} ({b.low:,.2f}–{b.high:,.2f})",
                f"{speedup.median:,.0f}× ({speedup.low:,.0f}–{speedup.high:,.0f})",
            ]
        )
        print(rows[-1], flush=True)
    report = header("Distinct integers per call site", environment(), load_start, load_average())
    report += (
        f"\n`python benchmarks/bench_unique.py --n {args.n} --runs {args.runs}`; "
        "milliseconds, median (min–max) over the rounds, old and new call paired in each "
        "round; both give the same values (checked every round).\n\n"
    )
    report += table(["call site and input", "np.unique ms", "new ms", "speed-up"], rows)
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    run_locked(main)
