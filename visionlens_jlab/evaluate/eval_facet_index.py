"""The ``eval.status`` and ``eval.error`` facets of a filter from an in-memory index.

The eval facets count, per model's latest evaluation, the evaluated boxes of the filtered
samples by status and error type. In SQL that is a join of millions of ``box_evaluations``
rows with the filtered sample ids on every cold request (380 ms at 1M images with one
evaluation). The rows only change with an evaluation, a deleted one, or a write that
changes samples or boxes, so the index keeps, per latest evaluation, the status and error
code of every evaluated box in sample order and counts the boxes of a sample mask with
``bincount``.

**Validity.** An index is labelled with the latest evaluations' keys and creation times
and the box index token of ``facet_parts`` (:mod:`..catalog.facet_index`, renewed by every
write that changes samples or boxes and dropped by every other write that may): a new or
re-run evaluation changes the first, anything else that may touch these rows the second.
It is built in one read transaction, so its rows are never older than its label.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow.compute as pc

from ..catalog.facet_index import INDEX_PART, SampleSet

_KEPT = 2
"""Indexes kept (most recently used last): a few MB each at 1M images."""


@dataclass(frozen=True)
class _Evaluation:
    model: str
    key: str
    counts: np.ndarray  # evaluated boxes per sample (sample order)
    status: np.ndarray  # code per box, boxes in sample order
    status_values: list[str | None]
    error: np.ndarray
    error_values: list[str | None]
    status_totals: np.ndarray  # boxes per status code over the dataset
    error_totals: np.ndarray


@dataclass(frozen=True)
class _EvalIndex:
    samples: SampleSet
    evaluations: list[_Evaluation]


_INDEXES: dict[tuple[Any, ...], _EvalIndex] = {}
_LOCK = threading.Lock()

_LABEL_SQL = """
    SELECT v.model, v.eval_key, CAST(v.created_at AS VARCHAR),
           (SELECT any_value(p.entries) FROM facet_parts p
            WHERE p.dataset_id = v.dataset_id AND p.part = ?)
    FROM evaluations v WHERE v.dataset_id = ? AND v.latest ORDER BY v.model, v.eval_key
"""


def indexed_eval_rows(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, samples_table: str
) -> list[tuple[Any, ...]] | None:
    """The rows of the SQL eval facets (model, key, facet, value, count; in its order) over
    the samples of ``samples_table``, or None when no index can answer (no box index token
    yet, or sample ids the index does not hold)."""
    label = tuple(cur.execute(_LABEL_SQL, [INDEX_PART, dataset_id]).fetchall())
    if not label or label[0][3] is None:
        return None
    key = (dataset_id, label)
    with _LOCK:
        index = _INDEXES.pop(key, None)
        if index is None:
            index = _build(cur, dataset_id, label)
        if index is None:
            return None
        _INDEXES[key] = index
        while len(_INDEXES) > _KEPT:
            _INDEXES.pop(next(iter(_INDEXES)))
    ids = cur.sql(f"SELECT sample_id FROM {samples_table}").fetchnumpy()["sample_id"]  # noqa: S608 - checked identifier
    mask = index.samples.mask_of(np.asarray(ids, dtype=np.int64))
    if mask is None:
        return None
    rows: list[tuple[Any, ...]] = []
    complement = 2 * int(mask.sum()) > len(mask)  # fewer boxes to select: totals minus them
    for ev in index.evaluations:
        boxes = np.repeat(~mask if complement else mask, ev.counts)
        for facet, codes, values, totals in (
            ("eval.status", ev.status, ev.status_values, ev.status_totals),
            ("eval.error", ev.error, ev.error_values, ev.error_totals),
        ):
            found = np.bincount(codes[boxes], minlength=len(values))
            if complement:
                found = totals - found
            counted = [(v, int(n)) for v, n in zip(values, found.tolist(), strict=True) if n]
            counted = [(v, n) for v, n in counted if v is not None]
            # the SQL's order: per model and facet, most frequent first, ties by value
            counted.sort(key=lambda vn: (-vn[1], vn[0]))
            rows += [(ev.model, ev.key, facet, v, n) for v, n in counted]
    rows.sort(key=lambda r: (r[0], r[2]))  # stable: keeps the count order within a facet
    return rows


def _build(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, label: tuple[Any, ...]
) -> _EvalIndex | None:
    """Read the label again and the rows in one snapshot (None if the label moved)."""
    own = cur.cursor()
    try:
        own.execute("BEGIN TRANSACTION")
        if tuple(own.execute(_LABEL_SQL, [INDEX_PART, dataset_id]).fetchall()) != label:
            return None
        ids = own.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id", [dataset_id]
        ).fetchnumpy()["sample_id"]
        samples = SampleSet.of(np.asarray(ids, dtype=np.int64))
        evaluations = []
        for model, key, _, _ in label:
            rows = own.sql(
                "SELECT sample_id, status, error_type FROM box_evaluations "
                "WHERE dataset_id = ? AND eval_key = ? ORDER BY sample_id",
                params=[dataset_id, key],
            ).to_arrow_table()
            box_ids = np.asarray(rows.column("sample_id").to_numpy(), dtype=np.int64)
            pos = samples.positions(np.unique(box_ids))
            if pos is None:
                return None
            counts = np.bincount(samples.positions_unchecked(box_ids), minlength=samples.n)
            counts = counts.astype(np.int32)
            status, status_values = _codes(rows.column("status"))
            error, error_values = _codes(rows.column("error_type"))
            evaluations.append(
                _Evaluation(
                    model,
                    key,
                    counts,
                    status,
                    status_values,
                    error,
                    error_values,
                    np.bincount(status, minlength=len(status_values)),
                    np.bincount(error, minlength=len(error_values)),
                )  # fmt: skip
            )
        return _EvalIndex(samples, evaluations)
    finally:
        own.execute("ROLLBACK")
        own.close()


def _codes(column: Any) -> tuple[np.ndarray, list[str | None]]:
    encoded = pc.dictionary_encode(column.combine_chunks())
    values: list[str | None] = encoded.dictionary.to_pylist()
    codes = encoded.indices.fill_null(len(values)).to_numpy(zero_copy_only=False)
    values.append(None)  # the code of NULL (never counted), present or not
    return codes.astype(np.min_scalar_type(len(values))), values  # 1 byte a box
