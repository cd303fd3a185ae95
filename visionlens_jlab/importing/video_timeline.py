"""A video's timeline for the lab's video view: the video of a frame sample, its frame
samples by frame number and its tracks, each with the runs of frames where it has an object.

One answer per video (the lab keeps it while it steps through the frames): the view plays
by asking each frame's sample and image, and draws one lane per track from ``tracks``.
"""

from __future__ import annotations

from typing import Any

from ..catalog import Catalog, NotFoundError
from ..media.video_files import video_content_type
from .video_marks import no_marks, track_marks, tracking_models

_VIDEO_OF_SAMPLE = """
SELECT v.video_id, v.name, v.kind, v.fps, v.num_frames, v.duration, v.width, v.height,
       v.rotation, v.variable_frame_rate, f.frame_number, v.codec, v.location
FROM video_frames f
JOIN videos v ON v.dataset_id = f.dataset_id AND v.video_id = f.video_id
WHERE f.dataset_id = ? AND f.sample_id = ?
"""

_FRAMES = """
SELECT frame_number, sample_id FROM video_frames
WHERE dataset_id = ? AND video_id = ? ORDER BY frame_number
"""

# One row per (source, track): the label of its first object, its first and last frame and
# the runs of consecutive frames it has an object on, [first, last] each (a lane of the
# timeline: a track seen on every frame of an hour is one pair, not 100,000 numbers). A run
# is the frames whose number minus their rank in the track is the same (gaps and islands).
_TRACKS = """
WITH seen AS (
    SELECT a.source, a.track_id, a.label, f.frame_number
    FROM annotations a
    JOIN video_frames f ON f.dataset_id = a.dataset_id AND f.sample_id = a.sample_id
    WHERE a.dataset_id = ? AND f.video_id = ? AND a.track_id IS NOT NULL
), islands AS (
    SELECT source, track_id, frame_number,
           frame_number - row_number() OVER (PARTITION BY source, track_id
                                             ORDER BY frame_number) AS island
    FROM (SELECT DISTINCT source, track_id, frame_number FROM seen)
), runs AS (
    SELECT source, track_id, list([first, last] ORDER BY first) AS runs
    FROM (SELECT source, track_id, min(frame_number) AS first, max(frame_number) AS last
          FROM islands GROUP BY source, track_id, island)
    GROUP BY source, track_id
)
SELECT t.source, t.track_id, t.label, t.first_frame, t.last_frame, r.runs
FROM (
    SELECT source, track_id, arg_min(label, frame_number) AS label,
           min(frame_number) AS first_frame, max(frame_number) AS last_frame
    FROM seen GROUP BY source, track_id
) t
JOIN runs r USING (source, track_id)
ORDER BY t.source <> 'ground_truth', t.source, t.first_frame, t.track_id
"""


def video_timeline(
    catalog: Catalog, dataset: str, sample_id: int, model: str | None = None
) -> dict[str, Any]:
    """The video that frame sample ``sample_id`` belongs to: its metadata (``video``), the
    sample's frame number (``frame_number``), the frame samples' ids by frame number
    (``frames``: index ``N - 1`` holds frame N's sample id, null where the video has no
    sample for it; ``video`` has the ``codec`` and, for a file, the ``content_type`` the
    original streams as) and its tracks (``tracks``: ``source``, ``track_id``, ``label`` of the
    first object, ``first_frame``, ``last_frame`` and ``runs``, ``[first, last]`` of each
    run of consecutive frames where the track has an object, and its marks: ``changes``,
    ``keyframes``, ``switches``, see
    :mod:`.video_marks`), the models with a tracking evaluation (``tracking_models``) and
    the one whose identity switches are marked (``model``, given: none without).
    :class:`NotFoundError` for a sample that is not a frame."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        row = cur.execute(_VIDEO_OF_SAMPLE, [dataset_id, sample_id]).fetchone()
        if row is None:
            raise NotFoundError(
                f"sample {sample_id} of dataset {dataset!r} is not a frame of a video"
            )
        video_id = int(row[0])
        frame_rows = cur.execute(_FRAMES, [dataset_id, video_id]).fetchall()
        track_rows = cur.execute(_TRACKS, [dataset_id, video_id]).fetchall()
        marks = track_marks(cur, dataset_id, video_id, model)
        models = tracking_models(cur, dataset_id)
    num_frames = int(row[4])
    last = max([num_frames, *(int(n) for n, _ in frame_rows)])
    frames: list[int | None] = [None] * last
    for number, frame_sample in frame_rows:
        frames[int(number) - 1] = int(frame_sample)
    return {
        "video": {
            "video_id": video_id,
            "name": row[1],
            "kind": row[2],
            "fps": row[3],
            "num_frames": num_frames,
            "duration": row[5],
            "width": row[6],
            "height": row[7],
            "rotation": int(row[8]),
            "variable_frame_rate": bool(row[9]),
            "codec": row[11],
            # what the original is streamed as (GET samples/{id}/video): a browser that can
            # play it plays the video itself; a sequence of images has none
            "content_type": video_content_type(row[12]) if row[2] == "file" else None,
        },
        "frame_number": int(row[10]),
        "frames": frames,
        "tracks": [
            {
                "source": source,
                "track_id": int(track_id),
                "label": label,
                "first_frame": int(first),
                "last_frame": int(final),
                "runs": [[int(a), int(b)] for a, b in runs],
                **marks.get((source, int(track_id)), no_marks()),
            }
            for source, track_id, label, first, final, runs in track_rows
        ],
        "tracking_models": models,
        "model": model,
    }
