"""Per-sample box summaries kept by the writer, and the filters that are exact over them.

At 1M images a filter on boxes ("a ground-truth cat", "an m1 score >= 0.9", "a missed cat")
scanned millions of box rows on every request the answers cache cannot serve (the first
after a write). Two tables summarise the boxes per sample, written by the catalog's writers
in the same transaction as the rows they summarise, so every reader's snapshot sees rows and
summaries that agree:

* ``box_summaries``: one row per (sample, source) that has at least one box: the box count,
  the classes present (bits of ``summary_classes``, :data:`MASK_WORDS`), and the max / min
  of every numeric box field a filter or sort may name (:data:`SUMMARY_FIELDS`);
* ``summary_classes``: the bit of each class name of a dataset.

A feature adds summaries over the same class bits (the evaluation's per-status summaries,
``evaluate/eval_summaries.py``) through its manifest (:class:`FeatureSummary`).

Writers never call the refreshes: they describe their change to the registry of derived
structures (:mod:`..derived`), which refreshes them in the write's transaction, for the
whole dataset, one source, one evaluation or only the changed samples (a label edit):
the replaced boxes' evaluation rows then point at other boxes or none, exactly as the plain
box query sees them. Both are dataset tables (removed with it, and with orphans).

Catalogs written before the tables existed are summarised by migration step 4 (:func:`backfill`).
Tags, computed fields, plugin fields and maps do not touch boxes, so they leave them alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from ..store.registry import register_dataset_table, register_step

SUMMARIES_VERSION = "2"
"""Stored in ``meta`` under ``box_summaries``; migration step 4 rebuilds the summaries of a
catalog of schema 1 without it (or with another value). A later change of the summaries is
a new migration step, not a new value."""

SUMMARY_FIELDS = ("score", "area", "w", "h", "x", "y")
"""Numeric box fields whose per-(sample, source) max and min are stored."""

MASK_WORDS = 4
"""Class presence is a bit set over a per-dataset class numbering (``summary_classes``):
``mask0`` .. ``mask3`` hold classes 0-255, one bit each; classes past 255 (rare) are kept
by name in ``rest``. Measured at 1M samples: testing a bit is a few ms where a list of
class names cost 10x more, and building the bits at ingest half the time of the lists."""

CLASS_COLUMNS = ", ".join(
    [*(f"mask{k} UBIGINT NOT NULL" for k in range(MASK_WORDS)), "rest VARCHAR[]"]
)

SUMMARY_CLASSES_DDL = """
    CREATE TABLE IF NOT EXISTS summary_classes (
        dataset_id INTEGER NOT NULL,
        label VARCHAR NOT NULL,
        bit INTEGER NOT NULL              -- its bit in the masks; never reassigned
    )
"""

BOX_SUMMARIES_DDL = f"""
    CREATE TABLE IF NOT EXISTS box_summaries (
        dataset_id INTEGER NOT NULL,
        sample_id BIGINT NOT NULL,
        source VARCHAR NOT NULL,
        n BIGINT NOT NULL,                -- boxes of this source on this sample (>= 1)
        {CLASS_COLUMNS},                 -- the classes of those boxes
        {", ".join(f"{f}_max DOUBLE, {f}_min DOUBLE" for f in SUMMARY_FIELDS)}
    )
"""

SUMMARY_TABLES = ("box_summaries", "summary_classes")


@dataclass(frozen=True)
class FeatureSummary:
    """A feature's per-sample summary over the class bits of ``summary_classes`` (the
    evaluation's, ``evaluate/eval_summaries.py``), declared in its manifest: migration step 4
    drops ``table``, creates it again with ``ddl`` and fills it with ``refresh(cur,
    dataset_id)`` for every dataset, after the box summaries."""

    table: str
    ddl: str
    refresh: Callable[[duckdb.DuckDBPyConnection, int], None]


_FEATURE_SUMMARIES: dict[str, FeatureSummary] = {}


def register_feature_summary(summary: FeatureSummary) -> None:
    """Have step 4 rebuild ``summary`` with the box summaries (by table name, idempotent)."""
    _FEATURE_SUMMARIES[summary.table] = summary


_AGGREGATES = ", ".join(f"MAX(a.{f}), MIN(a.{f})" for f in SUMMARY_FIELDS)

CLASS_AGGREGATES = ", ".join(
    [
        *(
            f"bit_or(CASE WHEN c.bit // 64 = {k} THEN 1::UBIGINT << (c.bit % 64) "
            "ELSE 0::UBIGINT END)"
            for k in range(MASK_WORDS)
        ),
        # list_distinct of a plain list, not list(DISTINCT ..): the same list (labels are
        # never NULL), but a DISTINCT aggregate made DuckDB group every row a second time
        # and join the two (half of an evaluation's summaries refresh)
        f"list_sort(list_distinct(list(a.label) FILTER (WHERE c.bit >= {64 * MASK_WORDS})))",
    ]
)
"""The class columns of a group of boxes ``a`` joined with their bits ``c``."""


def summary_aggregates() -> str:
    """The columns of ``box_summaries`` after dataset, sample and source, as aggregates of
    boxes ``a`` joined with their class bits ``c`` (``summary_classes``), grouped by sample
    and source: the one definition of a summary row (refreshes, a version's rows)."""
    return f"COUNT(*), {CLASS_AGGREGATES}, {_AGGREGATES}"


SAMPLES_ONLY = " AND sample_id IN (SELECT unnest($samples))"
"""The condition of a refresh limited to some samples (``$samples``: their ids)."""


def summary_scope(
    dataset_id: int, source: str | None, samples: list[int] | None
) -> tuple[str, dict[str, object]]:
    """The extra condition and arguments of a refresh of one source and / or some samples."""
    only = ""
    args: dict[str, object] = {"ds": dataset_id}
    if source is not None:
        only += " AND source = $source"
        args["source"] = source
    if samples is not None:
        only += SAMPLES_ONLY
        args["samples"] = samples
    return only, args


def _number_classes(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, only: str, args: dict[str, object]
) -> None:
    """Give every class of the dataset's boxes (of ``only``) that has none a bit."""
    cur.execute(
        f"""
        INSERT INTO summary_classes
        SELECT $ds, label, (SELECT COALESCE(MAX(bit) + 1, 0) FROM summary_classes
                            WHERE dataset_id = $ds) + row_number() OVER (ORDER BY label) - 1
        FROM (SELECT DISTINCT label FROM annotations WHERE dataset_id = $ds{only}
              EXCEPT SELECT label FROM summary_classes WHERE dataset_id = $ds)
        """,  # noqa: S608 - fixed SQL, bound values
        args,
    )


def refresh_box_summaries(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    source: str | None = None,
    samples: list[int] | None = None,
) -> None:
    """Recompute the box summaries of a dataset (of one ``source`` and / or the sample ids
    ``samples`` only, if given) from its boxes; call inside ``Catalog.write``, in the
    transaction that changed the boxes (the registry of derived structures does)."""
    only, args = summary_scope(dataset_id, source, samples)
    _number_classes(cur, dataset_id, only, args)
    cur.execute(f"DELETE FROM box_summaries WHERE dataset_id = $ds{only}", args)  # noqa: S608 - fixed SQL
    # ordered by source, then sample: a source's rows are contiguous, so DuckDB's zone maps
    # skip the other sources' row groups when a filter names one source
    cur.execute(
        f"""
        INSERT INTO box_summaries
        SELECT $ds, a.sample_id, a.source, {summary_aggregates()}
        FROM annotations a JOIN summary_classes c
          ON c.dataset_id = $ds AND c.label = a.label
        WHERE a.dataset_id = $ds{only}  -- summary_classes has no source nor sample_id
        GROUP BY a.sample_id, a.source ORDER BY a.source, a.sample_id
        """,  # noqa: S608 - fixed SQL, bound values
        args,
    )


def backfill(cur: duckdb.DuckDBPyConnection) -> None:
    """Summarise every dataset of a catalog written before the summaries (or by another
    summaries version); call inside ``Catalog.write`` after the tables exist."""
    row = cur.execute("SELECT value FROM meta WHERE key = 'box_summaries'").fetchall()
    if row and row[0][0] == SUMMARIES_VERSION:
        return
    features = list(_FEATURE_SUMMARIES.values())
    for table in [*SUMMARY_TABLES, *(f.table for f in features)]:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
    for ddl in (SUMMARY_CLASSES_DDL, BOX_SUMMARIES_DDL, *(f.ddl for f in features)):
        cur.execute(ddl)  # another version's columns
    for (dataset_id,) in cur.execute(
        "SELECT dataset_id FROM datasets ORDER BY dataset_id"
    ).fetchall():
        refresh_box_summaries(cur, int(dataset_id))
        for feature in features:
            feature.refresh(cur, int(dataset_id))
    cur.execute("DELETE FROM meta WHERE key = 'box_summaries'")
    cur.execute("INSERT INTO meta VALUES ('box_summaries', ?)", [SUMMARIES_VERSION])


register_dataset_table("box_summaries", BOX_SUMMARIES_DDL)
register_dataset_table("summary_classes", SUMMARY_CLASSES_DDL)
register_step(4, "summarise the boxes of catalogs written before the box summaries", backfill)
