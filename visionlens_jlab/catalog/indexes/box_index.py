"""An in-memory index of a dataset's boxes for filtered facets, kept across writes that do
not change boxes.

A filtered facets request used to scan the filtered samples' boxes in DuckDB: per source a
join of the filtered sample ids with millions of box rows, most of its cold time at 1M
images (about 250 ms per source, see docs/architecture.md "Browsing at 1M"). Boxes change
far less often than the answers cache is dropped (every tag write drops it), so this module
keeps, per dataset, what answers the split, width, height, label, box count and score
facets of any sample mask (packed once per request, :class:`~.bit_levels.PackedMask`;
the entries are built in :mod:`.facet_index`) without reading every box:

* per source, each sample's boxes of every label and its number of boxes as bit levels
  (:mod:`.bit_levels`): a count is a popcount per level plus a short gather;
* the split of every sample the same way (one bit set per split);
* scores (per model), widths and heights sorted by value with cuts of bit levels
  (:class:`~.mask_counts.BinnedValues`), binned with the exact arithmetic of
  :mod:`.facet_sql` (the range of the selected values, ``FLOOR((x - lo) / width)``,
  capped at the last bin, in float64 as DuckDB's DOUBLE), so the histograms are the same
  numbers.

**Validity.** The index is labelled with a token stored in ``facet_parts`` (part
``index``): :func:`~.facet_parts.write_parts`, which every writer that changes samples or
boxes while keeping the derived tables calls, stores a new token; every other write
deletes the derived rows, the token with them. A request reads the token with its own
statements and uses the index only if it carries that token; a missing token is created
(in a derived-rows write, no answer changes) and the index built in one read transaction,
so an index never holds rows older than its token. Sample ids the index does not know (a
write between the token and the filter's statement) send the request to the SQL path.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..base.bit_levels import CodeCounts, Levels
from ..base.mask_counts import BinnedValues, SortedValues
from ..sql.facet_sql import FACET_HISTOGRAM_BINS
from ..store.catalog import Catalog
from ..store.schema import GROUND_TRUTH
from ..store.token_cache import TokenCache, token_snapshot
from .box_patches import PatchedCodes, PatchedLevels, patch_sorted
from .index_warmer import register_warmer

_KEPT_DATASETS = 2
"""Indexes kept per catalog (most recently used first): about 80 MB each at 1M images."""


@dataclass(frozen=True)
class SourceBoxes:
    """The boxes of one source (ground truth or a model) in a :class:`BoxIndex`."""

    vocab: list[str | None]  # label per code
    labels: CodeCounts | PatchedCodes  # per label code, each sample's boxes with it
    box_counts: Levels | PatchedLevels  # each sample's boxes of the source
    scores: BinnedValues | None  # the boxes by score; None for ground truth
    fields: dict[str, SortedValues]  # numeric box fields, built on a first range filter


@dataclass(frozen=True)
class SampleSet:
    """A dataset's sample ids (ascending) and the position of an id among them."""

    ids: np.ndarray  # int64, ascending
    dense_base: int | None  # ids == dense_base + arange(n), when they are

    @staticmethod
    def of(ids: np.ndarray) -> SampleSet:
        """The set of ``ids`` (int64, ascending)."""
        dense = len(ids) > 0 and int(ids[-1]) - int(ids[0]) + 1 == len(ids)
        return SampleSet(ids, int(ids[0]) if dense else None)

    @property
    def n(self) -> int:
        """How many samples."""
        return len(self.ids)

    def positions_unchecked(self, ids: np.ndarray) -> np.ndarray:
        """The positions of ids known to be members."""
        if self.dense_base is not None:
            return ids - self.dense_base
        return np.searchsorted(self.ids, ids)

    def positions(self, ids: np.ndarray) -> np.ndarray | None:
        """The positions of ``ids``, or None if one of them is not a member."""
        pos = self.positions_unchecked(ids)
        if not len(pos):
            return pos
        if int(pos.min()) < 0 or int(pos.max()) >= self.n:
            return None
        if self.dense_base is None and not np.array_equal(self.ids[pos], ids):
            return None
        return pos

    def members(self, ids: np.ndarray) -> np.ndarray:
        """The elements of ``ids`` that are members, in their order."""
        if self.dense_base is not None:
            return ids[(ids >= self.dense_base) & (ids < self.dense_base + self.n)]
        pos = np.minimum(np.searchsorted(self.ids, ids), max(self.n - 1, 0))
        return ids[self.ids[pos] == ids] if self.n else ids[:0]

    def mask_of(self, ids: np.ndarray) -> np.ndarray | None:
        """A boolean mask over the samples of ``ids`` (distinct), or None if one of them
        is not a member."""
        pos = self.positions(ids)
        if pos is None:
            return None
        mask = np.zeros(self.n, dtype=bool)
        mask[pos] = True
        return mask


@dataclass(frozen=True)
class BoxIndex:
    """One dataset's boxes as arrays, valid for the rows of ``token``."""

    token: str
    samples: SampleSet
    split: CodeCounts  # per split code, its samples
    split_values: list[str | None]
    width: BinnedValues
    height: BinnedValues
    sources: dict[str, SourceBoxes]

    def mask_of(self, ids: np.ndarray) -> np.ndarray | None:
        """See :meth:`SampleSet.mask_of`."""
        return self.samples.mask_of(ids)


_INDEXES: TokenCache[BoxIndex] = TokenCache(_KEPT_DATASETS, lambda index: index.token)


def box_index(catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset_id: int) -> BoxIndex | None:
    """The dataset's box index for the rows ``cur`` reads now, built if needed; None for a
    read-only catalog without a token (nothing can label an index there)."""
    return _INDEXES.get(catalog, cur, dataset_id, _build)


def held_datasets(catalog: Catalog) -> set[int]:
    """The datasets whose box index is in memory (the ones the warmer rebuilds)."""
    return _INDEXES.datasets(catalog)


def held_index(catalog: Catalog, dataset_id: int) -> BoxIndex | None:
    """The box index held for a dataset, current or not."""
    return _INDEXES.held(catalog, dataset_id)


def patched(index: BoxIndex, rows: dict[str, tuple[np.ndarray, pa.Table]]) -> BoxIndex | None:
    """``index`` after a label edit (per source: the edited sample ids and their boxes
    now, see :func:`patched_index`), still labelled with its token; None when it cannot be
    patched."""
    for source, (ids, table) in rows.items():
        found = patched_index(index, index.token, source, ids, table)
        if found is None:
            return None
        index = found
    return index


def swap_held(
    catalog: Catalog, dataset_id: int, before: str | None, index: BoxIndex, after: str
) -> bool:
    """After the committed label edit that moved the token from ``before`` to ``after``:
    hold ``index`` (:func:`patched` from the index of ``before``) under ``after`` in place
    of the index of ``before``; True when it is held."""
    return _INDEXES.swap(catalog, dataset_id, before, lambda _: replace(index, token=after))


register_warmer(box_index, held_datasets)


def _build(catalog: Catalog, dataset_id: int) -> BoxIndex | None:
    """Read the token and the dataset's samples and boxes in one snapshot (one source's
    boxes at a time: the peak memory of a build is one source's rows, not all)."""
    with token_snapshot(catalog, dataset_id) as (cur, token):
        if token is None:
            return None
        columns = cur.sql(
            "SELECT sample_id, split, width, height FROM samples WHERE dataset_id = ? "
            "ORDER BY sample_id",
            params=[dataset_id],
        ).to_arrow_table()
        samples = SampleSet.of(np.asarray(columns.column("sample_id"), dtype=np.int64))
        every = np.arange(samples.n, dtype=np.int32)
        split, split_values = _codes(columns.column("split"))
        width, height = (
            BinnedValues.of(
                SortedValues.of(_floats(columns.column(name)), every),
                samples.n,
                FACET_HISTOGRAM_BINS,
            )
            for name in ("width", "height")
        )
        index = BoxIndex(
            token, samples, CodeCounts.of(split, every, len(split_values), samples.n),
            split_values, width, height, {},
        )  # fmt: skip
        del columns
        names = cur.execute(
            "SELECT DISTINCT source FROM annotations WHERE dataset_id = ? ORDER BY source",
            [dataset_id],
        ).fetchall()
        for (source,) in names:
            built = _source(cur, dataset_id, source, samples)
            if built is None:  # boxes of samples the snapshot does not hold: not expected
                return None
            index.sources[source] = built
    return index


def _source(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, source: str, samples: SampleSet
) -> SourceBoxes | None:
    rows = cur.sql(
        "SELECT sample_id, label, score FROM annotations WHERE dataset_id = ? AND source = ?",
        params=[dataset_id, source],
    ).to_arrow_table()
    pos = samples.positions(np.asarray(rows.column("sample_id"), dtype=np.int64))
    if pos is None:
        return None
    pos = pos.astype(np.int32)  # 4 bytes a box
    labels, vocab = _codes(rows.column("label"))
    scores = None
    if source != GROUND_TRUTH:
        scores = BinnedValues.of(
            SortedValues.of(_floats(rows.column("score")), pos), samples.n, FACET_HISTOGRAM_BINS
        )
    return SourceBoxes(
        vocab, CodeCounts.of(labels, pos, len(vocab), samples.n), Levels.of_rows(pos, samples.n),
        scores, {},
    )  # fmt: skip


def patched_index(
    index: BoxIndex, token: str, source: str, ids: np.ndarray, rows: pa.Table
) -> BoxIndex | None:
    """``index`` relabelled ``token`` after the boxes of ``source`` on the samples ``ids``
    were replaced by ``rows`` (their ``sample_id``, ``label`` and numeric box columns, as
    committed under ``token``): the source's counts patched (:mod:`.box_patches`), its
    sorted box columns merged, everything else shared. None when it cannot be patched: a
    sample it does not know, a model's source (its score histogram index is not patched: a
    model's predictions are replaced whole, by an import)."""
    if source != GROUND_TRUTH:
        return None
    src = index.sources.get(source)
    positions = index.samples.positions(np.unique(ids.astype(np.int64)))
    at = index.samples.positions(np.asarray(rows.column("sample_id"), dtype=np.int64))
    if positions is None or at is None:
        return None
    vocab: list[str | None] = list(src.vocab) if src is not None else [None]
    code_of = {v: c for c, v in enumerate(vocab)}
    for label in rows.column("label").to_pylist():
        if label not in code_of:
            code_of[label] = len(vocab)
            vocab.append(label)
    codes = np.array([code_of[v] for v in rows.column("label").to_pylist()], dtype=np.int64)
    row_of = np.searchsorted(positions, at)
    per_code = np.zeros((len(positions), len(vocab)), dtype=np.int64)
    np.add.at(per_code, (row_of, codes), 1)
    if src is None:  # no box of the source before: its boxes are these
        empty = np.zeros(0, np.int32)
        base = SourceBoxes([None], CodeCounts.of(empty, empty, 1, index.samples.n),
                       Levels.of_rows(empty, index.samples.n), None, {})  # fmt: skip
    else:
        base = src
    labels = PatchedCodes.of(base.labels, positions, per_code, index.samples.n)
    box_counts = PatchedLevels.of(base.box_counts, positions, per_code.sum(axis=1),
                                  index.samples.n)  # fmt: skip
    fields = {
        name: patch_sorted(held, positions, _floats(rows.column(name)), at)
        for name, held in base.fields.items()
    }
    sources = dict(index.sources)
    sources[source] = SourceBoxes(vocab, labels, box_counts, None, fields)
    return BoxIndex(
        token, index.samples, index.split, index.split_values, index.width, index.height, sources
    )


def box_field(
    catalog: Catalog, index: BoxIndex, dataset_id: int, source: str, field: str
) -> SortedValues | None:
    """The boxes of ``source`` sorted by the numeric column ``field`` (``x``, ``y``, ``w``,
    ``h``, ``area`` or ``score``), read on first use and kept with the index; None when the
    rows moved on since the index's token (or the source has no box)."""
    if field not in _BOX_FIELDS:
        raise ValueError(f"not a numeric box column: {field!r}")
    src = index.sources.get(source)
    if src is None:
        return None
    if field == "score" and src.scores is not None:
        return src.scores.rows
    found = src.fields.get(field)
    if found is not None:
        return found
    with token_snapshot(catalog, dataset_id) as (cur, token):
        if token != index.token:
            return None
        rows = cur.sql(
            f"SELECT sample_id, {field} AS v FROM annotations "  # noqa: S608 - a checked column name
            "WHERE dataset_id = ? AND source = ?",
            params=[dataset_id, source],
        ).to_arrow_table()
    pos = index.samples.positions(np.asarray(rows.column("sample_id"), dtype=np.int64))
    if pos is None:
        return None
    found = SortedValues.of(_floats(rows.column("v")), pos.astype(np.int32))
    src.fields[field] = found  # one value per key: a concurrent build stores the same rows
    return found


_BOX_FIELDS = ("x", "y", "w", "h", "area", "score")


def _codes(column: Any) -> tuple[np.ndarray, list[str | None]]:
    """Codes of a text column and the value of each code (NULL's code is the last)."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    values: list[str | None] = encoded.dictionary.to_pylist()
    codes = encoded.indices.fill_null(len(values)).to_numpy(zero_copy_only=False)
    values.append(None)
    return codes.astype(np.min_scalar_type(len(values))), values  # memory: 1-2 bytes a box


def _floats(column: Any) -> np.ndarray:
    """A numeric column as float64 (DuckDB's DOUBLE arithmetic), NaN for NULL."""
    values = column.combine_chunks().cast(pa.float64())
    return np.asarray(values.fill_null(np.nan).to_numpy(zero_copy_only=False))
