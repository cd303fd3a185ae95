"""A dataset's tag lists held in memory across tag writes: the tags facet over a mask and
the ``tags`` conditions of the filter's mask.

A tag write is the most frequent write of all, and until now every one made the next
filtered facets request read every non-empty tag list of the dataset again (7-14 ms at 1M
images with 1 in 7 tagged). Here the lists are held per dataset as one entry per (sample,
tag): the sample's position in the box index's samples and the tag's code. The tags facet
over a mask is one gather and one ``bincount`` (about 0.3 ms for 143K entries); an
``any`` / ``all`` condition is a scan of the codes. The entries are kept whatever the
number of distinct tags (one bool mask per tag would cost 1 MB per tag at 1M samples).

**Validity.** The held lists are labelled with the pair of tokens of ``facet_parts``
(:mod:`.token_cache`): the box index token (their positions are over that index's
samples; renewed or dropped by every write that may change samples) and the tags token,
which the tag writer (:func:`..writes.sample_tags.update_tags`, the only writer of ``samples.tags``
for an existing dataset; an ingest writes a new dataset under a new index token) renews
in its transaction. A request uses the held lists only when that pair is exactly the pair
its own statement read (:func:`.token_cache.row_tokens`, once per request): the lists are
then exactly those of that statement's snapshot, the snapshot its box index is used
under, never older. Otherwise they are read again, with both tokens, in one read
transaction, and used only if that read's tokens are the request's (else the caller
falls back to SQL). After its commit, the tag writer patches the held lists with exactly
the rows it changed (``UPDATE ... RETURNING``), relabelled with its new token, but only
if they carried the label it read inside its transaction (otherwise they are dropped): so
the next request finds them current without a read, and a lost race only costs a read.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..sql.facet_sql import MAX_CATEGORICAL_VALUES
from ..store.catalog import Catalog
from ..store.token_cache import row_tokens
from .box_index import SampleSet

Label = tuple[str | None, str | None]
"""(box index token, tags token) of the rows the lists are of."""

_KEPT = 4
"""Datasets whose lists are held per catalog (8 bytes + 4 per tag assignment)."""


@dataclass(frozen=True)
class TagLists:
    """The tag lists of a dataset's samples, one entry per (sample, tag) as stored (a
    repeated tag is repeated, as ``unnest`` counts it)."""

    label: Label
    samples: SampleSet
    positions: np.ndarray  # int64: position (in ``samples``) of each entry's sample
    codes: np.ndarray  # int32: each entry's tag, an index into ``values``
    values: tuple[str | None, ...]

    @staticmethod
    def of(
        label: Label, samples: SampleSet, ids: np.ndarray, lists: pa.Array | pa.ChunkedArray
    ) -> TagLists | None:
        """The lists of the samples ``ids`` (``lists``: their tag lists); None if a sample
        is not in ``samples``."""
        empty = TagLists(label, samples, np.zeros(0, np.int64), np.zeros(0, np.int32), ())
        return empty.patched(label, ids, lists)

    def patched(
        self, label: Label, ids: np.ndarray, lists: pa.Array | pa.ChunkedArray
    ) -> TagLists | None:
        """These lists with the samples ``ids`` given the lists ``lists`` (all their tags,
        as stored now), labelled ``label``; None if a sample is not in ``samples``."""
        pos = self.samples.positions(np.asarray(ids, dtype=np.int64))
        if pos is None:
            return None
        changed = np.zeros(self.samples.n, dtype=bool)
        changed[pos] = True
        kept = ~changed[self.positions]
        if isinstance(lists, pa.ChunkedArray):
            lists = lists.combine_chunks()
        parents = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)
        encoded = pc.dictionary_encode(pc.list_flatten(lists), null_encoding="encode")
        values = list(self.values)
        code_of = {v: c for c, v in enumerate(values)}
        for tag in encoded.dictionary.to_pylist():  # the distinct tags written: few
            if tag not in code_of:
                code_of[tag] = len(values)
                values.append(tag)
        recode = np.array([code_of[t] for t in encoded.dictionary.to_pylist()], dtype=np.int32)
        new_codes = recode[np.asarray(encoded.indices.to_numpy(), dtype=np.int64)]
        return TagLists(
            label,
            self.samples,
            np.concatenate([self.positions[kept], pos[parents]]),
            np.concatenate([self.codes[kept], new_codes]),
            tuple(values),
        )

    def entry(self, mask: np.ndarray) -> dict[str, Any]:
        """The tags facet over the samples of ``mask``, as the SQL orders it."""
        counts = np.bincount(self.codes[mask[self.positions]], minlength=len(self.values))
        found = [(int(c), v) for v, c in zip(self.values, counts, strict=True) if c]
        # the SQL's order: most frequent first, ties by value, NULL last
        found.sort(key=lambda cv: (-cv[0], cv[1] is None, cv[1] or ""))
        values = [{"value": v, "count": c} for c, v in found[:MAX_CATEGORICAL_VALUES]]
        return {"name": "tags", "type": "categorical", "values": values}

    def mask(self, ops: Sequence[tuple[str, Sequence[str]]], n: int) -> np.ndarray | None:
        """The samples meeting the parsed ``tags`` operators ``ops`` (``Tags.ops``): ``any``
        and ``all`` of non-empty lists, ANDed (a sample without a tag meets neither, as in
        SQL); None for ``none`` or an empty ``all`` (they hold for untagged samples too)."""
        mask = np.ones(n, dtype=bool)
        for op, wanted in ops:
            if op == "any":
                mask &= self._having(wanted, n)
            elif op == "all" and wanted:
                for tag in wanted:
                    mask &= self._having([tag], n)
            else:
                return None
        return mask

    def _having(self, wanted: Sequence[str], n: int) -> np.ndarray:
        """The samples with one of ``wanted`` in their list."""
        out = np.zeros(n, dtype=bool)
        codes = [c for c, v in enumerate(self.values) if v is not None and v in set(wanted)]
        if codes:
            out[self.positions[np.isin(self.codes, codes)]] = True
        return out


_HELD: weakref.WeakKeyDictionary[Catalog, dict[int, TagLists]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def tag_lists(
    catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset_id: int, samples: SampleSet
) -> TagLists | None:
    """The dataset's tag lists as the request's statement on ``cur`` read its tokens
    (:func:`.token_cache.row_tokens`), over ``samples`` (the box index's, of that index
    token): the held ones when their label is that, else read; None when a write moved
    the tokens since the request read them (see the module)."""
    label = row_tokens(cur, dataset_id)
    with _LOCK:
        held = _HELD.get(catalog, {}).get(dataset_id)
    # the same index token: the same samples, whichever SampleSet object holds them
    if held is not None and held.label == label and held.samples.n == samples.n:
        return held
    read = _read(catalog, dataset_id, samples)
    if read is None:
        return None
    with _LOCK:  # held under the label it was read with, current or not for this request
        found = _HELD.setdefault(catalog, {})
        found.pop(dataset_id, None)
        found[dataset_id] = read
        while len(found) > _KEPT:
            found.pop(next(iter(found)))
    return read if read.label == label else None


def _read(catalog: Catalog, dataset_id: int, samples: SampleSet) -> TagLists | None:
    """The tokens and the non-empty lists in one read transaction."""
    with catalog.cursor() as cur:
        cur.execute("BEGIN TRANSACTION")
        try:
            label = row_tokens(cur, dataset_id)
            table = cur.sql(
                "SELECT sample_id, tags FROM samples WHERE dataset_id = ? AND len(tags) > 0",
                params=[dataset_id],
            ).to_arrow_table()
        finally:
            cur.execute("ROLLBACK")
    ids = np.asarray(table.column("sample_id").to_numpy(), dtype=np.int64)
    return TagLists.of(label, samples, ids, table.column("tags"))


def patch_held(
    catalog: Catalog,
    dataset_id: int,
    before: Label,
    after: Label,
    ids: np.ndarray,
    lists: pa.Array | pa.ChunkedArray,
) -> None:
    """After a committed tag write that moved the tokens from ``before`` to ``after`` (as
    read and written in its transaction) and gave the samples ``ids`` the lists
    ``lists``: patch the held lists if they are ``before``'s, keep them if they are
    ``after``'s already (a request read them between the commit and this call), else drop
    them."""
    with _LOCK:
        found = _HELD.get(catalog, {})
        held = found.get(dataset_id)
        if held is None or held.label == after:
            return
        del found[dataset_id]
        if held.label == before:
            patched = held.patched(after, ids, lists)
            if patched is not None:
                found[dataset_id] = patched


def relabel_held(catalog: Catalog, dataset_id: int, before: Label, after: Label) -> None:
    """After a committed write that moved the tokens from ``before`` to ``after`` and
    changed no tag nor sample (a label edit): held lists of ``before`` are ``after``'s."""
    with _LOCK:
        found = _HELD.get(catalog, {})
        held = found.get(dataset_id)
        if held is not None and held.label == before:
            found[dataset_id] = TagLists(
                after, held.samples, held.positions, held.codes, held.values
            )
