"""A filter's samples as a mask over the box index, each condition by its cheapest exact way.

A filtered facets request needs every sample a filter keeps, not a page of them. Through
SQL that was 10-100 ms at 1M images (a class filter 11 ms, a two-bound box area 61 ms, a
split 3-5 ms), before any facet was counted. A filter is an AND of conditions, so each is
answered on its own and the masks are ANDed:

* from the box index (:mod:`.facet_index`), in memory: an id set; a split ``in``; a width
  or height range; a ``fields.<key>`` condition (from :mod:`.field_columns`); ``tags``
  ``any`` / ``all`` (from the tag lists held in memory, :mod:`.tag_lists`); a label
  condition of one source with only classes (the rows of those label groups), or with
  only one numeric range on one box column (``score`` or ``where`` on ``x``, ``y``,
  ``w``, ``h``, ``area``: one slice of the boxes sorted by that column);
* a label condition a registered engine module answers (:func:`register_label_mask`: the
  evaluation's, ``evaluate/eval_label_mask.py``);
* every other condition through one SQL statement of the remaining conditions (the filter
  compiler's own clauses, so their semantics are the SQL path's by construction).

The in-memory conditions keep the SQL's semantics: the comparisons are float64 like
DuckDB's DOUBLE, a NULL (NaN) value meets no bound, an unknown class or source keeps no
sample. ``tests/test_filter_masks.py`` compares every shape with the SQL path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import duckdb
import numpy as np

from ..indexes.facet_index import BoxIndex, SampleSet, box_field
from ..indexes.field_columns import FieldColumns
from ..indexes.tag_lists import TagLists
from ..query.filters import Params, compile_filter, source_clause
from ..query.summary_filters import label_summary
from ..store.catalog import Catalog

_RANGE_OPS = {"min", "max"}

LabelMask = Callable[
    [duckdb.DuckDBPyConnection, int, Mapping[str, Any], SampleSet, str], np.ndarray | None
]
_LABEL_MASKS: list[LabelMask] = []


def register_label_mask(answer: LabelMask) -> None:
    """Let an engine module answer one label condition from memory (e.g. with the ``eval``
    key): ``answer(cur, dataset_id, label_spec, samples, token)`` returns a boolean mask
    over ``samples`` (the box index's, labelled ``token``) with exactly the SQL's samples,
    or None to leave the condition to the next answer or to SQL."""
    if answer not in _LABEL_MASKS:
        _LABEL_MASKS.append(answer)


def filtered_mask(
    catalog: Catalog,
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    spec: Mapping[str, Any] | None,
    boxes: BoxIndex,
    field_cols: FieldColumns | None = None,
    tag_lists: TagLists | None = None,
    ids: np.ndarray | None = None,
) -> np.ndarray | None:
    """The mask (over ``boxes.samples``) of the samples ``spec`` keeps, or None when the
    SQL of its other conditions returned a sample the index does not hold (a write since
    the index's token). ``spec`` must have compiled (its errors are the compiler's).
    ``field_cols``: the field index in memory, of the box index's token; ``tag_lists``:
    the dataset's tag lists of this request's tokens (:mod:`.tag_lists`); ``ids``: the
    id set of ``spec`` as compiled (:attr:`.filters.CompiledFilter.ids`), else converted."""
    spec = spec or {}
    n = boxes.samples.n
    mask: np.ndarray | None = None
    rest: dict[str, Any] = {}

    def keep(part: np.ndarray) -> None:
        nonlocal mask
        mask = part if mask is None else mask & part

    for key, value in spec.items():
        if key == "ids":
            if value is not None:
                wanted = ids if ids is not None else np.asarray(value, dtype=np.int64)
                members = boxes.mask_of(boxes.samples.members(wanted))
                assert members is not None  # members only
                keep(members)
        elif key == "sample" and value:
            sample_rest = {}
            for name, cond in value.items():
                part = _sample_mask(boxes, field_cols, name, cond)
                if part is None:
                    sample_rest[name] = cond
                else:
                    keep(part)
            if sample_rest:
                rest["sample"] = sample_rest
        elif key == "labels" and value:
            label_rest = []
            for one in value if isinstance(value, list) else [value]:
                part = _label_mask(catalog, dataset_id, boxes, one)
                for answer in _LABEL_MASKS if part is None and isinstance(one, Mapping) else []:
                    part = answer(cur, dataset_id, one, boxes.samples, boxes.token)
                    if part is not None:
                        break
                if part is None:
                    label_rest.append(one)
                else:
                    keep(part)
            if label_rest:
                rest["labels"] = label_rest
        elif key == "tags" and value and tag_lists is not None:
            part = tag_lists.mask(value, n)
            if part is None:
                rest[key] = value
            else:
                keep(part)
        elif value:  # box_count (and tags without their lists): SQL
            rest[key] = value
    if rest or mask is None:
        part = boxes.mask_of(_sql_ids(cur, dataset_id, rest))
        if part is None:
            return None
        keep(part)
    return mask if mask is not None else np.ones(n, dtype=bool)


def _sql_ids(cur: duckdb.DuckDBPyConnection, dataset_id: int, spec: dict[str, Any]) -> np.ndarray:
    """The ids of the samples ``spec`` keeps, in any order, maybe repeated: a label filter
    the summaries answer reads the summary table alone (as the samples page does), any
    other ``SELECT s.sample_id`` through the compiled filter."""
    labels = spec.get("labels")
    if set(spec) == {"labels"} and isinstance(labels, list) and len(labels) == 1:
        params = Params([dataset_id])
        found = label_summary(labels[0], dataset_id, params.add, lambda s: source_clause(s, params))
        if found is not None:
            where = " AND ".join(["a.dataset_id = ?", *found.where])
            # neither DISTINCT nor sorted: a sample's repeats set the same mask bit
            sql = f"SELECT a.sample_id FROM {found.table} a WHERE {where}"  # noqa: S608 - fixed identifiers, values bound
            return _ids(cur.execute(sql, params.values).fetchnumpy())
    flt = compile_filter(dataset_id, spec)
    sql = f"SELECT s.sample_id FROM samples s WHERE {flt.where}"  # noqa: S608 - compiled filter
    return _ids(cur.execute(sql, flt.params).fetchnumpy())


def _ids(columns: Mapping[str, Any]) -> np.ndarray:
    return np.asarray(columns["sample_id"], dtype=np.int64)


def _sample_mask(
    boxes: BoxIndex, field_cols: FieldColumns | None, name: str, cond: Any
) -> np.ndarray | None:
    """A split ``in`` or a width / height range from the box index, a ``fields.<key>``
    condition from the field columns; None: another condition."""
    if not isinstance(cond, Mapping) or not cond:
        return None
    if field_cols is not None and name.startswith("fields.") and len(name) > 7:
        return field_cols.mask(name[7:], cond)
    if name == "split" and set(cond) == {"in"}:
        wanted = {str(v).lower() if isinstance(v, bool) else str(v) for v in cond["in"]}
        codes = [c for c, v in enumerate(boxes.split_values) if v is not None and v in wanted]
        return boxes.split.mask_of(codes, boxes.samples.n)
    if name in ("width", "height") and _is_range(cond):
        values = boxes.width if name == "width" else boxes.height
        return values.rows.mask_in(*_bounds(cond), boxes.samples.n)
    return None


def _label_mask(catalog: Catalog, dataset_id: int, boxes: BoxIndex, spec: Any) -> np.ndarray | None:
    """A label condition of one source with only classes, or only one range on one numeric
    box column, from the index; None: any other label condition."""
    if not isinstance(spec, Mapping):
        return None
    source = spec.get("source")
    if not isinstance(source, str) or source == "predictions":
        return None  # no source, or every model: the SQL
    n = boxes.samples.n
    keys = set(spec) - {"source"}
    src = boxes.sources.get(source)
    if keys == {"classes"} and isinstance(spec["classes"], list):
        if src is None:
            return np.zeros(n, dtype=bool)
        wanted = set(spec["classes"])
        codes = [c for c, v in enumerate(src.vocab) if v is not None and v in wanted]
        return src.labels.mask_of(codes, n)
    ranged = _box_range(spec, keys)
    if ranged is None:
        return None
    column, cond = ranged
    if src is None:
        return np.zeros(n, dtype=bool)
    values = box_field(catalog, boxes, dataset_id, source, column)
    if values is None:
        return None
    return values.mask_in(*_bounds(cond), n)


def _box_range(spec: Mapping[str, Any], keys: set[str]) -> tuple[str, Mapping[str, Any]] | None:
    """``(column, {min?, max?})`` when the label condition is one range on one column."""
    if keys == {"score"}:
        column, cond = "score", spec["score"]
    elif keys == {"where"} and isinstance(spec["where"], Mapping) and len(spec["where"]) == 1:
        ((column, cond),) = spec["where"].items()
        if column not in ("x", "y", "w", "h", "area", "score"):
            return None
    else:
        return None
    if not _is_range(cond):
        return None
    return column, cond


def _is_range(cond: Any) -> bool:
    """A condition of bounds only, at least one of them set (no bound: the SQL's TRUE)."""
    return (
        isinstance(cond, Mapping)
        and bool(cond)
        and set(cond) <= _RANGE_OPS
        and any(v is not None for v in cond.values())
    )


def _bounds(cond: Mapping[str, Any]) -> tuple[float | None, float | None]:
    lo, hi = cond.get("min"), cond.get("max")
    return (None if lo is None else float(lo)), (None if hi is None else float(hi))
