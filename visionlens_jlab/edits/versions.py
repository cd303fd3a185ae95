"""Named versions of a dataset's labels, tags and image labels: positions in the log.

A version is one row: the ``seq`` of the last operation it includes and the counts at that
moment; it copies nothing, so it takes the same time and disk at 1K or 1M images. A diff
folds the operations between two positions per object (its first state and its last) in
one grouped statement over ``edit_ops`` (and per sample over ``sample_tag_ops``, the tags
of whole samples, :mod:`..catalog.tables.sample_tag_log`; per sample and source over
``classification_ops``, the image labels, :mod:`..catalog.tables.classification_log`); a restore writes, as one batch of the log, the
inverse of every change made since the version (so it can be undone).

Only edits through the log are history: an ingest under the same name starts a new dataset
(and a new, empty history); a model imported again replaces its predictions outside the
log, so a restore that would touch that model's objects from before the import is refused.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import duckdb
import pyarrow as pa

from ..catalog import GROUND_TRUTH, Catalog, NotFoundError
from ..catalog.tables.classification_log import CLASSIFICATION_CHANGES, classifications_since
from ..catalog.tables.labels_at import changed_since, version_position
from ..catalog.tables.sample_tag_log import TAG_CHANGES, log_position, sample_tags_since
from .engine import commit_batch
from .errors import EditError
from .states import Step, logged_state
from .version_eval import check_model, evaluation_diff, same_labels

CURRENT = "current"


def snapshot(catalog: Catalog, dataset: str, message: str, user: str) -> dict[str, Any]:
    """Name the dataset's labels as they are now as a new version; return it."""
    if not isinstance(message, str) or len(message) > 10_000:
        raise EditError("the message must be a string of at most 10,000 characters")
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (a JSON \uXXXX escape): the write failed
        raise EditError("the message is not valid Unicode text") from None
    with catalog.cursor() as read:
        dataset_id = catalog.dataset_id(read, dataset)
    when = datetime.now(timezone.utc).replace(tzinfo=None)
    # a version changes no answer (no label, no derived row): the answers cache stays valid
    with catalog.write_derived(dataset_id) as cur:
        ((version, samples, annotations),) = cur.execute(
            """
            SELECT (SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE dataset_id = $1),
                   num_samples, num_annotations
            FROM datasets WHERE dataset_id = $1
            """,
            [dataset_id],
        ).fetchall()
        seq = log_position(cur, dataset_id)
        cur.execute(
            "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [dataset_id, version, seq, when, user, message, samples, annotations],
        )
    return _version_dict((version, seq, when, user, message, samples, annotations))


def list_versions(catalog: Catalog, dataset: str) -> list[dict[str, Any]]:
    """Every version of the dataset, oldest first."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            "SELECT version, seq, created_at, user_name, message, samples, annotations "
            "FROM versions WHERE dataset_id = ? ORDER BY version",
            [dataset_id],
        ).fetchall()
    return [_version_dict(r) for r in rows]


def _version_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    version, seq, when, user, message, samples, annotations = row
    return {
        "version": int(version),
        "created_at": when.isoformat(),
        "message": message,
        "samples": int(samples),
        "annotations": int(annotations),
        "seq": int(seq),
        "user": user,
    }


def _position(cur: duckdb.DuckDBPyConnection, dataset_id: int, version: Any) -> int:
    """The log position of ``version``: a version number, or ``current``."""
    if version == CURRENT:
        return log_position(cur, dataset_id)
    try:
        number = int(version)
    except (TypeError, ValueError):
        raise EditError(f"a version is a number or 'current', got {version!r}") from None
    return version_position(cur, dataset_id, number)


_DIFF_SQL = """
WITH folded AS (
    SELECT ann_id,
           arg_min(struct_pack(l := label_before, b := box_before, t := tags_before,
                               s := sample_id), seq) AS early,
           arg_max(struct_pack(l := label_after, b := box_after, t := tags_after,
                               s := sample_id), seq) AS late
    FROM edit_ops
    WHERE dataset_id = $dataset AND seq > $low AND seq <= $high AND source = $source
    GROUP BY ann_id
), sides AS (
    SELECT CASE WHEN $forward THEN early ELSE late END AS a,
           CASE WHEN $forward THEN late ELSE early END AS b
    FROM folded
), kinds AS (
    SELECT a.s AS sample_id,
           a.l IS NULL AND b.l IS NOT NULL AS added,
           a.l IS NOT NULL AND b.l IS NULL AS removed,
           a.l IS NOT NULL AND b.l IS NOT NULL AND a.l <> b.l AS relabelled,
           a.l IS NOT NULL AND b.l IS NOT NULL AND a.b <> b.b AS moved,
           a.l IS DISTINCT FROM b.l OR a.b IS DISTINCT FROM b.b
               OR COALESCE(a.t, []) <> COALESCE(b.t, []) AS changed,
           CASE WHEN a.l IS NULL THEN b.l ELSE a.l END AS label_from,
           COALESCE(b.l, a.l) AS label_to
    FROM sides
)
SELECT label, SUM(added), SUM(removed), SUM(relabelled), SUM(moved)
FROM (
    SELECT label_to AS label, added::INT AS added, 0 AS removed, 0 AS relabelled,
           moved::INT AS moved FROM kinds
    UNION ALL
    SELECT label_from, 0, removed::INT, relabelled::INT, 0 FROM kinds
)
GROUP BY label ORDER BY label
"""
"""Per class: objects added and moved (under their class in the later state), removed and
relabelled (under their class in the earlier state)."""

_SAMPLES_SQL = """
WITH objects AS (
    SELECT arg_min(struct_pack(l := label_before, b := box_before, t := tags_before), seq) AS a,
           arg_max(struct_pack(l := label_after, b := box_after, t := tags_after), seq) AS b,
           any_value(sample_id) AS sample_id
    FROM edit_ops
    WHERE dataset_id = $dataset AND seq > $low AND seq <= $high AND source = $source
    GROUP BY ann_id
), folded AS (
    SELECT sample_id, arg_min(struct_pack(t := tags_before), seq).t AS early,
           arg_max(struct_pack(t := tags_after), seq).t AS late
    FROM sample_tag_ops WHERE dataset_id = $dataset AND seq > $low AND seq <= $high
    GROUP BY sample_id
), tagged AS (
    SELECT sample_id,
           list_distinct(CASE WHEN $forward THEN early ELSE late END) AS a,
           list_distinct(CASE WHEN $forward THEN late ELSE early END) AS b
    FROM folded
), labelled AS (
    SELECT sample_id, arg_min(struct_pack(r := rows_before), seq).r AS a,
           arg_max(struct_pack(r := rows_after), seq).r AS b
    FROM classification_ops
    WHERE dataset_id = $dataset AND seq > $low AND seq <= $high AND source = $source
    GROUP BY sample_id
)
SELECT
    (SELECT COUNT(*) FROM (
        SELECT sample_id FROM objects
        WHERE a.l IS DISTINCT FROM b.l OR a.b IS DISTINCT FROM b.b
           OR COALESCE(a.t, []) <> COALESCE(b.t, [])
        UNION
        SELECT sample_id FROM tagged WHERE list_sort(a) <> list_sort(b)
        UNION
        SELECT sample_id FROM labelled WHERE list_sort(a) IS DISTINCT FROM list_sort(b))),
    (SELECT COALESCE(SUM(len(list_filter(b, lambda t: NOT list_contains(a, t)))), 0) FROM tagged),
    (SELECT COALESCE(SUM(len(list_filter(a, lambda t: NOT list_contains(b, t)))), 0) FROM tagged)
"""
"""The samples with any change (an object or the image labels of ``source``, or the
sample's tags), and the sample tags added and removed (one per sample and tag)."""

_IMAGE_LABELS_SQL = """
WITH folded AS (
    SELECT arg_min(struct_pack(r := rows_before), seq).r AS early,
           arg_max(struct_pack(r := rows_after), seq).r AS late
    FROM classification_ops
    WHERE dataset_id = $dataset AND seq > $low AND seq <= $high AND source = $source
    GROUP BY sample_id
), sides AS (
    SELECT list_distinct(list_transform(CASE WHEN $forward THEN early ELSE late END,
                                        lambda r: r.label)) AS a,
           list_distinct(list_transform(CASE WHEN $forward THEN late ELSE early END,
                                        lambda r: r.label)) AS b
    FROM folded
)
SELECT label, SUM(added), SUM(removed) FROM (
    SELECT unnest(list_filter(b, lambda l: NOT list_contains(a, l))) AS label,
           1 AS added, 0 AS removed FROM sides
    UNION ALL
    SELECT unnest(list_filter(a, lambda l: NOT list_contains(b, l))), 0, 1 FROM sides
)
GROUP BY label ORDER BY label
"""
"""Per class, the image labels of ``source`` given to samples and taken from them (a
sample's label changed from one class to another counts once under each)."""


def diff_versions(
    catalog: Catalog,
    dataset: str,
    v1: Any,
    v2: Any,
    source: str = GROUND_TRUTH,
    model: str | None = None,
    protocol: str = "coco",
    iou: float = 0.5,
) -> dict[str, Any]:
    """What changed from version ``v1`` to ``v2`` (either may be ``current``) among the
    objects of ``source`` (ground truth by default): objects added, removed, relabelled
    and moved, in total and per class; how many samples changed (an object's tags, the
    sample's own tags and its image labels included); ``sample_tags``: the tags added to
    and removed from samples (each sample and tag counted once); ``image_labels``: the image
    labels of ``source`` added to and removed from samples, in total and per class.

    With ``model``, also ``evaluation``: that model's predictions evaluated (``protocol``,
    ``iou``) against the labels at ``v1`` and at ``v2``, and the deltas in total and per
    class (:func:`~.version_eval.evaluation_diff`). No model is chosen by default: the
    evaluation reads and matches every box twice, the label diff only the log."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        p1, p2 = _position(cur, dataset_id, v1), _position(cur, dataset_id, v2)
        if source != GROUND_TRUTH:  # a misspelt model diffed as nothing changed, all zeros
            known = [r[0] for r in cur.execute(
                "SELECT name FROM models WHERE dataset_id = ? ORDER BY name", [dataset_id]
            ).fetchall()]  # fmt: skip
            if source not in known:
                raise NotFoundError(
                    f"no model {source!r} on this dataset (known: {', '.join(known) or 'none'})"
                )
        same = False
        if model is not None:
            numbered = [v for v in (v1, v2) if v != CURRENT]
            check_model(cur, dataset_id, model, numbered, protocol, iou)
            same = same_labels(cur, dataset_id, model, min(p1, p2), max(p1, p2))
        bounds = {
            "dataset": dataset_id,
            "low": min(p1, p2),
            "high": max(p1, p2),
            "source": source,
            "forward": p1 <= p2,
        }
        rows = cur.execute(_DIFF_SQL, bounds).fetchall()
        ((changed, tags_added, tags_removed),) = cur.execute(_SAMPLES_SQL, bounds).fetchall()
        image_rows = cur.execute(_IMAGE_LABELS_SQL, bounds).fetchall()
    keys = ("added", "removed", "relabelled", "moved")
    by_class = {
        label: dict(zip(keys, (int(n or 0) for n in counts), strict=True))
        for label, *counts in rows
    }
    by_class = {label: c for label, c in by_class.items() if any(c.values())}
    totals = {key: sum(c[key] for c in by_class.values()) for key in keys}
    diff = {
        **totals,
        "samples_changed": int(changed),
        "sample_tags": {"added": int(tags_added), "removed": int(tags_removed)},
        "image_labels": _image_label_counts(image_rows),
        "by_class": by_class,
        "from": v1,
        "to": v2,
    }
    if model is not None:
        sides = ((v1, _loaded(v1, p1)), (v2, _loaded(v2, p2)))
        diff["evaluation"] = evaluation_diff(catalog, dataset, model, sides, protocol, iou, same)
    return diff


def _image_label_counts(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """The diff's ``image_labels``: labels added and removed, in total and per class."""
    by_class = {str(label): {"added": int(a), "removed": int(r)} for label, a, r in rows}
    return {
        "added": sum(c["added"] for c in by_class.values()),
        "removed": sum(c["removed"] for c in by_class.values()),
        "by_class": by_class,
    }


def _loaded(version: Any, position: int) -> int | None:
    """The log position to read a version's labels at: None for ``current`` (the rows as
    they are, without folding the log back)."""
    return None if version == CURRENT else position


def restore_version(catalog: Catalog, dataset: str, version: Any, user: str) -> dict[str, Any]:
    """Make the labels, object tags and sample tags what they were at ``version``: the
    inverse of every change since, written as one batch of kind ``restore`` (undo takes it
    back)."""

    def resolve(
        cur: duckdb.DuckDBPyConnection, dataset_id: int
    ) -> tuple[list[Step], pa.Table, pa.Table, dict]:
        position = _position(cur, dataset_id, version)
        _refuse_reimported(cur, dataset_id, position, version)
        rows = cur.execute(
            f"SELECT * FROM ({changed_since(dataset_id, position)}) ORDER BY ann_id"  # noqa: S608 - integers only
        ).fetchall()
        steps = [
            Step("restore", int(ann_id), logged_state(now), logged_state(then))
            for ann_id, then, now in rows
            if logged_state(now) != logged_state(then)
        ]
        since = sample_tags_since(dataset_id, position)
        tags = cur.sql(
            f"SELECT sample_id, now_tags AS tags_before, then_tags AS tags_after FROM ({since}) "  # noqa: S608 - integers only
            "WHERE list_sort(list_distinct(now_tags)) <> list_sort(list_distinct(then_tags)) "
            "ORDER BY sample_id"
        ).to_arrow_table()
        labels = cur.sql(
            "SELECT sample_id, source, now_rows AS rows_before, then_rows AS rows_after "  # noqa: S608 - integers only
            f"FROM ({classifications_since(dataset_id, position)}) "
            "WHERE list_sort(now_rows) IS DISTINCT FROM list_sort(then_rows) "
            "ORDER BY sample_id, source"
        ).to_arrow_table()
        if not steps and not tags.num_rows and not labels.num_rows:
            raise EditError(f"the labels are already as they were at version {version}")
        applied = len(steps) + tags.num_rows + labels.num_rows
        return (
            steps,
            tags.cast(TAG_CHANGES),
            labels.cast(CLASSIFICATION_CHANGES),
            {"applied": applied, "restored": _number(version)},
        )

    return commit_batch(catalog, dataset, "restore", _number(version), user, resolve)


def _refuse_reimported(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, position: int, version: Any
) -> None:
    """Refuse a restore over predictions a model import replaced after they were edited."""
    rows = cur.execute(
        """
        SELECT DISTINCT m.name FROM edit_ops o
        JOIN models m ON m.dataset_id = o.dataset_id AND m.name = o.source
        WHERE o.dataset_id = ? AND o.seq > ? AND m.created_at > o.created_at
        """,
        [dataset_id, position],
    ).fetchall()
    if rows:
        names = ", ".join(sorted(r[0] for r in rows))
        raise EditError(
            f"the predictions of {names} were imported again after they were edited: their "
            f"history before that import is gone, so version {version} cannot be restored; "
            "restore a version taken after the import, or import the model again"
        )


def _number(version: Any) -> int | None:
    return None if version == CURRENT else int(version)
