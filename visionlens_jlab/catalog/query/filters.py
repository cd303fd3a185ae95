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
                 "computed.dup_count": {"min": 1}},  # computed fields (catalog/computed.py)
      "tags": {"any": ["review"], "all": [], "none": ["bad"]},
      "labels": {"source": "ground_truth",           # or "predictions" or a model name
                 "classes": ["cat", "dog"],
                 "score": {"min": 0.5},
                 "where": {"area": {"max": 1024}, "attributes.truncated": {"eq": true}}},
      "box_count": {"source": "ground_truth", "classes": ["cat"], "min": 1, "max": 3}
    }

``box_count`` may also be a list of such objects, one per source (each must hold).

Besides sample columns, ``fields.<key>`` and registered prefixes, a sample field (in
``sample`` conditions and as a sort key) may be a summary of a sample's boxes:
``box_count.<source>`` (its boxes of ground truth, all predictions or one model) and
``box_max.<field>.<source>`` / ``box_min.<field>.<source>`` (the largest / smallest value of
a numeric box field, e.g. ``box_max.score.<model>``: the highest prediction score).

``labels`` may also be a list of such objects (each must be met by some box). Extra label
conditions (evaluation status...) are added by other engine modules through
:func:`register_label_condition`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..store.schema import GROUND_TRUTH
from ..tables import field_index
from . import summary_filters
from .filter_conditions import (  # FilterError, Params, json_pointer: other modules import them from here
    FilterError,
    Params,
    checked_id_array,
    field_condition,
    ids_clause,
    in_clause,
    json_pointer,
    mapping,
    str_list,
    tags_clause,
)

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

ANNOTATION_FIELD_SQL = {
    "ann_id": "a.ann_id",
    "label": "a.label",
    "x": "a.x",
    "y": "a.y",
    "w": "a.w",
    "h": "a.h",
    "score": "a.score",
    "area": "a.area",
    "iscrowd": "a.iscrowd",
    "difficult": "a.difficult",
    "source": "a.source",
}
"""Annotation columns a label condition may name."""

LabelConditionCompiler = Callable[[Any, "Params"], str]
_LABEL_CONDITIONS: dict[str, LabelConditionCompiler] = {}
SampleFieldCompiler = Callable[[str, "Params"], str]
_SAMPLE_FIELD_PREFIXES: dict[str, SampleFieldCompiler] = {}


def register_label_condition(key: str, compiler: LabelConditionCompiler) -> None:
    """Let another engine module add a key to label filters.

    ``compiler(value, params)`` returns a SQL boolean over the annotation alias ``a`` and
    appends its values to ``params``.
    """
    _LABEL_CONDITIONS[key] = compiler


def register_sample_field_prefix(prefix: str, compiler: SampleFieldCompiler) -> None:
    """Let another engine module add sample fields named ``<prefix><name>``.

    ``compiler(name, params)`` returns SQL of the field's value for the sample alias ``s``
    (raising :class:`FilterError` for an unknown name) and appends its values to ``params``.
    """
    _SAMPLE_FIELD_PREFIXES[prefix] = compiler


@dataclass
class CompiledFilter:
    """A WHERE clause over ``samples s`` and its parameters."""

    where: str
    params: list[Any]
    whole_dataset: bool = False
    """True when the clause only selects the dataset: every one of its samples matches."""
    ids: np.ndarray | None = field(default=None, compare=False, repr=False)
    """The filter's id set as checked (int64), when it has one: converted once."""


def compile_filter(dataset_id: int, spec: Mapping[str, Any] | None) -> CompiledFilter:
    """Compile ``spec`` into a WHERE clause over ``samples s`` of one dataset."""
    params = Params()
    clauses = [f"s.dataset_id = {params.add(dataset_id)}"]
    spec = {} if spec is None else spec
    if not isinstance(spec, Mapping):
        raise FilterError("a filter must be a JSON object")
    unknown = set(spec) - {"ids", "sample", "tags", "labels", "box_count"}
    if unknown:
        raise FilterError(f"unknown filter keys: {sorted(unknown)}")
    ids = None
    if "ids" in spec and spec["ids"] is not None:
        ids = checked_id_array(spec["ids"])
        clauses.append(ids_clause(spec["ids"], params))
    for name, cond in mapping(spec.get("sample"), "sample").items():
        if _is_json_field(name):  # over the index of the fields (.field_index)
            found = field_rows_sql(dataset_id, name, cond, params)
            if found is not None:
                rows, has_value = found
                clauses.append(f"s.sample_id {'IN' if has_value else 'NOT IN'} ({rows})")
            continue
        clauses.append(field_condition(sample_field_sql(name, params), cond, params, name))
    if spec.get("tags"):
        clauses.append(tags_clause(spec["tags"], params))
    labels = spec.get("labels")
    if labels:
        for label_spec in labels if isinstance(labels, list) else [labels]:
            label_spec = mapping(label_spec, "labels")
            exact = summary_filters.label_clause(
                label_spec, dataset_id, params.add, _source(params)
            )
            if exact is None:
                exact = "EXISTS " + _boxes_of_sample("1", _label_conditions(label_spec, params))
            clauses.append(exact)
    box_counts = spec.get("box_count")
    if box_counts:
        for one in box_counts if isinstance(box_counts, list) else [box_counts]:
            clauses.append(_box_count_clause(mapping(one, "box_count"), params))
    where = " AND ".join(f"({c})" for c in clauses)
    return CompiledFilter(where, params.values, whole_dataset=len(clauses) == 1, ids=ids)


def _is_json_field(name: str) -> bool:
    return name.startswith("fields.") and len(name) > 7


def field_rows_sql(
    dataset_id: int, name: str, cond: Any, params: Params
) -> tuple[str, bool] | None:
    """(the ids of the samples whose ``fields.<key>`` value meets ``cond``, True) or, for
    ``is_null: true``, (the ids of those that have a value, False): a query over
    ``field_values`` (:mod:`.field_index`) with the JSON path's semantics exactly. None
    when ``cond`` holds for every sample (only bounds of None)."""
    test = Params()
    where = field_condition("a.text", cond, test, name, number_sql="a.num")
    if where == "TRUE":
        return None
    has_value = field_index.needs_rows(cond)
    rows = (
        f"SELECT a.sample_id FROM field_values a WHERE a.dataset_id = {params.add(dataset_id)}"  # noqa: S608 - compiled, values bound
        f" AND a.key = {params.add(name[7:])}"
    )
    params.values += test.values
    return (f"{rows} AND ({where})" if has_value else rows), has_value


def sample_field_sql(name: str, params: Params) -> str:
    """SQL for a sample field name: a whitelisted column, ``fields.<key>`` or a registered
    prefix's field (``computed.<name>``)."""
    if name in SAMPLE_FIELD_SQL:
        return SAMPLE_FIELD_SQL[name]
    if name.startswith("fields.") and len(name) > 7:
        return f"json_extract_string(s.fields, {params.add(json_pointer(name[7:]))})"
    for prefix, compiler in _SAMPLE_FIELD_PREFIXES.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return compiler(name[len(prefix) :], params)
    summary = _box_summary_sql(name, params)
    if summary is not None:
        return summary
    raise FilterError(f"unknown sample field {name!r}")


def sort_key_sql(sort: str | None, params: Params) -> str:
    """SQL of a page's sort key over ``samples s``: any sample field (box summaries
    included), or the sample id when not sorted. Ties and NULLs are ordered by the
    callers the same way (NULLS LAST, then sample id), so every view of one sort agrees."""
    if not sort:
        return "s.sample_id"
    try:
        return sample_field_sql(sort, params)
    except FilterError as exc:
        raise FilterError(f"cannot sort by {sort!r}: {exc}") from exc


def active_conditions(spec: Mapping[str, Any] | None) -> set[str]:
    """The keys of a compiled filter that select something (``"ids": []`` selects nothing,
    so it counts; an empty object selects everything, so it does not)."""
    return {k for k, v in (spec or {}).items() if (v is not None if k == "ids" else bool(v))}


def sort_direction(order: str | None) -> str:
    """``DESC`` for ``order == 'desc'`` (any case), else ``ASC``."""
    return "DESC" if (order or "asc").lower() == "desc" else "ASC"


BOX_SUMMARY_FIELDS = ("score", "area", "w", "h", "x", "y")
"""Numeric box fields whose per-sample maximum / minimum a filter or sort may name."""


def _box_summary_sql(name: str, params: Params) -> str | None:
    """SQL of ``box_count.<source>`` / ``box_max.<field>.<source>`` / ``box_min...`` over
    the boxes of sample ``s``, or None when ``name`` is none of these."""
    if name.startswith("box_count.") and len(name) > 10:
        return summary_filters.count_sql(name[10:], _source(params))
    for prefix, agg in (("box_max.", "MAX"), ("box_min.", "MIN")):
        if name.startswith(prefix):
            column, _, source = name[len(prefix) :].partition(".")
            if column not in BOX_SUMMARY_FIELDS or not source:
                raise FilterError(
                    f"{name!r}: use {prefix}<field>.<source> with a field among "
                    f"{', '.join(BOX_SUMMARY_FIELDS)}"
                )
            return summary_filters.extreme_sql(agg, column, source, _source(params))
    return None


def annotation_field_sql(name: str, params: Params) -> str:
    """SQL for an annotation field name: a whitelisted column or ``attributes.<key>``."""
    if name in ANNOTATION_FIELD_SQL:
        return ANNOTATION_FIELD_SQL[name]
    if name.startswith("attributes.") and len(name) > 11:
        return f"json_extract_string(a.attributes, {params.add(json_pointer(name[11:]))})"
    raise FilterError(f"unknown label field {name!r}")


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


def _label_conditions(spec: Mapping[str, Any], params: Params) -> list[str]:
    out = [source_clause(spec.get("source"), params)]
    classes = spec.get("classes")
    if classes is not None:
        out.append(in_clause("a.label", str_list(classes, "labels.classes"), params))
    if spec.get("score") is not None:
        out.append(field_condition("a.score", spec["score"], params, "labels.score"))
    for name, cond in mapping(spec.get("where"), "labels.where").items():
        out.append(field_condition(annotation_field_sql(name, params), cond, params, name))
    for key, value in spec.items():
        if key in {"source", "classes", "score", "where"}:
            continue
        compiler = _LABEL_CONDITIONS.get(key)
        if compiler is None:
            raise FilterError(f"unknown label filter key {key!r}")
        out.append(compiler(value, params))
    return out


def _box_count_clause(spec: Mapping[str, Any], params: Params) -> str:
    label_spec = {k: v for k, v in spec.items() if k not in {"min", "max"}}
    bounds, conditions = Params(), Params()
    summed = summary_filters.summarised_count(spec)
    where = [] if summed else _label_conditions(label_spec, conditions)
    test = field_condition(
        "c.n" if summed else "COUNT(*)",
        {k: spec[k] for k in ("min", "max") if k in spec},
        bounds,
        "box_count",
    )
    if test == "TRUE":  # no bound given
        return test
    if summed:  # the test first in the SQL text, as below
        params.values += bounds.values
        return summary_filters.count_test_sql(test, spec.get("source"), _source(params))
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
