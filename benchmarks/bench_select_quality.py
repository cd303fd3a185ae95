"""Selection proven by the model it trains (issue #49 item 5).

For each strategy and budget K, choose K samples, train the same classifier (scikit-learn's
logistic regression) on them with their true labels, and score it on every other sample;
10 seeds, mean and range. References in the same run: **random** choice and **apricot**'s
facility location (apricot-select, on the same similarity matrix as ours), and a plain
TypiClust written here from the paper (k-means into K clusters, the most typical point of
each, largest clusters first) to check ours against.

Data: scikit-learn's handwritten digits (1,797 images of 8x8 pixels, installed with
scikit-learn: no download), their pixel vectors; and the demo's images (``--demo DIR``: a
folder ``visionlens demo`` wrote, embedded by the weight-free built-in embedder), labelled
by their largest object's class. Also reported: the facility-location objective and time of
ours beside apricot's at equal K, and a planted long tail (many small clusters): the
share of clusters each strategy's choice covers.

    python benchmarks/bench_select_quality.py --seeds 10 > benchmarks/results/select.md
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
from harness import environment, header, load_average, summary, table

from visionlens_jlab.select.greedy import Gain, Weighted, choose
from visionlens_jlab.select.vector_cover import Coverage, Representativeness
from visionlens_jlab.select.vector_gains import Diversity, Typicality

Picker = Callable[[np.ndarray, int, int], np.ndarray]
"""(vectors, k, seed) -> the chosen rows."""


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (cosine similarity is then a dot product)."""
    x = x.astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


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


def random_pick(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    """The baseline every strategy must beat."""
    return np.random.default_rng(seed).choice(len(x), k, replace=False)


def apricot_pick(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    """apricot-select's facility location on the cosine similarities (the reference)."""
    from apricot import FacilityLocationSelection

    sim = unit(x) @ unit(x).T
    selector = FacilityLocationSelection(
        k, metric="precomputed", optimizer="lazy", random_state=seed
    )
    return np.asarray(selector.fit(np.clip(sim, 0, None)).ranking[:k])


def typiclust_reference(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    """TypiClust by the paper: k-means into ``k`` clusters, in each the point of highest
    typicality (1 / mean distance to its 20 nearest neighbours in the cluster)."""
    from sklearn.cluster import KMeans

    labels = KMeans(k, n_init=1, random_state=seed).fit_predict(x)
    chosen = []
    for c in np.argsort(-np.bincount(labels, minlength=k), kind="stable"):
        members = np.flatnonzero(labels == c)
        if len(members) == 0:
            continue
        d = np.linalg.norm(x[members, None] - x[None, members], axis=2)
        nn = np.sort(d, axis=1)[:, 1 : min(21, len(members))]
        typicality = 1 / (nn.mean(axis=1) + 1e-12) if nn.size else np.ones(len(members))
        chosen.append(members[int(np.argmax(typicality))])
    return np.array(chosen[:k])


def accuracy(x: np.ndarray, y: np.ndarray, chosen: np.ndarray) -> float:
    """The classifier trained on ``chosen``, scored on every other row."""
    from sklearn.linear_model import LogisticRegression

    rest = np.setdiff1d(np.arange(len(x)), chosen)
    if len(set(y[chosen].tolist())) < 2:
        return float(np.mean(y[rest] == y[chosen][0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(max_iter=3000).fit(x[chosen], y[chosen])
    return float(model.score(x[rest], y[rest]))


def facility_value(sim: np.ndarray, chosen: np.ndarray) -> float:
    """The facility-location objective: every point's best similarity to the chosen."""
    return float(np.clip(sim[:, chosen], 0, None).max(axis=1).sum())


def accuracy_table(
    x: np.ndarray, y: np.ndarray, pickers: dict[str, Picker], budgets: list[int], seeds: int
) -> str:
    """Mean accuracy (range over seeds) per strategy and budget."""
    rows = []
    for name, pick in pickers.items():
        row = [name]
        for k in budgets:
            values = [accuracy(x, y, pick(x, k, seed)) for seed in range(seeds)]
            s = summary(values)
            row.append(f"{np.mean(values):.3f} ({s.low:.3f}-{s.high:.3f})")
        rows.append(row)
    return table(["strategy", *[f"K = {k}" for k in budgets]], rows)


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


def demo_vectors(images: int, cache: str) -> tuple[np.ndarray, np.ndarray]:
    """The demo's images (generated into ``cache`` once) embedded by the weight-free
    built-in embedder, labelled by their largest object's class (its image_labels.csv)."""
    from pathlib import Path

    from PIL import Image

    from visionlens_jlab.demo import existing_demo, generate_demo
    from visionlens_jlab.embed.builtin import ColorGradientEmbedder

    files = existing_demo(cache, images=images, seed=0) or generate_demo(cache, images=images)
    rows = [line.split(",") for line in Path(files.image_labels).read_text().split()[1:]]
    embedder = ColorGradientEmbedder()
    vectors = [
        embedder.embed_images(
            [Image.open(files.images / name).convert("RGB") for name, _ in rows[i : i + 256]]
        )
        for i in range(0, len(rows), 256)
    ]
    classes = sorted({label for _, label in rows})
    return np.concatenate(vectors), np.array([classes.index(label) for _, label in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budgets", default="20,50,100,200")
    parser.add_argument(
        "--runs", type=int, default=3, help="timed runs of the facility-location race"
    )
    parser.add_argument("--demo-images", type=int, default=3000, help="0: no demo part")
    parser.add_argument("--demo-cache", default="/tmp/vl-select-demo")
    args = parser.parse_args()
    from sklearn.datasets import load_digits

    budgets = [int(b) for b in args.budgets.split(",")]
    env, load_start = environment(), load_average()
    x, y = load_digits(return_X_y=True)
    x = x.astype(np.float32)
    pickers: dict[str, Picker] = {
        "random (reference)": random_pick,
        "apricot facility location (reference)": apricot_pick,
        "TypiClust, plain (reference)": typiclust_reference,
        "diversity": ours("diversity"),
        "typicality": ours("typicality"),
        "coverage": ours("coverage"),
        "representativeness": ours("representativeness"),
        "typicality + diversity": ours("typicality", "diversity"),
    }
    parts = [
        "### Digits: accuracy of the classifier trained on the K chosen\n",
        accuracy_table(x, y, pickers, budgets, args.seeds),
        "\n### Digits: facility-location objective and time, ours and apricot's\n",
        facility_table(x, budgets, args.runs),
        "\n### Planted long tail: 100 clusters of 2,000 down to 5 points\n",
        tail_table({k: v for k, v in pickers.items() if "apricot" not in k}, 150, args.seeds),
    ]
    if args.demo_images:
        dx, dy = demo_vectors(args.demo_images, args.demo_cache)
        parts += [
            f"\n### The demo ({len(dx):,} images, built-in embedder): accuracy of the classifier trained on the K chosen\n",
            accuracy_table(dx, dy, pickers, budgets, args.seeds),
        ]
    print(header("Selection strategies by the model they train", env, load_start, load_average()))
    print("\n".join(parts))


if __name__ == "__main__":
    main()
