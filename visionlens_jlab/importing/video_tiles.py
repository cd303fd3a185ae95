"""The videos of a view, one tile each, as the lab's videos view pages them:
``POST datasets/{name}/videos/query``.

A video is in the view when the filter keeps at least one of its frames (a filtered view
shows the videos that have matching frames, with how many match); each comes with its
probe's row (:data:`.video_reads.VIDEO_COLUMNS`, ``tracks`` its ground-truth tracks) and
up to ``scrub`` of its matching frames spread evenly over them in frame order, the first
being its first matching frame (the tile's poster): the frames a pointer scrubs through.
Computed from the catalog on each read through the one compiled filter (parameterized
SQL), in ``video_id`` order.
"""

from __future__ import annotations

from typing import Any

from ..catalog.query.filter_parser import parse_filter
from ..catalog.query.filters import FilterError, compile_parsed
from ..catalog.store.catalog import Catalog
from ..catalog.tables.labels_view import labels_at
from .video_fields import per_video_tracks_sql
from .video_reads import VIDEO_COLUMNS

MAX_TILES = 500
"""The most videos one page answers."""
MAX_SCRUB = 100
"""The most scrub frames one video carries (a tile is a few hundred pixels wide)."""


def video_tiles(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    *,
    offset: int = 0,
    limit: int = 60,
    scrub: int = 24,
    version: int | None = None,
) -> dict[str, Any]:
    """``{"total", "offset", "limit", "videos"}``: the exact count of videos with a frame
    matching ``spec`` and the page ``[offset, offset + limit)`` of them, each a video row
    with ``matching_frames`` (its frames the filter keeps) and ``scrub_frames`` (up to
    ``scrub`` ``{"frame_number", "sample_id"}`` evenly spread over those frames, the first
    matching frame first). ``version``: the labels as they were at that saved version.
    A bad ``offset``, ``limit`` or ``scrub`` is a :class:`FilterError`."""
    if offset < 0 or not 0 <= limit <= MAX_TILES:
        raise FilterError(f"offset must be non-negative and limit between 0 and {MAX_TILES}")
    if not 1 <= scrub <= MAX_SCRUB:
        raise FilterError(f"scrub must be between 1 and {MAX_SCRUB} frames")
    with catalog.cursor() as cur, labels_at(catalog, cur, dataset, version):
        dataset_id = catalog.dataset_id(cur, dataset)
        flt = compile_parsed(dataset_id, parse_filter(spec))
        # The matching frames numbered within their video (i from 0, n of them): a frame
        # is a scrub frame when it starts one of the `scrub` equal parts of 0..n-1.
        matching = (
            "SELECT f.video_id, f.frame_number, f.sample_id, "  # noqa: S608 - compiled, parameterized
            "row_number() OVER (PARTITION BY f.video_id ORDER BY f.frame_number) - 1 AS i, "
            "COUNT(*) OVER (PARTITION BY f.video_id) AS n "
            "FROM video_frames f JOIN samples s "
            "ON s.dataset_id = f.dataset_id AND s.sample_id = f.sample_id "
            f"WHERE f.dataset_id = ? AND {flt.where}"
        )
        sql = (
            f"WITH m AS ({matching}), "  # noqa: S608 - compiled, parameterized
            "page AS (SELECT video_id, ANY_VALUE(n) AS n, COUNT(*) OVER () AS total FROM m "
            "GROUP BY video_id ORDER BY video_id LIMIT ? OFFSET ?), "
            "picks AS (SELECT video_id, list({'frame_number': frame_number, "
            "'sample_id': sample_id} ORDER BY frame_number) AS frames FROM m "
            "WHERE video_id IN (SELECT video_id FROM page) "
            "AND (i = 0 OR (i * ?) // n > ((i - 1) * ?) // n) GROUP BY video_id) "
            f"SELECT {', '.join('v.' + c for c in VIDEO_COLUMNS[:-1])}, "
            "COALESCE(t.tracks, 0), p.n, k.frames, p.total FROM page p "
            "JOIN videos v ON v.dataset_id = ? AND v.video_id = p.video_id "
            "JOIN picks k ON k.video_id = p.video_id "
            f"LEFT JOIN ({per_video_tracks_sql()}) t ON t.video_id = p.video_id "
            "ORDER BY p.video_id"
        )
        params = [dataset_id, *flt.params, limit, offset, scrub, scrub, dataset_id, dataset_id]
        rows = cur.execute(sql, params).fetchall()
        total = rows[0][-1] if rows else _count(cur, matching, [dataset_id, *flt.params])
    videos = [
        {
            **dict(zip(VIDEO_COLUMNS, row[: len(VIDEO_COLUMNS)], strict=True)),
            "matching_frames": int(row[-3]),
            "scrub_frames": list(row[-2]),
        }
        for row in rows
    ]
    return {"total": int(total), "offset": offset, "limit": limit, "videos": videos}


def _count(cur: Any, matching: str, params: list[Any]) -> int:
    """The videos with a matching frame, for a page past the last one (it has no row to
    carry the total)."""
    sql = f"SELECT COUNT(DISTINCT video_id) FROM ({matching})"  # noqa: S608 - compiled, parameterized
    (found,) = cur.execute(sql, params).fetchone()
    return int(found)
