"""From duplicate pairs to groups, per-sample fields and the train/val leak report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

TRAIN_SPLIT = "train"


@dataclass
class Pairs:
    """Duplicate pairs of one kind, as row indices ``i < j`` into the dataset's sample arrays."""

    kind: str
    i: np.ndarray
    j: np.ndarray
    similarity: np.ndarray  # cosine (near), 1.0 (exact), 1 - bits/64 (perceptual)

    @staticmethod
    def empty(kind: str) -> Pairs:
        none = np.empty(0, dtype=np.int64)
        return Pairs(kind, none, none.copy(), np.empty(0, dtype=np.float32))


def components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` rows (the smallest row index in it)."""
    labels = np.arange(n, dtype=np.int64)
    if len(i) == 0:
        return labels
    while True:
        # hook every edge to the smaller label, then jump pointers until labels are roots
        low = np.minimum(labels[i], labels[j])
        before = labels.copy()
        np.minimum.at(labels, labels[i], low)
        np.minimum.at(labels, labels[j], low)
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels, before):
            return labels


def groups_of(sample_ids: np.ndarray, labels: np.ndarray) -> list[list[int]]:
    """Groups of two or more sample ids sharing a label; each sorted, largest group first."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    ends = np.r_[starts[1:], len(order)]
    out = [
        sorted(int(x) for x in sample_ids[order[s:e]])
        for s, e in zip(starts, ends, strict=True)
        if e - s > 1
    ]
    out.sort(key=lambda g: (-len(g), g[0]))
    return out


def sample_fields(
    sample_ids: np.ndarray, labels: np.ndarray, nearest: np.ndarray | None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The derived fields ``dup_group``, ``dup_count``, ``nearest_similarity``, ``uniqueness``.

    ``dup_group``: the smallest sample id of the sample's group (only for samples that have
    a duplicate); ``dup_count``: how many other samples its group holds (0: none);
    ``nearest_similarity``: cosine to the most similar other sample (from the near-duplicate
    search, needs vectors); ``uniqueness``: ``1 - nearest_similarity`` clipped to [0, 1].
    Returns ``{field: (sample_ids, values)}``.
    """
    sizes = np.bincount(labels, minlength=len(labels))[labels]
    group_min = np.full(len(labels), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(group_min, labels, sample_ids)
    in_group = sizes > 1
    out = {
        "dup_group": (sample_ids[in_group], group_min[labels][in_group]),
        "dup_count": (sample_ids, (sizes - 1).astype(np.float64)),
    }
    if nearest is not None:
        known = nearest > -1
        sims = np.clip(nearest[known].astype(np.float64), -1.0, 1.0)
        out["nearest_similarity"] = (sample_ids[known], sims)
        out["uniqueness"] = (sample_ids[known], np.clip(1.0 - sims, 0.0, 1.0))
    return out


def leaks(
    sample_ids: np.ndarray, splits: list[str | None], pairs: list[Pairs]
) -> list[dict[str, Any]]:
    """Every non-train sample with a duplicate in train, one row per such pair, most similar
    first.

    A pair found by several kinds (a byte copy is also a perceptual and a near duplicate) is
    one leak: ``kinds`` lists them all, ``kind`` and ``similarity`` are those of the first
    kind in ``pairs`` that found it (the strongest evidence: exact, perceptual, near).
    """
    is_train = np.array([s == TRAIN_SPLIT for s in splits], dtype=bool)
    other = np.array([s is not None and s != TRAIN_SPLIT for s in splits], dtype=bool)
    found: dict[tuple[int, int], dict[str, Any]] = {}
    for p in pairs:
        for held, train in ((p.i, p.j), (p.j, p.i)):
            hit = other[held] & is_train[train]
            for h, t, s in zip(held[hit], train[hit], p.similarity[hit], strict=True):
                key = (int(sample_ids[h]), int(sample_ids[t]))
                if key in found:
                    if p.kind not in found[key]["kinds"]:
                        found[key]["kinds"].append(p.kind)
                    continue
                found[key] = {
                    "sample_id": key[0],
                    "split": splits[h],
                    "duplicate_id": key[1],
                    "duplicate_split": splits[t],
                    "similarity": round(float(s), 6),
                    "kind": p.kind,
                    "kinds": [p.kind],
                }
    rows = list(found.values())
    rows.sort(key=lambda r: (-r["similarity"], r["sample_id"], r["duplicate_id"], r["kind"]))
    return rows
