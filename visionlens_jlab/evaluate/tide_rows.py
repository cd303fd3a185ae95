"""Schema step 24: ``tide_objects``, each object's TIDE error, so that a bar of the TIDE
chart opens the objects of its error type (the ``eval`` condition's ``tide``).

One row per object with an error of an evaluation that has TIDE (COCO and LVIS bbox and segm): a
prediction's ``Cls``, ``Loc``, ``Both``, ``Dupe`` or ``Bkg``, a ground truth's ``Miss``
(:mod:`.tide`). Written with the evaluation's per-box rows in its transaction; an edit
types the touched samples' objects again as it matches them again (:mod:`.rematch`: every
TIDE error is decided inside its image). An evaluation stored before this step has no rows:
its chart's bars open nothing until it is evaluated again (the report says so by its
``tide_objects`` flag).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from .code_names import names_of
from .tide import MAIN_ERRORS, TideObjects

TABLE = "tide_objects"

DDL = """
CREATE TABLE IF NOT EXISTS tide_objects (
    dataset_id INTEGER NOT NULL,
    eval_key VARCHAR NOT NULL,
    ann_id BIGINT NOT NULL,        -- -1 - ann_id: an edited mask's object, no longer named
    sample_id BIGINT NOT NULL,
    error VARCHAR NOT NULL         -- Cls | Loc | Both | Dupe | Bkg (predictions), Miss (truth)
)
"""

MISS = MAIN_ERRORS.index("Miss")


def create_tide_objects(cur: duckdb.DuckDBPyConnection) -> None:
    """Step 24: the (empty) table of the objects' TIDE errors."""
    cur.execute(DDL)


def tide_column(objects: TideObjects | None, n_gt: int, n_dt: int) -> pa.Array:
    """The ``tide_error`` column of the per-box table (ground truth first, then
    predictions): each object's error name, null without one (or without TIDE)."""
    if objects is None:
        return pa.nulls(n_gt + n_dt, pa.string())
    codes = np.concatenate([np.where(objects.gt_missed, MISS, -1), objects.dt_error])
    return names_of(codes, MAIN_ERRORS)


def insert_tide_rows(cur: duckdb.DuckDBPyConnection, dataset_id: int, key: str, view: str) -> None:
    """Insert the typed objects of the registered per-box table ``view`` (its
    ``tide_error`` column) as evaluation ``key``'s rows."""
    cur.execute(
        f"""
        INSERT INTO tide_objects
        SELECT ?, ?, ann_id, sample_id, tide_error FROM {view}
        WHERE tide_error IS NOT NULL
        """,  # noqa: S608 - a view name of this package, values bound
        [dataset_id, key],
    )


def delete_tide_rows(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, key: str, samples: list[int] | None = None
) -> None:
    """Delete evaluation ``key``'s rows (of ``samples`` only, when given)."""
    if samples is None:
        cur.execute(
            "DELETE FROM tide_objects WHERE dataset_id = ? AND eval_key = ?", [dataset_id, key]
        )
        return
    cur.execute(
        "DELETE FROM tide_objects WHERE dataset_id = ? AND eval_key = ? "
        "AND sample_id IN (SELECT unnest(?::BIGINT[]))",
        [dataset_id, key, samples],
    )
