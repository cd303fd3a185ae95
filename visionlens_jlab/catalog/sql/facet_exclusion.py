"""Which facets a filter conditions on, and the filter without that facet's own condition.

Standard facet semantics (multi-pick): the counts of a facet exclude that facet's own
condition, so that checking one value of a facet keeps the facet's other values visible
with the counts they would add. Every other condition of the filter still applies. A
facet is named as in the facets' output: its ``name`` and, for box facets, its ``source``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..query.filter_model import (
    ClassificationCondition,
    ExtraCondition,
    Filter,
    LabelCondition,
    Tags,
)
from ..query.filter_parser import LABEL_KINDS


@dataclass(frozen=True)
class OwnCondition:
    """A facet the filter conditions on, and the filter without that condition; ``model``:
    the model whose facet it is, where a source has one per model (a tracking evaluation's)."""

    name: str
    source: str | None
    reduced: Filter
    model: str | None = None


def own_conditions(flt: Filter) -> Iterator[OwnCondition]:
    """Every facet ``flt`` conditions on (sample fields, tags, a source's classes and
    scores, a source's box count), each with ``flt`` less that facet's condition.

    Conditions that no single facet stands for (a label condition over any source or all
    predictions, ``ids``, ``labels.where``) stay in every facet's filter. The facets of
    labels beyond the box (``..extensions.label_facets``): ``label_type`` of a source
    stands for its label entries' ``type`` and its image-label condition of nothing but
    the source; ``classification`` / ``classification_score`` for the classes / score of
    its ``classifications`` condition. A registered label condition names the facets its
    parts stand for itself (``track.status`` of a model...: its ``facets``).
    """
    flt = replace(flt, raw={})  # a reduced filter is no longer the request's
    for one in flt.sample:
        rest = tuple(other for other in flt.sample if other is not one)
        yield OwnCondition(one.name, None, replace(flt, sample=rest))
    if flt.tags is not None and dict(flt.tags.ops).get("any"):
        yield OwnCondition("tags", None, replace(flt, tags=_without_any(flt.tags)))
    yield from _label_conditions(flt)
    yield from _extra_conditions(flt)
    yield from _box_count_conditions(flt)
    yield from _label_type_conditions(flt)
    yield from _classification_conditions(flt)


def _without_any(tags: Tags) -> Tags | None:
    """``tags`` less its ``any`` list (None when nothing is left: no tag condition)."""
    ops = tuple((op, wanted) for op, wanted in tags.ops if op != "any")
    return Tags(ops) if ops else None


def _concrete(label: LabelCondition) -> bool:
    """Whether a condition's source names one facet's source (ground truth or one model)."""
    return isinstance(label.source, str) and label.one_source


def _label_conditions(flt: Filter) -> Iterator[OwnCondition]:
    for i, label in enumerate(flt.labels):
        if not _concrete(label):
            continue
        for facet, rest in (
            ("label", None if label.classes is None else replace(label, classes=None)),
            ("score", None if label.score is None else replace(label, score=None)),
        ):
            if rest is None:
                continue
            kept = list(flt.labels)
            if rest.classes is None and rest.class_only:  # nothing left but the source
                del kept[i]
            else:  # other conditions on this source's boxes remain
                kept[i] = rest
            yield OwnCondition(facet, label.source, replace(flt, labels=tuple(kept)))


def _extra_conditions(flt: Filter) -> Iterator[OwnCondition]:
    """The facets of the registered conditions of a source's labels entry, each with the
    entry less that facet's part (less the condition when nothing of it is left, less the
    entry when nothing but its source is)."""
    for i, label in enumerate(flt.labels):
        if not _concrete(label):
            continue
        for extra in label.extras:
            parts = LABEL_KINDS[extra.key].facets if extra.key in LABEL_KINDS else None
            for name, model, rest in parts(extra.value) if parts else ():
                extras = tuple(
                    e if e is not extra else ExtraCondition(e.key, rest)
                    for e in label.extras
                    if e is not extra or rest is not None
                )
                reduced = replace(label, extras=extras)
                kept = list(flt.labels)
                if reduced.classes is None and reduced.class_only:
                    del kept[i]
                else:
                    kept[i] = reduced
                yield OwnCondition(name, label.source, replace(flt, labels=tuple(kept)), model)


def _box_count_conditions(flt: Filter) -> Iterator[OwnCondition]:
    for i, count in enumerate(flt.box_counts):
        if not count.summed or not _concrete(count.label):
            continue  # a class-restricted count, or one over many sources: no one facet
        kept = flt.box_counts[:i] + flt.box_counts[i + 1 :]
        yield OwnCondition("box_count", count.label.source, replace(flt, box_counts=kept))


def _label_type_conditions(flt: Filter) -> Iterator[OwnCondition]:
    """``label_type`` of each source the filter asks a label type or an image label of."""
    sources = [label.source for label in flt.labels if _concrete(label) and label.label_types]
    sources += [c.source for c in flt.classifications if _has_label_only(c)]
    for source in dict.fromkeys(sources):
        labels = []
        for label in flt.labels:
            if label.source != source or not label.label_types:
                labels.append(label)
                continue
            rest = replace(label, label_types=None)
            if not (rest.classes is None and rest.class_only):  # more than the source left
                labels.append(rest)
        kept = tuple(
            c for c in flt.classifications if not (c.source == source and _has_label_only(c))
        )
        yield OwnCondition(
            "label_type", source, replace(flt, labels=tuple(labels), classifications=kept)
        )


def _has_label_only(cond: ClassificationCondition) -> bool:
    """An image-label condition of one source and nothing else: "has such a label"."""
    concrete = cond.source is not None and cond.source != "predictions"
    return concrete and cond == ClassificationCondition(cond.source)


def _classification_conditions(flt: Filter) -> Iterator[OwnCondition]:
    for i, cond in enumerate(flt.classifications):
        if cond.source is None or cond.source == "predictions":
            continue
        for facet, rest in (
            ("classification", None if cond.classes is None else replace(cond, classes=None)),
            ("classification_score", None if cond.score is None else replace(cond, score=None)),
        ):
            if rest is None:
                continue
            kept = list(flt.classifications)
            if _has_label_only(rest):  # nothing left but the source: no condition of its own
                del kept[i]
            else:
                kept[i] = rest
            yield OwnCondition(facet, cond.source, replace(flt, classifications=tuple(kept)))
