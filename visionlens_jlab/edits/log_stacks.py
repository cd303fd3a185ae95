"""The undo and redo piles of a dataset's operation log, read from its batches."""

from __future__ import annotations

import duckdb


def stacks(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> tuple[list[int], list[int]]:
    """The batches an undo would invert (last first out) and those a redo would, from the
    log: an edit or a restore clears the redo pile, an undo moves its target there."""
    undoable: list[int] = []
    redoable: list[int] = []
    for batch_id, kind in cur.execute(
        "SELECT batch_id, kind FROM edit_batches WHERE dataset_id = ? ORDER BY batch_id",
        [dataset_id],
    ).fetchall():
        if kind == "undo":
            undoable.pop()
            redoable.append(int(batch_id))
        elif kind == "redo":
            redoable.pop()
            undoable.append(int(batch_id))
        else:
            undoable.append(int(batch_id))
            redoable.clear()
    return undoable, redoable
