"""Compile the JSON filter of the REST API and notebook API into parameterized SQL.

Every value travels as a bound parameter; identifiers come only from fixed whitelists, and a
JSON key of ``fields`` / ``attributes`` is passed as a bound JSON-pointer parameter. Nothing
from the request is ever formatted into the SQL text.

A filter is a JSON object; every key present must hold (AND)::

    {
      "ids": [1, 2, 3],                              # sample ids
      "sample": {"split": {"in": ["val"]},           # sample columns or "fields.<key>"
                 "width": {"min": 100, "max": 640},
                 "file_name": {"contains": "cat"},
                 "fields.weather": {"in": ["rain"]},
                 "computed.dup_count": {"min": 1}},  # computed fields (catalog/extensions/computed.py)
      "tags": {"any": ["review"], "all": [], "none": ["bad"]},
      "labels": {"source": "ground_truth",           # or "predictions" or a model name
                 "classes": ["cat", "dog"],
                 "score": {"min": 0.5},
                 "where": {"area": {"max": 1024}, "attributes.truncated": {"eq": true}}},
      "box_count": {"source": "ground_truth", "classes": ["cat"], "min": 1, "max": 3},
      "classifications": {"source": "resnet",        # image-level labels
                          "classes": ["cat"],
                          "score": {"min": 0.5},
                          "differs_from_ground_truth": true}
    }

A label condition may also name its ``type`` (``mask`` or ``keypoints``, or a list of
them: objects that have one) and bound ``mask_area`` (the mask's pixel area) and ``num_keypoints`` (the labelled
points) in ``where``. ``classifications`` (an object or a list, each must hold) selects
samples with an image-level label of a source (``ground_truth``, ``predictions`` or a model)
meeting its classes and score; ``differs_from_ground_truth`` (a model's source only) keeps
labels that are not (true) / are (false) among the sample's ground-truth labels.

``box_count`` may also be a list of such objects, one per source (each must hold).

A registered sample condition key (``{"sample": {key: {...}}}``: a condition on a feature's
rows of the sample, :func:`.filter_parser.register_sample_condition`) takes its own object.

Besides sample columns, ``fields.<key>`` and registered prefixes, a sample field (in
``sample`` conditions and as a sort key) may be a summary of a sample's boxes:
``box_count.<source>`` (its boxes of ground truth, all predictions or one model) and
``box_max.<field>.<source>`` / ``box_min.<field>.<source>`` (the largest / smallest value of
a numeric box field, e.g. ``box_max.score.<model>``: the highest prediction score).

``labels`` may also be a list of such objects (each must be met by some box). Extra label
conditions (evaluation status...) are added by other engine modules through
:func:`~.filter_parser.register_label_condition`.

The JSON is parsed once (:mod:`.filter_parser`, into :mod:`.filter_model`); this module compiles the typed filter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...records.label_kinds import FILTER_WORDS, presence_sql
from ..store.schema import GROUND_TRUTH
from ..tables import field_index
from . import summary_filters
from .classification_sql import classification_sql
from .filter_conditions import (  # FilterError, Params, json_pointer: other modules import them from here
    FilterError,
    Params,
    condition_sql,
    ids_clause,
    in_clause,
    json_pointer,
    tags_sql,
)
from .filter_model import BOX_SUMMARY_FIELDS, BoxCount, Filter, LabelCondition, SampleCondition
from .filter_parser import (
    BOX_FIELDS,
    LABEL_KINDS,
    SAMPLE_KINDS,
    SAMPLE_PREFIXES,
    parse_filter,
    register_label_condition,
    register_sample_field_prefix,
    sample_field_kind,
)

__all__ = [
    "BOX_SUMMARY_FIELDS",
    "CompiledFilter",
    "FilterError",
    "Params",
    "compile_filter",
    "compile_parsed",
    "json_pointer",
    "label_match_sql",
    "register_label_condition",
    "register_sample_field_prefix",
]

SAMPLE_FIELD_SQL = {
    "sample_id": "s.sample_id",
    "file_name": "s.file_name",
    "location": "s.location",
    "width": "s.width",
    "height": "s.height",
    "split": "s.split",
    "source_image_id": "s.source_image_id",
}
"""Sample columns a filter or a sort may name, and their SQL."""


@dataclass
class CompiledFilter:
    """A WHERE clause over ``samples s`` and its parameters."""

    where: str
    params: list[Any]
    whole_dataset: bool = False
    """True when the clause only selects the dataset: every one of its samples matches."""
    model: Filter = field(default_factory=Filter, compare=False, repr=False)
    """The parsed filter it was compiled from: what the planner reads."""

    @property
    def ids(self) -> np.ndarray | None:
        """The filter's id set as checked (int64), when it has one: converted once."""
        return self.model.ids


def compile_filter(dataset_id: int, spec: Mapping[str, Any] | Filter | None) -> CompiledFilter:
    """Parse ``spec`` (:func:`.filter_parser.parse_filter`) and compile it into a WHERE
    clause over ``samples s`` of one dataset."""
    return compile_parsed(dataset_id, parse_filter(spec))


def compile_parsed(dataset_id: int, flt: Filter, *, shortcuts: bool = True) -> CompiledFilter:
    """Compile a parsed filter. ``shortcuts``: a registered label condition may read its
    own summary table (:mod:`.summary_filters`); False compiles its definition (the boxes),
    the reference the planner's forced SQL runs."""
    params = Params()
    clauses = [f"s.dataset_id = {params.add(dataset_id)}"]
    if flt.ids_list is not None:
        clauses.append(ids_clause(flt.ids_list, params))
    for one in flt.sample:
        if one.kind == "registered":  # a feature's own rows of the sample
            clauses.append(SAMPLE_KINDS[one.name].sql(one.value, params))
            continue
        if one.kind == "json":  # over the index of the fields (.field_index)
            found = field_rows_sql(dataset_id, one, params)
            if found is not None:
                rows, has_value = found
                clauses.append(f"s.sample_id {'IN' if has_value else 'NOT IN'} ({rows})")
            continue
        clauses.append(condition_sql(sample_field_sql(one.name, params), one.cond.ops, params))
    if flt.tags is not None:
        clauses.append(tags_sql(flt.tags.ops, params))
    for label in flt.labels:
        exact = summary_filters.label_clause(
            label, dataset_id, params.add, _source(params), shortcuts=shortcuts
        )
        if exact is None:
            exact = "EXISTS " + _boxes_of_sample("1", label_conditions(label, params))
        clauses.append(exact)
    for count in flt.box_counts:
        clauses.append(_box_count_clause(count, params))
    for cond in flt.classifications:
        clauses.append(classification_sql(cond, params))
    where = " AND ".join(f"({c})" for c in clauses)
    return CompiledFilter(where, params.values, whole_dataset=len(clauses) == 1, model=flt)


def field_rows_sql(
    dataset_id: int, one: SampleCondition, params: Params
) -> tuple[str, bool] | None:
    """(the ids of the samples whose ``fields.<key>`` value meets the condition, True) or,
    for ``is_null: true``, (the ids of those that have a value, False): a query over
    ``field_values`` (:mod:`.field_index`) with the JSON path's semantics exactly. None
    when the condition holds for every sample (only bounds of None)."""
    test = Params()
    where = condition_sql("a.text", one.cond.ops, test, number_sql="a.num")
    if where == "TRUE":
        return None
    has_value = field_index.needs_rows(one.cond.ops)
    rows = (
        f"SELECT a.sample_id FROM field_values a WHERE a.dataset_id = {params.add(dataset_id)}"  # noqa: S608 - compiled, values bound
        f" AND a.key = {params.add(one.json_key)}"
    )
    params.values += test.values
    return (f"{rows} AND ({where})" if has_value else rows), has_value


def sample_field_sql(name: str, params: Params) -> str:
    """SQL for a sample field name: a whitelisted column, ``fields.<key>``, a registered
    prefix's field (``computed.<name>``) or a box summary; FilterError for another name."""
    kind = sample_field_kind(name)
    if kind == "column":
        return SAMPLE_FIELD_SQL[name]
    if kind == "json":
        return f"json_extract_string(s.fields, {params.add(json_pointer(name[7:]))})"
    if kind == "prefixed":
        prefix = next(p for p in SAMPLE_PREFIXES if name.startswith(p))
        return SAMPLE_PREFIXES[prefix](name[len(prefix) :], params)
    if name.startswith("box_count."):
        return summary_filters.count_sql(name[10:], _source(params))
    column, _, source = name[8:].partition(".")
    return summary_filters.extreme_sql(name[4:7].upper(), column, source, _source(params))


def sort_direction(order: str | None) -> str:
    """``DESC`` for ``order == 'desc'`` (any case), else ``ASC``."""
    return "DESC" if (order or "asc").lower() == "desc" else "ASC"


VISIBLE_KEYPOINTS_SQL = "len(list_filter(a.keypoints, lambda v, i: i % 3 = 0 AND v = 2))"
"""The visible points (v = 2) of an object's COCO ``[x, y, v, ...]`` keypoints (NULL without)."""


def annotation_field_sql(name: str, params: Params) -> str:
    """SQL for a box field a label condition names (checked by the parser): a whitelisted
    column, the visible keypoints counted from the stored points, a registered box field
    (:func:`~.filter_parser.register_box_field`) or ``attributes.<key>``."""
    if name == "visible_keypoints":
        return VISIBLE_KEYPOINTS_SQL
    if name in BOX_FIELDS:
        return BOX_FIELDS[name](params)
    if not name.startswith("attributes."):
        return f"a.{name}"  # one of filter_model.ANNOTATION_COLUMNS
    return f"json_extract_string(a.attributes, {params.add(json_pointer(name[11:]))})"


def source_clause(source: Any, params: Params) -> str:
    """SQL restricting ``annotations a`` to ground truth, all predictions, or one model."""
    if source is None:
        return "TRUE"
    if not isinstance(source, str):
        raise FilterError("labels.source must be a string")
    if source == GROUND_TRUTH:
        return f"a.source = {params.add(GROUND_TRUTH)}"
    if source == "predictions":
        return f"a.source <> {params.add(GROUND_TRUTH)}"
    return f"a.source = {params.add(source)}"


def _source(params: Params) -> Callable[[Any], str]:
    """``source_clause`` binding into ``params``, for :mod:`.summary_filters`."""
    return lambda source: source_clause(source, params)


_HAS_TYPE = {word: presence_sql(kind) for word, kind in FILTER_WORDS.items()}


def label_conditions(label: LabelCondition, params: Params) -> list[str]:
    """The SQL conditions over one box ``a`` of a label condition, its values bound."""
    out = [source_clause(label.source, params)]
    if label.label_types is not None:  # columns NULL exactly for objects without one
        tests = [_HAS_TYPE[t] for t in label.label_types]
        out.append(tests[0] if len(tests) == 1 else "(" + " OR ".join(tests) + ")")
    if label.classes is not None:
        out.append(in_clause("a.label", list(label.classes), params))
    if label.score is not None:
        out.append(condition_sql("a.score", label.score.ops, params))
    for one in label.where:
        out.append(condition_sql(annotation_field_sql(one.name, params), one.cond.ops, params))
    for extra in label.extras:
        out.append(LABEL_KINDS[extra.key].sql(extra.value, params))
    return out


def label_match_sql(
    flt: Filter,
    params: Params,
    answered: Callable[[LabelCondition, Params], str | None] | None = None,
) -> str | None:
    """SQL true for an object ``a`` that meets one of the filter's label conditions (what a
    view draws when it shows only the matching labels); None when the filter has none.
    ``answered(label, params)``: the condition as other SQL over ``a`` with the same
    truth, its values bound into ``params`` (from an in-memory index), or None to compile
    its definition."""
    if not flt.labels:
        return None
    ands = []
    for one in flt.labels:
        sql = answered(one, params) if answered is not None else None
        ands.append(
            sql if sql is not None else "(" + " AND ".join(label_conditions(one, params)) + ")"
        )
    return "(" + " OR ".join(ands) + ")"


def _box_count_clause(count: BoxCount, params: Params) -> str:
    bounds, conditions = Params(), Params()
    where = [] if count.summed else label_conditions(count.label, conditions)
    test = condition_sql("c.n" if count.summed else "COUNT(*)", count.bounds.ops, bounds)
    if test == "TRUE":  # no bound given
        return test
    if count.summed:  # the test first in the SQL text, as below
        params.values += bounds.values
        return summary_filters.count_test_sql(test, count.label.source, _source(params))
    # The test on the count goes inside the one subquery: testing the subquery once per
    # bound repeated its placeholders while their values were bound once (min and max
    # with any label condition could not run). The test comes first in the SQL text, so
    # its values are bound first.
    params.values += bounds.values + conditions.values
    return _boxes_of_sample(test, where)


def _boxes_of_sample(select: str, conditions: list[str]) -> str:
    """A subquery over the boxes ``a`` of sample ``s`` meeting compiled ``conditions``."""
    where = " AND ".join(["a.sample_id = s.sample_id", *conditions])
    return f"(SELECT {select} FROM annotations a WHERE {where})"  # noqa: S608 - compiled, values bound
