"""An in-memory index of a video dataset's tracks for its facets, kept across writes that do
not change samples or boxes.

The ``video_tracks`` and ``track_length`` facets (:mod:`.video_fields`) group every
ground-truth object by video and every tracked object by track: at 2M frames of 1,000
videos that took 330-620 ms of each facets request (``benchmarks/results/browse.md``), paid
again after every write, a tag's included. What they need changes only with the samples or
the boxes, so this module keeps, per dataset and labelled by the box index's token
(:mod:`..catalog.store.token_cache`: renewed or dropped by every write that changes
samples or boxes), each sample's video track count and each tracked object's sample,
source and track length; a request counts them over the filter's samples with numpy.
The entries are those of the SQL (:func:`.video_fields.video_facet_entries` without an
index), which answers where there is no token (a read-only catalog before any write).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

from ..catalog.indexes.box_index import SampleSet
from ..catalog.indexes.filtered_samples import FilteredSamples
from ..catalog.store.catalog import Catalog
from ..catalog.store.schema import GROUND_TRUTH
from ..catalog.store.token_cache import index_token

_KEPT = 2
"""Indexes kept (most recently used first): 12 bytes a sample, 10 a tracked object and
16 a track (about 80 MB at 2M frames of 6M tracked objects)."""


@dataclass(frozen=True)
class TrackIndex:
    """A dataset's tracks, labelled by the box index token it was read under."""

    token: str
    samples: SampleSet
    frame_tracks: np.ndarray
    """Per sample (position in ``samples``): its video's ground-truth tracks; -1: no frame."""
    sources: tuple[str, ...]
    """The sources with tracks, the ground truth first, then by name."""
    object_position: np.ndarray
    """Per tracked object: its sample's position."""
    object_source: np.ndarray
    """Per tracked object: its source's position in ``sources``."""
    object_length: np.ndarray
    """Per tracked object: its track's length (objects of the track, one per frame)."""
    tracks: dict[str, tuple[np.ndarray, np.ndarray]]
    """Per source with tracks: its track ids (ascending) and each one's length."""

    def video_tracks(self, mask: np.ndarray) -> dict[int, int]:
        """``{tracks of a video: frames}`` over the samples of ``mask``."""
        values = self.frame_tracks[mask]
        counts = np.bincount(values[values >= 0])
        return {int(v): int(counts[v]) for v in np.flatnonzero(counts)}

    def track_lengths(self, mask: np.ndarray) -> dict[str, dict[int, int]]:
        """Per source with tracks: ``{track length: objects}`` over the samples of ``mask``
        (every source, also one whose objects the mask leaves out)."""
        kept = mask[self.object_position]
        out: dict[str, dict[int, int]] = {}
        for code, source in enumerate(self.sources):
            lengths = self.object_length[kept & (self.object_source == code)]
            counts = np.bincount(lengths) if len(lengths) else np.zeros(0, np.int64)
            out[source] = {int(n): int(counts[n]) for n in np.flatnonzero(counts)}
        return out

    def mask(
        self,
        cur: duckdb.DuckDBPyConnection,
        samples_table: str,
        filtered: FilteredSamples | None,
    ) -> np.ndarray | None:
        """The samples of ``samples_table`` as a mask over this index's samples: the box
        index's mask where it is over the same rows, else the table's ids read back; None
        when one of them is not a sample this index holds."""
        if (
            filtered is not None
            and filtered.token == self.token
            and np.array_equal(filtered.samples.ids, self.samples.ids)
        ):
            return filtered.mask
        if filtered is not None:
            filtered.register(cur, samples_table)
        ids = cur.sql(f"SELECT sample_id FROM {samples_table}").fetchnumpy()["sample_id"]  # noqa: S608 - the caller's checked identifier
        return self.samples.mask_of(np.asarray(ids, dtype=np.int64))


_HELD: OrderedDict[tuple[int, str], TrackIndex] = OrderedDict()
_LOCK = threading.Lock()

_HAS_FRAMES_SQL = "SELECT 1 FROM video_frames WHERE dataset_id = ? LIMIT 1"
_FRAMES_SQL = """
    SELECT s.sample_id, COALESCE(n.tracks, -1) AS tracks FROM samples s
    LEFT JOIN video_frames f ON f.dataset_id = s.dataset_id AND f.sample_id = s.sample_id
    LEFT JOIN (
        SELECT g.video_id, COUNT(DISTINCT t.track_id) AS tracks FROM video_frames g
        LEFT JOIN annotations t ON t.dataset_id = g.dataset_id AND t.sample_id = g.sample_id
            AND t.source = $gt AND t.track_id IS NOT NULL
        WHERE g.dataset_id = $ds GROUP BY g.video_id
    ) n ON n.video_id = f.video_id
    WHERE s.dataset_id = $ds ORDER BY s.sample_id
"""
_OBJECTS_SQL = """
    WITH lengths AS (
        SELECT source, track_id, COUNT(*) AS n FROM annotations
        WHERE dataset_id = $ds AND track_id IS NOT NULL GROUP BY source, track_id
    )
    SELECT a.sample_id, a.source, l.n FROM annotations a
    JOIN lengths l ON l.source = a.source AND l.track_id = a.track_id
    WHERE a.dataset_id = $ds AND a.track_id IS NOT NULL
"""
_TRACKS_SQL = """
    SELECT source, track_id, COUNT(*) AS n FROM annotations
    WHERE dataset_id = $ds AND track_id IS NOT NULL
    GROUP BY source, track_id ORDER BY source, track_id
"""


def track_index(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> TrackIndex | None:
    """The dataset's track index for the rows ``cur`` reads now, built if needed; None
    without a token (or when a write moved it during the build)."""
    token = index_token(cur, dataset_id)
    if token is None:
        return None
    key = (dataset_id, token)
    with _LOCK:  # one build at a time; a held index is found in microseconds
        index = _HELD.pop(key, None) or _build(cur, dataset_id, token)
        if index is None:
            return None
        _HELD[key] = index
        while len(_HELD) > _KEPT:
            _HELD.popitem(last=False)
    return index


def warm(catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Build the track index of a video dataset in the background after a write
    (:mod:`..catalog.indexes.index_warmer`: a dataset browsed since the server started), so
    the next facets request or view of objects under a ``track_length`` bound finds it; a
    dataset without video frames costs one lookup."""
    if cur.execute(_HAS_FRAMES_SQL, [dataset_id]).fetchone() is not None:
        track_index(cur, dataset_id)


def _build(cur: duckdb.DuckDBPyConnection, dataset_id: int, token: str) -> TrackIndex | None:
    """Read the token again and the rows in one snapshot (None if the token moved)."""
    own = cur.cursor()
    try:
        own.execute("BEGIN TRANSACTION")
        if index_token(own, dataset_id) != token:
            return None
        values = {"ds": dataset_id, "gt": GROUND_TRUTH}
        frames = own.execute(_FRAMES_SQL, values).fetchnumpy()
        objects = own.sql(_OBJECTS_SQL, params={"ds": dataset_id}).to_arrow_table()
        tracks = own.execute(_TRACKS_SQL, {"ds": dataset_id}).fetchnumpy()
    finally:
        own.execute("ROLLBACK")
        own.close()
    samples = SampleSet.of(np.asarray(frames["sample_id"], dtype=np.int64))
    # the sources as codes (a dictionary encoding: millions of objects, a few sources)
    encoded = objects.column("source").combine_chunks().dictionary_encode()
    found = [str(s) for s in encoded.dictionary.to_pylist()]
    names = sorted(found, key=lambda s: (s != GROUND_TRUTH, s))
    recode = np.array([names.index(s) for s in found], dtype=np.int16)
    position = samples.positions(objects.column("sample_id").to_numpy().astype(np.int64))
    if position is None:  # an object of a sample the snapshot does not hold: cannot be
        return None
    return TrackIndex(
        token=token,
        samples=samples,
        frame_tracks=np.asarray(frames["tracks"], dtype=np.int32),
        sources=tuple(names),
        object_position=np.asarray(position, dtype=np.int32),
        object_source=recode[encoded.indices.to_numpy(zero_copy_only=False)]
        if len(found)
        else np.zeros(0, np.int16),
        object_length=objects.column("n").to_numpy().astype(np.int32),
        tracks=_per_source(tracks),
    )


def _per_source(tracks: Mapping[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{source: (track ids, lengths)}`` of the rows ordered by source, then track id."""
    sources = np.asarray(tracks["source"], dtype=object)
    ids = np.asarray(tracks["track_id"], dtype=np.int64)
    lengths = np.asarray(tracks["n"], dtype=np.int64)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for source in dict.fromkeys(sources.tolist()):
        rows = sources == source
        out[str(source)] = (ids[rows], lengths[rows])
    return out
