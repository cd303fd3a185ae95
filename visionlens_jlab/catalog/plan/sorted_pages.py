"""Sorted samples pages from a sort order held in memory and the filter's sample mask.

A page sorted by anything but the sample id went through one statement that sorts every
filtered sample (``queries._filtered_page``): at 1M images 100-1000 ms per page, at every
offset and after every write (a box count or a box field's maximum is a subquery per
sample; ``fields.<key>`` reads the JSON). The grid asks for a page at each scroll stop.

Here the *order* of the whole dataset under one sort is computed once, by that same SQL
(``ORDER BY key {direction} NULLS LAST, sample_id ASC`` over every sample, so ties, NULLs,
JSON texts and numbers sort exactly as on the SQL path), and kept as sample positions of
the box index (:mod:`..indexes.box_index`): 4 bytes per sample. A page of a filter is then the
filter's mask (:mod:`.filter_masks`, the facets' exact mask) gathered in that order, chunk
by chunk until ``offset + limit`` samples are found: a few milliseconds at 1M, at any
offset. Filtering never changes the relative order of the samples it keeps, so the page
is the SQL's page. A filtered page by sample id is the same walk over the index's own
positions (ascending ids): no order to hold, and no statement over the filtered samples
(a two-bound box range, a class or a registered backend's condition is a mask in memory).

**Validity.** An order is labelled with the box index token (``facet_parts`` part
``index``) read in the snapshot it was sorted in, and used only while a request's own read
of the token is the same. The token is renewed or dropped by every write that may change
a sample column, a ``fields`` value or a box; tag writes keep it, and tags are not a sort
key. Keys whose values other writes change without touching the token (registered
prefixes such as ``computed.``) are not held: they keep the SQL path; a prefixed field of
the samples and boxes alone (every ``video_<name>``) is registered as held. The server's
:class:`~.index_warmer.IndexWarmer` sorts the held orders again after a write.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import duckdb
import numpy as np

from ..indexes.box_index import BoxIndex, box_index
from ..indexes.field_columns import field_columns
from ..indexes.index_warmer import register_warmer
from ..indexes.tag_lists import tag_lists
from ..query.filter_model import Filter
from ..query.filters import Params
from ..query.sample_sort import SampleSort, sort_key_sql
from ..store.catalog import Catalog
from ..store.token_cache import token_snapshot
from .filter_masks import filtered_mask

KEPT_ORDERS = 8
"""Orders held per catalog (4 MB each at 1M samples), least recently used dropped."""

_CHUNK = 1 << 16
"""Positions gathered at a time while looking for a page: most pages need one chunk."""


@dataclass(frozen=True)
class SortOrder:
    """Every sample's position in the box index, in one sort's order."""

    token: str
    positions: np.ndarray  # int32, into the box index's SampleSet


class _Orders:
    """Per catalog, the held orders by (dataset, typed sort: its direction included), least
    recently used first; one sort runs at a time per catalog."""

    def __init__(self) -> None:
        self._held: weakref.WeakKeyDictionary[
            Catalog, OrderedDict[tuple[int, SampleSort], SortOrder]
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(
        self, catalog: Catalog, boxes: BoxIndex, dataset_id: int, sort: SampleSort
    ) -> SortOrder | None:
        """The order of ``sort`` for ``boxes``' token, sorted now if not held."""
        key = (dataset_id, sort)
        with self._lock:
            held = self._held.setdefault(catalog, OrderedDict())
            found = held.get(key)
            if found is None or found.token != boxes.token:
                found = _sorted(catalog, boxes, dataset_id, sort)
                if found is None:
                    return None
            held[key] = found
            held.move_to_end(key)
            while len(held) > KEPT_ORDERS:
                held.popitem(last=False)
            return found

    def held_keys(self, catalog: Catalog, dataset_id: int) -> list[SampleSort]:
        """The sorts of the orders held for a dataset."""
        with self._lock:
            return [s for ds, s in self._held.get(catalog, {}) if ds == dataset_id]


_ORDERS = _Orders()


def _sorted(
    catalog: Catalog, boxes: BoxIndex, dataset_id: int, sort: SampleSort
) -> SortOrder | None:
    """Sort the dataset's samples in one snapshot; None unless its token is ``boxes``'."""
    params = Params()
    key = sort_key_sql(sort, params)
    with token_snapshot(catalog, dataset_id) as (cur, token):
        if token != boxes.token:
            return None
        ids = cur.execute(
            f"SELECT s.sample_id FROM samples s WHERE s.dataset_id = ? "  # noqa: S608 - compiled key, values bound
            f"ORDER BY {key} {sort.direction} NULLS LAST, s.sample_id ASC",
            [dataset_id, *params.values],
        ).fetchnumpy()["sample_id"]
    positions = boxes.samples.positions(np.asarray(ids, dtype=np.int64))
    if positions is None or len(positions) != boxes.samples.n:
        return None
    return SortOrder(token, positions.astype(np.int32))


def sorted_page(
    catalog: Catalog,
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    flt: Filter,
    sort: SampleSort,
    offset: int,
    limit: int,
) -> tuple[int, list[int]] | None:
    """The ``MASK`` route of a page plan (:func:`.planner.plan_page`): (exact total, the
    page's sample ids in order) of a parsed filter sorted by a held sort
    (:attr:`~..query.sample_sort.SampleSort.held`) or the sample id, either direction,
    or None when the index cannot answer (a read-only catalog without a token, a write
    during the sort or since the token was read)."""
    boxes = box_index(catalog, cur, dataset_id)
    if boxes is None:
        return None
    order = None  # the sample id's order: the index's positions themselves
    if sort.held:
        order = _ORDERS.get(catalog, boxes, dataset_id, sort)
        if order is None:
            return None
    if not flt.active:  # every sample
        if order is None:
            return None  # a range of ids (summary_pages), no index needed
        page = order.positions[offset : offset + limit]
        return boxes.samples.n, boxes.samples.ids[page].tolist()
    field_cols = field_columns(catalog, cur, dataset_id) if flt.sample else None
    if field_cols is not None and field_cols.token != boxes.token:
        field_cols = None
    # held across tag writes (tag_lists.py); None after a write since this read's tokens
    tags = tag_lists(catalog, cur, dataset_id, boxes.samples) if flt.tags else None
    mask = filtered_mask(catalog, cur, dataset_id, flt, boxes, field_cols, tags)
    if mask is None:
        return None
    if order is None:
        page = _page_positions(None, mask, offset, limit, reverse=sort.direction == "DESC")
    else:
        page = _page_positions(order.positions, mask, offset, limit)
    return int(np.count_nonzero(mask)), boxes.samples.ids[page].tolist()


def _page_positions(
    order: np.ndarray | None, mask: np.ndarray, offset: int, limit: int, reverse: bool = False
) -> np.ndarray:
    """The positions of the ``offset``-th to ``offset + limit``-th samples of ``mask`` in
    ``order`` (None: position order, from the last one when ``reverse``): a chunk at a
    time, whole chunks skipped by their count."""
    found: list[np.ndarray] = []
    wanted, skip = limit, offset
    starts = range(0, len(mask), _CHUNK)
    for start in reversed(starts) if reverse else starts:
        if wanted <= 0:
            break
        if order is None:
            kept = mask[start : start + _CHUNK]
            n = int(np.count_nonzero(kept))
            if n <= skip:
                skip -= n
                continue
            hits = np.flatnonzero(kept) + start
            if reverse:
                hits = hits[::-1]
        else:
            chunk = order[start : start + _CHUNK]
            kept = np.take(mask, chunk)
            n = int(np.count_nonzero(kept))
            if n <= skip:
                skip -= n
                continue
            hits = chunk[kept]
        hits = hits[skip : skip + wanted]
        skip = 0
        found.append(hits)
        wanted -= len(hits)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _warm(catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Sort the dataset's held orders again after a write (:mod:`.index_warmer`)."""
    keys = _ORDERS.held_keys(catalog, dataset_id)
    boxes = box_index(catalog, cur, dataset_id) if keys else None
    if boxes is not None:
        for sort in keys:
            _ORDERS.get(catalog, boxes, dataset_id, sort)


register_warmer(_warm)
