"""Map fields ``eval.tp`` / ``eval.fp`` / ``eval.fn``: a sample's boxes with that status in
the latest evaluation of ``model`` (needed when several models were evaluated); registered
into the catalog's map values (:func:`..catalog.extensions.point_counts.register_point_counts`)
by its manifest (:mod:`.manifest`)."""

from __future__ import annotations

import duckdb

from ..catalog.extensions.point_counts import CountedRows
from ..catalog.query.filters import FilterError

PREFIX = "eval."
MAP_STATUSES = ("tp", "fp", "fn")


def eval_point_counts(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, status: str, model: str | None
) -> CountedRows:
    """The evaluated boxes of ``status`` in the latest evaluation of ``model``."""
    if status not in MAP_STATUSES:
        raise FilterError(
            f"unknown field {PREFIX + status!r}: eval fields are eval.tp, eval.fp, eval.fn"
        )
    key = _latest_eval_key(cur, dataset_id, model)
    return CountedRows("box_evaluations", "eval_key = ? AND status = ?", [key, status],
                       {"evaluation": key})  # fmt: skip


def _latest_eval_key(cur: duckdb.DuckDBPyConnection, dataset_id: int, model: str | None) -> str:
    rows = cur.execute(
        "SELECT model, eval_key FROM evaluations WHERE dataset_id = ? AND latest ORDER BY model",
        [dataset_id],
    ).fetchall()
    if model is not None:
        rows = [r for r in rows if r[0] == model]
    if not rows:
        what = f"model {model!r}" if model else "any model"
        raise FilterError(f"no evaluation of {what} on this dataset: evaluate first")
    if len(rows) > 1:
        names = ", ".join(r[0] for r in rows)
        raise FilterError(f"several models were evaluated ({names}): say which with 'model'")
    return str(rows[0][1])
