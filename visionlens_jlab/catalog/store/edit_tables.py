"""Schema steps 9, 10, 14, 15 and 27: the operation log of label edits, object tags, named versions.

* ``edit_batches``: one row per batch of operations written in one transaction (an edit,
  an undo, a redo or a restore), with who wrote it and when;
* ``edit_ops``: one row per operation on one object, in the order applied (``seq``, per
  dataset): the object's full state before and after (JSON, NULL when it did not exist
  before or does not exist after), and the facts a diff folds typed beside them (label,
  box, tags), so that a diff of millions of operations is one grouped statement;
* ``object_tags``: the tags of an object (tagged through the edit API; an object without
  tags has no row);
* ``versions`` (step 10): a named position in the log (``seq``: the last operation it
  includes) with the counts at that moment: a version costs one row, whatever the size of
  the dataset;
* the copies of a browsed version's labels (step 14): ``version_annotations``,
  ``version_object_tags`` and ``version_box_summaries`` hold the rows of ``annotations``,
  ``object_tags`` and ``box_summaries`` as they were at a version (a ``version`` column
  added), ``version_copies`` one row per version copied. A saved version never changes, so
  its copy, made at its first browse (:mod:`..tables.labels_view`), serves every later one;
  they are derived rows (``DERIVED_TABLES``): a write that may change labels outside the
  log (a model's predictions imported again) drops them, and a browse copies again;
* the samples' tags in the log (step 15): ``sample_tag_ops``, one row per sample whose tags
  an operation changed (its tags before and after), numbered in the same ``seq`` as
  ``edit_ops`` and grouped in the same batches, so that one batch may change objects and
  sample tags, and a version's position covers both; ``version_sample_tags``, the tags of
  a browsed version's samples (those with any), copied with its labels;
* the image-level labels in the log (step 27): ``classification_ops``, one row per sample
  and source whose ``classifications`` rows an operation changed (the rows before and
  after), in the same ``seq`` and batches; ``version_classifications``, the
  ``classifications`` rows of a browsed version, copied with its labels.

Every table is deleted with its dataset, so a dataset ingested again under the same name
starts a new history.
"""

from __future__ import annotations

import duckdb

from .registry import register_dataset_table

EDIT_LOG_DDL = [
    """
    CREATE TABLE IF NOT EXISTS edit_batches (
        dataset_id INTEGER NOT NULL,
        batch_id BIGINT NOT NULL,      -- 1, 2, ... per dataset
        kind VARCHAR NOT NULL,         -- 'edit' | 'undo' | 'redo' | 'restore'
        target BIGINT,                 -- undo/redo: the batch inverted; restore: the version
        created_at TIMESTAMP NOT NULL,
        user_name VARCHAR NOT NULL,
        first_seq BIGINT NOT NULL,
        last_seq BIGINT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS edit_ops (
        dataset_id INTEGER NOT NULL,
        seq BIGINT NOT NULL,           -- 1, 2, ... per dataset, in the order applied
        batch_id BIGINT NOT NULL,
        op VARCHAR NOT NULL,           -- add | delete | relabel | move | accept | tag | untag
        ann_id BIGINT NOT NULL,
        sample_id BIGINT NOT NULL,
        source VARCHAR NOT NULL,
        label_before VARCHAR,          -- NULL: the object did not exist before
        label_after VARCHAR,           -- NULL: the object does not exist after
        box_before DOUBLE[],
        box_after DOUBLE[],
        tags_before VARCHAR[],
        tags_after VARCHAR[],
        before JSON,                   -- the object's whole state (undo, restore)
        after JSON,
        created_at TIMESTAMP NOT NULL,
        user_name VARCHAR NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS object_tags (
        dataset_id INTEGER NOT NULL,
        ann_id BIGINT NOT NULL,
        tags VARCHAR[] NOT NULL
    )
    """,
]

VERSIONS_DDL = """
    CREATE TABLE IF NOT EXISTS versions (
        dataset_id INTEGER NOT NULL,
        version INTEGER NOT NULL,      -- 1, 2, ... per dataset
        seq BIGINT NOT NULL,           -- the last operation of the log it includes (0: none)
        created_at TIMESTAMP NOT NULL,
        user_name VARCHAR NOT NULL,
        message VARCHAR NOT NULL,
        samples BIGINT NOT NULL,
        annotations BIGINT NOT NULL    -- ground-truth objects
    )
"""

VERSION_COPIES = ("version_annotations", "version_object_tags", "version_box_summaries")
"""The copies of a version's labels: each the shape of its table plus ``version``."""

VERSION_COPIES_DDL = [
    *(
        f"CREATE TABLE IF NOT EXISTS {copy} AS "  # noqa: S608 - fixed names
        f"SELECT *, 0::INTEGER AS version FROM {copy.removeprefix('version_')} WITH NO DATA"
        for copy in VERSION_COPIES
    ),
    """
    CREATE TABLE IF NOT EXISTS version_copies (
        dataset_id INTEGER NOT NULL,
        version INTEGER NOT NULL,      -- its rows are in the three copies
        created_at TIMESTAMP NOT NULL
    )
    """,
]

SAMPLE_TAGS_DDL = [
    """
    CREATE TABLE IF NOT EXISTS sample_tag_ops (
        dataset_id INTEGER NOT NULL,
        seq BIGINT NOT NULL,           -- shared with edit_ops: one position in one log
        batch_id BIGINT NOT NULL,
        sample_id BIGINT NOT NULL,
        tags_before VARCHAR[] NOT NULL,
        tags_after VARCHAR[] NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS version_sample_tags (
        dataset_id INTEGER NOT NULL,
        sample_id BIGINT NOT NULL,     -- a sample that had tags at the version
        tags VARCHAR[] NOT NULL,
        version INTEGER NOT NULL
    )
    """,
]

VERSION_SAMPLE_TAGS = "version_sample_tags"
"""The copy of a browsed version's sample tags (a derived table, like ``VERSION_COPIES``)."""

CLASSIFICATION_ROWS_SQL = "STRUCT(label VARCHAR, score DOUBLE, scores VARCHAR)[]"
"""A sample's ``classifications`` rows of one source as the log holds them (``scores``: its
JSON text), :data:`~..tables.classification_log.CLASSIFICATION_ROW` in DuckDB's types."""

CLASSIFICATIONS_DDL = [
    f"""
    CREATE TABLE IF NOT EXISTS classification_ops (
        dataset_id INTEGER NOT NULL,
        seq BIGINT NOT NULL,           -- shared with edit_ops: one position in one log
        batch_id BIGINT NOT NULL,
        sample_id BIGINT NOT NULL,
        source VARCHAR NOT NULL,
        rows_before {CLASSIFICATION_ROWS_SQL} NOT NULL,  -- the sample's rows of the source
        rows_after {CLASSIFICATION_ROWS_SQL} NOT NULL
    )
    """,
    "CREATE TABLE IF NOT EXISTS version_classifications AS "
    "SELECT *, 0::INTEGER AS version FROM classifications WITH NO DATA",
]

VERSION_CLASSIFICATIONS = "version_classifications"
"""The copy of a browsed version's image labels (a derived table, like ``VERSION_COPIES``)."""

for _table in ("edit_batches", "edit_ops", "object_tags", "versions"):
    register_dataset_table(_table)
for _table in (*VERSION_COPIES, "version_copies", "sample_tag_ops", VERSION_SAMPLE_TAGS):
    register_dataset_table(_table)
for _table in ("classification_ops", VERSION_CLASSIFICATIONS):
    register_dataset_table(_table)


def create_edit_log(cur: duckdb.DuckDBPyConnection) -> None:
    """Step 9: the operation log and object tags (empty in a catalog written before)."""
    for statement in EDIT_LOG_DDL:
        cur.execute(statement)


def create_versions(cur: duckdb.DuckDBPyConnection) -> None:
    """Step 10: the versions table (empty in a catalog written before)."""
    cur.execute(VERSIONS_DDL)


def create_version_copies(cur: duckdb.DuckDBPyConnection) -> None:
    """Step 14: the (empty) tables of browsed versions' copies."""
    for statement in VERSION_COPIES_DDL:
        cur.execute(statement)


def create_sample_tag_log(cur: duckdb.DuckDBPyConnection) -> None:
    """Step 15: the sample tags' rows of the log and their version copy (empty: the tags a
    catalog written before holds are where its history of them starts). The copies made
    before lack the sample tags: dropped, a browse copies again."""
    for statement in SAMPLE_TAGS_DDL:
        cur.execute(statement)
    for table in (*VERSION_COPIES, "version_copies"):
        cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names


def create_classification_log(cur: duckdb.DuckDBPyConnection) -> None:
    """Step 27: the image labels' rows of the log and their version copy (empty: the image
    labels a catalog written before holds are where their history starts). The copies made
    before lack the image labels: dropped, a browse copies again."""
    for statement in CLASSIFICATIONS_DDL:
        cur.execute(statement)
    for table in (*VERSION_COPIES, VERSION_SAMPLE_TAGS, "version_copies"):
        cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
