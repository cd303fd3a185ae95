"""The one parser of the JSON filter: checked once, into the typed model (:mod:`.filter_model`).

It reports the first problem in the order the SQL compiler met them before the model
existed (sample conditions, tags, labels, box counts; within a condition its operators in
the request's order), with the same :class:`FilterError` messages. Feature modules add
label condition keys and sample field prefixes here (their parser and their SQL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..store.schema import GROUND_TRUTH
from .filter_conditions import (
    FilterError,
    Params,
    checked_id_array,
    mapping,
    number_value,
    scalar_list,
    str_list,
)
from .filter_model import (
    ANNOTATION_COLUMNS,
    BOX_SUMMARY_FIELDS,
    FILTER_KEYS,
    LABEL_TYPES,
    SAMPLE_COLUMNS,
    BoxCount,
    BoxFieldCondition,
    ClassificationCondition,
    Condition,
    ExtraCondition,
    Filter,
    LabelCondition,
    SampleCondition,
    Tags,
)

_LABEL_KEYS = ("source", "classes", "score", "where", "type")
_CLASSIFICATION_KEYS = ("source", "classes", "score", "differs_from_ground_truth")


FacetParts = Callable[[Any], Iterable[tuple[str, str | None, Any]]]
"""The facets a parsed label condition stands for, each as ``(facet name, model, the
condition without that facet's part)`` (None: nothing of the condition is left)."""


@dataclass(frozen=True)
class LabelKind:
    """A registered label condition key: its parser (raises :class:`FilterError`), its
    compiler to SQL over the box alias ``a`` (appending its values to the params) and the
    multi-pick facets its parts stand for (:mod:`..sql.facet_exclusion`), if any."""

    parse: Callable[[Any], Any]
    sql: Callable[[Any, Params], str]
    facets: FacetParts | None = None


@dataclass(frozen=True)
class SampleKind:
    """A registered sample condition key (``{"sample": {key: ...}}``): its parser (raises
    :class:`FilterError`) and its compiler to a SQL boolean over the sample alias ``s``
    (appending its values to the params): a condition on rows of a feature's own table
    that a sample has, not on one value of the sample."""

    parse: Callable[[Any], Any]
    sql: Callable[[Any, Params], str]


LABEL_KINDS: dict[str, LabelKind] = {}
SAMPLE_KINDS: dict[str, SampleKind] = {}
SAMPLE_PREFIXES: dict[str, Callable[[str, Params], str]] = {}
BOX_FIELDS: dict[str, Callable[[Params], str]] = {}
HELD_SAMPLE_FIELDS: set[str] = set()
"""Prefixed sample fields whose values only writes that renew the box index token change
(:func:`register_held_sample_field`)."""


def register_label_condition(
    key: str,
    compiler: Callable[[Any, Params], str],
    parse: Callable[[Any], Any] | None = None,
    facets: FacetParts | None = None,
) -> None:
    """Let another engine module add a key to label filters: ``parse(value)`` checks the
    request's value once (default: kept as is, the compiler checks it),
    ``compiler(parsed, params)`` returns a SQL boolean over the annotation alias ``a`` and
    ``facets(parsed)`` names the multi-pick facets the condition's parts stand for."""
    LABEL_KINDS[key] = LabelKind(parse or (lambda value: value), compiler, facets)


def register_sample_condition(
    key: str, compiler: Callable[[Any, Params], str], parse: Callable[[Any], Any]
) -> None:
    """Let another engine module add a key to sample conditions: ``parse(value)`` checks the
    request's value once, ``compiler(parsed, params)`` returns a SQL boolean over the
    sample alias ``s``."""
    SAMPLE_KINDS[key] = SampleKind(parse, compiler)


def register_sample_field_prefix(prefix: str, compiler: Callable[[str, Params], str]) -> None:
    """Let another engine module add sample fields named ``<prefix><name>``:
    ``compiler(name, params)`` returns SQL of the field's value for the sample alias ``s``
    (raising :class:`FilterError` for an unknown name, also when the filter is parsed)."""
    SAMPLE_PREFIXES[prefix] = compiler


def register_held_sample_field(name: str) -> None:
    """Say that the prefixed sample field ``name`` (``video_tracks``) changes only with the
    samples or the boxes (writes that renew the box index token), so that a held order
    (:mod:`..plan.sorted_pages`) may answer a sort by it."""
    HELD_SAMPLE_FIELDS.add(name)


def register_box_field(name: str, compiler: Callable[[Params], str]) -> None:
    """Let another engine module add a box field ``name`` that label conditions' ``where``
    may bound (a value computed from the catalog when the filter runs, never stored):
    ``compiler(params)`` returns SQL of the field's value for the box alias ``a``."""
    BOX_FIELDS[name] = compiler


def parse_filter(spec: Mapping[str, Any] | Filter | None) -> Filter:
    """The typed filter of the JSON ``spec``, or :class:`FilterError`; a filter parsed
    already (a handler that also needs the model) is returned as it is."""
    if isinstance(spec, Filter):
        return spec
    spec = {} if spec is None else spec
    if not isinstance(spec, Mapping):
        raise FilterError("a filter must be a JSON object")
    unknown = set(spec) - set(FILTER_KEYS)
    if unknown:
        raise FilterError(f"unknown filter keys: {sorted(unknown)}")
    ids = ids_list = None
    if spec.get("ids") is not None:
        ids, ids_list = checked_id_array(spec["ids"]), spec["ids"]
    sample = tuple(
        _sample_condition(name, cond)
        for name, cond in mapping(spec.get("sample"), "sample").items()
    )
    tags = _tags(spec["tags"]) if spec.get("tags") else None
    labels = spec.get("labels")
    parsed_labels = tuple(
        _label(mapping(one, "labels"))
        for one in ((labels if isinstance(labels, list) else [labels]) if labels else [])
    )
    counts = spec.get("box_count")
    box_counts = tuple(
        _box_count(mapping(one, "box_count"))
        for one in ((counts if isinstance(counts, list) else [counts]) if counts else [])
    )
    found = spec.get("classifications")
    classifications = tuple(
        _classification(mapping(one, "classifications"))
        for one in ((found if isinstance(found, list) else [found]) if found else [])
    )
    return Filter(ids, ids_list, sample, tags, parsed_labels, box_counts, classifications, raw=spec)


def parse_condition(cond: Any, name: str) -> Condition:
    """One field condition (``in``, ``eq``, ``min``/``max``, ``contains``, ``is_null``)."""
    if not isinstance(cond, Mapping) or not cond:
        raise FilterError(f"condition on {name!r} must be an object such as {{'in': [...]}}")
    ops: list[tuple[str, Any]] = []
    for op, value in cond.items():
        if op == "in":
            ops.append((op, tuple(scalar_list(value, name))))
        elif op == "eq":
            if isinstance(value, bool) or isinstance(value, str):
                ops.append((op, value))
            elif isinstance(value, int | float):
                ops.append((op, float(value)))
            else:
                raise FilterError(f"'eq' on {name!r} needs a string, number or boolean")
        elif op in ("min", "max"):
            ops.append((op, None if value is None else number_value(value, f"{name}.{op}")))
        elif op == "contains":
            if not isinstance(value, str):
                raise FilterError(f"'contains' on {name!r} needs a string")
            ops.append((op, value.lower()))
        elif op == "is_null":
            ops.append((op, bool(value)))
        else:
            raise FilterError(f"unknown operator {op!r} on {name!r}")
    return Condition(tuple(ops))


def sample_field_kind(name: str) -> str:
    """The kind of sample field ``name`` (see :class:`SampleCondition`), or FilterError."""
    if name in SAMPLE_COLUMNS:
        return "column"
    if name.startswith("fields.") and len(name) > 7:
        return "json"
    for prefix, compiler in SAMPLE_PREFIXES.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            compiler(name[len(prefix) :], Params())  # its check of the name
            return "prefixed"
    if name.startswith("box_count.") and len(name) > 10:
        return "box_summary"
    for prefix in ("box_max.", "box_min."):
        if name.startswith(prefix):
            column, _, source = name[len(prefix) :].partition(".")
            if column not in BOX_SUMMARY_FIELDS or not source:
                raise FilterError(
                    f"{name!r}: use {prefix}<field>.<source> with a field among "
                    f"{', '.join(BOX_SUMMARY_FIELDS)}"
                )
            return "box_summary"
    raise FilterError(f"unknown sample field {name!r}")


def _sample_condition(name: str, cond: Any) -> SampleCondition:
    registered = SAMPLE_KINDS.get(name)
    if registered is not None:
        return SampleCondition(name, "registered", Condition(()), registered.parse(cond))
    kind = sample_field_kind(name)
    return SampleCondition(name, kind, parse_condition(cond, name))


def _tags(spec: Any) -> Tags:
    """``tags``: every operator's list of strings checked, then the operator."""
    spec = mapping(spec, "tags")
    ops = []
    for op in spec:
        tags = str_list(spec[op], f"tags.{op}")
        if op not in ("any", "all", "none"):
            raise FilterError(f"unknown tags operator {op!r} (any, all, none)")
        ops.append((op, tuple(tags)))
    return Tags(tuple(ops))


def _source(source: Any) -> str | None:
    """A label condition's source: None, or a string."""
    if source is not None and not isinstance(source, str):
        raise FilterError("labels.source must be a string")
    return source


def _label(spec: Mapping[str, Any]) -> LabelCondition:
    """One label condition (its parts in the order the SQL compiler checks them)."""
    source = _source(spec.get("source"))
    classes = spec.get("classes")
    parsed_classes = None if classes is None else tuple(str_list(classes, "labels.classes"))
    score = None if spec.get("score") is None else parse_condition(spec["score"], "labels.score")
    where = []
    for name, cond in mapping(spec.get("where"), "labels.where").items():
        if (
            name not in ANNOTATION_COLUMNS
            and name not in BOX_FIELDS
            and not (name.startswith("attributes.") and len(name) > 11)
        ):
            raise FilterError(f"unknown label field {name!r}")
        where.append(BoxFieldCondition(name, parse_condition(cond, name)))
    label_types = _label_types(spec.get("type"))
    extras = []
    for key, value in spec.items():
        if key in _LABEL_KEYS:
            continue
        kind = LABEL_KINDS.get(key)
        if kind is None:
            raise FilterError(f"unknown label filter key {key!r}")
        extras.append(ExtraCondition(key, kind.parse(value)))
    return LabelCondition(
        source, parsed_classes, score, tuple(where), tuple(extras), label_types=label_types
    )


def _label_types(value: Any) -> tuple[str, ...] | None:
    """``labels.type``: one label type or a non-empty list of them."""
    if value is None:
        return None
    types = value if isinstance(value, list) else [value]
    if not types or any(t not in LABEL_TYPES for t in types):
        raise FilterError(
            f"labels.type must be one of {', '.join(LABEL_TYPES)} or a list of them, not {value!r}"
        )
    return tuple(dict.fromkeys(types))


def _classification(spec: Mapping[str, Any]) -> ClassificationCondition:
    """One ``classifications`` condition: its keys, then each part checked."""
    unknown = sorted(set(spec) - set(_CLASSIFICATION_KEYS))
    if unknown:
        raise FilterError(
            f"unknown classifications keys {unknown} (use {', '.join(_CLASSIFICATION_KEYS)})"
        )
    source = spec.get("source")
    if source is not None and not isinstance(source, str):
        raise FilterError("classifications.source must be a string")
    classes = spec.get("classes")
    parsed_classes = (
        None if classes is None else tuple(str_list(classes, "classifications.classes"))
    )
    score = spec.get("score")
    parsed_score = None if score is None else parse_condition(score, "classifications.score")
    differs = spec.get("differs_from_ground_truth")
    if differs is not None:
        if not isinstance(differs, bool):
            raise FilterError("classifications.differs_from_ground_truth must be true or false")
        if source is None or source == GROUND_TRUTH:
            raise FilterError(
                "classifications.differs_from_ground_truth needs a model's source "
                "(a model name or 'predictions')"
            )
    return ClassificationCondition(source, parsed_classes, parsed_score, differs)


def _box_count(spec: Mapping[str, Any]) -> BoxCount:
    bounds = {k: spec[k] for k in ("min", "max") if k in spec}
    if not set(spec) - {"source", "min", "max"}:  # counted from the summaries
        parsed = parse_condition(bounds, "box_count")
        # the source is only compiled (checked) when there is a bound to test
        source = spec.get("source") if parsed.always_true else _source(spec.get("source"))
        return BoxCount(LabelCondition(source), parsed, summed=True)
    label = _label({k: v for k, v in spec.items() if k not in ("min", "max")})
    return BoxCount(label, parse_condition(bounds, "box_count"), summed=False)
