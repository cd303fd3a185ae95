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
    """A split for every sample, the same for the same view, ratios and seed.

    Samples are grouped by their rarest class (images without labels form a group of their
    own); each group is shuffled with ``seed`` and the groups are laid end to end; walking
    that order, each sample goes to the split furthest behind its share so far. Each group
    (and so each class) is cut by the ratios to within one sample, and the totals too: a
    per-group cut would round every small group the same way."""
    frequency = Counter(label for labels in sample_labels.values() for label in set(labels))
    groups: dict[str, list[int]] = {}
    for sid in sample_ids:
        labels = sample_labels.get(sid)
        key = min(labels, key=lambda c: (frequency[c], c)) if labels else ""
        groups.setdefault(key, []).append(sid)
    rnd = random.Random(seed)
    order: list[int] = []
    for key in sorted(groups):
        members = sorted(groups[key])
        rnd.shuffle(members)
        order += members
    names = list(ratios)
    assigned = dict.fromkeys(names, 0)
    out: dict[int, str] = {}
    for t, sid in enumerate(order, start=1):
        name = max(names, key=lambda n: ratios[n] * t - assigned[n])
        assigned[name] += 1
        out[sid] = name
    return out
