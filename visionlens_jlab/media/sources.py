"""Where image bytes come from: local files or Google Cloud Storage, behind one interface.

A *location* is an absolute local path or ``gs://bucket/key``. Callers use the module-level
functions (:func:`read_bytes`, :func:`image_size`, :func:`list_images`, :func:`version`,
:func:`resolve_within`), which pick the source from the location's scheme.

Local files are read here; GCS in :mod:`.gcs_source`; the interface both implement and the
header-size reading are in :mod:`.image_source`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from typing import Any

from ..video.locator import parse_frame_location
from .errors import MediaAccessError, MediaError
from .gcs_source import GCSSource
from .image_source import (
    MAX_FILE_BYTES,
    SWAPPING_ORIENTATIONS,
    ImageSource,
    ObjectInfo,
    SourceVersion,
    is_image_name,
    orientation,
)
from .names import check_name
from .video_source import VideoFrameSource

# ----------------------------------------------------------------------------- local


class LocalSource(ImageSource):
    """Images on a local (or mounted) file system; locations are absolute paths."""

    def _path(self, location: str) -> str:
        if not os.path.isabs(location):
            raise MediaAccessError(f"not an absolute path: {location!r}")
        return location

    def _open(self, location: str, *, limit: bool = True) -> Any:
        """Open a regular file for reading; FIFOs, devices and folders are refused (a FIFO
        would block the reading thread forever)."""
        path = self._path(location)
        try:
            fd = os.open(
                path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
            )
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise MediaError("missing", f"no image file at {location}") from exc
        except OSError as exc:  # permissions, a folder, ENAMETOOLONG, a link loop
            raise MediaError("missing", f"cannot read {location}: {exc.strerror}") from exc
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise MediaError("unsupported", f"{location} is not a regular file")
        if limit and st.st_size > MAX_FILE_BYTES:
            os.close(fd)
            raise MediaError("too_large", f"{location} is {st.st_size} bytes")
        return os.fdopen(fd, "rb")

    def read_bytes(self, location: str) -> bytes:
        with self._open(location) as f:
            return bytes(f.read())

    def read_head(self, location: str, nbytes: int) -> bytes:
        with self._open(location) as f:
            return bytes(f.read(nbytes))

    def version(self, location: str) -> SourceVersion:
        try:
            st = os.stat(self._path(location))
        except OSError as exc:
            raise MediaError("missing", f"no image file at {location}") from exc
        if not stat.S_ISREG(st.st_mode):
            raise MediaError("unsupported", f"{location} is not a regular file")
        return SourceVersion(f"{st.st_mtime_ns}-{st.st_size}", st.st_size)

    def image_size(self, location: str, *, oriented: bool = True) -> tuple[int, int]:
        # Pillow reads only as much of the file as the header needs; imported here, as
        # every command that opens a catalog imports this module (the media manifest's)
        from PIL import Image, UnidentifiedImageError

        try:
            with self._open(location, limit=False) as f, Image.open(f) as im:
                width, height = im.size
                if oriented and orientation(im) in SWAPPING_ORIENTATIONS:
                    width, height = height, width
            return int(width), int(height)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError) as exc:
            raise MediaError("missing", f"no image file at {location}") from exc
        except Image.DecompressionBombError as exc:
            raise MediaError("too_large", f"{location}: {exc}") from exc
        except (UnidentifiedImageError, SyntaxError, OSError, ValueError) as exc:
            raise MediaError(
                "corrupt", f"cannot read the image header of {location}: {exc}"
            ) from exc

    def list_objects(self, prefix: str, timeout: float | None = None) -> Iterator[ObjectInfo]:
        root = self._path(prefix)
        if not os.path.isdir(root):
            raise MediaError("missing", f"no image folder at {prefix}")
        # followlinks=False: a link cycle cannot make the walk endless.
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                if is_image_name(name):
                    path = os.path.join(dirpath, name)
                    try:
                        yield ObjectInfo(path, self.version(path))
                    except MediaError:
                        continue  # vanished (or a dangling link) while listing

    def resolve_within(self, location: str, media_root: str) -> str:
        path = self._path(location)
        if not media_root or media_root.startswith("gs://") or not os.path.isabs(media_root):
            raise MediaAccessError(f"{location!r} is not inside the dataset's media root")
        # realpath resolves '..' and every symlink, so a link leading out of the root is refused.
        real = os.path.realpath(path)
        root = os.path.realpath(media_root)
        if real == root and os.path.isfile(real):
            return real  # a dataset whose media root is a single file
        if os.path.commonpath([real, root]) != root or real == root:
            raise MediaAccessError(f"{location!r} is not inside the dataset's media root")
        return real


# ----------------------------------------------------------------------------- dispatch

_LOCAL = LocalSource()
_GCS = GCSSource()


def _file_source(location: str) -> ImageSource:
    if location.startswith("gs://"):
        return _GCS
    if "://" in location:
        raise MediaAccessError(f"unsupported image location scheme: {location!r}")
    return _LOCAL


_VIDEO_FRAMES = VideoFrameSource(_file_source)


def source_for(location: str) -> ImageSource:
    """The source that reads ``location``: a frame of a video file
    (``<video>#frame=N``, :mod:`.video_source`) or an image file, by scheme."""
    if parse_frame_location(location) is not None:
        return _VIDEO_FRAMES
    return _file_source(location)


def read_bytes(location: str) -> bytes:
    """All bytes of the image at ``location`` (absolute path or ``gs://bucket/key``)."""
    return source_for(location).read_bytes(location)


def read_bytes_at(location: str, version: SourceVersion) -> bytes:
    """:func:`read_bytes` for a caller that has just read ``version`` of ``location``
    (:meth:`.image_source.ImageSource.read_bytes_at`: saves a second metadata request)."""
    return source_for(location).read_bytes_at(location, version)


def image_size(location: str, *, oriented: bool = True) -> tuple[int, int]:
    """``(width, height)`` of the image at ``location`` from its header only.

    GCS: a ranged download of the first 64 KiB, grown while the header is incomplete.
    With ``oriented`` (default) EXIF orientations 5-8 swap the two, matching what browsers
    and the thumbnails show. Raises :class:`MediaError` (``missing`` / ``corrupt``).
    """
    return source_for(location).image_size(location, oriented=oriented)


def list_images(prefix: str) -> Iterator[str]:
    """Locations of the images under the folder ``prefix`` (path or ``gs://bucket/prefix``).

    Recursive, in name order, by file extension (:data:`IMAGE_EXTENSIONS`); GCS uses object
    listings only (nothing is downloaded).
    """
    for info in source_for(prefix).list_objects(prefix):
        yield info.location


def list_image_objects(prefix: str, timeout: float | None = None) -> Iterator[ObjectInfo]:
    """Like :func:`list_images` but with each image's version (for cache keys).

    ``timeout`` (GCS): seconds per listing request, without retries.
    """
    return source_for(prefix).list_objects(prefix, timeout)


def version(location: str) -> SourceVersion:
    """The current :class:`SourceVersion` of the image at ``location``."""
    return source_for(location).version(location)


def versioned_file(location: str) -> str:
    """The location whose version is ``location``'s (a frame's video file, an image
    itself): what a cache of versions keys by, so the frames of one ``gs://`` video cost
    one metadata request per revalidation, not one each."""
    return source_for(location).versioned_file(location)


def resolve_within(location: str, media_root: str) -> str:
    """``location`` made safe to read: inside ``media_root`` or :class:`MediaAccessError`.

    The one confinement rule: the image route and every job, runner and plugin hook that
    reads a dataset's files go through it (jobs through :func:`.confine.confine`). A name no
    file system can hold raises :class:`MediaNameError` first.
    """
    check_name(location)
    return source_for(location).resolve_within(location, media_root)
