"""The video side of a file export: which frame of which video each sample of a view is,
the videos' own rows, and the frames of whole videos (an export of every frame, or of every
K-th one, reaches past the view's samples to the rest of their videos).

Reads ``videos`` and ``video_frames``, the video feature's tables
(:mod:`visionlens_jlab.importing.video_tables`): the catalog itself names no feature table,
so their reads live with their reader, as the tracking evaluation's do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ..catalog import Catalog

FRAMES_VIEW = "_vl_export_frame_ids"

VIDEO_COLUMNS = (
    "video_id", "name", "location", "kind", "fps", "num_frames", "width", "height", "rotation",
)  # fmt: skip


def dataset_videos(catalog: Catalog, dataset: str) -> dict[int, dict[str, Any]]:
    """The videos of ``dataset`` by ``video_id``: each row's :data:`VIDEO_COLUMNS`."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            f"SELECT {', '.join(VIDEO_COLUMNS)} FROM videos WHERE dataset_id = ? "  # noqa: S608 - fixed names
            "ORDER BY video_id",
            [dataset_id],
        ).fetchall()
    return {int(r[0]): dict(zip(VIDEO_COLUMNS, r, strict=True)) for r in rows}


def frames_of_samples(
    catalog: Catalog, dataset: str, sample_ids: Sequence[int] | np.ndarray
) -> pa.Table:
    """``(sample_id, video_id, frame_number)`` of the samples of ``sample_ids`` that are
    frames of a video (the others have no row)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        cur.register(FRAMES_VIEW, pa.table({"sample_id": pa.array(sample_ids, pa.int64())}))
        try:
            sql = (
                "SELECT f.sample_id, f.video_id, f.frame_number FROM video_frames f "  # noqa: S608 - constant name
                f"WHERE f.dataset_id = ? AND f.sample_id IN (SELECT sample_id FROM {FRAMES_VIEW})"
            )
            return cur.sql(sql, params=[dataset_id]).to_arrow_table()
        finally:
            cur.unregister(FRAMES_VIEW)


def frames_of_videos(catalog: Catalog, dataset: str, video_ids: list[int], step: int) -> list[int]:
    """The sample ids of frames 1, 1 + ``step``, 1 + 2 ``step``... of each video of
    ``video_ids``, by video then frame number."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            "SELECT sample_id FROM video_frames WHERE dataset_id = ? "
            "AND list_contains(?::INTEGER[], video_id) AND (frame_number - 1) % ? = 0 "
            "ORDER BY video_id, frame_number",
            [dataset_id, video_ids, step],
        ).fetchall()
    return [int(r[0]) for r in rows]


def sample_file_name(catalog: Catalog, sample_id: int) -> str:
    """The file name of sample ``sample_id`` (what an error names it by)."""
    with catalog.cursor() as cur:
        rows = cur.execute("SELECT file_name FROM samples WHERE sample_id = ?", [sample_id])
        return str(rows.fetchall()[0][0])
