"""A folder of videos: video files (mp4, mov, mkv, webm, avi) and image-sequence folders
(a subfolder whose files are frame images, in natural order), each one video.

Every video file is probed once (:func:`~visionlens_jlab.video.probe.probe_video`: exact
frame count, fps, codec, size, rotation, variable frame rate); a file the decoder cannot
read is a report row, never a failed dataset. No frame is decoded or written: a frame's
sample names its file and frame (``<video>#frame=N``).

A ``gs://`` folder works the same way: one delimited listing finds its video files and
subfolders, each video is probed from ranged reads of its object (streamed once, never
written to disk), and its frames are served from the object (:mod:`visionlens_jlab.media.gcs_file`).
An unreachable store fails the ingest (it says nothing about the videos); a video object
gone since the listing is a report row.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pyarrow as pa

from ..records.batches import Batch
from ..records.report import IngestError, IngestReport
from ..video.files import file_version
from ..video.frame_index import IndexStore, index_of_probe
from ..video.locator import is_video_name
from ..video.probe import VideoError, VideoProbe, probe_video
from .allowed_roots import REMOTE_READ_EVENT
from .base import ParsedBase
from .images import image_size, is_gcs, join_location, list_images
from .prefetch import prefetch
from .video_rows import FILE, SEQUENCE, Video, VideoRows, natural_key, sorted_frames

FORMAT = "video"


def video_files(path: str) -> list[str]:
    """The video file names directly in folder ``path`` (local or ``gs://``), in natural
    order."""
    if is_gcs(path):
        names = [n for n in _gcs_children(path)[0] if is_video_name(n)]
        return sorted(names, key=natural_key)
    try:
        names = [e.name for e in os.scandir(path) if e.is_file() and is_video_name(e.name)]
    except OSError:
        return []
    return sorted(names, key=natural_key)


def _gcs_children(path: str) -> tuple[list[str], list[str]]:
    from ..media.errors import MediaError, MediaUnavailableError
    from ..media.gcs_source import list_children

    sys.audit(REMOTE_READ_EVENT, path)  # confined like a local listing (confine_reads)
    try:
        return list_children(path)
    except (MediaError, MediaUnavailableError) as exc:
        raise IngestError(f"cannot list {path}: {exc}") from exc


def probe_location(location: str, store: IndexStore | None = None) -> VideoProbe:
    """Probe the video file at ``location``: a local path, or a ``gs://`` object read in
    ranges (a vanished object is a :class:`VideoError`; an unreachable store an
    :class:`IngestError`, since it says nothing about the video).

    ``store``: keep the probe's frame index there (the server's
    :data:`~visionlens_jlab.config.VIDEO_INDEX_DIR`), keyed as the server's frame reader
    reads it (the file's real path or the object's location, and the version probed), so
    the first view of the video reads it back instead of probing the file again.
    """
    if not is_gcs(location):
        # FFmpeg opens the file in C, unseen by the parse worker's audit hook that confines
        # reads to the server's allowed roots (allowed_roots.confine_reads): Python opens
        # it first, so a link out of the roots is refused as any other read there
        with open(location, "rb"):
            pass
        real = os.path.realpath(location)
        before = _local_version(real) if store is not None else None
        probe = probe_video(location)
        # a file replaced during the probe: its index is of neither version
        if store is not None and before is not None and _local_version(real) == before:
            store.put(real, before, index_of_probe(probe), lambda: _local_version(real))
        return probe
    from ..media.errors import MediaError, MediaUnavailableError
    from ..media.gcs_file import GCSVideoFiles

    sys.audit(REMOTE_READ_EVENT, location)
    files = GCSVideoFiles()
    try:
        version = files.version(location)
        with files.open(location, version) as file:  # pinned: the generation probed
            probe = probe_video(location, file)
    except MediaError as exc:
        raise VideoError(f"cannot read {location}: {exc}") from exc
    except MediaUnavailableError as exc:
        raise IngestError(str(exc)) from exc
    if store is not None:
        store.put(location, version, index_of_probe(probe), lambda: files.version(location))
    return probe


def _local_version(path: str) -> str | None:
    try:
        return file_version(path, None)
    except (OSError, VideoError):  # gone or not a regular file: nothing to key it by
        return None


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
    """The subfolders of ``path`` (local or ``gs://``) that hold frame images, in natural
    order."""
    if is_gcs(path):
        folders = _gcs_children(path)[1]
    else:
        try:
            folders = [e.name for e in os.scandir(path) if e.is_dir()]
        except OSError:
            return []
    return sorted((f for f in folders if list_images(join_location(path, f))), key=natural_key)


class VideoFolder(ParsedBase):
    """A folder of video files and image sequences as a
    :class:`~visionlens_jlab.records.parsed.ParsedSource` (frames only, no labels)."""

    def __init__(self, path: str, split: str | None = None, video_index: str | None = None) -> None:
        """``video_index``: the folder the probes' frame indexes are kept in
        (:func:`probe_location`; None: not kept)."""
        path = path.rstrip("/") if is_gcs(path) else os.path.abspath(path)
        if not is_gcs(path) and not os.path.isdir(path):
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
        self.index_store = IndexStore(video_index) if video_index else None

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
        location = join_location(self.source, name)
        try:
            probe = probe_location(location, self.index_store)
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
        location = join_location(self.source, folder)
        frames = sorted_frames(list_images(location, self.report))
        size = image_size(join_location(location, frames[0]), self.report)
        video = Video(
            name=folder,
            location=location,
            kind=SEQUENCE,
            num_frames=len(frames),
            width=size[0] if size else None,
            height=size[1] if size else None,
        )
        video_id, _ = self.rows.add(video)
        return self.rows.samples(video_id, frames, location, folder, self.split)

    def feature_rows(self) -> dict[str, pa.Table]:
        """The ``videos`` and ``video_frames`` rows (once the batches are done)."""
        return self.rows.feature_rows()
