"""The videos and tracks of a dataset as rows: what ``GET datasets/{name}/videos`` and
``GET datasets/{name}/tracks`` answer and the notebook's ``ds.videos()`` / ``ds.tracks()``
show. Computed from the catalog on each read (nothing stored beside the frames' rows), with
the same per-video track count as the filter field ``video_tracks`` (:mod:`.video_fields`).
"""

from __future__ import annotations

from typing import Any

from ..catalog.base.errors import NotFoundError
from ..catalog.query.filters import FilterError
from ..catalog.store.catalog import Catalog
from ..catalog.store.schema import GROUND_TRUTH
from .video_fields import per_video_tracks_sql

VIDEO_COLUMNS = (
    "video_id", "name", "location", "kind", "fps", "num_frames", "duration", "codec",
    "width", "height", "rotation", "variable_frame_rate", "tracks",
)  # fmt: skip
"""The columns of a video row, in order (``tracks``: distinct ground-truth tracks)."""
TRACK_COLUMNS = (
    "video", "video_id", "track_id", "source_id", "label", "first_frame", "last_frame",
    "length", "span",
)  # fmt: skip
"""The columns of a track row, in order: ``source_id`` the identity in the source file
(MOT's id, CVAT's track id), ``label`` the class on its first frame, ``length`` the frames
it has an object on (the filter field ``track_length``), ``span`` last - first + 1 (a
track with gaps, e.g. occluded frames, has ``length < span``)."""


def video_rows(catalog: Catalog, dataset: str) -> list[dict[str, Any]]:
    """One row per video of ``dataset`` in ``video_id`` order (:data:`VIDEO_COLUMNS`);
    an empty list for a dataset of still images; :class:`NotFoundError` for no dataset."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            "SELECT v.video_id, v.name, v.location, v.kind, v.fps, v.num_frames, v.duration, "  # noqa: S608 - fixed text
            "v.codec, v.width, v.height, v.rotation, v.variable_frame_rate, "
            f"COALESCE(n.tracks, 0) FROM videos v LEFT JOIN ({per_video_tracks_sql()}) n "
            "ON n.video_id = v.video_id WHERE v.dataset_id = ? ORDER BY v.video_id",
            [dataset_id, dataset_id],
        ).fetchall()
    return [dict(zip(VIDEO_COLUMNS, row, strict=True)) for row in rows]


def video_count(catalog: Catalog, dataset: str) -> int:
    """How many videos ``dataset`` has (0: still images); :class:`NotFoundError` for no
    dataset. ``GET datasets/{name}`` answers it: the lab offers the frames choices by it."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        row = cur.execute("SELECT COUNT(*) FROM videos WHERE dataset_id = ?", [dataset_id])
        (count,) = row.fetchone() or (0,)
    return int(count)


def track_counts(catalog: Catalog, dataset: str) -> dict[str, int]:
    """How many tracks each source of ``dataset`` has: :data:`GROUND_TRUTH`'s and each
    model's by name, only sources with tracks; :class:`NotFoundError` for no dataset.
    ``GET datasets/{name}`` answers them: the lab offers its tracks view on the grid's
    toolbar by their sum, and the tracks view's picker only the models with tracks."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            "SELECT source, COUNT(DISTINCT track_id) FROM annotations "
            "WHERE dataset_id = ? AND track_id IS NOT NULL GROUP BY source",
            [dataset_id],
        ).fetchall()
    return {str(source): int(count) for source, count in rows}


def track_source(cur: Any, dataset_id: int, model: str | None) -> str:
    """The annotations' source of the tracks of ``model`` (None: the ground truth); an
    unknown model is a :class:`FilterError` naming the dataset's models."""
    if model is None:
        return GROUND_TRUTH
    if not isinstance(model, str):
        raise FilterError("model must be a model's name")
    found = cur.execute(
        "SELECT name FROM models WHERE dataset_id = ? ORDER BY name", [dataset_id]
    ).fetchall()
    models = [r[0] for r in found]
    if model not in models:
        raise FilterError(
            f"unknown model {model!r} (models of this dataset: {', '.join(models) or 'none'})"
        )
    return model


def track_rows(
    catalog: Catalog, dataset: str, model: str | None = None, video: str | None = None
) -> list[dict[str, Any]]:
    """One row per track (:data:`TRACK_COLUMNS`) of the ground truth, or of ``model``'s
    predictions, in video then track order; ``video``: only that video's (by name).
    An unknown model or video is a :class:`FilterError` naming the known ones."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        source = track_source(cur, dataset_id, model)
        params: list[Any] = [dataset_id, source]
        only_video = ""
        if video is not None:
            found = cur.execute(
                "SELECT video_id FROM videos WHERE dataset_id = ? AND name = ?",
                [dataset_id, video],
            ).fetchall()
            if not found:
                raise NotFoundError(f"no video named {video!r} in dataset {dataset!r}")
            only_video, params = " AND v.name = ?", [*params, video]
        rows = cur.execute(
            "SELECT v.name, v.video_id, a.track_id, arg_min(a.source_ann_id, f.frame_number), "  # noqa: S608 - fixed text
            "arg_min(a.label, f.frame_number), MIN(f.frame_number), MAX(f.frame_number), "
            "COUNT(*), MAX(f.frame_number) - MIN(f.frame_number) + 1 "
            "FROM annotations a JOIN video_frames f "
            "ON f.dataset_id = a.dataset_id AND f.sample_id = a.sample_id "
            "JOIN videos v ON v.dataset_id = f.dataset_id AND v.video_id = f.video_id "
            f"WHERE a.dataset_id = ? AND a.source = ? AND a.track_id IS NOT NULL{only_video} "
            "GROUP BY v.video_id, v.name, a.track_id ORDER BY v.video_id, a.track_id",
            params,
        ).fetchall()
    return [dict(zip(TRACK_COLUMNS, row, strict=True)) for row in rows]
