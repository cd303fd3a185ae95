"""What a dataset-wide result was computed over, and whether the dataset still is that.

Duplicate groups, blind spots, maps and label quality are computed over the whole dataset
and stored; a later write can take samples away (``delete-samples``), bring them back
(``undo``), add some (``merge``, ingest into the dataset) or change the labels the result
read (``delete --labels``, any edit, a model imported again, a merge). Rather than every
writer remembering every result, a result stores its **basis** when it is computed
(:func:`basis`: a fingerprint of the dataset's sample ids, and for the label-reading
results of the labels of the sources it read) and each answer compares it with the dataset
as it is now (:func:`staleness`). A write path cannot forget to mark a result stale: the
fingerprint moves with any change of the samples, whoever made it, and moves back when an
undo restores exactly the samples there were.

The fingerprint is the count, the largest id and the sum of DuckDB's ``hash`` of the ids:
sample ids only grow (an ingest or merge takes ids above every stored one), so the samples
added since are those above the stored largest id, and the samples gone are the stored
count less those still there. Label edits that keep the objects (a move, a relabel) keep
the label fingerprint, so the edit log is asked as well (as evaluations do).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

SAMPLES_SQL = (
    "SELECT count(*), coalesce(max(sample_id), 0), coalesce(sum(hash(sample_id)), 0) "
    "FROM samples WHERE dataset_id = ?"
)
LABELS_SQL = """
    SELECT (SELECT count(*) FROM annotations WHERE dataset_id = $d AND list_contains($s, source))
         + (SELECT count(*) FROM classifications WHERE dataset_id = $d AND list_contains($s, source)),
           coalesce((SELECT sum(hash(ann_id)) FROM annotations
                     WHERE dataset_id = $d AND list_contains($s, source)), 0)
         + coalesce((SELECT sum(hash(sample_id, source, label)) FROM classifications
                     WHERE dataset_id = $d AND list_contains($s, source)), 0)
"""
EDITED_SQL = """
    SELECT EXISTS (SELECT 1 FROM edit_ops WHERE dataset_id = $d AND created_at > $t
                   AND list_contains($s, source))
        OR EXISTS (SELECT 1 FROM models WHERE dataset_id = $d AND created_at > $t
                   AND list_contains($s, name))
        OR EXISTS (SELECT 1 FROM classification_ops c JOIN edit_batches b
                     ON b.dataset_id = c.dataset_id AND b.batch_id = c.batch_id
                   WHERE c.dataset_id = $d AND b.created_at > $t
                     AND list_contains($s, c.source))
"""


def basis(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, sources: list[str] | None = None
) -> dict[str, Any]:
    """The fingerprint of the dataset's samples now (and of the labels of ``sources``), to
    store with a result computed over them (JSON-safe: the hash sums as text)."""
    count, max_id, ids_hash = cur.execute(SAMPLES_SQL, [dataset_id]).fetchall()[0]
    out: dict[str, Any] = {"samples": int(count), "max_sample_id": int(max_id),
                           "ids_hash": str(ids_hash)}  # fmt: skip
    if sources:
        labels, labels_hash = cur.execute(LABELS_SQL, {"d": dataset_id, "s": sources}).fetchall()[0]
        out.update(sources=list(sources), labels=int(labels), labels_hash=str(labels_hash))
    return out


def staleness(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    stored: dict[str, Any] | None,
    computed_at: datetime,
    *,
    other_labels_changed: bool = False,
) -> dict[str, Any]:
    """Whether a result with basis ``stored``, computed at ``computed_at``, is stale now:
    ``{"stale", "stale_reason", "samples_removed", "samples_added", "labels_changed"}``.
    ``other_labels_changed``: labels the result read outside the annotation tables changed
    since (the caller's own fingerprint, e.g. semantic masks).

    A result stored before bases were recorded (``stored`` None) is judged by the log: stale
    when a batch deleted or restored samples since (counts unknown: None)."""
    if stored is None:
        (deleted,) = cur.execute(
            "SELECT EXISTS (SELECT 1 FROM edit_batches WHERE dataset_id = ? AND created_at > ? "
            "AND first_seq > last_seq)",
            [dataset_id, computed_at],
        ).fetchall()[0]
        parts = ["samples were deleted or restored"] if deleted else []
        parts += ["labels changed since it was computed"] if other_labels_changed else []
        return _answer(bool(parts), None, None, other_labels_changed, "; ".join(parts) or None)
    now = basis(cur, dataset_id, stored.get("sources"))
    added = removed = 0
    if (now["samples"], now["ids_hash"]) != (stored["samples"], stored["ids_hash"]):
        ((added,),) = cur.execute(
            "SELECT count(*) FROM samples WHERE dataset_id = ? AND sample_id > ?",
            [dataset_id, stored["max_sample_id"]],
        ).fetchall()
        removed = stored["samples"] - (now["samples"] - added)
    labels_changed = other_labels_changed
    if "sources" in stored and not labels_changed:
        labels_changed = (now["labels"], now["labels_hash"]) != (
            stored["labels"],
            stored["labels_hash"],
        ) or bool(
            cur.execute(
                EDITED_SQL, {"d": dataset_id, "t": computed_at, "s": stored["sources"]}
            ).fetchall()[0][0]
        )
    # ids that changed without the counts moving (one deleted, one added) still differ
    differs = now["ids_hash"] != stored["ids_hash"] or bool(added or removed)
    reason = _reason(int(removed), int(added), labels_changed, differs)
    return _answer(reason is not None, int(removed), int(added), labels_changed, reason)


def _reason(removed: int, added: int, labels_changed: bool, differs: bool) -> str | None:
    parts = []
    if removed:
        parts.append(f"{removed:,} sample{'s' if removed != 1 else ''} deleted")
    if added:
        parts.append(f"{added:,} sample{'s' if added != 1 else ''} added")
    if differs and not parts:
        parts.append("the samples changed")
    if labels_changed:
        parts.append("labels changed")
    return "; ".join(parts) + " since it was computed" if parts else None


def _answer(
    stale: bool,
    removed: int | None,
    added: int | None,
    labels_changed: bool,
    reason: str | None,
) -> dict[str, Any]:
    return {
        "stale": stale,
        "stale_reason": reason if stale else None,
        "samples_removed": removed,
        "samples_added": added,
        "labels_changed": labels_changed,
    }


def present_ids(cur: duckdb.DuckDBPyConnection, dataset_id: int, ids: list[int]) -> set[int]:
    """Which of ``ids`` are samples of the dataset now (a stored result may name deleted
    ones)."""
    if not ids:
        return set()
    rows = cur.execute(
        "SELECT sample_id FROM samples WHERE dataset_id = ? AND sample_id IN "
        "(SELECT unnest(?::BIGINT[]))",
        [dataset_id, sorted(set(ids))],
    ).fetchall()
    return {int(r[0]) for r in rows}
