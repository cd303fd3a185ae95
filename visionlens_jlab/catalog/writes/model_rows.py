"""A model's row of ``models``: what lists it with its dataset (the ``datasets`` answers,
``visionlens datasets``, the lab's panels) and dates its predictions (an evaluation or a result computed
before that time is stale, a version named before it cannot rebuild them).

Every import of predictions writes it here, whatever their labels (boxes, image labels, a
model run, semantic or panoptic label maps), so a model imported again keeps one row with
its new import time.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import duckdb


def record_model(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    name: str,
    *,
    model_format: str,
    source: str,
    predictions: int,
    report: dict[str, Any],
) -> None:
    """Replace model ``name``'s row of ``models`` in the caller's transaction: its
    ``model_format`` (the column ``format``), the file or folder it was imported from (``source``), how many
    ``predictions`` it has, its import ``report`` (JSON-safe) and now as its import time."""
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
