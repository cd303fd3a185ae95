"""The tags of whole samples: the one writer of ``samples.tags``, through the operation log.

:func:`update_tags` (the grid's tag and untag, ``ds.tag`` in a notebook) writes the tags
of the samples a filter matches and logs the change as one batch of the operation log
(:mod:`..tables.sample_tag_log`) in the same transaction, so a version names the sample
tags of its moment, a diff counts them, a restore and an undo write them back
(:mod:`visionlens_jlab.edits`, which writes through :func:`write_sample_tags` too).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ..derived import Change, Kind, apply_change
from ..query.filters import FilterError, compile_filter
from ..store.catalog import Catalog
from ..tables.sample_tag_log import (
    TAG_CHANGES,
    TAG_LOG,
    log_batch,
    log_position,
    next_batch,
)

MAX_TAGS_PER_SAMPLE = 1_000
"""Tags one sample may carry: far more than any labelling workflow uses, and small enough
that one sample's row, its facet and the grid's tag chips stay cheap."""

DEFAULT_USER = "visionlens"
"""Who the log names when a caller does not say (a script on the catalog in process)."""


def update_tags(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    *,
    add: list[str] | None = None,
    remove: list[str] | None = None,
    user: str = DEFAULT_USER,
) -> int:
    """Add and remove tags on every sample matching ``spec``; return how many matched.
    The samples whose tags change are one batch of the log by ``user`` (undo takes it back)."""
    with catalog.write() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        return update_tags_in(catalog, cur, dataset_id, spec, add=add, remove=remove, user=user)


def update_tags_in(
    catalog: Catalog,
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    spec: dict[str, Any] | None,
    *,
    add: list[str] | None = None,
    remove: list[str] | None = None,
    user: str = DEFAULT_USER,
) -> int:
    """:func:`update_tags` inside the caller's :meth:`~..store.catalog.Catalog.write`: for a
    writer whose own rows must commit with the tags or not at all (a selection's record
    and its tag)."""
    add = [t for t in (add or []) if t]
    remove = [t for t in (remove or []) if t]
    for tag in add + remove:
        if not isinstance(tag, str) or len(tag) > 200:
            raise FilterError("tags must be strings of at most 200 characters")
    when = datetime.now(timezone.utc).replace(tzinfo=None)
    flt = compile_filter(dataset_id, spec)
    matched = cur.sql(
        f"""
        SELECT sample_id, tags_before, tags_after,
               list_sort(list_distinct(tags_before)) <> list_sort(tags_after) AS changed
        FROM (
            SELECT s.sample_id, s.tags AS tags_before, list_distinct(list_filter(
                list_concat(s.tags, ?::VARCHAR[]),
                lambda t: NOT list_contains(?::VARCHAR[], t))) AS tags_after
            FROM samples s WHERE {flt.where}
        ) ORDER BY sample_id
        """,  # noqa: S608 - compiled, parameterized
        params=[add, remove, *flt.params],
    ).to_arrow_table()
    most = pc.max(pc.list_value_length(matched.column("tags_after"))).as_py() or 0
    if most > MAX_TAGS_PER_SAMPLE:  # raising rolls the whole update back
        raise FilterError(
            f"a sample may carry at most {MAX_TAGS_PER_SAMPLE:,} tags; this change would "
            f"give one {most:,}"
        )
    changes = matched.filter(matched.column("changed")).drop_columns(["changed"])
    if changes.num_rows:
        changes = changes.cast(TAG_CHANGES)
        write_sample_tags(catalog, cur, dataset_id, changes)
        batch_id, first = next_batch(cur, dataset_id), log_position(cur, dataset_id) + 1
        last = TAG_LOG.append(cur, dataset_id, batch_id, first, changes)
        log_batch(cur, dataset_id, (batch_id, "edit", None), (first, last), when, user)
    else:  # nothing changed: every answer and derived row stays as it is
        catalog.scope_write(dataset_id, keeps_derived=True, keeps_indexes=True)
    return matched.num_rows


def write_sample_tags(
    catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset_id: int, changes: pa.Table
) -> None:
    """Give each sample of ``changes`` (:data:`~..tables.sample_tag_log.TAG_CHANGES`) its
    ``tags_after``, and refresh what is derived from tags (the tags facet and token; once
    committed the held tag lists), inside the writer's transaction."""
    cur.register("_vl_tag_rows", changes)
    try:
        cur.execute(
            "UPDATE samples s SET tags = r.tags_after FROM _vl_tag_rows r "
            "WHERE s.dataset_id = ? AND s.sample_id = r.sample_id",
            [dataset_id],
        )
    finally:
        cur.unregister("_vl_tag_rows")
    ids = tuple(changes.column("sample_id").to_pylist())
    tags = changes.column("tags_after")
    apply_change(catalog, cur, Change(dataset_id, Kind.TAGS, ids, tags=tags))


def changed_sample_tags(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, changes: pa.Table
) -> tuple[int, list[str] | None] | None:
    """The first sample of ``changes`` whose tags are no longer its ``tags_before`` (as sets),
    with its tags now (None: the sample is gone); None when every one is as expected."""
    cur.register("_vl_tag_check", changes)
    try:
        rows = cur.execute(
            """
            SELECT c.sample_id, s.tags FROM _vl_tag_check c
            LEFT JOIN samples s ON s.dataset_id = ? AND s.sample_id = c.sample_id
            WHERE s.sample_id IS NULL
               OR list_sort(list_distinct(s.tags)) <> list_sort(list_distinct(c.tags_before))
            ORDER BY c.sample_id LIMIT 1
            """,
            [dataset_id],
        ).fetchall()
    finally:
        cur.unregister("_vl_tag_check")
    if not rows:
        return None
    sample_id, tags = rows[0]
    return int(sample_id), None if tags is None else list(tags)
