"""The SQL tables derived from a dataset's rows, refreshed in the writer's transaction.

Registered with :mod:`.registry` in this order of dependence (each names those it follows):

* facet keys (:mod:`..sql.facet_keys`): whole after an ingest or a model import; after a
  label edit only the new boxes' sources and attribute keys are added and probed away;
* box summaries (:mod:`..tables.box_summaries`): whole, one model's, or the edited
  samples' rows; numbers new classes, so it comes before the evaluation summaries;
* evaluation summaries (the evaluation's manifest, ``evaluate/eval_summaries.py``): one
  evaluation's, one model's, or the edited samples';
* the field index (:mod:`..tables.field_index`): ``samples.fields`` changes only by ingest,
  or by samples deleted or put back (their rows only: :data:`.changes.Kind.SAMPLES_REMOVED`);
* box value lists (:mod:`..sql.box_ranges`): dropped by a model import (1.5-2 s per field
  at 1M to build, done on the next range request), the edited samples' listed again;
* facet parts (:mod:`..sql.facet_parts`): the unfiltered facets of what changed, and the
  box index token they renew (which labels every in-memory index). A part is a histogram
  over the whole source, which a per-sample delta cannot update exactly: after a label
  edit with a box index held, the edited source's part is counted from the patched index
  over every sample (the indexed facets of an all-samples mask, the SQL's numbers; ~1 s
  of SQL at 1M images otherwise, measured in benchmarks/bench_edit.py), else recomputed
  in SQL; a tag write recomputes the tags part with a new tags token.

The answers cache needs no step: :func:`.registry.apply_change` scopes the write to its
dataset, whose version moves when it commits.
"""

from __future__ import annotations

import duckdb
import numpy as np

from ..base.bit_levels import PackedMask
from ..indexes.box_index import BoxIndex
from ..indexes.facet_index import source_entries
from ..sql import box_ranges
from ..sql.facet_entries import numeric_entry
from ..sql.facet_keys import patch_facet_keys, refresh_facet_keys
from ..sql.facet_parts import refresh_parts, store_part, write_tags_part
from ..store.catalog import Catalog
from ..tables.box_summaries import refresh_box_summaries
from ..tables.field_index import refresh_field_index
from .changes import Change, Kind
from .registry import Structure, Written, register_structure

FACET_KEYS = "facet keys"
BOX_SUMMARIES = "box summaries"
EVAL_SUMMARIES = "evaluation summaries"  # registered by the evaluation's manifest
FIELD_INDEX = "field index"
VALUE_LISTS = "box value lists"
FACET_PARTS = "facet parts"
BOX_INDEX = "box index"  # registered by .memory_structures, before the facet parts

PATCHED_INDEX = "patched box index"
"""The note of the box index step: the held index patched with the edit (its token the one
the write read), whose whole-dataset counts are the edited sources' parts."""

_BOXES = frozenset({Kind.SAMPLES_ADDED, Kind.SAMPLES_REMOVED, Kind.PREDICTIONS, Kind.LABELS})
"""Changes of boxes (and samples): what the box-derived structures depend on."""

_PER_SAMPLE = frozenset({Kind.LABELS, Kind.SAMPLES_REMOVED})
"""Changes whose samples' rows alone changed: a per-sample structure redoes only theirs."""


def _facet_keys(_: Catalog, cur: duckdb.DuckDBPyConnection, change: Change, __: Written) -> None:
    if change.kind is Kind.LABELS and change.scoped:
        patch_facet_keys(cur, change.dataset_id, change.sample_list)
    else:
        refresh_facet_keys(cur, change.dataset_id)


def _box_summaries(_: Catalog, cur: duckdb.DuckDBPyConnection, change: Change, __: Written) -> None:
    samples = change.sample_list if change.scoped else None
    for source in change.sources or (None,):
        refresh_box_summaries(cur, change.dataset_id, source, samples)


def _field_index(_: Catalog, cur: duckdb.DuckDBPyConnection, change: Change, __: Written) -> None:
    refresh_field_index(cur, change.dataset_id, change.sample_list if change.scoped else None)


def _value_lists(_: Catalog, cur: duckdb.DuckDBPyConnection, change: Change, __: Written) -> None:
    if change.kind in _PER_SAMPLE and change.scoped:
        box_ranges.refresh_samples(cur, change.dataset_id, change.sample_list)
    else:
        box_ranges.drop(cur, change.dataset_id)  # built again on the next range request


def _facet_parts(
    _: Catalog, cur: duckdb.DuckDBPyConnection, change: Change, written: Written
) -> None:
    if change.kind is Kind.TAGS:
        write_tags_part(cur, change.dataset_id)
    elif change.kind is Kind.SAMPLES_ADDED or change.sources is None:
        refresh_parts(cur, change.dataset_id)
    else:
        parts = [f"source:{source}" for source in change.sources]
        patched: BoxIndex | None = written.notes.get(PATCHED_INDEX)
        if patched is not None:  # a source's part from the patched counts: no pass over its boxes
            every = PackedMask.of(np.ones(patched.samples.n, dtype=bool))
            for source in change.sources:
                entries = source_entries(patched, every, source, numeric_entry)
                store_part(cur, change.dataset_id, f"source:{source}", entries)
            parts = []
        refresh_parts(cur, change.dataset_id, [*parts, "attributes"])  # and the index token


register_structure(Structure(FACET_KEYS, _BOXES, _facet_keys))
register_structure(Structure(BOX_SUMMARIES, _BOXES, _box_summaries))
register_structure(
    Structure(
        FIELD_INDEX,
        frozenset({Kind.SAMPLES_ADDED, Kind.SAMPLES_REMOVED}),
        _field_index,
        after=(FACET_KEYS,),
    )
)
register_structure(
    Structure(
        VALUE_LISTS,
        frozenset({Kind.PREDICTIONS, Kind.LABELS, Kind.SAMPLES_REMOVED}),
        _value_lists,
    )
)
register_structure(
    Structure(
        FACET_PARTS,
        _BOXES | {Kind.TAGS},
        _facet_parts,
        after=(FACET_KEYS, BOX_SUMMARIES, EVAL_SUMMARIES, FIELD_INDEX, VALUE_LISTS, BOX_INDEX),
    )
)
