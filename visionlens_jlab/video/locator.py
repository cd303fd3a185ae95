"""A frame's location: the video's location with ``#frame=N`` (N from 1).

A frame of a video file is a sample like an image, and its ``samples.location`` names both
the file and the frame, so that every reader of a location (thumbnails, crops, embedding
and model jobs, export) reaches the frame through the media sources without a second
lookup. An image sequence's frames are image files and keep plain locations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi"})
"""File name endings ingested as video files (lower case)."""

_FRAGMENT = re.compile(r"#frame=([1-9][0-9]*)\Z")


@dataclass(frozen=True)
class FrameLocation:
    """One frame of one video file."""

    video: str
    """The video file's location (an absolute path or a ``gs://`` URI)."""
    frame_number: int
    """From 1: the N-th decoded frame of the file."""


def frame_location(video: str, frame_number: int) -> str:
    """The location string of frame ``frame_number`` (from 1) of ``video``."""
    if frame_number < 1:
        raise ValueError(f"frame numbers start at 1, not {frame_number}")
    return f"{video}#frame={frame_number}"


def parse_frame_location(location: str) -> FrameLocation | None:
    """The video and frame a location names, or None for any other location.

    Only a location whose file part ends in a video suffix counts: an image whose file
    name happens to contain ``#frame=`` stays an image.
    """
    match = _FRAGMENT.search(location)
    if match is None:
        return None
    video = location[: match.start()]
    dot = video.rfind(".")
    if dot < 0 or video[dot:].lower() not in VIDEO_SUFFIXES:
        return None
    return FrameLocation(video, int(match.group(1)))


def is_video_name(name: str) -> bool:
    """Whether a file name ends in one of :data:`VIDEO_SUFFIXES`."""
    dot = name.rfind(".")
    return dot >= 0 and name[dot:].lower() in VIDEO_SUFFIXES
