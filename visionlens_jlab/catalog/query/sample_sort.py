"""The sort of a page of samples (the grid) as a typed value, parsed once.

A request names its sort as a word of sample fields (``width``, ``fields.weather``,
``computed.dup_count``, ``box_count.ground_truth``, ``box_max.score.yolo``) and its direction
as ``asc`` / ``desc``. :func:`parse_sample_sort` turns them into a :class:`SampleSort` where
the request enters (the handlers of pages, positions and exports: the notebook's
``samples`` is an export); the rest read the typed value, never the word: the planner picks the routes
the sort allows (:func:`..plan.planner.plan_page`: a held order, the summary rows), the
held orders and the page cache key on it, and :func:`sort_key_sql` compiles it for the
statements that sort (a page, a position, an export). The objects' pages have their own
(:mod:`.object_sort`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import summary_filters
from .filter_conditions import FilterError, Params, json_pointer
from .filter_parser import HELD_SAMPLE_FIELDS, SAMPLE_PREFIXES, sample_field_kind
from .filters import SAMPLE_FIELD_SQL, sort_direction, source_clause

SAMPLE_SORT_KINDS = ("id", "column", "json", "prefixed", "box_count", "box_max", "box_min")
"""What a :class:`SampleSort` reads: the sample id (the default), a sample column,
``fields.<key>``, a registered prefix's field (``computed.<name>``), the boxes of a source
counted (``box_count.<source>``) or a box field's largest / smallest value over them
(``box_max.<field>.<source>``, ``box_min...``)."""
_FIELDS, _BOX_COUNT = "fields.", "box_count."


@dataclass(frozen=True)
class SampleSort:
    """The order of a page of samples: ``kind`` (of :data:`SAMPLE_SORT_KINDS`), ``name``
    (the column, the ``fields`` key, the name after a registered ``prefix``, or the box
    field of ``box_max`` / ``box_min``), ``source`` (of a box summary) and ``direction``
    ``ASC`` or ``DESC``. NULLs last, ties by sample id ascending."""

    kind: str = "id"
    name: str = "sample_id"
    source: str = ""
    prefix: str = ""
    direction: str = "ASC"

    @property
    def field(self) -> str:
        """The request's word for the sort (``width``, ``fields.weather``, ``box_count.gt``)."""
        if self.kind == "json":
            return _FIELDS + self.name
        if self.kind == "prefixed":
            return self.prefix + self.name
        if self.kind == "box_count":
            return _BOX_COUNT + self.source
        if self.kind in ("box_max", "box_min"):
            return f"{self.kind}.{self.name}.{self.source}"
        return self.name

    @property
    def by_id(self) -> bool:
        """Whether the order is the samples' ids (the default, or ``sample_id`` named)."""
        return self.kind == "id"

    @property
    def held(self) -> bool:
        """Whether a held order may answer it (:mod:`..plan.sorted_pages`): a sample
        column, a ``fields`` value, a box summary or a prefixed field registered as held
        (:func:`..query.filter_parser.register_held_sample_field`), whose values only
        token-renewing writes change; not the sample id (the index's own order) nor the
        other prefixed fields (``computed.``: other writes change them)."""
        if self.kind == "prefixed":
            return self.field in HELD_SAMPLE_FIELDS
        return self.kind != "id"

    @property
    def box_summary(self) -> bool:
        """Whether it reads a summary of the boxes of one ``source``."""
        return self.kind in ("box_count", "box_max", "box_min")

    @property
    def words(self) -> tuple[str | None, str]:
        """(``sort``, ``order``) as a request writes them: None for the sample id ascending."""
        order = self.direction.lower()
        return (None if self.by_id and order == "asc" else self.field), order


def parse_sample_sort(sort: Any = None, order: Any = None) -> SampleSort:
    """The typed sort of a request's ``sort`` (None or empty: by sample id) and ``order``
    (``asc`` or ``desc``, any case; None: ascending); FilterError names the sort."""
    if sort is not None and not isinstance(sort, str):
        raise FilterError("'sort' must be a sample field's name")
    if order is not None and str(order).lower() not in ("asc", "desc"):
        raise FilterError("'order' must be 'asc' or 'desc'")
    direction = sort_direction(order)
    if not sort or sort == "sample_id":
        return SampleSort(direction=direction)
    try:
        kind = sample_field_kind(sort)
    except FilterError as exc:
        raise FilterError(f"cannot sort by {sort!r}: {exc}") from exc
    if kind == "column":
        return SampleSort("column", sort, direction=direction)
    if kind == "json":
        return SampleSort("json", sort[len(_FIELDS) :], direction=direction)
    if kind == "prefixed":
        prefix = next(p for p in SAMPLE_PREFIXES if sort.startswith(p))
        return SampleSort("prefixed", sort[len(prefix) :], prefix=prefix, direction=direction)
    if sort.startswith(_BOX_COUNT):
        return SampleSort("box_count", "n", sort[len(_BOX_COUNT) :], direction=direction)
    column, _, source = sort[8:].partition(".")  # box_max.<field>.<source>, checked above
    return SampleSort(sort[:7], column, source, direction=direction)


def sort_key_sql(sort: SampleSort, params: Params) -> str:
    """SQL of the sort key over ``samples s``, its values bound into ``params``. Ties and
    NULLs are ordered by the callers the same way (NULLS LAST, then sample id), so every
    view of one sort (a page, a held order, a position, an export) agrees."""
    if sort.kind == "id":
        return "s.sample_id"
    if sort.kind == "column":
        return SAMPLE_FIELD_SQL[sort.name]
    if sort.kind == "json":
        return f"json_extract_string(s.fields, {params.add(json_pointer(sort.name))})"
    if sort.kind == "prefixed":
        return SAMPLE_PREFIXES[sort.prefix](sort.name, params)

    def source_sql(source: Any) -> str:
        return source_clause(source, params)

    if sort.kind == "box_count":
        return summary_filters.count_sql(sort.source, source_sql)
    return summary_filters.extreme_sql(sort.kind[4:].upper(), sort.name, sort.source, source_sql)
