"""The video FILE of a frame sample, for playback in the browser: which file (confined like
every media read), its type, its version, and byte ranges of it (HTTP ``Range``).

A ``gs://`` video streams from ranged downloads of the generation the response's ETag names
(one object replaced mid-response ends it short; the client's ``If-Range`` then gets the
new one whole). Only the frame's own file is ever served: the request names a sample id, the file is the
one its stored frame location names, and that location passes
:func:`.sources.resolve_within` (the rule of every other media read) first.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..catalog.store.catalog import NotFoundError
from ..video.locator import parse_frame_location
from . import sources
from .cache import cache_key
from .errors import MediaError
from .gcs_source import read_range

CHUNK_BYTES = 1024 * 1024
"""Bytes read (and sent) at a time: a range of a large file never sits in memory whole."""

VIDEO_CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".avi": "video/x-msvideo",
}


def video_content_type(location: str) -> str:
    """The media type a video file is sent as, by its name's suffix."""
    suffix = os.path.splitext(location)[1].lower()
    return VIDEO_CONTENT_TYPES.get(suffix, "application/octet-stream")


_RANGE = re.compile(r"bytes=(\d*)-(\d*)\Z")


class RangeNotSatisfiableError(Exception):
    """A ``Range`` that selects no byte of the file (answered 416)."""


@dataclass(frozen=True)
class VideoFile:
    """One sample's video file, as the streaming route sends it."""

    path: str
    size: int
    content_type: str
    etag: str
    generation: int | None = None
    """The object generation a ``gs://`` file streams (None for a local file)."""


def video_file(location: str, media_root: str) -> VideoFile:
    """The video file of the frame sample stored at ``location``, confined to ``media_root``.

    Raises ``NotFoundError`` when the sample is not a frame of a video file or its file is
    missing, ``MediaAccessError`` when the file lies outside the media root.
    """
    frame = parse_frame_location(location)
    if frame is None:
        raise NotFoundError("this sample is not a frame of a video file")
    resolved = parse_frame_location(sources.resolve_within(location, media_root))
    assert resolved is not None  # resolve_within keeps the frame fragment
    try:
        version = sources.version(resolved.video)  # a regular file, or MediaError
    except MediaError as exc:
        raise NotFoundError(f"the video file of this sample cannot be read: {exc}") from exc
    return VideoFile(
        resolved.video,
        version.size,
        video_content_type(resolved.video),
        f'"{cache_key(resolved.video, version, 0, "video")[:32]}"',
        int(version.token[1:]) if resolved.video.startswith("gs://") else None,
    )


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` byte (inclusive) a ``Range`` header asks of a ``size``-byte file.

    None: send the whole file (no header, a unit other than bytes, several ranges: RFC 9110
    lets a server answer those with the full representation). Raises
    :class:`RangeNotSatisfiableError` for a range past the end.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.group(1), match.group(2)
    if not first and not last:
        return None
    if not first:  # a suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiableError(header)
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiableError(header)
    return start, end


def read_chunk(path: str, offset: int, length: int, generation: int | None = None) -> bytes:
    """Up to ``length`` bytes of ``path`` from ``offset`` (at most :data:`CHUNK_BYTES`);
    ``generation``: of that generation of a ``gs://`` object (b"" once it is replaced)."""
    if path.startswith("gs://"):
        try:
            return read_range(path, offset, offset + min(length, CHUNK_BYTES) - 1, generation)
        except MediaError:
            return b""  # replaced (or deleted) while streaming: stop at what was sent
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(min(length, CHUNK_BYTES))
