"""Probe a video file once: its frame rate, exact frame count, duration, codec, size,
rotation, whether its frame rate varies, and its keyframes.

The frame count and keyframes come from demuxing every packet of the video stream (no
decoding: a 1-hour 1080p file demuxes in a few seconds), because container headers are
often wrong or absent (``stream.frames`` is 0 for most MKV and WebM files). A file the
decoder cannot open raises :class:`VideoError`, which an ingest turns into a report row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO


class VideoError(Exception):
    """A video file that cannot be opened or has no readable video stream."""


@dataclass(frozen=True)
class VideoProbe:
    """What one probe of a video file found."""

    num_frames: int
    """Decodable frames (packets of the video stream that carry data)."""
    fps: float
    """The average frame rate (frames over duration), 0.0 when unknown."""
    duration: float
    """Seconds, from the first frame's timestamp to the end of the last."""
    codec: str
    width: int
    height: int
    rotation: int
    """Degrees the display matrix turns the decoded picture (0, 90, 180 or 270)."""
    variable_frame_rate: bool
    """Whether frame durations differ by more than one time-base tick."""
    time_base: Fraction
    keyframe_pts: tuple[int, ...] = field(repr=False)
    """Presentation timestamps of the keyframes, ascending (the seek index)."""
    frame_pts: tuple[int, ...] = field(repr=False)
    """Presentation timestamps of every frame in display order: frame N is
    ``frame_pts[N - 1]``."""
    declared_frames: int = 0
    """Frames the container's header declares (0 where it declares none). More than
    ``num_frames``: the file was cut short after its index (an MP4 written with its index
    first, then truncated), which demuxes without an error."""


def probe_video(path: str | Path, file: BinaryIO | None = None) -> VideoProbe:
    """Probe the video file at ``path`` (see the module docstring).

    ``file``: read the bytes from this seekable file object instead (a remote object,
    :mod:`.files`); ``path`` then only names it in errors.
    """
    # Imported here: PyAV costs ~0.1 s to import, which every ingest that finds no video
    # (images, image sequences) would otherwise pay through the readers that import this.
    import av

    try:
        container = av.open(file if file is not None else str(path))
    except (av.FFmpegError, OSError) as exc:
        raise VideoError(f"cannot open {path}: {exc}") from exc
    with container:
        if not container.streams.video:
            raise VideoError(f"{path} has no video stream")
        stream = container.streams.video[0]
        try:
            pts, keyframes = _demux(container, stream)
            rotation = _rotation(container, stream)
        except av.FFmpegError as exc:
            raise VideoError(f"cannot read {path}: {exc}") from exc
        if not pts:
            raise VideoError(f"{path} has no frames")
        return _summary(stream, sorted(pts), keyframes, rotation)


def _demux(container: Any, stream: Any) -> tuple[list[int], tuple[int, ...]]:
    pts: list[int] = []
    keyframes: list[int] = []
    for packet in container.demux(stream):
        if packet.size == 0 or packet.pts is None:
            continue
        pts.append(packet.pts)
        if packet.is_keyframe:
            keyframes.append(packet.pts)
    return pts, tuple(sorted(keyframes))


def _rotation(container: Any, stream: Any) -> int:
    container.seek(0, stream=stream)
    for frame in container.decode(stream):
        return int(getattr(frame, "rotation", 0) or 0) % 360
    return 0


def _summary(stream: Any, pts: list[int], keyframes: tuple[int, ...], rotation: int) -> VideoProbe:
    time_base = Fraction(stream.time_base) if stream.time_base else Fraction(1, 1)
    steps = [b - a for a, b in zip(pts, pts[1:], strict=False)]
    last_step = steps[-1] if steps else 0
    duration = float((pts[-1] - pts[0] + last_step) * time_base)
    variable = bool(steps) and max(steps) - min(steps) > 1
    fps = len(pts) / duration if duration > 0 else 0.0
    return VideoProbe(
        num_frames=len(pts),
        fps=fps,
        duration=duration,
        codec=stream.codec_context.name,
        width=stream.codec_context.width,
        height=stream.codec_context.height,
        rotation=rotation,
        variable_frame_rate=variable,
        time_base=time_base,
        keyframe_pts=keyframes,
        frame_pts=tuple(pts),
        declared_frames=int(stream.frames or 0),
    )
