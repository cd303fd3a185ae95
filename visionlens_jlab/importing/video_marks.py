"""The marks of a video's timeline: where a track's labels change, its source's keyframes
and, given a tracking evaluation, the frames its identity switched on.

Only the frames where something happens are answered (never a value per frame), so a long
video's answer grows with its changes, not with its frames:

* ``changes``: the frames where the track's class (``label``) or one of its attributes
  (``attributes.<key>``) differs from its previous object's, with both values as text. A
  number is compared by its quarter (``floor(4 * value)``): MOT's ``visibility`` (a ratio
  that moves on every frame) marks where it crosses 0.25, 0.5, 0.75 or 1, an integer every
  change. An attribute is compared among the objects that have it; CVAT's ``keyframe``
  flag is the ``keyframes`` list instead. A track answers at most ``MAX_TRACK_CHANGES``
  of them, spread evenly over its changes in frame order, and ``changes_total``: how many
  it has (an attribute that flips on every frame of a long video would otherwise make the
  answer grow with the video's frames).
* ``keyframes``: the frames whose object the source marks a keyframe (CVAT's listed
  shapes, ``keyframe`` 1); empty for sources without keyframes (MOT).
* ``switches`` (with a model): the frames where the track's object is one side of an
  identity switch in the model's latest tracking evaluation (``track_results``).
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..catalog import CatalogError

# The tracked objects of one video: (dataset, video) bound.
_OBJECTS = """
SELECT a.source, a.track_id, f.frame_number AS frame, a.label, a.attributes
FROM annotations a
JOIN video_frames f ON f.dataset_id = a.dataset_id AND f.sample_id = a.sample_id
WHERE a.dataset_id = $ds AND f.video_id = $video AND a.track_id IS NOT NULL
"""

# What each object has (its class, each attribute but the keyframe flag) as a compared key
# and a shown text; a change is a value unlike the previous one of the same track and name.
_CHANGES = f"""
WITH objects AS ({_OBJECTS}),
named AS (
    SELECT source, track_id, frame, 'label' AS what, label AS compared, label AS shown
    FROM objects
    UNION ALL
    SELECT o.source, o.track_id, o.frame, 'attributes.' || j.key,
           CASE WHEN j.type IN ('DOUBLE', 'BIGINT', 'UBIGINT')
                THEN 'quarter ' || CAST(floor(4 * CAST(j.value AS DOUBLE)) AS VARCHAR)
                ELSE CAST(j.value AS VARCHAR) END,
           CASE WHEN j.type = 'VARCHAR' THEN j.value ->> '$' ELSE CAST(j.value AS VARCHAR) END
    FROM objects o, json_each(o.attributes) j
    WHERE j.key <> 'keyframe'
),
steps AS (
    SELECT *, lag(compared) OVER w AS was_compared, lag(shown) OVER w AS was_shown
    FROM named
    WINDOW w AS (PARTITION BY source, track_id, what ORDER BY frame)
),
changed AS (
    SELECT source, track_id, frame, what, was_shown, shown,
           row_number() OVER t AS k,
           count(*) OVER (PARTITION BY source, track_id) AS total
    FROM steps
    WHERE was_compared IS NOT NULL AND compared IS DISTINCT FROM was_compared
    WINDOW t AS (PARTITION BY source, track_id ORDER BY frame, what)
)
-- every s-th change, s = ceil(total / cap): at most cap a track, from its first one on
SELECT source, track_id, frame, what, was_shown, shown, total FROM changed
WHERE (k - 1) % CAST(ceil(total / $cap) AS BIGINT) = 0
ORDER BY source, track_id, frame, what
"""  # noqa: S608 - fixed text

MAX_TRACK_CHANGES = 1000
"""The most changes a track answers (spread evenly over all of them): the timeline merges
marks closer than a few pixels anyway, so a lane never needs more."""

_KEYFRAMES = f"""
SELECT source, track_id, list(frame ORDER BY frame)
FROM ({_OBJECTS}) o
WHERE o.attributes ->> '$.keyframe' IN ('1', 'true')
GROUP BY source, track_id
"""  # noqa: S608 - fixed text

_SWITCHES = """
SELECT a.source, a.track_id, list(DISTINCT f.frame_number ORDER BY f.frame_number)
FROM track_results r
JOIN annotations a ON a.dataset_id = r.dataset_id AND a.ann_id = r.ann_id
JOIN video_frames f ON f.dataset_id = a.dataset_id AND f.sample_id = a.sample_id
WHERE r.dataset_id = ? AND r.model = ? AND r.switched AND f.video_id = ?
  AND a.track_id IS NOT NULL
GROUP BY a.source, a.track_id
"""

TrackKey = tuple[str, int]


def no_marks() -> dict[str, Any]:
    """The marks of a track without any."""
    return {"changes": [], "changes_total": 0, "keyframes": [], "switches": []}


def tracking_models(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> list[str]:
    """The models with a tracking evaluation of the dataset, by name."""
    rows = cur.execute(
        "SELECT DISTINCT model FROM track_results WHERE dataset_id = ? ORDER BY model",
        [dataset_id],
    ).fetchall()
    return [str(r[0]) for r in rows]


def track_marks(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    video_id: int,
    model: str | None,
    max_changes: int = MAX_TRACK_CHANGES,
) -> dict[TrackKey, dict[str, Any]]:
    """Each track's ``changes`` (at most ``max_changes``, evenly spread) and their
    ``changes_total``, ``keyframes`` and ``switches`` (of ``model``'s tracking evaluation;
    none without a model) by ``(source, track_id)``; a track with none of them is absent.
    :class:`CatalogError` for a model without a tracking evaluation."""
    if model is not None and model not in tracking_models(cur, dataset_id):
        raise CatalogError(
            f"model {model!r} has no tracking evaluation of this dataset "
            f"(run: visionlens evaluate DATASET --model {model} --tracking)"
        )
    marks: dict[TrackKey, dict[str, Any]] = {}

    def of(source: str, track_id: int) -> dict[str, Any]:
        return marks.setdefault((str(source), int(track_id)), no_marks())

    changes = cur.execute(_CHANGES, {"ds": dataset_id, "video": video_id, "cap": max_changes})
    for source, track_id, frame, what, before, after, total in changes.fetchall():
        track = of(source, track_id)
        track["changes"].append(
            {"frame": int(frame), "what": what, "before": before, "after": after}
        )
        track["changes_total"] = int(total)
    keyframes = cur.execute(_KEYFRAMES, {"ds": dataset_id, "video": video_id})
    for source, track_id, frames in keyframes.fetchall():
        of(source, track_id)["keyframes"] = [int(n) for n in frames]
    if model is not None:
        rows = cur.execute(_SWITCHES, [dataset_id, model, video_id]).fetchall()
        for source, track_id, frames in rows:
            of(source, track_id)["switches"] = [int(n) for n in frames]
    return marks
