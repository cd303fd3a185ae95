"""An index of the sample fields (``samples.fields``), kept by the writer, for filters.

``samples.fields`` is a JSON object per sample. A filter ``{"sample": {"fields.weather":
{"in": ["rain"]}}}`` extracted the key from the JSON of every sample of the dataset: at 1M
images 70-130 ms per request the answers cache cannot serve (the first after a write).
``field_values`` holds one row per (sample, top-level key) whose value is not null: the
value as :func:`json_extract_string` gives it (``text``, exactly what the JSON path
compares) and that text as a number (``num``, ``TRY_CAST(text AS DOUBLE)``: exactly what the
numeric conditions compare). So a condition over the index is the JSON path's condition,
with the same semantics (a JSON number and a string of the same text are equal, ``"5"``
meets ``min: 1``, booleans are ``true`` / ``false``); a sample without a row has no value
(``is_null``). Rows are in the samples' order, not sorted by key: see
:func:`refresh_field_index`.

Writers: ``samples.fields`` is written only by ingest, whose change (samples added) the
registry of derived structures (:mod:`..derived`) answers with :func:`refresh_field_index`
in the transaction that makes the dataset visible; computed and plugin fields live in
``computed_values``, tags in ``samples.tags``: neither touches it.
The rows go with their dataset (a dataset table) and catalogs written before the index get
it by migration step 5 (:func:`backfill`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from ..store.registry import register_dataset_table, register_step

INDEX_VERSION = "1"
"""Stored in ``meta`` under ``field_index``; migration step 5 rebuilds the index of a catalog
of schema 1 without it. A later change of the index is a new migration step, not a new value."""

FIELD_VALUES_DDL = """
    CREATE TABLE IF NOT EXISTS field_values (
        dataset_id INTEGER NOT NULL,
        key VARCHAR NOT NULL,         -- a top-level key of samples.fields
        sample_id BIGINT NOT NULL,
        text VARCHAR NOT NULL,        -- json_extract_string of its value (never null)
        num DOUBLE                    -- TRY_CAST(text AS DOUBLE)
    )
"""

_POINTER = "'/' || replace(replace(k.key, '~', '~0'), '/', '~1')"
"""The JSON pointer of key ``k.key`` in SQL: the same text as ``filters.json_pointer``."""


MAX_LISTED_KEYS = 64
"""Up to this many keys per dataset, each sample's JSON is parsed once for all of them
(``json_extract_string`` with a list of pointers: 0.9-1.0 s at 1M samples of 2 keys,
against 1.6 s per key found by ``json_keys``); past it, per key found in the sample."""


def refresh_field_index(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, samples: list[int] | None = None
) -> None:
    """Rebuild the index rows of a dataset (of the sample ids ``samples`` only, if given:
    samples deleted or put back) from its samples; called by the registry of derived
    structures in the transaction that wrote ``samples.fields``, after the facet keys."""
    only = "" if samples is None else " AND sample_id IN (SELECT unnest($samples))"
    scope: dict[str, object] = {} if samples is None else {"samples": samples}
    delete = f"DELETE FROM field_values WHERE dataset_id = $ds{only}"  # noqa: S608 - fixed SQL
    cur.execute(delete, {"ds": dataset_id, **scope})
    row = cur.execute(
        "SELECT field_keys FROM facet_keys WHERE dataset_id = ?", [dataset_id]
    ).fetchall()
    keys: list[str] | None = list(row[0][0]) if row else None
    if keys is not None and not keys:
        return
    if keys is not None and len(keys) <= MAX_LISTED_KEYS:
        pairs = (
            "unnest($keys::VARCHAR[]) AS key, "
            "unnest(json_extract_string(s.fields, $pointers::VARCHAR[])) AS text FROM samples s"
        )
        args: dict[str, object] = {"keys": keys, "pointers": [_pointer(k) for k in keys]}
    else:
        pairs = (
            f"k.key, json_extract_string(s.fields, {_POINTER}) AS text FROM samples s, "
            "LATERAL (SELECT unnest(list_distinct(json_keys(s.fields))) AS key) k"
        )
        args = {}
    # not sorted: under the ingest's last-transaction memory limit (64 MB) ORDER BY key
    # spilled and cost 0.65-0.85 s at 100K samples of 8 keys against 0.3 s unsorted, while
    # sorted rows saved ~2 ms per fields page at 1M (14 against 16-17 ms in process)
    scoped = only.replace("sample_id", "s.sample_id")
    cur.execute(
        f"""
        INSERT INTO field_values
        SELECT dataset_id, key, sample_id, text, TRY_CAST(text AS DOUBLE) FROM (
            SELECT s.dataset_id, s.sample_id, {pairs}
            WHERE s.dataset_id = $ds AND s.fields IS NOT NULL{scoped})
        WHERE text IS NOT NULL
        """,  # noqa: S608 - fixed SQL, bound values
        {"ds": dataset_id, **args, **scope},
    )


def _pointer(key: str) -> str:
    """The JSON pointer of a top-level key (as ``filters.json_pointer``, which imports this
    module)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def backfill(cur: duckdb.DuckDBPyConnection) -> None:
    """Index every dataset of a catalog written before the index (or another version of
    it); call inside ``Catalog.write`` after the table exists."""
    row = cur.execute("SELECT value FROM meta WHERE key = 'field_index'").fetchall()
    if row and row[0][0] == INDEX_VERSION:
        return
    for (dataset_id,) in cur.execute("SELECT dataset_id FROM datasets").fetchall():
        refresh_field_index(cur, int(dataset_id))
    cur.execute("DELETE FROM meta WHERE key = 'field_index'")
    cur.execute("INSERT INTO meta VALUES ('field_index', ?)", [INDEX_VERSION])


def needs_rows(ops: Sequence[tuple[str, Any]]) -> bool:
    """True when a parsed condition's operators (``Condition.ops``) can only hold for a
    sample that has a value: every operator but ``is_null: true`` (and a bound of None,
    which is no condition) is false on a missing value (NULL in the JSON path)."""
    return any(
        not (op == "is_null" and value) and not (op in ("min", "max") and value is None)
        for op, value in ops
    )


register_dataset_table("field_values", FIELD_VALUES_DDL)
register_step(5, "index the sample fields of catalogs written before the field index", backfill)
