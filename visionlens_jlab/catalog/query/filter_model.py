"""The filter as typed values, produced by the one parser (:mod:`.filter_parser`).

Every backend reads these values, never the JSON: the SQL compiler (:mod:`.filters`, the
reference), the planner and its steps (``catalog/plan/``), exports. The questions each
backend used to answer by looking at the JSON ("one bound on one box field", "which keys
select something", "a label condition of classes only") are properties defined here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...records.label_kinds import FILTER_WORDS
from ..store.schema import GROUND_TRUTH
from ..tables.box_summaries import SUMMARY_FIELDS

FILTER_KEYS = ("ids", "sample", "tags", "labels", "box_count", "classifications")
SAMPLE_COLUMNS = ("sample_id", "file_name", "location", "width", "height", "split",
                  "source_image_id")  # fmt: skip
"""Sample columns a filter or a sort may name (their SQL: :data:`.filters.SAMPLE_FIELD_SQL`)."""
ANNOTATION_COLUMNS = ("ann_id", "label", "x", "y", "w", "h", "score", "area", "iscrowd",
                      "difficult", "source", "mask_area", "num_keypoints",
                      "visible_keypoints")  # fmt: skip
"""Box fields a label condition may name (``mask_area``: NULL without a mask,
``num_keypoints``: the labelled points (v > 0), ``visible_keypoints``: the visible ones
(v = 2), both NULL without keypoints)."""
LABEL_TYPES = tuple(FILTER_WORDS)
"""``labels.type`` (one or a list): objects that have a mask / keypoints (every object has
a box; the words are the object kinds' :data:`~visionlens_jlab.records.label_kinds.FILTER_WORDS`);
a list keeps objects that have any of them."""
BOX_SUMMARY_FIELDS = ("score", "area", "w", "h", "x", "y")
"""Numeric box fields whose per-sample maximum / minimum a filter or sort may name."""
_RANGE_COLUMNS = ("x", "y", "w", "h", "area", "score")


@dataclass(frozen=True)
class Condition:
    """One field condition: its operators in the request's order, values checked and
    normalised (``in``: strings, booleans as ``true``/``false``; ``eq``: bool, float or
    str; ``min``/``max``: float or None; ``contains``: lower case; ``is_null``: bool)."""

    ops: tuple[tuple[str, Any], ...]

    @property
    def always_true(self) -> bool:
        """Only bounds of None: the condition holds for every row (the SQL's ``TRUE``)."""
        return all(op in ("min", "max") and v is None for op, v in self.ops)

    @property
    def range(self) -> tuple[float | None, float | None] | None:
        """(min, max) when the condition is bounds only, at least one of them set."""
        if self.always_true or any(op not in ("min", "max") for op, _ in self.ops):
            return None
        bounds = dict(self.ops)
        return bounds.get("min"), bounds.get("max")

    @property
    def one_bound(self) -> tuple[str, float] | None:
        """('min' | 'max', value) when exactly one bound is set and nothing else."""
        found = self.range
        if found is None or (found[0] is not None and found[1] is not None):
            return None
        return ("min", found[0]) if found[0] is not None else ("max", float(found[1] or 0))

    @property
    def two_bounds(self) -> tuple[float, float] | None:
        """(min, max) when the condition is exactly both bounds, both set."""
        bounds = dict(self.ops)
        if set(bounds) != {"min", "max"} or len(self.ops) != 2:
            return None
        lo, hi = bounds["min"], bounds["max"]
        return None if lo is None or hi is None else (lo, hi)


@dataclass(frozen=True)
class SampleCondition:
    """A condition on a sample field. ``kind``: ``column``, ``json`` (``fields.<key>``),
    ``prefixed`` (a registered prefix such as ``computed.``), ``box_summary``
    (``box_count.<source>``, ``box_max.<field>.<source>``, ``box_min...``) or
    ``registered``: a registered sample condition key (a feature's rows of the sample), whose
    ``value`` its own parser returned (``cond`` is then empty: no field value to bound)."""

    name: str
    kind: str
    cond: Condition
    value: Any = None

    @property
    def json_key(self) -> str:
        """The key of a ``fields.<key>`` condition."""
        return self.name[7:]


@dataclass(frozen=True)
class Tags:
    """``tags``: ``any`` / ``all`` / ``none`` lists, in the request's order."""

    ops: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class BoxFieldCondition:
    """A ``where`` condition of a label filter on a box column or ``attributes.<key>``."""

    name: str
    cond: Condition


@dataclass(frozen=True)
class ExtraCondition:
    """A label condition of a registered key (the evaluation's ``eval``...), its value as
    the key's own parser returned it."""

    key: str
    value: Any = field(hash=False)


@dataclass(frozen=True)
class LabelCondition:
    """Some box of the sample meets every part: its source (None: any; ``predictions``:
    every model), classes, score, box field conditions, registered conditions and its
    label types (``mask``, ``keypoints``: the object has one of them; None: any object)."""

    source: str | None
    classes: tuple[str, ...] | None = None
    score: Condition | None = None
    where: tuple[BoxFieldCondition, ...] = ()
    extras: tuple[ExtraCondition, ...] = ()
    label_types: tuple[str, ...] | None = None

    @property
    def one_source(self) -> bool:
        """A single source (ground truth or one model), not every model nor any box."""
        return self.source is not None and self.source != "predictions"

    @property
    def class_only(self) -> bool:
        """Nothing but the source and (maybe) classes."""
        return (
            self.score is None and not self.where and not self.extras and self.label_types is None
        )

    def matches_source(self, value: str) -> bool:
        """Whether a box of source ``value`` meets the source part."""
        if self.source is None:
            return True
        if self.source == "predictions":
            return value != GROUND_TRUTH
        return value == self.source

    @property
    def box_range(self) -> tuple[str, Condition] | None:
        """(column, condition) when the only part but the source is one range of bounds on
        one numeric box column (``score`` or ``where`` on x, y, w, h, area, score)."""
        if self.classes is not None or self.extras or self.label_types is not None:
            return None
        if self.score is not None and not self.where:
            column, cond = "score", self.score
        elif self.score is None and len(self.where) == 1:
            column, cond = self.where[0].name, self.where[0].cond
        else:
            return None
        if column not in _RANGE_COLUMNS or cond.range is None:
            return None
        return column, cond

    @property
    def one_bound(self) -> tuple[str, str, float] | None:
        """(column, 'min' | 'max', value): one bound on one summarised box field, only."""
        found = self.box_range
        if found is None or found[0] not in SUMMARY_FIELDS:
            return None
        bound = found[1].one_bound
        return None if bound is None else (found[0], *bound)

    @property
    def two_bounds(self) -> tuple[str, float, float] | None:
        """(column, min, max): both bounds on one summarised box field, only."""
        found = self.box_range
        if found is None or found[0] not in SUMMARY_FIELDS:
            return None
        bounds = found[1].two_bounds
        return None if bounds is None else (found[0], *bounds)

    def extra(self, key: str) -> Any:
        """The parsed value of registered condition ``key``, or None."""
        return next((e.value for e in self.extras if e.key == key), None)


@dataclass(frozen=True)
class BoxCount:
    """``box_count``: the number of boxes meeting ``label`` within ``bounds``; ``summed``:
    only a source, so the per-sample summaries count it."""

    label: LabelCondition
    bounds: Condition
    summed: bool


@dataclass(frozen=True)
class ClassificationCondition:
    """``classifications``: some image-level label of the sample meets every part: its
    source (None: any; ``predictions``: every model), classes, score, and with
    ``differs`` True / False its label is not / is among the sample's ground-truth labels
    (a sample without ground truth meets neither)."""

    source: str | None
    classes: tuple[str, ...] | None = None
    score: Condition | None = None
    differs: bool | None = None


@dataclass(frozen=True)
class Filter:
    """A parsed filter: every part must hold (AND). ``ids``: the id set as int64.
    ``raw``: the request's object as it came, for the notebook call that repeats it
    (:mod:`.view_code`); a filter derived from another (a facet's wider filter) has none."""

    ids: np.ndarray | None = field(default=None, compare=False, hash=False, repr=False)
    ids_list: list[int] | None = field(default=None, compare=False, hash=False, repr=False)
    sample: tuple[SampleCondition, ...] = ()
    tags: Tags | None = None
    labels: tuple[LabelCondition, ...] = ()
    box_counts: tuple[BoxCount, ...] = ()
    classifications: tuple[ClassificationCondition, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def active(self) -> frozenset[str]:
        """The keys that select something (``"ids": []`` selects nothing, so it counts;
        an empty object selects everything, so it does not)."""
        keys = []
        if self.ids is not None:
            keys.append("ids")
        for key, part in (("sample", self.sample), ("tags", self.tags and self.tags.ops),
                          ("labels", self.labels), ("box_count", self.box_counts),
                          ("classifications", self.classifications)):  # fmt: skip
            if part:
                keys.append(key)
        return frozenset(keys)

    @property
    def whole_dataset(self) -> bool:
        """Whether the filter keeps every sample by its form (no condition but bounds of
        None on ``fields.<key>``): its SQL is the dataset's clause alone."""
        return (
            self.ids is None
            and all(one.kind == "json" and one.cond.always_true for one in self.sample)
            and self.tags is None
            and not self.labels
            and not self.box_counts
            and not self.classifications
        )

    @property
    def only_label(self) -> LabelCondition | None:
        """The filter's one label condition when it is the only thing it selects."""
        if self.active == {"labels"} and len(self.labels) == 1:
            return self.labels[0]
        return None
