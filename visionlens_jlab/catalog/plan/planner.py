"""The planner: which way answers which condition of a parsed filter, per request.

A request (a page, a sorted page, a count, facets, the ids of an export, a position) over
a row kind (``samples``, or ``objects``: one row per object, the patches view's pages and
counts) gets a :class:`Plan`: its
*routes*, whole answers tried in order, each a :class:`Step` naming its strategy; the last
route is always :attr:`Strategy.SQL`, the compiled filter (:mod:`..query.filters`, the
reference), which also answers when no index is held. A route answers None when what it
reads is not current (a write since the index's token, value lists not built) and the
executor takes the next one.

The :attr:`Strategy.MASK` route ANDs per-condition masks over the box index's samples;
:func:`mask_steps` plans them from what is held in memory (:class:`Held`): the box index
itself (ids, split, width / height, a label condition of one source with classes only or
one range on one box column), the field columns, the tag lists, a registered backend
(:func:`register_label_backend`: the evaluation's, the track index's ``track_length``;
:func:`register_sample_backend`: the track index's ``video_tracks``), and one SQL step for
the rest.

**Objects** (:func:`plan_page` with ``rows="objects"``): the rows are the objects of one
source (or an evaluation's patches) that the filter's label conditions of that source keep,
of the samples the filter keeps (:mod:`..reads.object_pages` compiles them); the SQL route
gives the exact total and the page in one statement, and the :attr:`Strategy.EVALUATION_ROWS`
route reads an evaluation's per-box rows alone. Their sort is typed
(:class:`..query.object_sort.ObjectSort`, carried by the plan as :attr:`Plan.sort`): the
planner refuses one the rows cannot give (``iou`` of objects that are not an evaluation's
patches) and picks the evaluation's rows for the orders they hold (IoU, object id). The
samples' sort is typed too (:class:`..query.sample_sort.SampleSort`, :attr:`Plan.sort`): a
held order answers a column, ``fields`` or box-summary sort, the summary rows one box
summary of one source. The version a request reads is a parameter of the plan (``version``), not a state of the context.

Planning reads only the typed filter: a few attribute tests, microseconds per request.
:func:`forced_sql` makes every plan the SQL route alone (the randomised equality tests).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import duckdb
import numpy as np

from ..indexes.box_index import SampleSet
from ..query.filter_conditions import FilterError, Params
from ..query.filter_model import Filter, LabelCondition, SampleCondition
from ..query.object_sort import ObjectSort, parse_object_sort
from ..query.sample_sort import SampleSort, parse_sample_sort
from ..store.labels_position import labels_position


class Strategy(Enum):
    """How a step answers."""

    SQL = "sql"
    """The compiled filter (of the conditions left to it): the reference."""
    MASK = "mask"
    """A route: the filter as a mask over the box index's samples (:func:`mask_steps`)."""
    ID_SET = "id_set"
    """Mask step: the id set's members in the box index."""
    BOX_INDEX = "box_index"
    """Mask step: split ``in``, width / height range, a label of one source with classes
    only or one range on one box column, from the box index."""
    FIELD_COLUMNS = "field_columns"
    """Mask step: a ``fields.<key>`` condition from the field columns in memory."""
    TAG_LISTS = "tag_lists"
    """Mask step: ``tags`` ``any`` / non-empty ``all`` from the tag lists in memory."""
    BACKEND = "backend"
    """Mask step: a label or sample condition a registered backend answers
    (:attr:`Step.backend`)."""
    DENSE_RANGE = "dense_range"
    """Page route: no filter, by sample id: a range of dense ids."""
    ID_RANGE = "id_range"
    """Page route: an id set alone, by sample id, over dense ids."""
    FIELD_ROWS = "field_rows"
    """Page route: one ``fields.<key>`` condition alone, from the field index's rows."""
    LABEL_SUMMARY = "label_summary"
    """Page route: one label condition alone, from its summary table."""
    VALUE_LISTS = "value_lists"
    """Page route: one two-bound label condition alone, from the box value lists."""
    SUMMARY_SORT = "summary_sort"
    """Page route: no filter, sorted by a box summary of one source."""
    STORED_PARTS = "stored_parts"
    """Facets route: no filter, the writer's stored pre-aggregates."""
    ID_TABLE = "id_table"
    """Export step: the id set joined as an Arrow table (not a bound list)."""
    EVALUATION_ROWS = "evaluation_rows"
    """Objects page route: an evaluation's patches of every sample in the rows' own order
    (IoU or object id): its per-box rows alone, where each source's objects are one run of
    ids (:func:`..reads.evaluation_rows.id_range`)."""


@dataclass(frozen=True)
class LabelBackend:
    """A pluggable answer to label conditions holding the registered condition ``key``
    (their one registered key), or bounding the registered box field ``key`` (their one
    ``where``, with no registered key): ``mask(cur, dataset_id, label, samples, token)``
    returns a boolean mask over the box index's ``samples`` (labelled ``token``) with
    exactly the SQL's samples, or None to leave the condition to SQL. ``objects(cur,
    dataset_id, label, params)``, if given: the condition as SQL over an object ``a`` with
    the same truth, cheaper than its definition (values bound into ``params``), for the
    objects a view shows (:mod:`.object_matches`), or None for the definition."""

    name: str
    key: str
    mask: Callable[
        [duckdb.DuckDBPyConnection, int, LabelCondition, SampleSet, str], np.ndarray | None
    ]
    objects: (
        Callable[[duckdb.DuckDBPyConnection, int, LabelCondition, Params], str | None] | None
    ) = None


@dataclass(frozen=True)
class SampleBackend:
    """A pluggable answer to sample conditions on the registered prefixed field ``field``
    (``video_tracks``): ``mask(cur, dataset_id, condition, samples, token)`` as
    :attr:`LabelBackend.mask`, or None to leave the condition to SQL."""

    name: str
    field: str
    mask: Callable[
        [duckdb.DuckDBPyConnection, int, SampleCondition, SampleSet, str], np.ndarray | None
    ]


_BACKENDS: dict[str, LabelBackend] = {}
_SAMPLE_BACKENDS: dict[str, SampleBackend] = {}


def register_label_backend(backend: LabelBackend) -> None:
    """Let an engine module answer label conditions with its key from memory."""
    _BACKENDS[backend.key] = backend


def register_sample_backend(backend: SampleBackend) -> None:
    """Let an engine module answer conditions on its sample field from memory."""
    _SAMPLE_BACKENDS[backend.field] = backend


@dataclass(frozen=True)
class Step:
    """One step: its strategy, the filter's parts it answers (conditions, or for a route
    the sort it reads) and the backend of a :attr:`Strategy.BACKEND` step."""

    strategy: Strategy
    parts: tuple[Any, ...] = ()
    backend: LabelBackend | SampleBackend | None = None


@dataclass(frozen=True)
class Plan:
    """The routes of one request, tried in order (the last one is SQL); ``sort``: the typed
    sort of a page (of objects or samples; None for other requests)."""

    rows: str
    request: str
    routes: tuple[Step, ...]
    sort: ObjectSort | SampleSort | None = None

    @property
    def strategies(self) -> tuple[Strategy, ...]:
        return tuple(r.strategy for r in self.routes)


@dataclass(frozen=True)
class Held:
    """What the mask steps may read in memory besides the box index."""

    field_columns: bool = False
    tag_lists: bool = False


ROW_KINDS = ("samples", "objects")
_FORCED = contextvars.ContextVar("visionlens_forced_sql", default=False)
_SQL = Step(Strategy.SQL)


@contextlib.contextmanager
def forced_sql() -> Iterator[None]:
    """Inside the block every plan is SQL alone, compiled without registered shortcuts
    (the definition of each condition): the reference the equality tests compare with."""
    token = _FORCED.set(True)
    try:
        yield
    finally:
        _FORCED.reset(token)


def forced(version: int | None = None) -> bool:
    """Whether every plan is SQL alone: :func:`forced_sql` is on, or the request reads a
    saved version's labels (``version``, or the context's
    :func:`~..store.labels_position.labels_position`), which no in-memory index, stored
    facet part nor registered summary holds."""
    return _FORCED.get() or version is not None or labels_position() is not None


def plan_page(
    flt: Filter,
    sort: str | ObjectSort | SampleSort | None,
    direction: str,
    rows: str = "samples",
    *,
    version: int | None = None,
    evaluation: bool = False,
) -> Plan:
    """The routes of a page (or a count: a page of no rows) of ``flt`` sorted by ``sort``:
    of samples, or of objects (``rows="objects"``; ``evaluation``: an evaluation's patches)
    at saved ``version`` (None: the current labels). ``sort`` is typed (a word is parsed
    with ``direction`` by :func:`..query.object_sort.parse_object_sort` or
    :func:`..query.sample_sort.parse_sample_sort`; a typed sort carries its direction);
    FilterError when the rows cannot give it."""
    _check_rows(rows)
    if rows == "objects":
        typed = sort if isinstance(sort, ObjectSort) else parse_object_sort(sort, direction)
        if typed.evaluation and not evaluation:
            raise FilterError(
                f"sort by {typed.field!r} needs evaluation patches (kind 'evaluation')"
            )
        return Plan(rows, "page", _object_routes(flt, typed, version, evaluation), typed)
    if isinstance(sort, ObjectSort):
        raise TypeError("an ObjectSort is of objects: samples are sorted by a SampleSort")
    by = sort if isinstance(sort, SampleSort) else parse_sample_sort(sort, direction)
    if forced(version):
        return Plan(rows, "page", (_SQL,), by)
    active = flt.active
    routes: list[Step] = []
    if by.held or (by.by_id and active):
        routes.append(Step(Strategy.MASK, (by,) if by.held else ()))
    if not active:
        if by.by_id:
            routes.append(Step(Strategy.DENSE_RANGE))
        elif _summary_sort(by):
            routes.append(Step(Strategy.SUMMARY_SORT, (by,)))
    elif by.by_id:
        routes.extend(_filtered_by_id(flt))
    routes.append(_SQL)
    return Plan(rows, "page", tuple(routes), by)


def plan_position(
    flt: Filter, sort: str | SampleSort | None, direction: str = "ASC", rows: str = "samples"
) -> Plan:
    """The routes of a position request: where the first of some samples stands among the
    pages of ``flt`` sorted by ``sort`` (typed, or a word parsed with ``direction``; the
    grid scrolls to a selection made elsewhere). The SQL route alone: one statement ranks
    the filtered samples in the pages' order, once per selection made elsewhere rather
    than once per scroll."""
    _check_rows(rows, "position")
    typed = sort if isinstance(sort, SampleSort) else parse_sample_sort(sort, direction)
    return Plan(rows, "position", (_SQL,), typed)


def plan_facets(flt: Filter, rows: str = "samples", stored: bool = True) -> Plan:
    """The routes of a facets request: the stored parts of the unfiltered view (unless
    not ``stored``: one facet of them missing), the box index's counts over the filter's
    mask, SQL."""
    _check_rows(rows, "facets")
    if stored and flt.whole_dataset and labels_position() is None:
        return Plan(rows, "facets", (Step(Strategy.STORED_PARTS),))
    return Plan(rows, "facets", (_SQL,) if forced() else (Step(Strategy.MASK), _SQL))


def plan_export(flt: Filter, rows: str = "samples") -> Plan:
    """The steps of an export's rows: the id set as a joined table, the rest in SQL."""
    _check_rows(rows, "export_ids")
    steps = (Step(Strategy.ID_TABLE, ("ids",)),) if flt.ids is not None else ()
    return Plan(rows, "export_ids", (*steps, _SQL))


def mask_steps(flt: Filter, held: Held) -> tuple[Step, ...]:
    """The steps of the mask route: one per condition answered in memory, given what is
    held, then one SQL step of the rest (or of nothing, when no condition was answered in
    memory: the dataset's ids, which tell that the index holds every sample). A step may
    still hand its condition to the SQL step at run time (an index without that column)."""
    steps: list[Step] = []
    rest: list[Any] = []
    if flt.ids is not None:
        steps.append(Step(Strategy.ID_SET, ("ids",)))
    for one in flt.sample:
        backend = _SAMPLE_BACKENDS.get(one.name) if one.kind == "prefixed" else None
        strategy = Strategy.BACKEND if backend is not None else _sample_strategy(one, held)
        if strategy is None:
            rest.append(one)
        else:
            steps.append(Step(strategy, (one,), backend))
    if flt.tags is not None and flt.tags.ops:
        if held.tag_lists and all(op == "any" or (op == "all" and v) for op, v in flt.tags.ops):
            steps.append(Step(Strategy.TAG_LISTS, (flt.tags,)))
        else:
            rest.append(flt.tags)
    for label in flt.labels:
        steps.append(_label_step(label) or Step(Strategy.SQL, (label,)))
    rest.extend(flt.box_counts)
    rest.extend(flt.classifications)  # image-level labels: no index holds them
    sql = [s for s in steps if s.strategy is Strategy.SQL]
    steps = [s for s in steps if s.strategy is not Strategy.SQL]
    rest.extend(p for s in sql for p in s.parts)
    if rest or not steps:
        steps.append(Step(Strategy.SQL, tuple(rest)))
    return tuple(steps)


def _sample_strategy(one: SampleCondition, held: Held) -> Strategy | None:
    if one.kind == "json":
        return Strategy.FIELD_COLUMNS if held.field_columns else None
    if one.name == "split" and [op for op, _ in one.cond.ops] == ["in"]:
        return Strategy.BOX_INDEX
    if one.name in ("width", "height") and one.cond.range is not None:
        return Strategy.BOX_INDEX
    return None


def label_backend(label: LabelCondition) -> LabelBackend | None:
    """The registered backend of ``label``: of its one registered key, or of the registered
    box field it bounds alone (``track_length``); None when there is none."""
    if len(label.extras) == 1:
        key: str | None = label.extras[0].key
    else:
        key = label.where[0].name if not label.extras and len(label.where) == 1 else None
    return _BACKENDS.get(key) if key is not None else None


def _label_step(label: LabelCondition) -> Step | None:
    if label.one_source and (
        (label.class_only and label.classes is not None) or label.box_range is not None
    ):
        return Step(Strategy.BOX_INDEX, (label,))
    backend = label_backend(label)
    return Step(Strategy.BACKEND, (label,), backend) if backend is not None else None


def _filtered_by_id(flt: Filter) -> list[Step]:
    """The summary routes of a filter of one kind of condition, by sample id."""
    active = flt.active
    if active == {"ids"}:
        return [Step(Strategy.ID_RANGE, ("ids",))]
    if active == {"sample"} and len(flt.sample) == 1 and flt.sample[0].kind == "json":
        return [Step(Strategy.FIELD_ROWS, flt.sample)]
    label = flt.only_label
    if label is None:
        return []
    if label.two_bounds is not None:
        return [Step(Strategy.VALUE_LISTS, (label,))]
    return [Step(Strategy.LABEL_SUMMARY, (label,))]


def _object_routes(
    flt: Filter, sort: ObjectSort, version: int | None, evaluation: bool
) -> tuple[Step, ...]:
    """The routes of a page of objects: an evaluation's rows alone when every sample is
    kept and the order is theirs (IoU or object id), then SQL."""
    if forced(version) or not (evaluation and flt.whole_dataset):
        return (_SQL,)
    if sort.by_id or sort.evaluation:
        return (Step(Strategy.EVALUATION_ROWS, (sort,)), _SQL)
    return (_SQL,)


def _summary_sort(sort: SampleSort) -> bool:
    """Whether the summary rows order ``sort`` exactly (see :mod:`.summary_pages`): a box
    summary of one source (not all predictions)."""
    if not sort.box_summary or sort.source == "predictions":
        return False
    # samples without boxes count 0: after the others only in descending order
    return sort.kind != "box_count" or sort.direction == "DESC"


def _check_rows(rows: str, request: str = "page") -> None:
    if rows not in ROW_KINDS:
        raise ValueError(f"no plans for rows of kind {rows!r} (known: {ROW_KINDS})")
    if rows == "objects" and request != "page":
        raise ValueError(f"objects are planned for pages and counts, not {request}")
