"""The catalog's model of videos: what the video feature adds to the catalog, installed when
this module is imported (:mod:`visionlens_jlab.features` does).

* ``videos``: one row per video of a dataset: a video file (``kind`` ``file``) or a sequence
  of frame images (``sequence``: a MOT sequence, an image-sequence folder), with what its
  probe found (:func:`~visionlens_jlab.video.probe.probe_video`) or its ``seqinfo.ini`` says;
* ``video_frames``: which frame (``frame_number``, from 1) of which video each frame sample
  is. Every frame is one ``samples`` row: a video file's frame has the location
  ``<video location>#frame=N`` (:mod:`visionlens_jlab.video.locator`), a sequence's frame
  its image file's.

Migration step 21 creates both (empty for an old catalog). Ingest writes them with the
dataset (:mod:`visionlens_jlab.catalog.writes.feature_rows`); the parsers build their rows
(:mod:`visionlens_jlab.ingest.video_rows`). Objects of a track carry ``annotations.track_id``
(step 20, the catalog's own column). The manifest also registers the track- and video-level
filter fields and their facets (:mod:`.video_fields`), their answers from the track index
(:mod:`.video_track_masks`) and the held orders of a sort by any ``video_<name>`` field (of the
samples and boxes alone: the videos' rows are written and deleted with their frames). The
track index is rebuilt in the background after a write to a browsed dataset (its warmer).
"""

from __future__ import annotations

import duckdb

from ..catalog.extensions.manifest import FacetContribution, Manifest, Table, install
from ..catalog.plan.planner import LabelBackend, SampleBackend
from ..catalog.store.registry import Step
from .video_fields import (
    FACET_PLACES,
    TRACK_LENGTH,
    VIDEO_FIELDS,
    VIDEO_PREFIX,
    VIDEO_TRACKS,
    track_length_sql,
    video_facet_entries,
    video_field_sql,
)
from .video_track_index import warm
from .video_track_masks import track_length_mask, track_length_objects, video_tracks_mask

VIDEOS_DDL = """
    CREATE TABLE IF NOT EXISTS videos (
        dataset_id INTEGER NOT NULL,
        video_id INTEGER NOT NULL,       -- from 1 within its dataset
        name VARCHAR NOT NULL,           -- the file name, or the sequence's folder name
        location VARCHAR NOT NULL,       -- the video file, or the sequence's folder
        kind VARCHAR NOT NULL,           -- 'file' or 'sequence'
        fps DOUBLE,                      -- NULL when unknown (a sequence without seqinfo)
        num_frames INTEGER NOT NULL,
        duration DOUBLE,                 -- seconds; NULL without fps
        codec VARCHAR,                   -- NULL for a sequence of images
        width INTEGER,
        height INTEGER,
        rotation INTEGER NOT NULL,       -- degrees the display turns the decoded picture
        variable_frame_rate BOOLEAN NOT NULL
    )
"""

VIDEO_FRAMES_DDL = """
    CREATE TABLE IF NOT EXISTS video_frames (
        dataset_id INTEGER NOT NULL,
        sample_id BIGINT NOT NULL,
        video_id INTEGER NOT NULL,
        frame_number INTEGER NOT NULL    -- from 1: the N-th decoded frame, or image
    )
"""

TABLES = ("videos", "video_frames")


def create_tables(cur: duckdb.DuckDBPyConnection) -> None:
    """Create ``videos`` and ``video_frames`` (step 21; empty for an old catalog)."""
    cur.execute(VIDEOS_DDL)
    cur.execute(VIDEO_FRAMES_DDL)


MANIFEST = Manifest(
    "videos",
    tables=tuple(Table(name) for name in TABLES),
    steps=(Step(21, "add the tables of videos and their frames", create_tables),),
    sample_fields={VIDEO_PREFIX: video_field_sql},
    box_fields={TRACK_LENGTH: track_length_sql},
    held_sample_fields=tuple(VIDEO_PREFIX + name for name in VIDEO_FIELDS),
    warmers=(warm,),
    label_backends=(
        LabelBackend("track index", TRACK_LENGTH, track_length_mask, track_length_objects),
    ),
    sample_backends=(SampleBackend("track index", VIDEO_TRACKS, video_tracks_mask),),
    facets=(
        FacetContribution(
            video_facet_entries,
            takes_filtered=True,
            multi_pick=(VIDEO_TRACKS,),
            places=FACET_PLACES,
        ),
    ),
)
"""The videos' catalog extension (see the module docstring)."""

install(MANIFEST)
