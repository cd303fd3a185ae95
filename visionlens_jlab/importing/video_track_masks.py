"""The ``video_tracks`` and ``track_length`` filters answered from the track index: the
planner's backends of the two fields (:mod:`..catalog.plan.planner`, registered by the
videos' manifest, :mod:`.video_tables`).

Through their SQL definition (:mod:`.video_fields`) every filtered page, count or facets
request grouped every ground-truth object by video, or every tracked object by track: at
2M frames of 1,000 videos 300-660 ms of each request (``benchmarks/results/browse.md``).
The track index (:mod:`.video_track_index`) holds each frame's video track count and each
tracked object's sample, source and track length, so a bound on either is a comparison
over those arrays: a mask over the box index's samples that the mask route ANDs with the
filter's other conditions.

The masks keep the SQL's semantics: the bounds compare in float64 like ``TRY_CAST(...
AS DOUBLE)``, a sample that is no video's frame (``video_tracks`` NULL) and an object of
no track (``track_length`` NULL) meet no bound. Any other shape (``in``, ``eq``,
``is_null``, classes or a score beside ``track_length``) or an index of another token
than the box index's (a write between the two reads) answers None: the condition goes to
the SQL, the reference. The ``track_length`` backend also compiles the condition over an
object as its source and track among the tracks within the bounds
(:func:`track_length_objects`), for the views that show objects.
"""

from __future__ import annotations

import duckdb
import numpy as np

from ..catalog.indexes.box_index import SampleSet
from ..catalog.query.filter_model import LabelCondition, SampleCondition
from ..catalog.query.filters import Params
from ..catalog.store.token_cache import index_token
from .video_fields import TRACK_LENGTH, VIDEO_TRACKS
from .video_track_index import TrackIndex, track_index


def video_tracks_mask(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    one: SampleCondition,
    samples: SampleSet,
    token: str,
) -> np.ndarray | None:
    """The mask over ``samples`` of the frames whose video has ``video_tracks`` within the
    condition's bounds, or None (another shape, or no index of ``token`` and ``samples``)."""
    bounds = one.cond.range if one.name == VIDEO_TRACKS else None
    index = _current(cur, dataset_id, samples, token) if bounds is not None else None
    if bounds is None or index is None:
        return None
    frames = index.frame_tracks
    return (frames >= 0) & _within(frames, bounds)


def track_length_mask(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    label: LabelCondition,
    samples: SampleSet,
    token: str,
) -> np.ndarray | None:
    """The mask over ``samples`` of the samples holding an object of ``label``'s source
    whose track has ``track_length`` within the bounds (the label condition's one part
    besides its source), or None (another shape, or no index of ``token`` and ``samples``)."""
    bounds = _length_bounds(label)
    index = _current(cur, dataset_id, samples, token) if bounds is not None else None
    if bounds is None or index is None:
        return None
    kept = _within(index.object_length, bounds)
    wanted = [label.matches_source(s) for s in index.sources]
    if not all(wanted):  # a gather of the codes: np.isin sorted 6M codes (40 ms at 2M frames)
        kept &= np.array(wanted, dtype=bool)[index.object_source]
    mask = np.zeros(samples.n, dtype=bool)
    mask[index.object_position[kept]] = True
    return mask


def track_length_objects(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, label: LabelCondition, params: Params
) -> str | None:
    """``label`` (a source and one ``track_length`` range) as SQL over an object ``a``:
    its source and track among the tracks the index holds within the bounds, values bound
    into ``params`` (:mod:`..catalog.plan.object_matches`); an object of no track meets
    no bound there either. None for another shape or without a current index."""
    bounds = _length_bounds(label)
    index = track_index(cur, dataset_id) if bounds is not None else None
    if bounds is None or index is None or index.token != index_token(cur, dataset_id):
        return None
    ors = []
    for source, (ids, lengths) in index.tracks.items():
        if label.matches_source(source):
            within = ids[_within(lengths, bounds)].tolist()
            ors.append(
                f"(a.source = {params.add(source)} "
                f"AND a.track_id IN (SELECT unnest({params.add(within)}::BIGINT[])))"
            )
    return "(" + " OR ".join(ors) + ")" if ors else "false"


def _length_bounds(label: LabelCondition) -> tuple[float | None, float | None] | None:
    """The bounds of a label condition that is a source and one ``track_length`` range."""
    if label.classes is not None or label.score is not None or label.extras:
        return None
    if label.label_types is not None or len(label.where) != 1:
        return None
    (one,) = label.where
    return one.cond.range if one.name == TRACK_LENGTH else None


def _within(values: np.ndarray, bounds: tuple[float | None, float | None]) -> np.ndarray:
    """``lo <= value <= hi`` in float64 (DuckDB's DOUBLE: integers against a float bound
    compare in float64, exact for int32), a bound of None left out."""
    lo, hi = bounds
    out = np.ones(len(values), dtype=bool)
    if lo is not None:
        out &= values >= np.float64(lo)
    if hi is not None:
        out &= values <= np.float64(hi)
    return out


def _current(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, samples: SampleSet, token: str
) -> TrackIndex | None:
    """The dataset's track index when it holds the rows of the box index's ``token`` over
    the same samples (the masks are positions of ``samples``), else None."""
    index = track_index(cur, dataset_id)
    if index is None or index.token != token:
        return None
    if index.samples.ids is not samples.ids and not np.array_equal(index.samples.ids, samples.ids):
        return None
    return index
