"""A folder of videos: video files (mp4, mov, mkv, webm, avi) and image-sequence folders
(a subfolder whose files are frame images, in natural order), each one video.

Every video file is probed once (:func:`~visionlens_jlab.video.probe.probe_video`: exact
frame count, fps, codec, size, rotation, variable frame rate); a file the decoder cannot
read is a report row, never a failed dataset. No frame is decoded or written: a frame's
sample names its file and frame (``<video>#frame=N``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pyarrow as pa

from ..records.batches import Batch
from ..records.report import IngestError, IngestReport
from ..video.locator import is_video_name
from ..video.probe import VideoError, VideoProbe, probe_video
from .base import ParsedBase, prefetch
from .images import image_size, list_images
from .video_rows import FILE, SEQUENCE, Video, VideoRows, natural_key

FORMAT = "video"


def video_files(path: str) -> list[str]:
    """The video file names directly in folder ``path``, in natural order."""
    try:
        names = [e.name for e in os.scandir(path) if e.is_file() and is_video_name(e.name)]
    except OSError:
        return []
    return sorted(names, key=natural_key)


def report_truncated(probe: VideoProbe, where: str, report: IngestReport) -> None:
    """Report a video file whose header declares more frames than it holds (cut short after
    its index): its frames that are there ingest, the others do not exist."""
    if probe.declared_frames > probe.num_frames:
        report.warn(
            "video_truncated",
            "video files cut short: fewer frames than their header declares (the frames "
            "there ingested)",
            f"{where}: {probe.num_frames} of {probe.declared_frames} frames",
        )


def image_sequences(path: str) -> list[str]:
    """The subfolders of ``path`` that hold frame images, in natural order."""
    try:
        folders = [e.name for e in os.scandir(path) if e.is_dir()]
    except OSError:
        return []
    return sorted((f for f in folders if list_images(os.path.join(path, f))), key=natural_key)


class VideoFolder(ParsedBase):
    """A folder of video files and image sequences as a
    :class:`~visionlens_jlab.records.parsed.ParsedSource` (frames only, no labels)."""

    def __init__(self, path: str, split: str | None = None) -> None:
        path = os.path.abspath(path)
        if not os.path.isdir(path):
            raise IngestError(f"{path} is not a folder: give the folder that holds the videos")
        super().__init__(FORMAT, path, path)
        self.split = split
        self.files = video_files(path)
        self.sequences = image_sequences(path)
        if not self.files and not self.sequences:
            raise IngestError(
                f"{path} holds no video files (.mp4, .mov, .mkv, .webm, .avi) and no "
                "subfolders of frame images"
            )
        self.rows = VideoRows()

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        for name in self.files:
            table = self._video_file(name)
            if table is not None:
                yield Batch(samples=table)
        for folder in self.sequences:
            yield Batch(samples=self._sequence(folder))
        self.rows.count(self.report.counts)

    def _video_file(self, name: str) -> pa.Table | None:
        location = os.path.join(self.source, name)
        # FFmpeg opens the file in C, unseen by the parse worker's audit hook that confines
        # reads to the server's allowed roots (allowed_roots.confine_reads): Python opens it
        # first, so a link out of the roots is refused as any other read there
        with open(location, "rb"):
            pass
        try:
            probe = probe_video(location)
        except VideoError as exc:
            self.report.error(
                "video_unreadable", "video files the decoder cannot read (not ingested)", exc
            )
            return None
        report_truncated(probe, location, self.report)
        video = Video(
            name=name,
            location=location,
            kind=FILE,
            num_frames=probe.num_frames,
            fps=probe.fps or None,
            codec=probe.codec,
            width=probe.width,
            height=probe.height,
            rotation=probe.rotation,
            variable_frame_rate=probe.variable_frame_rate,
        )
        video_id, _ = self.rows.add(video)
        return self.rows.samples(video_id, split=self.split)

    def _sequence(self, folder: str) -> pa.Table:
        frames = sorted(
            list_images(os.path.join(self.source, folder), self.report), key=natural_key
        )
        size = image_size(os.path.join(self.source, folder, frames[0]), self.report)
        video = Video(
            name=folder,
            location=os.path.join(self.source, folder),
            kind=SEQUENCE,
            num_frames=len(frames),
            width=size[0] if size else None,
            height=size[1] if size else None,
        )
        video_id, _ = self.rows.add(video)
        location = os.path.join(self.source, folder)
        return self.rows.samples(video_id, frames, location, folder, self.split)

    def feature_rows(self) -> dict[str, pa.Table]:
        """The ``videos`` and ``video_frames`` rows (once the batches are done)."""
        return self.rows.feature_rows()
