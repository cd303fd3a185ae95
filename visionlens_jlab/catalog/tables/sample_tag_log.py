"""The samples' tags in the operation log: one position, one batch numbering with the objects.

A batch of the log (``edit_batches``) may change objects (``edit_ops``) and the tags of
whole samples (``sample_tag_ops``, schema step 15); both tables take their ``seq`` from one
counter per dataset (:func:`log_position`), so a version, which is a position, names the
objects and the sample tags of one moment. A change of sample tags is an Arrow table of
:data:`TAG_CHANGES` (a sample's tags before and after, one row per sample); the tag writer
(:mod:`..writes.sample_tags`) and the edit engine (undo, redo, restore) log it here.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa

from .sample_log import SampleLog

TAG_CHANGES = pa.schema(
    [
        ("sample_id", pa.int64()),
        ("tags_before", pa.list_(pa.string())),
        ("tags_after", pa.list_(pa.string())),
    ]
)
"""The shape of a change of sample tags."""

TAG_LOG = SampleLog("sample_tag_ops", TAG_CHANGES)
"""Where sample-tag changes are logged, read back by batch and inverted."""


def log_position(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> int:
    """The dataset's last ``seq`` in the log (objects, sample tags and image labels,
    :mod:`.classification_log`), 0 when empty."""
    ((seq,),) = cur.execute(
        """
        SELECT GREATEST(
            (SELECT COALESCE(MAX(seq), 0) FROM edit_ops WHERE dataset_id = $1),
            (SELECT COALESCE(MAX(seq), 0) FROM sample_tag_ops WHERE dataset_id = $1),
            (SELECT COALESCE(MAX(seq), 0) FROM classification_ops WHERE dataset_id = $1))
        """,
        [dataset_id],
    ).fetchall()
    return int(seq)


def next_batch(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> int:
    """The number the dataset's next batch takes."""
    ((batch_id,),) = cur.execute(
        "SELECT COALESCE(MAX(batch_id), 0) + 1 FROM edit_batches WHERE dataset_id = ?",
        [dataset_id],
    ).fetchall()
    return int(batch_id)


def log_batch(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    batch: tuple[int, str, int | None],
    seqs: tuple[int, int],
    when: datetime,
    user: str,
) -> None:
    """The batch's row: ``(id, kind, target)``, its first and last ``seq``, who and when."""
    batch_id, kind, target = batch
    cur.execute(
        "INSERT INTO edit_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [dataset_id, batch_id, kind, target, when, user, *seqs],
    )


def sample_tags_since(dataset_id: int, position: int) -> str:
    """SQL of the samples whose tags an operation after log ``position`` changed:
    ``sample_id``, its tags at that position (``then_tags``) and now (``now_tags``). The
    two numbers are written into the SQL as integers."""
    return f"""
        SELECT sample_id, arg_min(struct_pack(t := tags_before), seq).t AS then_tags,
               arg_max(struct_pack(t := tags_after), seq).t AS now_tags
        FROM sample_tag_ops WHERE dataset_id = {int(dataset_id)} AND seq > {int(position)}
        GROUP BY sample_id
    """  # noqa: S608 - integers only


def samples_at(dataset_id: int, position: int, samples: str, changed: str | None = None) -> str:
    """SQL of the rows of ``samples`` (a relation with the samples' columns, any dataset's)
    with the tags the dataset's samples had at log ``position``: their tags then where an
    operation since changed them, else their tags now. What a browsed version's ``samples``
    shadow (:mod:`.labels_view`) and an export of a version read. ``changed``: a relation
    holding :func:`sample_tags_since` already (read once), else that fold itself."""
    changed = changed or f"({sample_tags_since(dataset_id, position)})"
    return f"""(
        SELECT s.* REPLACE (COALESCE(t.then_tags, s.tags) AS tags)
        FROM {samples} s LEFT JOIN {changed} t
          ON s.dataset_id = {int(dataset_id)} AND t.sample_id = s.sample_id
    )"""  # noqa: S608 - integers and the catalog's own names
