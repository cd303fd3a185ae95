"""What the selection benchmarks share (issue #49 item 5): a choice proven by the model it
trains.

A *picker* chooses ``k`` rows of the vectors with a seed; :func:`accuracies` trains the same
classifier (scikit-learn's logistic regression) on each choice with its true labels and
scores it on every other row, per budget and seed; :func:`accuracy_table` gives mean and
range; :func:`goal_lines` checks the issue's goals against the references of the same run.
The references: random choice, apricot-select's facility location on the cosine
similarities, and a plain TypiClust written from the paper. Used by
``bench_select_quality.py`` (digits, the long tail) and ``bench_select_demo.py`` (the demo
through ``visionlens select``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from harness import summary, table

Picker = Callable[[np.ndarray, int, int], np.ndarray]
"""(vectors, k, seed) -> the chosen rows."""

Accuracies = dict[str, dict[int, list[float]]]
"""Strategy -> budget -> accuracy per seed."""

RANDOM = "random (reference)"
APRICOT = "apricot facility location (reference)"
TYPICLUST = "TypiClust, plain (reference)"
STRATEGY_SETS: dict[str, tuple[str, ...]] = {
    "diversity": ("diversity",),
    "typicality": ("typicality",),
    "coverage": ("coverage",),
    "representativeness": ("representativeness",),
    "typicality + diversity": ("typicality", "diversity"),
}
"""VisionLens' vector strategies measured, by name: the words ``visionlens select`` takes."""
LOW_BUDGET = ("typicality", "representativeness", "coverage")
"""The strategies meant for a small budget (the goal's "best low-budget strategy")."""


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (cosine similarity is then a dot product)."""
    x = x.astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


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


REFERENCES: dict[str, Picker] = {
    RANDOM: random_pick,
    APRICOT: apricot_pick,
    TYPICLUST: typiclust_reference,
}
"""The references every accuracy table carries, in the same run as the strategies."""


def remembered(pick: Picker) -> Picker:
    """``pick`` remembering its choice per (K, seed), so that every label set scored on the
    same vectors scores the same choice (and a slow reference runs once)."""
    chosen: dict[tuple[int, int], np.ndarray] = {}

    def again(x: np.ndarray, k: int, seed: int) -> np.ndarray:
        if (k, seed) not in chosen:
            chosen[k, seed] = pick(x, k, seed)
        return chosen[k, seed]

    return again


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


def accuracies(
    x: np.ndarray, y: np.ndarray, pickers: dict[str, Picker], budgets: list[int], seeds: int
) -> Accuracies:
    """Each picker's accuracy per budget and seed (seeds 0 .. ``seeds`` - 1)."""
    return {
        name: {k: [accuracy(x, y, pick(x, k, seed)) for seed in range(seeds)] for k in budgets}
        for name, pick in pickers.items()
    }


def accuracy_table(values: Accuracies) -> str:
    """Mean accuracy (range over seeds) per strategy and budget."""
    budgets = list(next(iter(values.values())))
    rows = []
    for name, by_k in values.items():
        cells = []
        for k in budgets:
            s = summary(by_k[k])
            cells.append(f"{np.mean(by_k[k]):.3f} ({s.low:.3f}-{s.high:.3f})")
        rows.append([name, *cells])
    return table(["strategy", *[f"K = {k}" for k in budgets]], rows)


def goal_lines(values: Accuracies) -> list[str]:
    """The issue's goals, checked on these means: the best low-budget strategy at least
    random + 15 points at K = 20 and + 7 at K = 50 and within 2 points of apricot (or
    above); at every K no strategy under random."""
    mean = {name: {k: float(np.mean(v)) for k, v in by_k.items()} for name, by_k in values.items()}
    ours = [name for name in mean if name not in REFERENCES]
    lines = []
    for k, margin in ((20, 0.15), (50, 0.07)):
        low = [name for name in ours if name in LOW_BUDGET and k in mean[name]]
        if not low or k not in mean[RANDOM]:
            continue
        best = max(low, key=lambda name: mean[name][k])
        over = mean[best][k] - mean[RANDOM][k]
        to_apricot = mean[best][k] - mean[APRICOT][k]
        met = over >= margin and to_apricot >= -0.02
        lines.append(
            f"- K = {k}: best low-budget strategy {best} {mean[best][k]:.3f}, random + "
            f"{100 * over:.1f} points (goal + {100 * margin:.0f}), apricot "
            f"{100 * to_apricot:+.1f} points (goal ≥ -2): **{'met' if met else 'not met'}**"
        )
    for k in mean[RANDOM]:
        under = [
            f"{name} ({100 * (mean[name][k] - mean[RANDOM][k]):+.1f})"
            for name in ours
            if mean[name][k] < mean[RANDOM][k]
        ]
        verdict = "none under random" if not under else "under random: " + ", ".join(under)
        lines.append(f"- K = {k}: {verdict}")
    return lines
