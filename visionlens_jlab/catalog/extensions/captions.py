"""Captions: one computed sample field (``computed.caption``) written by a caption job.

A caption is a categorical computed field (:mod:`.computed`), so filters, sorts, pages
(``samples[].computed.caption``) and facets work on it with no other code. A caption job
takes minutes, so it appends its captions chunk by chunk (:func:`append_captions`) and a
cancelled run resumes: :func:`caption_run_state` says which samples a run with the same
parameters (model, prompt) already captioned; a run with other parameters starts over
(:func:`start_captions`). :func:`search_captions` ranks samples by the words of a query
their caption holds.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pyarrow as pa

from ..derived import Change, Kind, apply_change
from ..store.catalog import Catalog
from .computed import CATEGORICAL, register_computed_field

CAPTION = "caption"
PRODUCER_PREFIX = "caption:"
MAX_QUERY_WORDS = 16

register_computed_field(CAPTION, CATEGORICAL, "a caption written by an image-to-text model")


def caption_run_state(
    catalog: Catalog, dataset_id: int
) -> tuple[dict[str, Any] | None, np.ndarray]:
    """``(params of the captions' run, or None; the sample ids that have a caption)``."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT params FROM computed_fields WHERE dataset_id = ? AND field = ?",
            [dataset_id, CAPTION],
        ).fetchall()
        ids = cur.execute(
            "SELECT sample_id FROM computed_values WHERE dataset_id = ? AND field = ?",
            [dataset_id, CAPTION],
        ).fetchnumpy()["sample_id"]
    params = json.loads(rows[0][0]) if rows and rows[0][0] else None
    return params, np.asarray(ids, np.int64)


def _fields_row(cur: Any, dataset_id: int, producer: str, params: str) -> None:
    cur.execute(
        "DELETE FROM computed_fields WHERE dataset_id = ? AND field = ?", [dataset_id, CAPTION]
    )
    cur.execute(
        "INSERT INTO computed_fields VALUES (?, ?, ?, ?, ?, NULL, NULL)",
        [dataset_id, CAPTION, producer, params, datetime.now(timezone.utc).replace(tzinfo=None)],
    )


def start_captions(catalog: Catalog, dataset_id: int, model: str, params: dict[str, Any]) -> None:
    """Begin a caption run from nothing: the dataset's captions go, ``params`` are kept."""
    with catalog.write(dataset_id) as cur:
        cur.execute(
            "DELETE FROM computed_values WHERE dataset_id = ? AND field = ?", [dataset_id, CAPTION]
        )
        _fields_row(cur, dataset_id, PRODUCER_PREFIX + model, json.dumps(params))
        apply_change(catalog, cur, Change(dataset_id, Kind.FIELDS))


def append_captions(
    catalog: Catalog, dataset_id: int, sample_ids: list[int], captions: list[str]
) -> None:
    """Store one chunk of captions (replacing those samples' captions), one transaction."""
    if len(sample_ids) != len(captions):
        raise ValueError(f"{len(sample_ids)} sample ids for {len(captions)} captions")
    table = pa.table(
        {
            "sample_id": pa.array(np.asarray(sample_ids, np.int64)),
            "text": pa.array([str(c) for c in captions], pa.string()),
        }
    )
    with catalog.write(dataset_id) as cur:
        cur.register("_vl_captions", table)
        cur.execute(
            "DELETE FROM computed_values WHERE dataset_id = ? AND field = ? "
            "AND sample_id IN (SELECT sample_id FROM _vl_captions)",
            [dataset_id, CAPTION],
        )
        cur.execute(
            "INSERT INTO computed_values SELECT ?, sample_id, ?, NULL, text FROM _vl_captions",
            [dataset_id, CAPTION],
        )
        cur.unregister("_vl_captions")
        cur.execute(
            "UPDATE computed_fields SET updated_at = ? WHERE dataset_id = ? AND field = ?",
            [datetime.now(timezone.utc).replace(tzinfo=None), dataset_id, CAPTION],
        )
        apply_change(catalog, cur, Change(dataset_id, Kind.FIELDS))


def query_words(query: str) -> list[str]:
    """The distinct lowercase words (letters and digits) of a search query, in order."""
    words = re.findall(r"[^\W_]+", query.lower())
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


def search_captions(
    catalog: Catalog, dataset: str, query: str, limit: int = 50
) -> list[dict[str, Any]]:
    """Samples whose caption holds words of ``query``, best first: the most distinct query
    words, then the most occurrences, then the shortest caption (the most specific), then
    the sample id. Words match whole words, case-insensitively."""
    words = query_words(query)
    if not words:
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
            )
            SELECT sample_id, text, len(list_distinct(hits)) AS words, len(hits) AS hits
            FROM t WHERE len(hits) > 0
            ORDER BY words DESC, hits DESC, length(text), sample_id LIMIT ?
            """,
            [words, dataset_id, CAPTION, int(limit)],
        ).fetchall()
    return [
        {"sample_id": int(r[0]), "caption": r[1], "words": int(r[2]), "hits": int(r[3])}
        for r in rows
    ]
