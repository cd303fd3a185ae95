"""Selection proven by the model it trains (issue #49 item 5).

For each strategy and budget K, choose K samples, train the same classifier (scikit-learn's
logistic regression) on them with their true labels, and score it on every other sample;
10 seeds, mean and range. References in the same run: **random** choice and **apricot**'s
facility location (apricot-select, on the same similarity matrix as ours), and a plain
TypiClust written here from the paper (k-means into K clusters, the most typical point of
each, largest clusters first) to check ours against.

Data: scikit-learn's handwritten digits (1,797 images of 8x8 pixels, installed with
scikit-learn: no download), their pixel vectors (the demo, through ``visionlens select``:
``bench_select_demo.py``; the shared parts: ``select_proof.py``). Also reported: the facility-location objective and time of
ours beside apricot's at equal K, and a planted long tail (many small clusters): the
share of clusters each strategy's choice covers.

    python benchmarks/bench_select_quality.py --seeds 10 > /tmp/select_quality.md

then put that output in place of the section "## Selection strategies by the model they
train" of benchmarks/results/select.md (``harness.write_section``), not over the whole
file: it holds the other selection benchmarks' sections too.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from harness import environment, header, load_average, summary, table
from select_proof import (
    APRICOT,
    REFERENCES,
    STRATEGY_SETS,
    Picker,
    accuracies,
    accuracy_table,
    apricot_pick,
    goal_lines,
    unit,
)

from visionlens_jlab.select.greedy import Gain, Weighted, choose
from visionlens_jlab.select.vector_cover import Coverage, Representativeness
from visionlens_jlab.select.vector_gains import Diversity, Typicality

STRATEGIES: dict[str, Callable[[np.ndarray, int], Gain]] = {
    "diversity": lambda x, k: Diversity(x),
    "typicality": Typicality,
    "coverage": lambda x, k: Coverage(x),
    "representativeness": lambda x, k: Representativeness(x),
}
"""VisionLens' vector strategies as ``visionlens select`` builds them (vectors, budget)."""


def ours(*names: str) -> Picker:
    """VisionLens' choice with the named strategies, equal weights."""

    def pick(x: np.ndarray, k: int, seed: int) -> np.ndarray:
        gains = [Weighted(STRATEGIES[name](x, k)) for name in names]
        return choose(len(x), k, gains, seed=seed).positions

    return pick


def facility_value(sim: np.ndarray, chosen: np.ndarray) -> float:
    """The facility-location objective: every point's best similarity to the chosen."""
    return float(np.clip(sim[:, chosen], 0, None).max(axis=1).sum())


def facility_table(x: np.ndarray, budgets: list[int], runs: int) -> str:
    """Ours vs apricot: objective and seconds (median of ``runs``; apricot warmed up first,
    so its numba compilation is not counted)."""
    sim = unit(x) @ unit(x).T
    apricot_pick(x, 2, 0)
    rows = []
    for k in budgets:
        times: dict[str, list[float]] = {"ours": [], "apricot": []}
        values: dict[str, float] = {}
        for _ in range(runs):
            for name, pick in (("ours", ours("representativeness")), ("apricot", apricot_pick)):
                start = time.perf_counter()
                chosen = pick(x, k, 0)
                times[name].append(time.perf_counter() - start)
                values[name] = facility_value(sim, chosen)
        o, a = summary(times["ours"]), summary(times["apricot"])
        rows.append(
            [
                str(k),
                f"{values['ours']:.1f}",
                f"{values['apricot']:.1f}",
                o.fmt(3, "s"),
                a.fmt(3, "s"),
                f"{a.median / o.median:.1f}x",
            ]
        )
    return table(
        ["K", "objective, ours", "objective, apricot", "ours", "apricot", "apricot / ours"], rows
    )


def long_tail(seed: int, clusters: int = 100, dim: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Well-separated Gaussian clusters of Zipf sizes (the largest 2,000, the smallest 5)."""
    rng = np.random.default_rng(seed)
    sizes = np.maximum((2000 / np.arange(1, clusters + 1)).astype(int), 5)
    centres = rng.normal(size=(clusters, dim)) * 10
    x = np.concatenate([c + rng.normal(size=(n, dim)) for c, n in zip(centres, sizes, strict=True)])
    return x.astype(np.float32), np.repeat(np.arange(clusters), sizes)


def tail_table(pickers: dict[str, Picker], k: int, seeds: int) -> str:
    """Share of the planted clusters each choice of ``k`` covers, mean (range) over seeds."""
    rows = []
    for name, pick in pickers.items():
        shares = []
        for seed in range(seeds):
            x, cluster = long_tail(seed)
            shares.append(len(set(cluster[pick(x, k, seed)].tolist())) / (cluster.max() + 1))
        s = summary(shares)
        rows.append([name, f"{np.mean(shares):.1%} ({s.low:.0%}-{s.high:.0%})"])
    return table(["strategy", f"clusters covered, K = {k}"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budgets", default="20,50,100,200")
    parser.add_argument(
        "--runs", type=int, default=3, help="timed runs of the facility-location race"
    )
    args = parser.parse_args()
    from sklearn.datasets import load_digits

    budgets = [int(b) for b in args.budgets.split(",")]
    env, load_start = environment(), load_average()
    x, y = load_digits(return_X_y=True)
    x = x.astype(np.float32)
    pickers: dict[str, Picker] = {
        **REFERENCES,
        **{name: ours(*words) for name, words in STRATEGY_SETS.items()},
    }
    values = accuracies(x, y, pickers, budgets, args.seeds)
    parts = [
        "### Digits: accuracy of the classifier trained on the K chosen\n",
        accuracy_table(values),
        "\nGoals (issue #49 item 5), on these means:\n",
        *goal_lines(values),
        "\n### Digits: facility-location objective and time, ours and apricot's\n",
        facility_table(x, budgets, args.runs),
        "\n### Planted long tail: 100 clusters of 2,000 down to 5 points\n",
        tail_table({k: v for k, v in pickers.items() if k != APRICOT}, 150, args.seeds),
    ]
    print(header("Selection strategies by the model they train", env, load_start, load_average()))
    print("\n".join(parts))


if __name__ == "__main__":
    from harness import run_locked

    run_locked(main)
