"""The facets a box index answers (:mod:`.box_index`): ``split``, ``width`` and ``height``
over a sample mask, and per source ``label``, ``box_count`` and ``score``, built as the SQL
path builds them (:mod:`.facet_sql`), with the same numbers."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base.bit_levels import PackedMask
from ..base.mask_counts import BinnedValues, bin_of
from ..sql.facet_sql import FACET_HISTOGRAM_BINS, MAX_CATEGORICAL_VALUES
from ..store.schema import GROUND_TRUTH
from .box_index import BoxIndex


def sample_entries(index: BoxIndex, bits: PackedMask, numeric: Any) -> list[dict[str, Any]]:
    """The ``split``, ``width`` and ``height`` facets over the samples of ``bits``."""
    split = _label_entry(index.split_values, index.split.counts(bits))
    split["name"] = "split"
    return [split, _value_entry("width", index.width, bits, numeric),
            _value_entry("height", index.height, bits, numeric)]  # fmt: skip


def source_entries(
    index: BoxIndex, bits: PackedMask, source: str, numeric: Any
) -> list[dict[str, Any]]:
    """The ``label``, ``box_count`` and (predictions) ``score`` facets of ``source`` over the
    samples of ``bits``, as :mod:`.facet_compute` builds them (``numeric``: its builder of
    a numeric entry from count, lo, hi and bin counts)."""
    total = bits.count
    src = index.sources.get(source)
    if src is None:  # a source without a box in this dataset: every sample has 0 boxes
        out = [_label_entry([], np.zeros(0, np.int64)),
               _box_count_entry(np.array([total]), total, numeric)]  # fmt: skip
        if source != GROUND_TRUTH:
            out.append(numeric("score", 0, None, None, {}))
    else:
        out = [_label_entry(src.vocab, src.labels.counts(bits)),
               _box_count_entry(src.box_counts.per_count(bits), total, numeric)]  # fmt: skip
        if src.scores is not None:
            out.append(_value_entry("score", src.scores, bits, numeric))
    for entry in out:
        entry["source"] = source
    return out


def _label_entry(vocab: list[str | None], counts: np.ndarray) -> dict[str, Any]:
    found = [(int(c), v) for v, c in zip(vocab, counts.tolist(), strict=True) if c > 0]
    # the SQL's order: most frequent first, ties by value, NULL last
    found.sort(key=lambda cv: (-cv[0], cv[1] is None, cv[1] or ""))
    values = [{"value": v, "count": c} for c, v in found[:MAX_CATEGORICAL_VALUES]]
    return {"name": "label", "type": "categorical", "values": values}


def _box_count_entry(per_count: np.ndarray, total: int, numeric: Any) -> dict[str, Any]:
    """The histogram of box counts (``per_count[c]``: samples with ``c`` boxes)."""
    present = np.flatnonzero(per_count).tolist()
    if total == 0 or not present:
        return numeric("box_count", 0, None, None, {})
    lo, hi = float(present[0]), float(present[-1])
    bins: dict[int, int] = {}
    for c in present:
        b = bin_of(float(c), lo, hi, FACET_HISTOGRAM_BINS)
        bins[b] = bins.get(b, 0) + int(per_count[c])
    return numeric("box_count", total, lo, hi, bins)


def _value_entry(name: str, values: BinnedValues, bits: PackedMask, numeric: Any) -> dict[str, Any]:
    """A numeric facet of the values of the rows of ``bits``' samples, binned as the SQL."""
    found = values.histogram(bits, FACET_HISTOGRAM_BINS)
    return numeric(name, found.count, found.lo, found.hi, found.bins)
