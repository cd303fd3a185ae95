"""The image-level labels of samples as the edit log changes them: read, checked, written.

A sample's labels of one source are its ``classifications`` rows of that source, read and
written whole (:data:`~..tables.classification_log.CLASSIFICATION_ROW` each, in label
order): the edit engine (:mod:`visionlens_jlab.edits`) reads them before a batch, checks
them again in its transaction (another writer may have changed them) and writes a change
(:data:`~..tables.classification_log.CLASSIFICATION_CHANGES`) with
:func:`write_classifications`, which refreshes what is derived from them (the label facets).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb
import pyarrow as pa

from ..derived import Change, Kind, apply_change
from ..store.catalog import Catalog

Rows = list[dict[str, Any]]
"""A sample's rows of one source: ``{label, score, scores}`` each, in label order."""


def read_classifications(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, keys: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], Rows]:
    """The rows now of each ``(sample_id, source)`` of ``keys`` ([] for one without)."""
    wanted = sorted(set(keys))
    table = pa.table(
        {
            "sample_id": pa.array([k[0] for k in wanted], pa.int64()),
            "source": pa.array([k[1] for k in wanted], pa.string()),
        }
    )
    cur.register("_vl_class_keys", table)
    try:
        found = cur.execute(
            """
            SELECT c.sample_id, c.source, list(struct_pack(label := c.label, score := c.score,
                   scores := CAST(c.scores AS VARCHAR)) ORDER BY c.label, c.score)
            FROM classifications c JOIN _vl_class_keys k
              ON k.sample_id = c.sample_id AND k.source = c.source
            WHERE c.dataset_id = ? GROUP BY c.sample_id, c.source
            """,
            [dataset_id],
        ).fetchall()
    finally:
        cur.unregister("_vl_class_keys")
    out: dict[tuple[int, str], Rows] = {key: [] for key in wanted}
    out.update({(int(s), str(src)): list(rows) for s, src, rows in found})
    return out


def labels_of(rows: Rows | None) -> list[str] | None:
    """The labels of ``rows``, sorted (None stays None: no such sample)."""
    return None if rows is None else sorted(str(r["label"]) for r in rows)


def changed_classifications(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, changes: pa.Table
) -> tuple[int, str, list[str] | None] | None:
    """The first sample and source of ``changes`` whose rows are no longer its
    ``rows_before``, with its labels now (None: the sample is gone); None when every one is
    as expected."""
    keys = list(
        zip(
            changes.column("sample_id").to_pylist(),
            changes.column("source").to_pylist(),
            strict=True,
        )
    )
    now = read_classifications(cur, dataset_id, keys)
    present = {
        int(r[0])
        for r in cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? "
            "AND list_contains(?::BIGINT[], sample_id)",
            [dataset_id, sorted({k[0] for k in keys})],
        ).fetchall()
    }
    for (sample_id, source), before in zip(
        keys, changes.column("rows_before").to_pylist(), strict=True
    ):
        if sample_id not in present:
            return int(sample_id), str(source), None
        if _ordered(now[(sample_id, source)]) != _ordered(before):
            return int(sample_id), str(source), labels_of(now[(sample_id, source)])
    return None


def _ordered(rows: Rows) -> list[tuple[Any, ...]]:
    return sorted(
        ((r["label"], r["score"] is None, r["score"] or 0.0, r["scores"]) for r in rows),
        key=repr,
    )


def write_classifications(
    catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset_id: int, changes: pa.Table
) -> None:
    """Give each sample and source of ``changes`` its ``rows_after`` (every row of theirs
    replaced), and refresh what is derived from image labels, inside the writer's
    transaction."""
    cur.register("_vl_class_rows", changes)
    try:
        cur.execute(
            "DELETE FROM classifications c USING _vl_class_rows r WHERE c.dataset_id = ? "
            "AND c.sample_id = r.sample_id AND c.source = r.source",
            [dataset_id],
        )
        cur.execute(
            """
            INSERT INTO classifications (dataset_id, sample_id, source, label, score, scores)
            SELECT ?, sample_id, source, r.label, r.score, CAST(r.scores AS JSON)
            FROM (SELECT sample_id, source, unnest(rows_after) AS r FROM _vl_class_rows)
            """,
            [dataset_id],
        )
    finally:
        cur.unregister("_vl_class_rows")
    samples = tuple(sorted(set(changes.column("sample_id").to_pylist())))
    sources = tuple(sorted(set(changes.column("source").to_pylist())))
    apply_change(catalog, cur, Change(dataset_id, Kind.IMAGE_LABELS, samples, sources))
