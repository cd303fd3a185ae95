"""Filtered facets answered from the box index (:mod:`.facet_index`) and cheap reads.

The SQL path (:func:`.facet_compute.facets_over`) reads every filtered sample's columns
through the filter's WHERE clause and scans their boxes: at 1M images the join of the
filter with ``samples`` alone was 235-323 ms for a class filter. Here:

* the filtered sample ids come from the cheapest exact statement: an id set is intersected
  with the dataset's ids in numpy, a label filter the summaries answer reads the summary
  table alone (as the samples page does), anything else ``SELECT s.sample_id`` through the
  filter (no other column);
* split, width, height, labels, box counts and scores come from the index over the ids'
  mask;
* tags come from one read of the dataset's tag lists (16 ms at 1M), counted over the mask;
* ``fields.<key>`` facets come from the field index (:mod:`.field_facets`), semi-joined
  with the filtered ids; only ``attributes.<key>`` facets stay on the SQL statement of
  :mod:`.facet_sql`, over the filtered ids' boxes.

Every number is the SQL path's (the randomised tests in ``tests/test_facet_index.py``
compare both).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .facet_index import BoxIndex, SampleSet, sample_entries, source_entries
from .facet_sql import MAX_CATEGORICAL_VALUES, facets_sql
from .filters import CompiledFilter, Params, source_clause
from .summary_filters import label_summary

Assemble = Callable[[list[str], list[str], list[tuple[Any, ...]]], list[dict[str, Any]]]
Numeric = Callable[[str, int, Any, Any, dict[int, int]], dict[str, Any]]
LabelMask = Callable[
    [duckdb.DuckDBPyConnection, int, Mapping[str, Any], SampleSet, str], np.ndarray | None
]
_LABEL_MASKS: list[LabelMask] = []


def register_label_mask(answer: LabelMask) -> None:
    """Let an engine module answer a one-label filter from memory (e.g. the ``eval``
    condition): ``answer(cur, dataset_id, label_spec, samples, token)`` returns a boolean
    mask over ``samples`` (the box index's, labelled ``token``) with exactly the SQL's
    samples, or None to leave the filter to SQL."""
    if answer not in _LABEL_MASKS:
        _LABEL_MASKS.append(answer)


def indexed_facets(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    flt: CompiledFilter,
    spec: Mapping[str, Any] | None,
    fields: list[str],
    sources: list[str],
    attributes: list[str],
    boxes: BoxIndex,
    assemble: Assemble,
    numeric: Numeric,
    only_sources: bool = False,
    on_mask: Callable[[np.ndarray], None] | None = None,
) -> tuple[list[dict[str, Any]], int] | None:
    """The built-in facets (as :func:`.facet_compute.facets_over` returns them) and the
    total, or None when the index does not hold every filtered sample (a write between
    its token and this read). ``assemble(fields, attributes, rows)``: the entries of the
    SQL statement's rows; ``numeric``: the builder of a numeric entry. ``only_sources``:
    only the sources' facets are wanted (one recomputed for multi-pick); ``on_mask``:
    given the filtered samples' mask over ``boxes.samples``."""
    matched = _filtered_ids(cur, dataset_id, flt, spec, boxes)
    if matched is not None and matched.dtype == np.bool_:  # a registered label mask
        mask: np.ndarray | None = matched
    else:
        mask = None if matched is None else boxes.mask_of(matched)
    if mask is None:
        return None
    if on_mask is not None:
        on_mask(mask)
    total = int(mask.sum())
    cur.register("_facet_samples", pa.table({"sample_id": boxes.samples.ids[mask]}))
    if only_sources:
        return [e for s in sources for e in source_entries(boxes, mask, s, numeric)], total
    # imported here: field_facets builds on facet_compute, which imports this module
    from .field_facets import field_facet_entries

    rest = field_facet_entries(cur, dataset_id, fields, "_facet_samples") if fields else []
    if attributes:  # the boxes' JSON attributes: SQL over the filtered ids
        sql, named = facets_sql(0, dataset_id, [], attributes, total, sample_columns=False)
        rest += assemble([], attributes, cur.execute(sql, named).fetchall())[4:]
    tags = _tags_entry(cur, dataset_id, boxes, mask)
    if tags is None:
        return None
    n_fields = len(fields)
    columns = sample_entries(boxes, mask, numeric)
    from_index = [e for s in sources for e in source_entries(boxes, mask, s, numeric)]
    return [*columns, tags, *rest[:n_fields], *from_index, *rest[n_fields:]], int(mask.sum())


def _filtered_ids(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    flt: CompiledFilter,
    spec: Mapping[str, Any] | None,
    boxes: BoxIndex,
) -> np.ndarray | None:
    """The filter's sample ids, in any order, maybe repeated, or their boolean mask over
    ``boxes.samples`` when a registered label mask answered (None: an id outside the
    index)."""
    spec = spec or {}
    active = {k for k, v in spec.items() if (v is not None if k == "ids" else bool(v))}
    if active == {"ids"}:  # checked by compile_filter: integers
        return boxes.samples.members(np.asarray(spec["ids"], dtype=np.int64))
    labels = spec.get("labels")
    if active == {"labels"} and isinstance(labels, list) and len(labels) == 1:
        labels = labels[0]
    if active == {"labels"} and isinstance(labels, Mapping):
        for answer in _LABEL_MASKS:
            mask = answer(cur, dataset_id, labels, boxes.samples, boxes.token)
            if mask is not None:
                return mask
        params = Params([dataset_id])
        found = label_summary(labels, dataset_id, params.add, lambda s: source_clause(s, params))
        if found is not None:
            where = " AND ".join(["a.dataset_id = ?", *found.where])
            # neither DISTINCT nor sorted: a sample's repeats set the same mask bit
            sql = f"SELECT a.sample_id FROM {found.table} a WHERE {where}"  # noqa: S608 - fixed identifiers, values bound
            return _ids(cur.execute(sql, params.values).fetchnumpy())
    sql = f"SELECT s.sample_id FROM samples s WHERE {flt.where}"  # noqa: S608 - compiled filter
    return _ids(cur.execute(sql, flt.params).fetchnumpy())


def _ids(columns: Mapping[str, Any]) -> np.ndarray:
    return np.asarray(columns["sample_id"], dtype=np.int64)


def _tags_entry(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, boxes: BoxIndex, mask: np.ndarray
) -> dict[str, Any] | None:
    """The tags facet over the mask's samples, from the dataset's tag lists (tags change
    with every tag write, so they are read, not indexed); None: a sample outside the
    index."""
    table = cur.sql(
        "SELECT sample_id, tags FROM samples WHERE dataset_id = ? AND len(tags) > 0",
        params=[dataset_id],
    ).to_arrow_table()
    ids = np.asarray(table.column("sample_id").to_numpy(), dtype=np.int64)
    pos = boxes.samples.positions(ids)
    if pos is None:
        return None
    values: list[dict[str, Any]] = []
    if len(pos):
        tags = table.column("tags").combine_chunks()
        kept = tags.filter(pa.array(mask[pos]))
        counts = pc.value_counts(pc.list_flatten(kept)).to_pylist()
        found = [(int(c["counts"]), c["values"]) for c in counts]
        # the SQL's order: most frequent first, ties by value, NULL last
        found.sort(key=lambda cv: (-cv[0], cv[1] is None, cv[1] or ""))
        values = [{"value": v, "count": c} for c, v in found[:MAX_CATEGORICAL_VALUES]]
    return {"name": "tags", "type": "categorical", "values": values}
