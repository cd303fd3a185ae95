"""The sort of a page of objects (the patches view) as a typed value, parsed once.

A request names its sort as a word (``area``, ``iou``, ``lq_score``, ``attributes.depth``)
and its direction as ``asc`` / ``desc``, the words of the samples' pages. :func:`parse_object_sort`
turns them into an :class:`ObjectSort` naming what the order reads: a box column, a numeric
attribute, the evaluation's IoU or a label-quality run's score. The rest read the typed
value, never the word: the planner picks the route the sort needs (``iou``: an evaluation's
rows, :func:`..plan.planner.plan_page` with ``rows="objects"``) and refuses one the rows
cannot give, the reads compile it to SQL (:mod:`..reads.object_pages`), the page cache keys
on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .filter_conditions import FilterError
from .filter_model import ANNOTATION_COLUMNS
from .filters import sort_direction

LQ_ISSUES = ("overlooked", "swapped", "badly_located", "spurious")
"""The label-quality issues whose per-object score a page may sort by (``lq_<issue>``)."""
SORTABLE_COLUMNS = tuple(c for c in ANNOTATION_COLUMNS if c != "source")
"""The box columns a page of objects may sort by."""
SORT_KINDS = ("column", "attribute", "iou", "lq")
"""What an :class:`ObjectSort` reads: a box column, ``attributes.<key>`` (its numeric
value), the evaluation's IoU, ``lq``: a label-quality run's score (``score``, or an issue's)."""
_ATTRIBUTES = "attributes."


@dataclass(frozen=True)
class ObjectSort:
    """The order of a page of objects: ``kind`` (of :data:`SORT_KINDS`) and ``name`` (the
    column, the attribute's key, ``iou``, or ``score`` / the issue of a label-quality
    sort), ``direction`` ``ASC`` or ``DESC``. Ties are by object id, NULLs last."""

    kind: str = "column"
    name: str = "ann_id"
    direction: str = "ASC"

    @property
    def field(self) -> str:
        """The request's word for the sort (``area``, ``attributes.depth``, ``lq_score``)."""
        if self.kind == "attribute":
            return _ATTRIBUTES + self.name
        if self.kind == "lq":
            return f"lq_{self.name}"
        return self.name

    @property
    def by_id(self) -> bool:
        """Whether the order is the objects' ids (the default)."""
        return self.kind == "column" and self.name == "ann_id"

    @property
    def evaluation(self) -> bool:
        """Whether the sort reads an evaluation's per-box rows (evaluation patches only)."""
        return self.kind == "iou"

    @property
    def quality_score(self) -> bool:
        """Whether the sort reads a label-quality run (the current labels only)."""
        return self.kind == "lq"


def parse_object_sort(sort: Any = None, order: Any = None) -> ObjectSort:
    """The typed sort of a request's ``sort`` (None: by object id) and ``order`` (``asc``
    or ``desc``, any case; None: ascending); FilterError names the choices."""
    if sort is not None and not isinstance(sort, str):
        raise FilterError("'sort' must be a field name")
    if order is not None and str(order).lower() not in ("asc", "desc"):
        raise FilterError("'order' must be 'asc' or 'desc'")
    direction = sort_direction(order)
    if not sort:
        return ObjectSort(direction=direction)
    if sort == "iou":
        return ObjectSort("iou", sort, direction)
    if sort == "lq_score" or (sort.startswith("lq_") and sort[3:] in LQ_ISSUES):
        return ObjectSort("lq", sort[3:], direction)
    if sort.startswith(_ATTRIBUTES) and len(sort) > len(_ATTRIBUTES):
        return ObjectSort("attribute", sort[len(_ATTRIBUTES) :], direction)
    if sort in SORTABLE_COLUMNS:
        return ObjectSort("column", sort, direction)
    raise FilterError(
        f"cannot sort patches by {sort!r}: use one of {list(SORTABLE_COLUMNS)}, 'iou', "
        "'lq_score', 'lq_<issue>' or 'attributes.<key>'"
    )
