"""What every video source builds besides its labels: one sample per frame, the ``videos``
rows and the frame mapping (the feature tables of
:mod:`visionlens_jlab.importing.video_tables`, handed to the writer as feature rows).

A video is a video file or a sequence of frame images (a MOT sequence, an image-sequence
folder). Frames number from 1. Every frame is one sample whose ``fields`` hold ``video``
(the video's name) and ``frame_number``, so the sample-field filters and facets work on
them; its ``source_image_id`` is ``<video name>/<frame number>``, which is how a prediction
names its frame (:mod:`visionlens_jlab.catalog.writes.image_keys`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ..records.batches import SAMPLE_SCHEMA
from ..video.locator import frame_location
from .images import join_location

VIDEO_SCHEMA = pa.schema(
    [
        ("video_id", pa.int32()),
        ("name", pa.string()),
        ("location", pa.string()),
        ("kind", pa.string()),
        ("fps", pa.float64()),
        ("num_frames", pa.int32()),
        ("duration", pa.float64()),
        ("codec", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("rotation", pa.int32()),
        ("variable_frame_rate", pa.bool_()),
    ]
)
"""The ``videos`` rows a parser hands the writer (``dataset_id`` is the writer's)."""

FRAME_SCHEMA = pa.schema(
    [("sample_index", pa.int64()), ("video_id", pa.int32()), ("frame_number", pa.int32())]
)
"""The ``video_frames`` rows (the writer turns ``sample_index`` into ``sample_id``)."""

FILE, SEQUENCE = "file", "sequence"


@dataclass(frozen=True)
class Video:
    """One video as a source describes it."""

    name: str
    location: str
    kind: str
    num_frames: int
    fps: float | None = None
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    rotation: int = 0
    variable_frame_rate: bool = False
    source_id: int | str | None = None
    """The id the source's labels give the video (YouTube-VIS and TAO ``video_id``), kept in
    its frames' ``fields`` as ``source_video_id``: what a results file names it by."""

    @property
    def display_size(self) -> tuple[int | None, int | None]:
        """``(width, height)`` of the frames as shown: a quarter turn of the display matrix
        swaps the coded size (the frames are served turned, and labels are drawn on them)."""
        turned = self.rotation in (90, 270)
        return (self.height, self.width) if turned else (self.width, self.height)

    @property
    def duration(self) -> float | None:
        """Seconds (frames over the frame rate), or None without a frame rate."""
        return self.num_frames / self.fps if self.fps else None


def natural_key(name: str) -> list[int | str]:
    """Sort key of a file name with its digit runs compared as numbers (``2.jpg`` before
    ``10.jpg``)."""
    return [int(part) if part.isdecimal() else part.lower() for part in re.split(r"(\d+)", name)]


def sorted_frames(names: list[str]) -> list[str]:
    """Frame file ``names`` in natural order (:func:`natural_key`). Names of one width that
    are ASCII digits and one extension (MOT's ``000001.jpg``) sort as text, whose order is
    then the same: 30,000 natural keys were 0.1 s of a 0.75 s MOT parse."""
    if names:
        width, ext = len(names[0]), os.path.splitext(names[0])[1]
        digits = width - len(ext)
        if all(
            len(n) == width and n.endswith(ext) and n[:digits].isascii() and n[:digits].isdigit()
            for n in names
        ):
            return sorted(names)
    return sorted(names, key=natural_key)


class VideoRows:
    """The videos of a source, their frame samples and frame mapping, built video by video."""

    def __init__(self) -> None:
        self.videos: list[Video] = []
        self.first_index: list[int] = []
        self.numbers: list[np.ndarray] = []
        """Each video's frame numbers that are samples, ascending."""
        self.next_index = 0
        """The ``sample_index`` the next frame gets."""

    def add(self, video: Video, numbers: np.ndarray | None = None) -> tuple[int, int]:
        """Add ``video``; returns its ``video_id`` (from 1) and its first frame's sample
        index. Its samples are its frames 1 to ``num_frames`` (frame N is sample
        ``first + N - 1``), or only the frames ``numbers`` (ascending, from 1 to
        ``num_frames``: a sequence whose images are some of its frames, frame
        ``numbers[i]`` sample ``first + i``)."""
        if numbers is None:
            numbers = np.arange(1, video.num_frames + 1, dtype=np.int64)
        self.videos.append(video)
        first = self.next_index
        self.first_index.append(first)
        self.numbers.append(numbers)
        self.next_index += len(numbers)
        return len(self.videos), first

    def samples(
        self,
        video_id: int,
        frames: list[str] | None = None,
        folder: str = "",
        relative: str = "",
        split: str | None = None,
        frame_ids: list[Any] | None = None,
    ) -> pa.Table:
        """The sample rows of video ``video_id``'s frames: a sequence's frame files (names
        in ``folder``, in frame order; their file names under ``relative``, the folder as
        the dataset names it), or a video file's frame locations. ``frame_ids``: the id the
        source gives each frame (TAO's image ids), kept in its ``fields`` as
        ``source_frame_id``: what per-frame results name it by."""
        video = self.videos[video_id - 1]
        first, numbers = self.first_index[video_id - 1], self.numbers[video_id - 1].tolist()
        n = len(numbers)
        if frames is None:
            names = [f"{video.name}#frame={i}" for i in numbers]
            locations = [frame_location(video.location, i) for i in numbers]
        else:  # one folder: joined once, not per frame (30K frames: a third of a parse)
            base = join_location(folder, "x")[:-1]
            locations = [base + f for f in frames]
            names = [f"{relative}/{f}" for f in frames] if relative else list(frames)
        quoted = json.dumps(video.name)
        width, height = video.display_size
        extra = (
            "" if video.source_id is None else f',"source_video_id":{json.dumps(video.source_id)}'
        )
        return pa.Table.from_arrays(
            [
                pa.array(np.arange(first, first + n, dtype=np.int64)),
                pa.array(names, pa.string()),
                pa.array(locations, pa.string()),
                pa.array(np.full(n, width or 0, np.int32), mask=_none(n, width)),
                pa.array(np.full(n, height or 0, np.int32), mask=_none(n, height)),
                pa.array([split] * n, pa.string()),
                pa.array([f"{video.name}/{i}" for i in numbers], pa.string()),
                pa.array(
                    [
                        f'{{"video":{quoted},"frame_number":{i}{extra}{frame_id}}}'
                        for i, frame_id in zip(numbers, _frame_ids(frame_ids, n), strict=True)
                    ]
                ),
            ],
            schema=SAMPLE_SCHEMA,
        )

    def feature_rows(self) -> dict[str, pa.Table]:
        """The ``videos`` and ``video_frames`` rows of every video added."""
        v = self.videos
        videos = pa.Table.from_pydict(
            {
                "video_id": list(range(1, len(v) + 1)),
                "name": [x.name for x in v],
                "location": [x.location for x in v],
                "kind": [x.kind for x in v],
                "fps": [x.fps for x in v],
                "num_frames": [x.num_frames for x in v],
                "duration": [x.duration for x in v],
                "codec": [x.codec for x in v],
                "width": [x.width for x in v],
                "height": [x.height for x in v],
                "rotation": [x.rotation for x in v],
                "variable_frame_rate": [x.variable_frame_rate for x in v],
            },
            schema=VIDEO_SCHEMA,
        )
        counts = np.array([len(n) for n in self.numbers], dtype=np.int64)
        total = int(counts.sum())
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        firsts = np.repeat(np.array(self.first_index, dtype=np.int64), counts)
        offsets = np.arange(total, dtype=np.int64) - starts
        numbers = np.concatenate(self.numbers) if self.numbers else np.zeros(0, np.int64)
        frames = pa.Table.from_arrays(
            [
                pa.array(firsts + offsets),
                pa.array(np.repeat(np.arange(1, len(v) + 1, dtype=np.int32), counts)),
                pa.array(numbers.astype(np.int32)),
            ],
            schema=FRAME_SCHEMA,
        )
        return {"videos": videos, "video_frames": frames}

    def count(self, counts: dict[str, int], tracks: int = 0) -> None:
        """Set the report's ``videos``, ``frames`` (frame samples) and ``tracks`` counts."""
        counts.update(
            videos=len(self.videos),
            frames=sum(len(n) for n in self.numbers),
            tracks=tracks,
        )


def _none(n: int, value: int | None) -> np.ndarray | None:
    return np.ones(n, dtype=bool) if value is None else None


def _frame_ids(ids: list[Any] | None, n: int) -> list[str]:
    """Each of ``n`` frames' ``source_frame_id`` member of its ``fields`` (none without ids)."""
    if ids is None:
        return [""] * n
    return ["" if i is None else f',"source_frame_id":{json.dumps(i)}' for i in ids]
