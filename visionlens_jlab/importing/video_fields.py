"""Track- and video-level fields of the filter and facets, computed from the catalog when a
request runs (never stored, so never stale after an edit or new predictions).

* ``track_length`` (a box field of label conditions, ``labels.where``): the number of
  objects of the object's track, i.e. the frames the track is seen on (a track has at most
  one object per frame: ingest reports a second one). A track is ``(source, track_id)``:
  ground truth and each model have their own identities. NULL for an object of no track.
  ``{"labels": {"source": "ground_truth", "where": {"track_length": {"max": 10}}}}``
  keeps the frames holding an object of a short ground-truth track.
* ``video_<name>`` (sample fields): of the video a frame belongs to (NULL for a sample
  that is no video's frame): ``video_tracks`` (its distinct ground-truth tracks),
  ``video_num_frames``, ``video_duration`` (seconds), ``video_fps``.
  ``{"sample": {"video_tracks": {"min": 20}}}`` keeps the frames of crowded videos.

Both go through the one filter model and planner (registered by the videos' manifest,
:mod:`.video_tables`): the SQL here is their definition, which the exports, the patches
view and every plan without a current track index read; the mask route of pages, counts
and facets answers a bound on either from the track index (:mod:`.video_track_masks`), and
a sort by any ``video_<name>`` from a held order sorted by this SQL. Their facets (:func:`video_facet_entries`):
``video_tracks`` over the filtered frames (unit samples, multi-pick) and ``track_length``
per source over the filtered frames' tracked objects (unit objects).
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..catalog.indexes.filtered_samples import FilteredSamples
from ..catalog.plan.planner import forced
from ..catalog.query.facet_places import FacetPlace
from ..catalog.query.filters import FilterError, Params
from ..catalog.sql.facet_entries import integer_counts_entry
from ..catalog.store.schema import GROUND_TRUTH
from .video_track_index import track_index

TRACK_LENGTH = "track_length"
VIDEO_PREFIX = "video_"
VIDEO_TRACKS = "video_tracks"
VIDEO_COLUMNS = {"num_frames": "num_frames", "duration": "duration", "fps": "fps"}
"""``video_<name>`` fields read from the video's row: name -> column of ``videos``."""
VIDEO_FIELDS = ("tracks", *VIDEO_COLUMNS)

# The ground-truth source is a fixed constant of the schema, written into the SQL text so
# that a compiled field binds no value: a condition repeats a field's SQL once per bound
# (min and max), which would repeat its placeholders while their values are bound once.
_GT = "'" + GROUND_TRUTH + "'"


def per_video_tracks_sql() -> str:
    """SQL of ``(video_id, tracks)``: each video of one dataset (its id bound to the one
    ``?``) with its distinct ground-truth track identities (0: none)."""
    return (
        "SELECT g.video_id, COUNT(DISTINCT t.track_id) AS tracks FROM video_frames g "  # noqa: S608 - fixed text
        "LEFT JOIN annotations t ON t.dataset_id = g.dataset_id AND t.sample_id = g.sample_id "
        f"AND t.source = {_GT} AND t.track_id IS NOT NULL "
        "WHERE g.dataset_id = ? GROUP BY g.video_id"
    )


def track_length_sql(params: Params) -> str:
    """SQL of ``track_length`` for the box ``a`` (binds nothing: see ``_GT``)."""
    del params
    return (
        "CASE WHEN a.track_id IS NULL THEN NULL ELSE (SELECT COUNT(*) FROM annotations t "
        "WHERE t.dataset_id = a.dataset_id AND t.source = a.source "
        "AND t.track_id = a.track_id) END"
    )


def video_field_sql(name: str, params: Params) -> str:
    """SQL of ``video_<name>`` for the sample ``s``, or FilterError naming the fields."""
    del params
    frame = "f.dataset_id = s.dataset_id AND f.sample_id = s.sample_id"
    if name == "tracks":
        # The per-video counts are uncorrelated (every video dataset's, computed once and
        # joined): correlated on the sample's dataset, DuckDB ran them once per sample
        # (23 s for 4,200 frames against 0.1 s).
        per_video = (
            "SELECT g.dataset_id, g.video_id, COUNT(DISTINCT t.track_id) AS tracks "  # noqa: S608 - fixed text
            "FROM video_frames g LEFT JOIN annotations t ON t.dataset_id = g.dataset_id "
            f"AND t.sample_id = g.sample_id AND t.source = {_GT} AND t.track_id IS NOT NULL "
            "GROUP BY g.dataset_id, g.video_id"
        )
        return (
            f"(SELECT n.tracks FROM video_frames f JOIN ({per_video}) n "  # noqa: S608 - fixed text
            f"ON n.dataset_id = f.dataset_id AND n.video_id = f.video_id WHERE {frame})"
        )
    column = VIDEO_COLUMNS.get(name)
    if column is None:
        known = ", ".join(VIDEO_PREFIX + n for n in VIDEO_FIELDS)
        raise FilterError(f"unknown video field {VIDEO_PREFIX + name!r} (known: {known})")
    return (
        f"(SELECT v.{column} FROM video_frames f JOIN videos v "  # noqa: S608 - whitelisted column
        f"ON v.dataset_id = f.dataset_id AND v.video_id = f.video_id WHERE {frame})"
    )


def video_facet_entries(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    samples_table: str,
    filtered: FilteredSamples | None = None,
) -> list[dict[str, Any]]:
    """Facets of the filtered samples (the table ``samples_table``, or ``filtered``: the
    box index's mask of them) of a dataset with videos: ``video_tracks`` (numeric, one
    value per frame) and ``track_length`` per source with tracks (numeric, one value per
    tracked object); none for a dataset without videos. Counted from the track index
    (:mod:`.video_track_index`) where there is one, else in SQL (the same numbers). Bins
    as every numeric facet's (:func:`..catalog.sql.facet_entries.integer_counts_entry`)."""
    if not samples_table.isidentifier():
        raise ValueError(f"not a table name: {samples_table!r}")
    # fetchall, not fetchone: the facets go on with this cursor, which must hold no result
    if not cur.execute(
        "SELECT 1 FROM videos WHERE dataset_id = ? LIMIT 1", [dataset_id]
    ).fetchall():
        return []
    index = None if forced() else track_index(cur, dataset_id)  # forced: the SQL reference
    mask = index.mask(cur, samples_table, filtered) if index is not None else None
    if index is not None and mask is not None:
        return _entries(index.video_tracks(mask), index.track_lengths(mask))
    if filtered is not None:  # what follows reads the table
        filtered.register(cur, samples_table)
    frames = cur.execute(
        f"SELECT n.tracks, COUNT(*) FROM {samples_table} x "  # noqa: S608 - checked identifier
        "JOIN video_frames f ON f.dataset_id = ? AND f.sample_id = x.sample_id "
        f"JOIN ({per_video_tracks_sql()}) n ON n.video_id = f.video_id GROUP BY n.tracks",
        [dataset_id, dataset_id],
    ).fetchall()
    objects = cur.execute(
        "WITH lengths AS (SELECT source, track_id, COUNT(*) AS n FROM annotations "  # noqa: S608 - checked identifier
        "WHERE dataset_id = ? AND track_id IS NOT NULL GROUP BY source, track_id) "
        f"SELECT a.source, l.n, COUNT(*) FROM {samples_table} x "
        "JOIN annotations a ON a.dataset_id = ? AND a.sample_id = x.sample_id "
        "JOIN lengths l ON l.source = a.source AND l.track_id = a.track_id "
        "GROUP BY a.source, l.n",
        [dataset_id, dataset_id],
    ).fetchall()
    tracked = cur.execute(  # every source with tracks has its facet, also when filtered empty
        "SELECT DISTINCT source FROM annotations WHERE dataset_id = ? AND track_id IS NOT NULL",
        [dataset_id],
    ).fetchall()
    by_source: dict[str, dict[int, int]] = {str(r[0]): {} for r in tracked}
    for source, length, n in objects:
        by_source.setdefault(str(source), {})[int(length)] = int(n)
    return _entries({int(v): int(n) for v, n in frames}, by_source)


def _entries(frames: dict[int, int], by_source: dict[str, dict[int, int]]) -> list[dict[str, Any]]:
    """The ``video_tracks`` entry, then each source's ``track_length`` (ground truth first)."""
    out = [integer_counts_entry(VIDEO_TRACKS, frames)]
    for source in sorted(by_source, key=lambda s: (s != GROUND_TRUTH, s)):
        out.append({**integer_counts_entry(TRACK_LENGTH, by_source[source]), "source": source})
    return out


FACET_PLACES = (
    FacetPlace(VIDEO_TRACKS, "sample", "samples"),
    FacetPlace(TRACK_LENGTH, "labels.where", "objects"),
)
"""Where the facets filter: ``video_tracks`` a sample condition, ``track_length`` a
label condition's ``where`` of the facet's source."""
