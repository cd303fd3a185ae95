"""Undo and redo of a batch that deleted samples: its rows and vectors put back, or the
same samples deleted again (:mod:`.sample_deletes`); every other batch inverts its steps
(:mod:`.engine`)."""

from __future__ import annotations

from typing import Any

import duckdb

from ..catalog import Catalog
from .errors import EditError
from .log_stacks import stacks
from .sample_deletes import (
    Vectors,
    delete_samples,
    deleted_sample_ids,
    deleting_batch,
    restore_samples,
)


def invert_sample_batch(
    catalog: Catalog, dataset: str, user: str, kind: str, vectors: Vectors
) -> dict[str, Any] | None:
    """The undo of a batch that deleted samples (their rows and vectors put back), or the
    redo of such an undo (the same samples deleted again); None for any other batch."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        undoable, redoable = stacks(cur, dataset_id)
        pile = undoable if kind == "undo" else redoable
        if not pile:
            return None
        top = pile[-1]
        deleted_by = top
        if kind == "redo":  # the undo's target: the batch whose samples it put back
            ((target,),) = cur.execute(
                "SELECT target FROM edit_batches WHERE dataset_id = ? AND batch_id = ?",
                [dataset_id, top],
            ).fetchall()
            if target is None:
                return None
            deleted_by = int(target)
        if not deleting_batch(cur, dataset_id, deleted_by):
            return None
        samples = deleted_sample_ids(cur, dataset_id, deleted_by) if kind == "redo" else None

    def check_log(cur: duckdb.DuckDBPyConnection) -> None:
        now = stacks(cur, dataset_id)[0 if kind == "undo" else 1]
        if not now or now[-1] != top:
            raise EditError(f"the log moved while the {kind} was prepared: {kind} again")

    if samples is None:
        return restore_samples(catalog, dataset, top, user, vectors, check_log=check_log)
    return delete_samples(catalog, dataset, samples, user, vectors, kind="redo", target=top,
                          check_log=check_log)  # fmt: skip
