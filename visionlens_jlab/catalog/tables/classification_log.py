"""The image-level labels in the operation log: one position, one batch numbering with the objects.

A batch of the log (``edit_batches``) may change objects (``edit_ops``), the tags of whole
samples (``sample_tag_ops``, :mod:`.sample_tag_log`) and the image-level labels of samples
(``classification_ops``, schema step 27): the three tables take their ``seq`` from one
counter per dataset (:func:`.sample_tag_log.log_position`), so a version names all three
at one moment. A change of image labels is an Arrow table of :data:`CLASSIFICATION_CHANGES`:
one row per sample and source, its ``classifications`` rows before and after (each row's
label, score and per-class scores, in label order), so an undo, a redo and a restore write
the rows back exactly.
"""

from __future__ import annotations

import pyarrow as pa

from .sample_log import SampleLog

CLASSIFICATION_ROW = pa.struct(
    [("label", pa.string()), ("score", pa.float64()), ("scores", pa.string())]
)
"""One ``classifications`` row of a sample and source (``scores``: its JSON text)."""

CLASSIFICATION_CHANGES = pa.schema(
    [
        ("sample_id", pa.int64()),
        ("source", pa.string()),
        ("rows_before", pa.list_(CLASSIFICATION_ROW)),
        ("rows_after", pa.list_(CLASSIFICATION_ROW)),
    ]
)
"""The shape of a change of image labels."""


CLASSIFICATION_LOG = SampleLog("classification_ops", CLASSIFICATION_CHANGES)
"""Where image-label changes are logged, read back by batch and inverted."""


def classifications_since(dataset_id: int, position: int) -> str:
    """SQL of the samples and sources whose image labels an operation after log
    ``position`` changed: ``sample_id``, ``source``, their rows at that position
    (``then_rows``) and now (``now_rows``). The two numbers are written into the SQL as
    integers."""
    return f"""
        SELECT sample_id, source, arg_min(struct_pack(r := rows_before), seq).r AS then_rows,
               arg_max(struct_pack(r := rows_after), seq).r AS now_rows
        FROM classification_ops WHERE dataset_id = {int(dataset_id)} AND seq > {int(position)}
        GROUP BY sample_id, source
    """  # noqa: S608 - integers only


def classifications_at(
    dataset_id: int, position: int, table: str = "classifications", changed: str | None = None
) -> str:
    """SQL of a relation with the columns of ``classifications``: the dataset's image labels
    at log ``position`` (the rows of the samples and sources no later operation changed as
    they are, the others' rows as they were). ``table``: the name the current rows are read
    by (qualified when a view shadows it); ``changed``: a relation holding
    :func:`classifications_since` already, else that fold itself."""
    ds = int(dataset_id)
    changed = changed or f"({classifications_since(ds, position)})"
    return f"""(
        SELECT c.* FROM {table} c
        WHERE c.dataset_id = {ds} AND NOT EXISTS (
            SELECT 1 FROM {changed} x WHERE x.sample_id = c.sample_id AND x.source = c.source)
        UNION ALL
        SELECT {ds}, sample_id, source, r.label, r.score, CAST(r.scores AS JSON) FROM (
            SELECT sample_id, source, unnest(then_rows) AS r FROM {changed})
    )"""  # noqa: S608 - integers and the catalog's own names
