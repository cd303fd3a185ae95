"""A model's row of ``models``: what lists it with its dataset (the ``datasets`` answers,
``visionlens datasets``, the lab's panels) and dates its predictions (an evaluation or a result computed
before that time is stale, a version named before it cannot rebuild them).

Every import of predictions writes it here, whatever their labels (boxes, image labels, a
model run, semantic or panoptic label maps), so a model imported again keeps one row with
its new import time; and here one name is kept to one kind of predictions
(:mod:`..reads.model_kinds`), whichever writer it is.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import duckdb

from ...records.label_kinds import LABEL_TABLES
from ..reads.model_kinds import ModelKind, check_model_kind


def record_model(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    name: str,
    *,
    kind: ModelKind,
    model_format: str,
    source: str,
    predictions: int,
    report: dict[str, Any],
) -> None:
    """Replace model ``name``'s row of ``models`` in the caller's transaction: its
    ``model_format`` (the column ``format``), the file or folder it was imported from (``source``), how many
    ``predictions`` it has, its import ``report`` (JSON-safe) and now as its import time.
    Predictions of ``kind`` under a name holding the other kind are refused
    (:func:`~..reads.model_kinds.check_model_kind`): the caller's transaction rolls back,
    nothing written."""
    check_model_kind(cur, dataset_id, name, kind)
    cur.execute("DELETE FROM models WHERE dataset_id = ? AND name = ?", [dataset_id, name])
    cur.execute(
        "INSERT INTO models VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            dataset_id,
            name,
            model_format,
            source,
            datetime.now(timezone.utc).replace(tzinfo=None),
            predictions,
            json.dumps(report),
        ],
    )


def recount_predictions(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Set every model's ``num_predictions`` of the dataset to its rows in the label tables
    (objects, label maps, image labels: :data:`~...records.label_kinds.LABEL_TABLES`), after
    a copy or merge moved rows outside the writers that count them."""
    counts = " + ".join(
        f"(SELECT COUNT(*) FROM {table} t WHERE t.dataset_id = models.dataset_id "  # noqa: S608 - declared table names
        "AND t.source = models.name)"
        for table in LABEL_TABLES
    )
    cur.execute(
        f"UPDATE models SET num_predictions = {counts} WHERE dataset_id = ?",  # noqa: S608 - declared table names
        [dataset_id],
    )
