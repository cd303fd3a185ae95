"""Which bytes a video location names: a local path (opened by FFmpeg itself), or a remote
object (``gs://``) read through a seekable file object that a :class:`RemoteFiles` gives.

The video layer knows no storage service: the media layer passes a :class:`RemoteFiles`
(:class:`visionlens_jlab.media.gcs_file.GCSVideoFiles`), so credentials and timeouts stay
with the storage code. Local paths keep their fast path: ``os.stat`` for the version, FFmpeg
reading the file.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO, Protocol

from .probe import VideoError


class RemoteFiles(Protocol):
    """Video files that are not local paths: what reading their frames needs."""

    def version(self, location: str) -> str:
        """A token that changes whenever the object's bytes do (its generation and size).

        Raises the storage's own errors for a missing or unreachable object.
        """
        ...

    def open(self, location: str, version: str) -> BinaryIO:
        """A seekable, read-only file of exactly that ``version`` of the object."""
        ...


def is_remote(location: str) -> bool:
    """Whether ``location`` names a remote object (a URI) rather than a local path."""
    return "://" in location


def file_version(location: str, remote: RemoteFiles | None) -> str:
    """The version token of the video file at ``location``: ``mtime_ns-size`` of a local
    file (``FileNotFoundError`` for a missing one), the remote's token for a URI."""
    if is_remote(location):
        if remote is None:
            raise VideoError(f"{location}: no reader for remote video files here")
        return remote.version(location)
    st = os.stat(location)  # FileNotFoundError for a missing file
    if not stat.S_ISREG(st.st_mode):  # opening a FIFO would block the thread forever
        raise VideoError(f"{location} is not a regular file")
    return f"{st.st_mtime_ns}-{st.st_size}"


def open_file(location: str, version: str, remote: RemoteFiles | None) -> BinaryIO | None:
    """The file object to decode ``location`` from; None for a local path (FFmpeg opens it)."""
    if not is_remote(location):
        return None
    if remote is None:
        raise VideoError(f"{location}: no reader for remote video files here")
    return remote.open(location, version)
