"""Splits of an export: the catalog's own, or re-drawn from ratios and a seed, stratified by
class so every class keeps its share in every split."""

from __future__ import annotations

import random
from collections import Counter

from .errors import ExportError


def parse_ratios(text: str) -> dict[str, float]:
    """``train=0.8,val=0.2`` as ``{"train": 0.8, "val": 0.2}``, normalised to sum 1."""
    ratios: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            ratio = float(value)
        except ValueError:
            ratio = -1.0
        if not sep or not name.strip() or ratio < 0 or name.strip() in ratios:
            raise ExportError(
                f"--splits: expected name=ratio pairs like train=0.8,val=0.2, got {text!r}"
            )
        ratios[name.strip()] = ratio
    total = sum(ratios.values())
    if total <= 0:
        raise ExportError("--splits: the ratios sum to 0")
    return {name: r / total for name, r in ratios.items()}


def draw_splits(
    sample_ids: list[int], sample_labels: dict[int, list[str]], ratios: dict[str, float], seed: int
) -> dict[int, str]:
    """A split for every sample: samples are grouped by their rarest class (images without
    labels form a group of their own), each group shuffled with ``seed`` and cut by the
    ratios (largest remainders get the leftover samples), so the draw is the same for the
    same view, ratios and seed."""
    frequency = Counter(label for labels in sample_labels.values() for label in set(labels))
    groups: dict[str, list[int]] = {}
    for sid in sample_ids:
        labels = sample_labels.get(sid)
        key = min(labels, key=lambda c: (frequency[c], c)) if labels else ""
        groups.setdefault(key, []).append(sid)
    rnd = random.Random(seed)
    names = list(ratios)
    out: dict[int, str] = {}
    for key in sorted(groups):
        members = sorted(groups[key])
        rnd.shuffle(members)
        n = len(members)
        exact = [ratios[name] * n for name in names]
        counts = [int(e) for e in exact]
        by_remainder = sorted(range(len(names)), key=lambda i: (counts[i] - exact[i], i))
        for i in by_remainder[: n - sum(counts)]:
            counts[i] += 1
        begin = 0
        for name, count in zip(names, counts, strict=True):
            for sid in members[begin : begin + count]:
                out[sid] = name
            begin += count
    return out
