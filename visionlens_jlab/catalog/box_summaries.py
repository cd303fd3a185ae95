"""Per-sample box summaries kept by the writer, and the filters that are exact over them.

At 1M images a filter on boxes ("a ground-truth cat", "an m1 score >= 0.9", "a missed cat")
scanned millions of box rows on every request the answers cache cannot serve (the first
after a write). Two tables summarise the boxes per sample, written by the catalog's writers
in the same transaction as the rows they summarise, so every reader's snapshot sees rows and
summaries that agree:

* ``box_summaries``: one row per (sample, source) that has at least one box: the box count,
  the sorted distinct class names, and the max / min of every numeric box field a filter or
  sort may name (:data:`SUMMARY_FIELDS`);
* ``eval_summaries``: one row per (sample, evaluation, source of the box, status): the
  sorted distinct classes of the sample's boxes of that source with that status.

Writers that keep them in step (each inside its own ``Catalog.write``):

* ingest (``dataset_writer.write_dataset``): :func:`refresh_box_summaries` in the final
  transaction, with the ``datasets`` row that makes the rows visible;
* predictions (``dataset_writer.write_predictions``): :func:`refresh_box_summaries` for the
  model, then :func:`refresh_eval_summaries` (the replaced boxes' evaluation rows now point
  at other boxes or none, exactly as the plain box query would see them);
* evaluation (``evaluate.store.write_evaluation``): :func:`refresh_eval_summaries`;
* delete of a dataset: both are dataset tables (removed with it, and with orphans).

Catalogs written before the tables existed are summarised on open (:func:`backfill`).
Tags, computed fields, plugin fields and maps do not touch boxes, so they leave them alone.
"""

from __future__ import annotations

import duckdb

SUMMARIES_VERSION = "1"
"""Stored in ``meta`` under ``box_summaries``; a catalog without it (or with another value)
has its summaries rebuilt on open."""

SUMMARY_FIELDS = ("score", "area", "w", "h", "x", "y")
"""Numeric box fields whose per-(sample, source) max and min are stored."""

BOX_SUMMARIES_DDL = f"""
    CREATE TABLE IF NOT EXISTS box_summaries (
        dataset_id INTEGER NOT NULL,
        sample_id BIGINT NOT NULL,
        source VARCHAR NOT NULL,
        n BIGINT NOT NULL,                -- boxes of this source on this sample (>= 1)
        labels VARCHAR[] NOT NULL,        -- their distinct class names, sorted
        {", ".join(f"{f}_max DOUBLE, {f}_min DOUBLE" for f in SUMMARY_FIELDS)}
    )
"""

EVAL_SUMMARIES_DDL = """
    CREATE TABLE IF NOT EXISTS eval_summaries (
        dataset_id INTEGER NOT NULL,
        eval_key VARCHAR NOT NULL,
        sample_id BIGINT NOT NULL,
        source VARCHAR NOT NULL,          -- the source of the evaluated boxes
        status VARCHAR NOT NULL,          -- tp | fp | fn | ignored
        labels VARCHAR[] NOT NULL         -- distinct classes of those boxes, sorted
    )
"""

SUMMARY_TABLES = ("box_summaries", "eval_summaries")

_AGGREGATES = ", ".join(f"MAX({f}), MIN({f})" for f in SUMMARY_FIELDS)


def refresh_box_summaries(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, source: str | None = None
) -> None:
    """Recompute the box summaries of a dataset (of one ``source`` only, if given) from its
    boxes; call inside ``Catalog.write``, in the transaction that changed the boxes."""
    only = "" if source is None else " AND source = $source"
    args: dict[str, object] = {"ds": dataset_id}
    if source is not None:
        args["source"] = source
    cur.execute(f"DELETE FROM box_summaries WHERE dataset_id = $ds{only}", args)  # noqa: S608 - fixed SQL
    # ordered by source, then sample: a source's rows are contiguous, so DuckDB's zone maps
    # skip the other sources' row groups when a filter names one source
    cur.execute(
        f"""
        INSERT INTO box_summaries
        SELECT $ds, sample_id, source, COUNT(*), list_sort(list_distinct(list(label))),
               {_AGGREGATES}
        FROM annotations WHERE dataset_id = $ds{only}
        GROUP BY sample_id, source ORDER BY source, sample_id
        """,  # noqa: S608 - fixed SQL, bound values
        args,
    )


def refresh_eval_summaries(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    eval_key: str | None = None,
    source: str | None = None,
) -> None:
    """Recompute the evaluation summaries of a dataset (of one evaluation and / or the boxes
    of one source only, if given) from ``box_evaluations`` and the boxes they name; call
    inside ``Catalog.write``. Skipped when the evaluation tables do not exist yet."""
    if not cur.execute(
        "SELECT 1 FROM duckdb_tables() WHERE table_name = 'box_evaluations'"
    ).fetchall():
        return
    args: dict[str, object] = {"ds": dataset_id}
    only = ""
    if eval_key is not None:
        only += " AND eval_key = $key"
        args["key"] = eval_key
    if source is not None:
        only += " AND source = $source"
        args["source"] = source
    cur.execute(f"DELETE FROM eval_summaries WHERE dataset_id = $ds{only}", args)  # noqa: S608 - fixed SQL
    cur.execute(
        f"""
        INSERT INTO eval_summaries
        SELECT * FROM (
            SELECT $ds, e.eval_key, a.sample_id, a.source, e.status,
                   list_sort(list_distinct(list(a.label)))
            FROM box_evaluations e JOIN annotations a ON a.ann_id = e.ann_id
            WHERE e.dataset_id = $ds AND a.dataset_id = $ds
            GROUP BY e.eval_key, a.sample_id, a.source, e.status
        ) t(dataset_id, eval_key, sample_id, source, status, labels)
        WHERE TRUE{only}
        ORDER BY eval_key, source, status, sample_id
        """,  # noqa: S608 - fixed SQL, bound values
        args,
    )


def backfill(cur: duckdb.DuckDBPyConnection) -> None:
    """Summarise every dataset of a catalog written before the summaries (or by another
    summaries version); call inside ``Catalog.write`` after the tables exist."""
    row = cur.execute("SELECT value FROM meta WHERE key = 'box_summaries'").fetchall()
    if row and row[0][0] == SUMMARIES_VERSION:
        return
    for table in SUMMARY_TABLES:
        cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed identifiers
    for (dataset_id,) in cur.execute(
        "SELECT dataset_id FROM datasets ORDER BY dataset_id"
    ).fetchall():
        refresh_box_summaries(cur, int(dataset_id))
        refresh_eval_summaries(cur, int(dataset_id))
    cur.execute("DELETE FROM meta WHERE key = 'box_summaries'")
    cur.execute("INSERT INTO meta VALUES ('box_summaries', ?)", [SUMMARIES_VERSION])
