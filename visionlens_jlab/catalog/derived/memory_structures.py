"""The in-memory structures derived from a dataset's rows, patched after the write commits.

Every in-memory structure is labelled with the tokens of the rows it was built from
(:mod:`..store.token_cache`); a write that renews a token makes it stale, and the
:class:`~..indexes.index_warmer.IndexWarmer` rebuilds what is held (about 1 s per index at
1M images). Patched instead, from rows read in the write's transaction:

* the box index (:mod:`..indexes.box_index`) after a ground-truth label edit: the edited
  samples' counts are corrected on top of the built planes (:mod:`..indexes.box_patches`),
  in the write (the facet parts count the edited source from it) and swapped in after;
  a rebuild reads every box (1M images: ~1 s, ~80 MB), the patch reads the edited
  samples' boxes. A model import or an ingest still rebuilds: it reads those rows anyway;
* the field columns (:mod:`..indexes.field_columns`) and the tag lists
  (:mod:`..indexes.tag_lists`) after a label edit: nothing they hold changed, relabelled;
* the tag lists after a tag write: patched with the written lists (as before).

The evaluation index registers its own patch (:mod:`visionlens_jlab.evaluate.eval_facet_index`:
its rebuild, a join of every evaluated box, cost ~0.8 s at 100K images, most of the next
facets request after an edit). Left to the warmer after a label edit: held sorted orders
(an order cannot take a sample back without its neighbours' keys).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from ..indexes import box_index, field_columns, tag_lists
from ..store.catalog import Catalog
from .changes import Change, Kind
from .registry import Structure, Written, register_structure
from .sql_structures import BOX_INDEX, PATCHED_INDEX

FIELD_COLUMNS = "field columns"
TAG_LISTS = "tag lists"


def _patch_in_write(
    catalog: Catalog, cur: duckdb.DuckDBPyConnection, change: Change, written: Written
) -> None:
    """In the transaction: the held index of the rows the write read, patched with the
    edited samples' boxes as the write commits them (noted for the facet parts and the
    swap after the commit); nothing when no such index is held."""
    held = box_index.held_index(catalog, change.dataset_id)
    if held is None or held.token != written.before[0]:
        return
    ids = np.asarray(change.sample_list, dtype=np.int64)
    sources = change.sources or tuple(
        r[0]
        for r in cur.execute(
            "SELECT DISTINCT source FROM annotations WHERE dataset_id = ? "
            "AND list_contains(?, sample_id)",
            [change.dataset_id, change.sample_list],
        ).fetchall()
    )
    rows: dict[str, tuple[np.ndarray, pa.Table]] = {}
    for source in sources:
        rows[source] = (
            ids,
            cur.sql(
                "SELECT sample_id, label, x, y, w, h, area, score FROM annotations "
                "WHERE dataset_id = ? AND source = ? AND list_contains(?, sample_id)",
                params=[change.dataset_id, source, change.sample_list],
            ).to_arrow_table(),
        )
    patched = box_index.patched(held, rows)
    if patched is not None:
        written.notes[PATCHED_INDEX] = patched


def _patch_box_index(catalog: Catalog, change: Change, written: Written) -> None:
    patched: box_index.BoxIndex | None = written.notes.get(PATCHED_INDEX)
    after = written.after[0]
    if patched is not None and after is not None:
        box_index.swap_held(catalog, change.dataset_id, written.before[0], patched, after)


def _relabel_columns(catalog: Catalog, change: Change, written: Written) -> None:
    if written.after[0] is not None:
        field_columns.relabel_held(catalog, change.dataset_id, written.before[0], written.after[0])


def _tag_lists(catalog: Catalog, change: Change, written: Written) -> None:
    if change.kind is Kind.TAGS and change.tags is not None:
        ids = np.asarray(change.sample_list, dtype=np.int64)
        tag_lists.patch_held(
            catalog, change.dataset_id, written.before, written.after, ids, change.tags
        )
    elif change.kind is Kind.LABELS:
        tag_lists.relabel_held(catalog, change.dataset_id, written.before, written.after)


_EDITS = frozenset({Kind.LABELS})

register_structure(Structure(BOX_INDEX, _EDITS, _patch_in_write, _patch_box_index))
register_structure(Structure(FIELD_COLUMNS, _EDITS, None, _relabel_columns, after=(BOX_INDEX,)))
register_structure(Structure(TAG_LISTS, _EDITS | {Kind.TAGS}, None, _tag_lists, after=(BOX_INDEX,)))
