"""Which facets a filter conditions on, and the filter without that facet's own condition.

Standard facet semantics (multi-pick): the counts of a facet exclude that facet's own
condition, so that checking one value of a facet keeps the facet's other values visible
with the counts they would add. Every other condition of the filter still applies. A
facet is named as in the facets' output: its ``name`` and, for box facets, its ``source``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..store.schema import GROUND_TRUTH


@dataclass(frozen=True)
class OwnCondition:
    """A facet the filter conditions on, and the filter without that condition."""

    name: str
    source: str | None
    reduced: dict[str, Any]


def own_conditions(spec: dict[str, Any] | None) -> Iterator[OwnCondition]:
    """Every facet ``spec`` conditions on (sample fields, tags, a source's classes and
    scores, a source's box count), each with ``spec`` less that facet's condition.

    Conditions that no single facet stands for (a label condition over any source or all
    predictions, ``ids``, ``labels.where``) stay in every facet's filter.
    """
    if not isinstance(spec, dict):
        return
    sample = spec.get("sample")
    if isinstance(sample, dict):
        for name in sample:
            reduced = copy.deepcopy(spec)
            del reduced["sample"][name]
            yield OwnCondition(name, None, reduced)
    tags = spec.get("tags")
    if isinstance(tags, dict) and tags.get("any"):
        reduced = copy.deepcopy(spec)
        del reduced["tags"]["any"]
        yield OwnCondition("tags", None, reduced)
    yield from _label_conditions(spec)
    yield from _box_count_conditions(spec)


def _concrete(source: Any) -> bool:
    """Whether a filter's source names one facet's source (ground truth or one model)."""
    return isinstance(source, str) and (source == GROUND_TRUTH or source != "predictions")


def _label_conditions(spec: dict[str, Any]) -> Iterator[OwnCondition]:
    labels = spec.get("labels")
    entries = labels if isinstance(labels, list) else [labels] if labels else []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not _concrete(entry.get("source")):
            continue
        for key, facet in (("classes", "label"), ("score", "score")):
            if entry.get(key) is None:
                continue
            rest = {k: v for k, v in entry.items() if k != key}
            kept = [copy.deepcopy(e) for j, e in enumerate(entries) if j != i]
            if set(rest) - {"source"}:  # other conditions on this source's boxes remain
                kept.insert(i, copy.deepcopy(rest))
            reduced = {k: copy.deepcopy(v) for k, v in spec.items() if k != "labels"}
            if kept:
                reduced["labels"] = kept
            yield OwnCondition(facet, entry["source"], reduced)


def _box_count_conditions(spec: dict[str, Any]) -> Iterator[OwnCondition]:
    counts = spec.get("box_count")
    entries = counts if isinstance(counts, list) else [counts] if counts else []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not _concrete(entry.get("source")):
            continue
        if set(entry) - {"source", "min", "max"}:  # a class-restricted count: another facet
            continue
        kept = [copy.deepcopy(e) for j, e in enumerate(entries) if j != i]
        reduced = {k: copy.deepcopy(v) for k, v in spec.items() if k != "box_count"}
        if kept:
            reduced["box_count"] = kept
        yield OwnCondition("box_count", entry["source"], reduced)
