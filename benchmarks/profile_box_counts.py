"""The box index's counting over a sample mask, per density (issue #16), in process.

    python benchmarks/profile_box_counts.py [--samples 1000000] [--classes 5] [--runs 3]

Makes its own data like the browsing benchmark's 1M catalog (ground truth: 3 boxes a
sample of ``--classes`` classes; a model: 2 boxes a sample with uniform scores; one image
width) and, for masks keeping 0.1-99.9 % of the samples, times (single thread, best of 5
per run; median and range over ``--runs``):

* ``labels``/``box counts`` of the ground truth: the session-6 reference (one
  ``np.take(mask, positions)`` over the boxes grouped by label or by count, then a
  ``count_nonzero`` per group) against the bit levels (``CodeCounts``, ``Levels``);
* ``score``: the reference (the mask gathered over every score in value order, bins by
  binary search) against the cuts (``BinnedValues``), and a prototype of the rejected
  sparse layout (the selected samples' rows in sample order, or the complement's for a
  dense mask; without the exactness checks, so a lower bound);
* ``width``: the reference against the cuts.

Every answer of the bit levels and cuts is compared with the reference's (``same``).
The build time and memory of each structure are printed first. A development measurement.
"""

from __future__ import annotations

import argparse
import bisect
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from visionlens_jlab.catalog.base.bit_levels import CodeCounts, Levels, PackedMask
from visionlens_jlab.catalog.base.mask_counts import BinnedValues, Histogram, SortedValues, bin_of

BINS = 20


def grouped(codes: np.ndarray, positions: np.ndarray, n_codes: int) -> tuple[np.ndarray, list[int]]:
    """The reference layout: positions grouped by code, and each code's start."""
    order = np.argsort(codes, kind="stable")
    starts = [0, *np.cumsum(np.bincount(codes, minlength=n_codes)).tolist()]
    return positions[order].astype(np.int32), starts


def reference_counts(grouped_pos: np.ndarray, starts: list[int], mask: np.ndarray) -> np.ndarray:
    selected = np.take(mask, grouped_pos)
    return np.array(
        [np.count_nonzero(selected[a:b]) for a, b in zip(starts, starts[1:], strict=False)]
    )


def reference_histogram(rows: SortedValues, mask: np.ndarray) -> Histogram:
    """Session 6's histogram: the mask over every row in value order, bins by bisection."""
    selected = np.take(mask, rows.positions)
    count = int(np.count_nonzero(selected))
    if not count:
        return Histogram(0, None, None, {})
    first = int(np.argmax(selected))
    last = len(selected) - 1 - int(np.argmax(selected[::-1]))
    lo, hi = float(rows.values[first]), float(rows.values[last])
    bounds = [first]
    for b in range(1, BINS):
        key: Callable[[Any], int] = lambda v: bin_of(float(v), lo, hi, BINS)  # noqa: E731
        bounds.append(bisect.bisect_left(rows.values, b, bounds[-1], last + 1, key=key))
    bounds.append(last + 1)
    counts = [
        int(np.count_nonzero(selected[a:b])) for a, b in zip(bounds, bounds[1:], strict=False)
    ]
    return Histogram(count, lo, hi, {b: c for b, c in enumerate(counts) if c})


class SparseRows:
    """The rejected layout: each sample's rows in sample order (offsets per sample)."""

    def __init__(self, rows: SortedValues, n: int) -> None:
        order = np.argsort(rows.positions, kind="stable")
        self.rows, self.values = rows, rows.values[order]
        self.counts = np.bincount(rows.positions, minlength=n)
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)])

    def _values_of(self, samples: np.ndarray) -> np.ndarray:
        counts = self.counts[samples]
        shift = np.repeat(self.offsets[samples] - (np.cumsum(counts) - counts), counts)
        return self.values[shift + np.arange(int(counts.sum()))]

    def bins(self, mask: np.ndarray) -> np.ndarray:
        """Bin counts (no exactness checks: a lower bound of the cost)."""
        if np.count_nonzero(mask) * 2 <= len(mask):
            values = self._values_of(np.flatnonzero(mask))
            lo, hi = values.min(), values.max()
            width = (hi - lo) / BINS or 1.0
            return np.bincount(
                np.minimum((values - lo) // width, BINS - 1).astype(int), minlength=BINS
            )
        ends = [
            np.take(mask, self.rows.positions[:1024]),
            np.take(mask, self.rows.positions[-1024:]),
        ]
        lo = self.rows.values[int(np.argmax(ends[0]))]
        hi = self.rows.values[len(self.rows.values) - 1 - int(np.argmax(ends[1][::-1]))]
        width = (hi - lo) / BINS or 1.0
        edges = np.searchsorted(self.rows.values, lo + np.arange(BINS + 1) * width)
        rest = self._values_of(np.flatnonzero(~mask))
        rest = np.minimum((rest[rest >= lo] - lo) // width, BINS - 1).astype(int)
        return np.diff(edges) - np.bincount(rest, minlength=BINS)


def best_ms(fn: Callable[[], object], reps: int = 5) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def timed(label: str, fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    ms = (time.perf_counter() - start) * 1000
    size = getattr(out, "nbytes", None)
    print(f"build {label}: {ms:.0f} ms" + (f", {size / 1e6:.1f} MB" if size else ""))
    return out, ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n, rng = args.samples, np.random.default_rng(0)
    gt_pos = np.repeat(np.arange(n, dtype=np.int32), 3)
    gt_codes = rng.integers(0, args.classes, len(gt_pos))
    score_rows = SortedValues.of(rng.random(2 * n), np.repeat(np.arange(n, dtype=np.int32), 2))
    width_rows = SortedValues.of(np.full(n, 640.0), np.arange(n, dtype=np.int32))
    labels, _ = timed("labels CodeCounts", lambda: CodeCounts.of(gt_codes, gt_pos, args.classes, n))
    box_counts, _ = timed("box counts Levels", lambda: Levels.of_rows(gt_pos, n))
    scores, _ = timed("score BinnedValues", lambda: BinnedValues.of(score_rows, n, BINS))
    widths, _ = timed("width BinnedValues", lambda: BinnedValues.of(width_rows, n, BINS))
    sparse, _ = timed("score sparse rows", lambda: SparseRows(score_rows, n))
    ref_labels = grouped(gt_codes, gt_pos, args.classes)
    per_sample = np.bincount(gt_pos, minlength=n)
    ref_counts = grouped(per_sample, np.arange(n, dtype=np.int32), int(per_sample.max()) + 1)
    timed_pieces: list[Callable[[np.ndarray, PackedMask], object]] = [
        lambda mask, bits: reference_counts(*ref_labels, mask),
        lambda mask, bits: labels.counts(bits),
        lambda mask, bits: reference_counts(*ref_counts, mask),
        lambda mask, bits: box_counts.per_count(bits),
        lambda mask, bits: reference_histogram(score_rows, mask),
        lambda mask, bits: scores.histogram(bits, BINS),
        lambda mask, bits: sparse.bins(mask),
        lambda mask, bits: reference_histogram(width_rows, mask),
        lambda mask, bits: widths.histogram(bits, BINS),
    ]
    columns = ["labels ref", "labels bits", "box counts ref", "box counts bits", "score ref",
               "score cuts", "score sparse", "width ref", "width cuts"]  # fmt: skip
    print(f"\n{n:,} samples, {args.classes} classes; ms, median (min-max) of {args.runs} runs")
    print(f"| kept | {' | '.join(columns)} | same |\n|{'---|' * (len(columns) + 2)}")
    for share in (0.001, 0.01, 0.05, 0.1, 0.2, 0.33, 0.5, 0.66, 0.8, 0.95, 0.99, 0.999):
        mask = rng.random(n) < share
        bits = PackedMask.of(mask)
        same = (
            np.array_equal(labels.counts(bits), reference_counts(*ref_labels, mask))
            and np.array_equal(
                box_counts.per_count(bits), np.trim_zeros(reference_counts(*ref_counts, mask), "b")
            )
            and scores.histogram(bits, BINS) == reference_histogram(score_rows, mask)
            and widths.histogram(bits, BINS) == reference_histogram(width_rows, mask)
        )
        pieces = [partial(fn, mask, bits) for fn in timed_pieces]
        runs = [[best_ms(fn) for fn in pieces] for _ in range(args.runs)]
        cells = []
        for k in range(len(pieces)):
            values = [run[k] for run in runs]
            cells.append(f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})")
        print(f"| {share:.1%} | {' | '.join(cells)} | {same} |", flush=True)


if __name__ == "__main__":
    main()
