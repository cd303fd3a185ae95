"""Slicing attributes: every column becomes a few values (categories or quantile bins).

Each value carries the grid filter (the JSON filter of :mod:`~visionlens_jlab.catalog.query.filters`)
that selects exactly its members: categories by ``in``, numeric bins by the ``min``/``max``
of the values actually in the bin (bins are contiguous ranges of sorted values, so the two
bounds select the bin and nothing else).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .units import Units

QUANTILE_BINS = 4
MAX_CATEGORIES = 16
"""Categories kept per attribute (the most frequent); more than this is an id, not a slice."""
NUMBER_PROBE = 64


@dataclass(frozen=True)
class Attribute:
    """One slicing attribute: ``codes`` per unit of its level (-1 = no value)."""

    name: str  # "fields.scene", "measured.brightness", "object.size", "prediction.class"...
    level: str  # "image" | "object" | "prediction"
    codes: np.ndarray
    values: list[str]  # display text of each code
    conditions: list[dict[str, Any]]  # the filter condition of each code

    def describe(self, code: int) -> str:
        """``name = value`` for wording and the ledger."""
        return f"{self.name} = {self.values[code]}"


def build_attributes(units: Units) -> list[Attribute]:
    """Every attribute with at least two values, of images, objects and predictions."""
    out: list[Attribute] = []
    for name, column in units.image_columns.items():
        out += _from_column(name, "image", column)
    for name, column in units.object_columns.items():
        out += _from_column(name, "object", column)
    out += _from_column("prediction.class", "prediction", units.pr_class)
    return [a for a in out if len(a.values) >= 2 or _is_flag(a)]


def _is_flag(attr: Attribute) -> bool:
    # a key present only where true (COCO `occluded: true`): one value, the rest missing
    return len(attr.values) == 1 and bool((attr.codes < 0).any())


def _from_column(name: str, level: str, column: pa.ChunkedArray) -> list[Attribute]:
    if pa.types.is_boolean(column.type):
        column = column.cast(pa.string())
    numeric = _as_numbers(column)
    if numeric is not None:
        distinct = np.unique(numeric[~np.isnan(numeric)])
        if distinct.size > MAX_CATEGORIES // 2:
            return [_binned(name, level, numeric)]
        values = [_num_text(v) for v in distinct]
        codes = np.full(numeric.shape, -1, dtype=np.int32)
        ok = ~np.isnan(numeric)
        codes[ok] = np.searchsorted(distinct, numeric[ok])
        conds = [{"eq": float(v)} for v in distinct]
        return [Attribute(name, level, codes, values, conds)]
    text = column.cast(pa.string())
    counts = pc.value_counts(text.drop_null()).to_pylist() if len(text) else []
    counts.sort(key=lambda c: (-c["counts"], c["values"]))
    kept = sorted(c["values"] for c in counts[:MAX_CATEGORIES])
    codes = pc.index_in(text, value_set=pa.array(kept, pa.string()))
    arr = np.asarray(codes.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32)
    return [Attribute(name, level, arr, kept, [{"in": [v]} for v in kept])]


def _as_numbers(column: pa.ChunkedArray) -> np.ndarray | None:
    """The column as floats if every non-null value is a number, else None."""
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return np.asarray(column.cast(pa.float64()).fill_null(np.nan).to_numpy(), dtype=float)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return None
    # a text column fails on its first values: try those before casting every row
    probe = column.drop_null().slice(0, NUMBER_PROBE)
    try:
        pc.cast(probe, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    try:
        cast = pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return np.asarray(cast.fill_null(np.nan).to_numpy(), dtype=float)


def _binned(name: str, level: str, values: np.ndarray) -> Attribute:
    ok = ~np.isnan(values)
    edges = np.unique(np.quantile(values[ok], np.linspace(0, 1, QUANTILE_BINS + 1)[1:-1]))
    codes = np.full(values.shape, -1, dtype=np.int32)
    codes[ok] = np.searchsorted(edges, values[ok], side="right")
    labels: list[str] = []
    conds: list[dict[str, Any]] = []
    remap = np.full(edges.size + 1, -1, dtype=np.int32)
    for b in range(edges.size + 1):
        members = values[codes == b]
        if members.size == 0:
            continue
        lo, hi = float(members.min()), float(members.max())
        remap[b] = len(labels)
        labels.append(f"{_num_text(lo)}..{_num_text(hi)} (q{b + 1}/{edges.size + 1})")
        conds.append({"min": lo, "max": hi})
    codes[ok] = remap[codes[ok]]
    return Attribute(name, level, codes, labels, conds)


def _num_text(v: float) -> str:
    return f"{v:.4g}"


def slice_filter(
    parts: list[tuple[Attribute, int]], model: str, eval_key: str, min_score: float | None = None
) -> dict[str, Any]:
    """The grid filter of a slice: images by their attributes, boxes by theirs
    (predictions from ``min_score`` when the metric only counts confident ones)."""
    sample: dict[str, Any] = {}
    labels: dict[str, Any] = {}
    for attr, code in parts:
        cond = attr.conditions[code]
        if attr.level == "image":
            sample[attr.name] = cond
            continue
        labels.setdefault("source", "ground_truth" if attr.level == "object" else model)
        if attr.name in ("object.class", "prediction.class"):
            labels["classes"] = list(cond["in"])
        elif attr.name.startswith("object."):
            labels.setdefault("measured", {})[attr.name[7:]] = cond
        else:
            labels.setdefault("where", {})[attr.name] = cond
    out: dict[str, Any] = {}
    if sample:
        out["sample"] = sample
    if labels:
        labels["eval"] = {"key": eval_key}
        if labels["source"] == model and min_score is not None:
            labels["score"] = {"min": min_score}
        out["labels"] = labels
    return out
