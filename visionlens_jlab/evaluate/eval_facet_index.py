"""The ``eval.status`` and ``eval.error`` facets of a filter from an in-memory index.

The eval facets count, per model's latest evaluation, the evaluated boxes of the filtered
samples by status and error type. In SQL that is a join of millions of ``box_evaluations``
rows with the filtered sample ids on every cold request (380 ms at 1M images with one
evaluation). The rows only change with an evaluation, a deleted one, or a write that
changes samples or boxes, so the index keeps, per latest evaluation:

* per status and per error type, how many boxes each sample has with it, as bit levels
  (:class:`~..catalog.base.bit_levels.Levels`): level ``t`` is the packed bit set of the samples with more than ``t``
  such boxes, kept while it holds more than 1/32 of the samples, the samples past the last
  level as positions and their remaining counts. The boxes of a sample mask with a value
  are then ``sum(popcount(bits(mask) & level))`` plus the masked remaining counts: about
  0.5 ms for 5M evaluated boxes at 1M images, where gathering the mask over every box
  cost 5-6 ms and ``np.repeat`` + ``bincount`` 12-29 ms (``profile_eval_index.py``);
* for the ``eval`` label filter (:mod:`.eval_label_mask`), the distinct sample positions
  of the boxes of every (status, error, source, label) combination, and the bit set of
  each (status, error, source) group (:mod:`.eval_matches`).

Memory at 1M images, one evaluation of 5M boxes: 28 MB (20 of them the positions).

The label is read by one statement over the small ``evaluations`` table, once per request
(:mod:`..catalog.store.request_reads`); a facets request passes the box index token it read
(:class:`~..catalog.indexes.filtered_samples.FilteredSamples`), so a request with the mask pays
that statement and the counting, about 1-2 ms.

**Validity.** An index is labelled with the latest evaluations' models, keys and creation
times and the box index token of ``facet_parts`` (:mod:`..catalog.indexes.box_index`, renewed by every
write that changes samples or boxes and dropped by every other write that may): a new or
re-run evaluation changes the first, anything else that may touch these rows the second.
It is built in one read transaction, so its rows are never older than its label. A label
edit patches the held index instead (:func:`patch`, registered with the registry of
derived structures): the edited samples' rows, read in the write (an edit matched them
again, :mod:`.rematch`), replace their counts and matches.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog.base.bit_levels import Levels, PackedMask
from ..catalog.derived import Change, Kind, Structure, Written
from ..catalog.derived.memory_structures import BOX_INDEX
from ..catalog.derived.sql_structures import EVAL_SUMMARIES
from ..catalog.indexes.box_index import SampleSet, box_index
from ..catalog.indexes.box_patches import PatchedLevels
from ..catalog.indexes.filtered_samples import FilteredSamples
from ..catalog.store.catalog import Catalog
from ..catalog.store.request_reads import read_once
from ..catalog.store.token_cache import index_token
from .eval_matches import Matches, build_matches, codes_of

_KEPT = 2
"""Indexes kept (most recently used last): about 28 MB each per 5M evaluated boxes."""


@dataclass(frozen=True)
class Evaluation:
    """One latest evaluation of the index."""

    model: str
    key: str
    status: list[tuple[str, Levels | PatchedLevels]]  # per status value
    error: list[tuple[str, Levels | PatchedLevels]]  # per error type (NULL is never counted)
    matches: Matches


@dataclass(frozen=True)
class EvalIndex:
    """The latest evaluations of one dataset, valid for the rows of ``token``."""

    token: str
    samples: SampleSet
    evaluations: list[Evaluation]

    @property
    def nbytes(self) -> int:
        """Memory held besides the sample ids (the box index's when built with them)."""
        levels = [lv for ev in self.evaluations for _, lv in (*ev.status, *ev.error)]
        matches = sum(ev.matches.nbytes for ev in self.evaluations)
        return matches + sum(lv.nbytes for lv in levels)

    def same_samples(self, samples: SampleSet) -> bool:
        """Whether ``samples`` are this index's (a mask over them is one over these)."""
        own = self.samples
        if samples is own:
            return True
        if samples.n != own.n or samples.dense_base != own.dense_base:
            return False
        return own.dense_base is not None or bool(np.array_equal(samples.ids, own.ids))


_INDEXES: dict[tuple[Any, ...], EvalIndex] = {}
_LOCK = threading.Lock()

_LATEST_SQL = """
    SELECT model, eval_key, CAST(created_at AS VARCHAR)
    FROM evaluations WHERE dataset_id = ? AND latest
"""
"""The dataset's latest evaluations (a small table: one row per evaluation): the label."""


@dataclass(frozen=True)
class Current:
    """The dataset's evaluation index for the rows read now."""

    index: EvalIndex | None
    evaluated: bool = True  # False: the dataset has no evaluation (no eval facet row)


def current(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    token: str | None = None,
    samples: SampleSet | None = None,
) -> Current:
    """The index of the dataset's latest evaluations for the rows ``cur`` reads now, built
    if needed (None without an evaluation or a box index token). ``token``: the box index
    token the caller read in this request (else read here); the index is labelled with it.
    ``samples``: the box index's samples, which a new index shares if they are its own
    (8 MB at 1M images)."""
    label = read_once(cur, ("eval.latest", dataset_id), lambda: _latest(cur, dataset_id))
    if not label:
        return Current(None, evaluated=False)
    if token is None:
        token = index_token(cur, dataset_id)
        if token is None:
            return Current(None)
    key = (dataset_id, label, token)
    with _LOCK:
        index = _INDEXES.pop(key, None)
        if index is None:
            index = _build(cur, dataset_id, label, token, samples)
        if index is None:
            return Current(None)
        _INDEXES[key] = index
        while len(_INDEXES) > _KEPT:
            _INDEXES.pop(next(iter(_INDEXES)))
    return Current(index)


def _latest(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> tuple[Any, ...]:
    """The label: the dataset's latest evaluations, sorted."""
    return tuple(sorted(cur.execute(_LATEST_SQL, [dataset_id]).fetchall()))


def eval_index(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    token: str | None = None,
    samples: SampleSet | None = None,
) -> EvalIndex | None:
    """See :func:`current`."""
    return current(cur, dataset_id, token, samples).index


def warm(catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """The index of the dataset's latest evaluations, built in the background after a
    write (:mod:`..catalog.indexes.index_warmer`), sharing the box index's samples as a request
    does."""
    boxes = box_index(catalog, cur, dataset_id)
    if boxes is not None:
        current(cur, dataset_id, boxes.token, boxes.samples)


_TOUCHED_ROWS = "evaluation rows of the edited samples"
"""The note of :func:`read_touched`: per evaluation key, the edited samples' rows."""


def read_touched(
    catalog: Catalog, cur: duckdb.DuckDBPyConnection, change: Change, written: Written
) -> None:
    """In the edit's transaction, when an index of the rows the write read is held: the
    rows of the edited samples of each of its evaluations as the write commits them (an
    edit matches them again, :mod:`.rematch`; another label write leaves them naming no
    box), for :func:`patch` after the commit."""
    before = written.before[0]
    if before is None or not change.scoped:
        return
    with _LOCK:
        keys = {ev.key for k, index in _INDEXES.items() if k[0] == change.dataset_id
                and k[2] == before for ev in index.evaluations}  # fmt: skip
    sql = _ROWS_SQL + " AND b.sample_id IN (SELECT unnest(?::BIGINT[]))"
    written.notes[_TOUCHED_ROWS] = {
        key: cur.sql(sql, params=[change.dataset_id, key, change.sample_list]).to_arrow_table()
        for key in sorted(keys)
    }


def patch(catalog: Catalog, change: Change, written: Written) -> None:
    """After a committed label edit: the held index of the tokens the write read, its
    edited samples' counts and matches replaced by their rows read in the write
    (:func:`read_touched`), relabelled with the new token. Else nothing: the warmer builds
    it again."""
    before, after = written.before[0], written.after[0]
    touched: dict[str, pa.Table] = written.notes.get(_TOUCHED_ROWS, {})
    if before is None or after is None:
        return
    with _LOCK:
        for key in [k for k in _INDEXES if k[0] == change.dataset_id and k[2] == before]:
            index = _INDEXES.pop(key)
            ids = np.unique(np.asarray(change.sample_list, dtype=np.int64))
            positions = index.samples.positions(ids)
            if positions is None or any(ev.key not in touched for ev in index.evaluations):
                continue
            evaluations = [
                _patched(ev, index.samples, positions.astype(np.int64), touched[ev.key])
                for ev in index.evaluations
            ]
            if all(ev is not None for ev in evaluations):
                _INDEXES[(key[0], key[1], after)] = EvalIndex(
                    after, index.samples, [ev for ev in evaluations if ev is not None]
                )


def _patched(
    ev: Evaluation, samples: SampleSet, positions: np.ndarray, rows: pa.Table
) -> Evaluation | None:
    """``ev`` with the samples at ``positions`` (ascending) given their ``rows`` now."""
    matches = ev.matches.without(positions, None).with_rows(rows, samples)
    at = samples.positions(np.asarray(rows.column("sample_id").to_numpy(), dtype=np.int64))
    if matches is None or at is None:
        return None
    row_of = np.searchsorted(positions, at)
    levels = []
    for column, held in (("status", ev.status), ("error_type", ev.error)):
        texts = rows.column(column)
        by_value = dict(held)
        seen = {t for t in pc.unique(texts).to_pylist() if t is not None}
        out = []
        for value in [*by_value, *sorted(seen - set(by_value))]:
            hit = pc.fill_null(pc.equal(texts, value), False).to_numpy(zero_copy_only=False)
            now = np.bincount(row_of[hit], minlength=len(positions)).astype(np.int64)
            base = by_value.get(value) or Levels.of(np.zeros(samples.n, dtype=np.int64))
            out.append((value, PatchedLevels.of(base, positions, now, samples.n)))
        levels.append(out)
    return Evaluation(ev.model, ev.key, levels[0], levels[1], matches)


EVALUATION_INDEX = Structure(
    "evaluation index",
    frozenset({Kind.LABELS}),
    read_touched,
    patch,
    after=(BOX_INDEX, EVAL_SUMMARIES),
)
"""The evaluation index in the registry of derived structures (declared in the evaluation's
manifest, :mod:`.manifest`): patched after a label edit, else left to the warmer (:func:`warm`)."""


def indexed_eval_rows(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    samples_table: str,
    filtered: FilteredSamples | None = None,
) -> list[tuple[Any, ...]] | None:
    """The rows of the SQL eval facets (model, key, facet, value, count; in its order) over
    the samples of ``samples_table`` (or of ``filtered``'s mask, when it is over the index's
    samples and token), or None when no index can answer (no box index token yet, or
    sample ids the index does not hold)."""
    index = None
    if filtered is not None:
        held = current(cur, dataset_id, filtered.token, filtered.samples)
        if not held.evaluated:
            return []
        index = held.index
    if index is not None and filtered is not None and index.same_samples(filtered.samples):
        mask = filtered.mask
    else:  # the mask is not over the rows read now: the table's ids
        index = eval_index(cur, dataset_id)
        if index is None:
            return None
        if filtered is not None:
            filtered.register(cur, samples_table)
        ids = cur.sql(f"SELECT sample_id FROM {samples_table}").fetchnumpy()["sample_id"]  # noqa: S608 - checked identifier
        found = index.samples.mask_of(np.asarray(ids, dtype=np.int64))
        if found is None:
            return None
        mask = found
    bits = PackedMask.of(mask)
    rows: list[tuple[Any, ...]] = []
    for ev in index.evaluations:
        for facet, levels in (("eval.status", ev.status), ("eval.error", ev.error)):
            counted = [(v, lv.total(bits)) for v, lv in levels]
            # the SQL's order: per model and facet, most frequent first, ties by value
            counted = sorted(((v, n) for v, n in counted if n), key=lambda vn: (-vn[1], vn[0]))
            rows += [(ev.model, ev.key, facet, v, n) for v, n in counted]
    rows.sort(key=lambda r: (r[0], r[2]))  # stable: keeps the count order within a facet
    return rows


_ROWS_SQL = """
    SELECT b.sample_id, b.status, b.error_type, a.sample_id AS box_sample, a.source, a.label
    FROM box_evaluations b
    LEFT JOIN annotations a ON a.ann_id = b.ann_id AND a.dataset_id = b.dataset_id
    WHERE b.dataset_id = ? AND b.eval_key = ?
"""
"""An evaluation's box rows with the box each names now (NULL: gone), as the ``eval``
label filter's ``a.ann_id IN (SELECT e.ann_id ...)`` sees them."""


def _build(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    label: tuple[Any, ...],
    token: str,
    shared: SampleSet | None,
) -> EvalIndex | None:
    """Read the label again and the rows in one snapshot (None if the label moved)."""
    own = cur.cursor()
    try:
        own.execute("BEGIN TRANSACTION")
        now = _latest(own, dataset_id)
        if now != label or index_token(own, dataset_id) != token:
            return None
        ids = own.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id", [dataset_id]
        ).fetchnumpy()["sample_id"]
        samples = SampleSet.of(np.asarray(ids, dtype=np.int64))
        if shared is not None and np.array_equal(shared.ids, samples.ids):
            samples = shared
        evaluations = []
        for model, key, _ in label:
            rows = own.sql(_ROWS_SQL, params=[dataset_id, key]).to_arrow_table()
            built = _evaluation(model, key, rows, samples)
            if built is None:
                return None
            evaluations.append(built)
        return EvalIndex(token, samples, evaluations)
    finally:
        own.execute("ROLLBACK")
        own.close()


def _evaluation(model: str, key: str, rows: pa.Table, samples: SampleSet) -> Evaluation | None:
    pos = samples.positions(np.asarray(rows.column("sample_id").to_numpy(), dtype=np.int64))
    if pos is None:
        return None
    status, status_values = codes_of(rows.column("status"))
    error, error_values = codes_of(rows.column("error_type"))
    levels: list[list[tuple[str, Levels | PatchedLevels]]] = []
    for codes, values in ((status, status_values), (error, error_values)):
        levels.append(
            [
                (v, Levels.of(np.bincount(pos[codes == c], minlength=samples.n)))
                for c, v in enumerate(values)
                if v is not None and np.any(codes == c)
            ]
        )
    matches = build_matches(rows, status, status_values, error, error_values, samples)
    if matches is None:
        return None
    return Evaluation(model, key, levels[0], levels[1], matches)
