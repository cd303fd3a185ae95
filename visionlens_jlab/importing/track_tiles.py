"""The tracks of a view, one tile each, as the lab's tracks view pages them:
``POST datasets/{name}/tracks/query``.

A track is one identity of the ground truth (or of ``model``'s predictions) in one video.
It is in the view when the filter keeps at least one of its objects, as the patches view
keeps objects (:mod:`..catalog.reads.object_pages`): the object lies on a frame the filter
keeps, and meets the filter's label conditions that apply to the track's source
(``{"labels": {"classes": ["car"]}}`` keeps car tracks, not every track of a frame with a
car). Each comes with its whole track's row (:data:`.video_reads.TRACK_COLUMNS`: class,
frames, length), how many of its objects the view keeps (``matching``) and up to
``patches`` of those objects spread evenly over them in frame order, the first being its
first kept object: the crops its tile shows as a strip in time. Computed from the catalog
on each read through the one compiled filter (parameterized SQL), in video then track
order.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..catalog.plan.object_matches import object_match
from ..catalog.query.filter_conditions import Params
from ..catalog.query.filter_model import Filter
from ..catalog.query.filter_parser import parse_filter
from ..catalog.query.filters import FilterError, compile_parsed
from ..catalog.store.catalog import Catalog
from ..catalog.tables.labels_view import labels_at
from .video_reads import TRACK_COLUMNS, track_source

MAX_TILES = 500
"""The most tracks one page answers."""
MAX_PATCHES = 32
"""The most patches one track carries (a tile's strip is a few hundred pixels wide)."""


def _kept_objects(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, source: str, flt: Filter, params: Params
) -> str:
    """SQL of the tracked objects of ``source`` the filter keeps (values bound into
    ``params`` in text order), numbered within their track in frame order (``i`` from 0,
    ``n`` of them)."""
    where = [
        f"a.dataset_id = {params.add(dataset_id)}",
        f"a.source = {params.add(source)}",
        "a.track_id IS NOT NULL",
    ]
    own = tuple(one for one in flt.labels if one.matches_source(source))
    match = object_match(cur, dataset_id, Filter(labels=own), params)
    if match is not None:
        where.append(match)
    if not flt.whole_dataset:
        compiled = compile_parsed(dataset_id, flt)
        where.append(f"a.sample_id IN (SELECT s.sample_id FROM samples s WHERE {compiled.where})")  # noqa: S608 - compiled, parameterized
        params.values.extend(compiled.params)
    return (
        "SELECT f.video_id, a.track_id, f.frame_number, f.sample_id, a.ann_id, "  # noqa: S608 - compiled, parameterized
        "[a.x, a.y, a.w, a.h] AS bbox, "
        "row_number() OVER (PARTITION BY f.video_id, a.track_id ORDER BY f.frame_number) - 1 "
        "AS i, COUNT(*) OVER (PARTITION BY f.video_id, a.track_id) AS n "
        "FROM annotations a JOIN video_frames f "
        "ON f.dataset_id = a.dataset_id AND f.sample_id = a.sample_id "
        f"WHERE {' AND '.join(f'({w})' for w in where)}"
    )


def track_tiles(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    *,
    model: str | None = None,
    offset: int = 0,
    limit: int = 60,
    patches: int = 8,
    version: int | None = None,
) -> dict[str, Any]:
    """``{"total", "offset", "limit", "tracks"}``: the exact count of the tracks of the
    ground truth (or of ``model``) with an object the filter ``spec`` keeps, and the page
    ``[offset, offset + limit)`` of them in video then track order, each a track row
    (:data:`.video_reads.TRACK_COLUMNS`) with ``first_sample_id`` (the sample of its first
    frame: where its tile opens the video view), ``matching`` (its objects the view keeps)
    and ``patches`` (up to ``patches`` ``{"frame_number", "sample_id", "ann_id", "bbox"}``
    evenly spread over those objects, in frame order). ``version``: the labels as they
    were at that saved version. A bad ``offset``, ``limit``, ``patches`` or ``model`` is
    a :class:`FilterError`."""
    for name, value in (("offset", offset), ("limit", limit), ("patches", patches)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise FilterError(f"{name} must be an integer")
    if offset < 0 or not 0 <= limit <= MAX_TILES:
        raise FilterError(f"offset must be non-negative and limit between 0 and {MAX_TILES}")
    if not 1 <= patches <= MAX_PATCHES:
        raise FilterError(f"patches must be between 1 and {MAX_PATCHES} objects")
    flt = parse_filter(spec)
    with catalog.cursor() as cur, labels_at(catalog, cur, dataset, version):
        dataset_id = catalog.dataset_id(cur, dataset)
        source = track_source(cur, dataset_id, model)
        params = Params()
        kept = _kept_objects(cur, dataset_id, source, flt, params)
        # A kept object is a patch when it starts one of the `patches` equal parts of its
        # track's kept objects 0..n-1 (the videos view's scrub frames, the same rule).
        sql = (
            f"WITH m AS ({kept}), "  # noqa: S608 - compiled, parameterized
            "page AS (SELECT video_id, track_id, ANY_VALUE(n) AS n, COUNT(*) OVER () AS total "
            "FROM m GROUP BY video_id, track_id ORDER BY video_id, track_id LIMIT ? OFFSET ?), "
            "picks AS (SELECT video_id, track_id, list({'frame_number': frame_number, "
            "'sample_id': sample_id, 'ann_id': ann_id, 'bbox': bbox} ORDER BY frame_number) "
            "AS objects FROM m WHERE (video_id, track_id) IN (SELECT video_id, track_id FROM page) "
            "AND (i = 0 OR (i * ?) // n > ((i - 1) * ?) // n) GROUP BY video_id, track_id), "
            "whole AS (SELECT f.video_id, a.track_id, "
            "arg_min(a.source_ann_id, f.frame_number) AS source_id, "
            "arg_min(a.label, f.frame_number) AS label, MIN(f.frame_number) AS first_frame, "
            "MAX(f.frame_number) AS last_frame, COUNT(*) AS length, "
            "arg_min(f.sample_id, f.frame_number) AS first_sample "
            "FROM annotations a JOIN video_frames f "
            "ON f.dataset_id = a.dataset_id AND f.sample_id = a.sample_id "
            "WHERE a.dataset_id = ? AND a.source = ? "
            "AND a.track_id IN (SELECT track_id FROM page) GROUP BY f.video_id, a.track_id) "
            "SELECT v.name, p.video_id, p.track_id, w.source_id, w.label, w.first_frame, "
            "w.last_frame, w.length, w.last_frame - w.first_frame + 1, w.first_sample, p.n, "
            "k.objects, p.total "
            "FROM page p JOIN videos v ON v.dataset_id = ? AND v.video_id = p.video_id "
            "JOIN whole w ON w.video_id = p.video_id AND w.track_id = p.track_id "
            "JOIN picks k ON k.video_id = p.video_id AND k.track_id = p.track_id "
            "ORDER BY p.video_id, p.track_id"
        )
        values = [*params.values, limit, offset, patches, patches]
        values += [dataset_id, source, dataset_id]
        rows = cur.execute(sql, values).fetchall()
        if rows:
            total = rows[0][-1]
        else:  # a page past the last one has no row to carry the total
            count = f"SELECT COUNT(*) FROM (SELECT DISTINCT video_id, track_id FROM ({kept}))"  # noqa: S608 - compiled, parameterized
            (total,) = cur.execute(count, params.values).fetchone() or (0,)
    tracks = [
        {
            **dict(zip(TRACK_COLUMNS, row[: len(TRACK_COLUMNS)], strict=True)),
            "first_sample_id": int(row[-4]),
            "matching": int(row[-3]),
            "patches": list(row[-2]),
        }
        for row in rows
    ]
    return {"total": int(total), "offset": offset, "limit": limit, "tracks": tracks}
