"""Filtered facets answered from the box index (:mod:`..indexes.box_index`) and cheap reads.

The SQL path (:func:`.facet_compute.facets_over`) reads every filtered sample's columns
through the filter's WHERE clause and scans their boxes: at 1M images the join of the
filter with ``samples`` alone was 235-323 ms for a class filter. Here:

* the filtered samples are a mask over the index's samples, each condition of the filter
  answered its cheapest exact way (:mod:`.filter_masks`);
* split, width, height, labels, box counts and scores are counted from the index over
  the mask packed once (:mod:`.bit_levels`, :mod:`.mask_counts`), on two threads while
  this one reads from DuckDB;
* tags come from the dataset's tag lists held in memory across tag writes
  (:mod:`.tag_lists`);
* ``fields.<key>`` facets come from the field index in memory (:mod:`.field_columns`),
  else from its table (:mod:`.field_facets`); only ``attributes.<key>`` facets stay on
  the SQL statement of :mod:`.facet_sql`, over the filtered ids' boxes.

Every number is the SQL path's (the randomised tests in ``tests/test_facet_index.py``
compare both).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import duckdb

from ..base.bit_levels import PackedMask
from ..indexes.box_index import BoxIndex
from ..indexes.facet_index import sample_entries, source_entries
from ..indexes.field_columns import FieldColumns
from ..indexes.filtered_samples import FilteredSamples
from ..indexes.tag_lists import tag_lists as held_tag_lists
from ..query.filter_model import Filter
from ..sql.facet_compute import sql_entries
from ..sql.facet_entries import numeric_entry
from ..sql.facet_sql import facets_sql
from ..sql.field_facets import field_facet_entries
from ..store.catalog import Catalog
from .filter_masks import filtered_mask


def indexed_facets(
    catalog: Catalog,
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    flt: Filter,
    fields: list[str],
    sources: list[str],
    attributes: list[str],
    boxes: BoxIndex,
    field_cols: FieldColumns | None,
    only_sources: bool = False,
    on_mask: Callable[[FilteredSamples], None] | None = None,
) -> tuple[list[dict[str, Any]], int] | None:
    """The ``MASK`` route of a facets plan (:func:`.planner.plan_facets`): the built-in
    facets of the samples the parsed filter ``flt`` keeps (as
    :func:`.facet_compute.facets_over` returns them) and the total, or None when the index
    does not hold every filtered sample (a write between its token and this read).
    ``field_cols``: the field index in memory, used when it holds the box index's rows
    (the same token); ``only_sources``: only the sources' facets are wanted (one
    recomputed for multi-pick); ``on_mask``: given the filtered samples as a mask over
    ``boxes.samples``, which registers them as ``_facet_samples`` when a reader needs them
    in SQL (nothing here does unless a facet is answered by SQL)."""
    if field_cols is not None and (
        field_cols.token != boxes.token or field_cols.n != boxes.samples.n
    ):
        field_cols = None
    tag_lists = held_tag_lists(catalog, cur, dataset_id, boxes.samples)  # held: no read
    if tag_lists is None:
        return None
    mask = filtered_mask(catalog, cur, dataset_id, flt, boxes, field_cols, tag_lists)
    if mask is None:
        return None
    filtered = FilteredSamples(boxes.samples, mask, boxes.token)
    if on_mask is not None:
        on_mask(filtered)
    bits = PackedMask.of(mask)
    total = bits.count
    # The index's counting (popcounts and short gathers, about 2 ms at 1M) runs on the pool
    # while this thread waits on DuckDB for the tags and fields.
    jobs = [_POOL.submit(source_entries, boxes, bits, s, numeric_entry) for s in sources]
    if only_sources:
        return [e for job in jobs for e in job.result()], total
    columns = _POOL.submit(sample_entries, boxes, bits, numeric_entry)
    if field_cols is not None:
        rest = field_cols.entries(fields, mask, numeric_entry)
    elif fields:
        filtered.register(cur, "_facet_samples")
        rest = field_facet_entries(cur, dataset_id, fields, "_facet_samples")
    else:
        rest = []
    if attributes:  # the boxes' JSON attributes: SQL over the filtered ids
        filtered.register(cur, "_facet_samples")
        sql, named = facets_sql(0, dataset_id, [], attributes, total, sample_columns=False)
        rest += sql_entries([], attributes, cur.execute(sql, named).fetchall())[4:]
    tags = tag_lists.entry(mask)
    from_index = [e for job in jobs for e in job.result()]
    n_fields = len(fields)
    return [*columns.result(), tags, *rest[:n_fields], *from_index, *rest[n_fields:]], total


_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="visionlens-facets")
"""Two threads for the index's counting (numpy, no catalog access), shared by requests."""
