"""Schema step 23: ``deleted_samples``, what a batch that deleted samples took away.

A batch of the operation log that deletes samples (``visionlens delete-samples``,
:mod:`.sample_deletes`) keeps here every row it deleted, table by table, and the vectors of
the samples in each vector space, so that an undo puts back exactly what was there. One row
per table (``what`` = ``rows``) or vector space (``what`` = ``vectors``) and part (a big
table is split in parts of a bounded size), the rows themselves as an Arrow IPC stream (the
table's own columns, so that a column added later takes its default on undo). The rows stay
after an undo: a redo takes the samples again, keeping them anew under its own batch.

Such a batch logs no operation: its ``first_seq`` is past its ``last_seq`` (every other
batch logs at least one), which is how the evaluations tell that samples went or came back
since they ran. Deleted with its dataset, like the rest of the log.
"""

from __future__ import annotations

import duckdb

TABLE = "deleted_samples"

DDL = """
CREATE TABLE IF NOT EXISTS deleted_samples (
    dataset_id INTEGER NOT NULL,
    batch_id BIGINT NOT NULL,      -- the batch of edit_batches that deleted them
    what VARCHAR NOT NULL,         -- 'rows' (name: a table) or 'vectors' (name: a space)
    name VARCHAR NOT NULL,
    part INTEGER NOT NULL,
    data BLOB NOT NULL             -- an Arrow IPC stream of the rows
)
"""


def create_deleted_samples(cur: duckdb.DuckDBPyConnection) -> None:
    """Step 23: the (empty) table of deleted samples' rows."""
    cur.execute(DDL)
