"""Captions: one computed sample field (``computed.caption``) written by a caption job.

A caption is a categorical computed field (:mod:`visionlens_jlab.catalog.extensions.computed`,
declared by :mod:`.manifest`), so filters, sorts, pages (``samples[].computed.caption``) and
facets work on it with no other code. A caption job
takes minutes, so it appends its captions chunk by chunk (:func:`append_texts`) and a
cancelled run resumes: :func:`text_run_state` says which samples a run with the same
parameters (model, prompt) already captioned; a run with other parameters starts over
(:func:`start_texts`). The VLM answers (:mod:`visionlens_jlab.predict.vlm_labels`) are text
fields written the same way. :func:`search_captions` ranks samples by the words of a query
their caption holds.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pyarrow as pa

from ..catalog.derived import Change, Kind, apply_change
from ..catalog.store.catalog import Catalog

CAPTION = "caption"
PRODUCER_PREFIX = "caption:"
MAX_QUERY_WORDS = 16


def text_run_state(
    catalog: Catalog, dataset_id: int, fields: list[str]
) -> tuple[dict[str, Any] | None, np.ndarray]:
    """``(params of the run that wrote ``fields``, or None; the sample ids that have a value
    of every one of them)``."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT params FROM computed_fields WHERE dataset_id = ? AND field = ?",
            [dataset_id, fields[0]],
        ).fetchall()
        ids = cur.execute(
            "SELECT sample_id FROM computed_values WHERE dataset_id = ? "
            "AND list_contains(?, field) GROUP BY sample_id HAVING COUNT(DISTINCT field) = ?",
            [dataset_id, fields, len(fields)],
        ).fetchnumpy()["sample_id"]
    params = json.loads(rows[0][0]) if rows and rows[0][0] else None
    return params, np.sort(np.asarray(ids, np.int64))


def start_texts(
    catalog: Catalog, dataset_id: int, fields: list[str], producer: str, params: dict[str, Any]
) -> None:
    """Begin a run of text fields from nothing: the dataset's values of ``fields`` go, a
    ``computed_fields`` row per field keeps ``producer`` and ``params``."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with catalog.write(dataset_id) as cur:
        for table in ("computed_values", "computed_fields"):
            cur.execute(
                f"DELETE FROM {table} WHERE dataset_id = ? AND list_contains(?, field)",  # noqa: S608 - fixed names
                [dataset_id, fields],
            )
        for field in fields:
            cur.execute(
                "INSERT INTO computed_fields VALUES (?, ?, ?, ?, ?, NULL, NULL)",
                [dataset_id, field, producer, json.dumps(params), now],
            )
        apply_change(catalog, cur, Change(dataset_id, Kind.FIELDS))


def append_texts(
    catalog: Catalog, dataset_id: int, sample_ids: list[int], values: dict[str, list[str]]
) -> None:
    """Store one chunk of text values, ``{field: [text per sample]}`` (replacing those
    samples' values of those fields), one transaction."""
    ids = pa.array(np.asarray(sample_ids, np.int64))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with catalog.write(dataset_id) as cur:
        for field, texts in values.items():
            if len(texts) != len(ids):
                raise ValueError(f"{len(ids)} sample ids for {len(texts)} values of {field}")
            table = pa.table({"sample_id": ids, "text": pa.array([str(t) for t in texts])})
            cur.register("_vl_texts", table)
            try:
                cur.execute(
                    "DELETE FROM computed_values WHERE dataset_id = ? AND field = ? "
                    "AND sample_id IN (SELECT sample_id FROM _vl_texts)",
                    [dataset_id, field],
                )
                cur.execute(
                    "INSERT INTO computed_values SELECT ?, sample_id, ?, NULL, text FROM _vl_texts",
                    [dataset_id, field],
                )
            finally:
                cur.unregister("_vl_texts")
        cur.execute(
            "UPDATE computed_fields SET updated_at = ? WHERE dataset_id = ? "
            "AND list_contains(?, field)",
            [now, dataset_id, list(values)],
        )
        apply_change(catalog, cur, Change(dataset_id, Kind.FIELDS))


def query_words(query: str) -> list[str]:
    """The distinct lowercase words (letters and digits) of a search query, in order."""
    words = re.findall(r"[^\W_]+", query.lower())
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


def has_captions(catalog: Catalog, dataset: str) -> bool:
    """Whether a sample of ``dataset`` has a caption."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        row = cur.execute(
            "SELECT 1 FROM computed_values WHERE dataset_id = ? AND field = ? LIMIT 1",
            [dataset_id, CAPTION],
        ).fetchone()
    return row is not None


def search_captions(
    catalog: Catalog,
    dataset: str,
    query: str,
    limit: int = 50,
    within: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Samples whose caption holds words of ``query``, best first: the most distinct query
    words, then the most occurrences, then the shortest caption (the most specific), then
    the sample id. Words match whole words, case-insensitively. ``within``: only these
    sample ids (a filter's), None for all."""
    words = query_words(query)
    if not words or within == []:
        return []
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            """
            WITH t AS (
                SELECT sample_id, text,
                       list_filter(regexp_split_to_array(lower(text), '[^[:alnum:]]+'),
                                   lambda w: list_contains(?::VARCHAR[], w)) AS hits
                FROM computed_values WHERE dataset_id = ? AND field = ?
                  AND (?::BIGINT[] IS NULL OR sample_id IN (SELECT unnest(?::BIGINT[])))
            )
            SELECT sample_id, text, len(list_distinct(hits)) AS words, len(hits) AS hits
            FROM t WHERE len(hits) > 0
            ORDER BY words DESC, hits DESC, length(text), sample_id LIMIT ?
            """,
            [words, dataset_id, CAPTION, within, within, int(limit)],
        ).fetchall()
    return [
        {"sample_id": int(r[0]), "caption": r[1], "words": int(r[2]), "hits": int(r[3])}
        for r in rows
    ]
