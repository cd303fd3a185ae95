"""The video variant of the browsing benchmark (issue #52 item 9: a 1,000-video dataset of
2M frames browsed against the 1M-image figures): ``bench_browse.py --videos V``.

:class:`SyntheticVideoSource` is the images' synthetic source (the same boxes, models,
splits, fields and tag) whose ``n`` samples are the frames of ``V`` videos, as a video
parser hands them to the real writer: every frame's ``fields`` hold its ``video`` and
``frame_number``, its ``source_image_id`` is ``<video>/<frame>``, the ground-truth boxes
belong to tracks (``track_id``: the k boxes of a frame take k consecutive tracks of the
video's 10 + v % 41, moving on every ``TRACK_SPAN`` frames, so a video of 2,000 frames shows
10-16 of them and ``video_tracks >= 40`` keeps no frame: its cost is the per-video count, not
the rows kept), and ``feature_rows()`` gives the ``videos`` and ``video_frames`` rows.
Nothing is decoded: browsing reads the catalog only. :func:`video_requests` adds the
requests only a video dataset has (its video and track fields) to the images' set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from tests.notebook_fixtures import SyntheticSource
from visionlens_jlab.ingest.video_rows import FRAME_SCHEMA, VIDEO_SCHEMA
from visionlens_jlab.records.batches import TRACK_ID_FIELD, Batch

TRACK_SPAN = 150
"""Frames a track keeps one box slot before the next track takes it (track lengths vary
around this: a track comes back later in its video)."""
ID_STRIDE = 64
"""Track ids of video ``v`` are ``v * ID_STRIDE + t``: unique in the dataset."""


def tracks_of(video: np.ndarray) -> np.ndarray:
    """The number of ground-truth tracks of each video index."""
    return 10 + video % 41


@dataclass
class SyntheticVideoSource(SyntheticSource):
    """``n`` frames of ``videos`` videos of ``n // videos`` frames each (30 fps, 1080p)."""

    videos: int = 1000
    format: str = "mot"

    @property
    def per_video(self) -> int:
        """Frames of each video."""
        return self.n // self.videos

    def batches(self) -> Iterator[Batch]:
        if self.n % self.videos:
            raise ValueError(f"{self.n} frames do not split into {self.videos} videos")
        for batch in super().batches():
            samples, objects = batch.samples, batch.annotations
            if samples is not None:
                samples = self._framed(samples)
            if objects is not None and not self.predictions:
                objects = self._tracked(objects)
            yield Batch(samples=samples, annotations=objects)

    def _framed(self, samples: pa.Table) -> pa.Table:
        index = samples.column("sample_index").to_numpy()
        video, frame = index // self.per_video, index % self.per_video + 1
        fields = [
            json.dumps({**json.loads(text), "video": f"video_{v:04d}", "frame_number": int(f)})
            for text, v, f in zip(samples.column("fields").to_pylist(), video, frame, strict=True)
        ]
        ids = [f"video_{v:04d}/{f}" for v, f in zip(video, frame, strict=True)]
        i = samples.schema.get_field_index("fields")
        samples = samples.set_column(i, samples.schema.field(i), pa.array(fields, pa.string()))
        i = samples.schema.get_field_index("source_image_id")
        return samples.set_column(i, samples.schema.field(i), pa.array(ids, pa.string()))

    def _tracked(self, objects: pa.Table) -> pa.Table:
        owner = objects.column("sample_index").to_numpy()
        video, frame = owner // self.per_video, owner % self.per_video
        # the k boxes of a frame are slots 0..k-1 of its run of tracks: distinct tracks
        slot = np.arange(len(owner)) - np.searchsorted(owner, owner)
        track = (frame // TRACK_SPAN + slot) % tracks_of(video)
        ids = pa.array(video * ID_STRIDE + track, TRACK_ID_FIELD.type)
        return objects.append_column(TRACK_ID_FIELD, ids)

    def feature_rows(self) -> dict[str, pa.Table]:
        """The ``videos`` rows and each frame's ``(video_id, frame_number)``."""
        v, per = self.videos, self.per_video
        videos = pa.Table.from_pydict(
            {
                "video_id": list(range(1, v + 1)),
                "name": [f"video_{i:04d}" for i in range(v)],
                "location": [f"/nonexistent/video_{i:04d}.mp4" for i in range(v)],
                "kind": ["file"] * v,
                "fps": [30.0] * v,
                "num_frames": [per] * v,
                "duration": [per / 30.0] * v,
                "codec": ["h264"] * v,
                "width": [self.width] * v,
                "height": [self.height] * v,
                "rotation": [0] * v,
                "variable_frame_rate": [False] * v,
            },
            schema=VIDEO_SCHEMA,
        )
        index = np.arange(self.n, dtype=np.int64)
        frames = pa.Table.from_arrays(
            [
                pa.array(index),
                pa.array((index // per + 1).astype(np.int32)),
                pa.array((index % per + 1).astype(np.int32)),
            ],
            schema=FRAME_SCHEMA,
        )
        return {"videos": videos, "video_frames": frames}


def video_requests(n: int, videos: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, endpoint, body) of the requests a video dataset adds: its video and track
    fields as filters, facets and a sort."""
    many = {"sample": {"video_tracks": {"min": 40}}}
    short = {"labels": {"source": "ground_truth", "where": {"track_length": {"max": 150}}}}
    one = {"sample": {"fields.video": {"eq": f"video_{videos // 2:04d}"},
                      "fields.frame_number": {"min": 100, "max": 400}}}  # fmt: skip
    page = "samples/query"
    return [
        ("page, video_tracks >= 40", page, {"filter": many, "limit": 60}),
        ("page, gt track_length <= 150", page, {"filter": short, "limit": 60}),
        ("page, one video's frames 100-400", page, {"filter": one, "limit": 60}),
        ("count, video_tracks >= 40", page, {"filter": many, "limit": 0}),
        ("facets, video_tracks >= 40", "facets", {"filter": many}),
        ("facets, gt track_length <= 150", "facets", {"filter": short}),
        ("facets, one video's frames 100-400", "facets", {"filter": one}),
        (f"page sorted by video_tracks (offset {n // 2:,})", page,
         {"sort": "video_tracks", "order": "desc", "offset": n // 2, "limit": 60}),
        *((f"page sorted by video_{name} (offset {n // 2:,})", page,
           {"sort": f"video_{name}", "order": "desc", "offset": n // 2, "limit": 60})
          for name in ("num_frames", "duration", "fps")),
    ]  # fmt: skip
