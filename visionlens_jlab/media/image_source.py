"""The interface every image source implements, the values it answers with, and an image's
size read from its header (:mod:`.sources` picks the source for a location)."""

from __future__ import annotations

import io
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import MediaError

if TYPE_CHECKING:
    from PIL import Image

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".jfif"}
)
"""File name endings :func:`~.sources.list_images` treats as images (case-insensitive)."""

HEADER_BYTES = 64 * 1024
"""First ranged read for a GCS header; doubled until the header parses."""
MAX_HEADER_BYTES = 8 * 1024 * 1024
MAX_FILE_BYTES = 512 * 1024 * 1024
"""Larger image files are refused (``too_large``) instead of being read into memory."""

# EXIF orientations that swap width and height (rotations by 90/270, transpose, transverse).
SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})


@dataclass(frozen=True)
class SourceVersion:
    """What identifies one version of an image: changes whenever its bytes change."""

    token: str  # local: "<mtime_ns>-<size>"; GCS: "g<generation>"
    size: int


@dataclass(frozen=True)
class ObjectInfo:
    """One listed image with its version (GCS listings carry it for free)."""

    location: str
    version: SourceVersion


class ImageSource(ABC):
    """Reads images at locations of one scheme."""

    @abstractmethod
    def read_bytes(self, location: str) -> bytes:
        """All bytes of the image; :class:`MediaError` ``missing`` if it does not exist."""

    def read_bytes_at(self, location: str, version: SourceVersion) -> bytes:
        """:meth:`read_bytes` for a caller that has just read the image's ``version``: a
        source whose read would ask for the version again (a frame of a ``gs://`` video:
        a metadata request) reads that version instead; the others read as usual."""
        return self.read_bytes(location)

    def versioned_file(self, location: str) -> str:
        """The location whose version is ``location``'s: the image itself, here (a frame's is
        its video file's), so a cache of versions asks once per file."""
        return location

    @abstractmethod
    def read_head(self, location: str, nbytes: int) -> bytes:
        """The first ``nbytes`` bytes (fewer at end of file)."""

    @abstractmethod
    def version(self, location: str) -> SourceVersion:
        """The current version of the image (cheap: a stat or a metadata request)."""

    @abstractmethod
    def list_objects(self, prefix: str, timeout: float | None = None) -> Iterator[ObjectInfo]:
        """Images under ``prefix`` (a folder) in name order, from listings only."""

    @abstractmethod
    def resolve_within(self, location: str, media_root: str) -> str:
        """The location to read if it lies inside ``media_root``, else :class:`MediaAccessError`."""

    def image_size(self, location: str, *, oriented: bool = True) -> tuple[int, int]:
        """``(width, height)`` read from the header only (EXIF-rotated if ``oriented``)."""
        # Pillow (~12 ms of imports) when an image is read: the media manifest, which every
        # command imports to open a catalog, reaches this module
        from PIL import Image, UnidentifiedImageError

        nbytes = HEADER_BYTES
        while True:
            head = self.read_head(location, nbytes)
            complete = len(head) < nbytes  # we have the whole file
            try:
                return header_size(head, oriented=oriented)
            except Image.DecompressionBombError as exc:
                raise MediaError("too_large", f"{location}: {exc}") from exc
            except (UnidentifiedImageError, SyntaxError, OSError, ValueError) as exc:
                if complete or nbytes >= MAX_HEADER_BYTES:
                    raise MediaError(
                        "corrupt", f"cannot read the image header of {location}: {exc}"
                    ) from exc
                nbytes *= 4


def header_size(data: bytes, *, oriented: bool = True) -> tuple[int, int]:
    """Image size from (the start of) an encoded image, applying EXIF orientation if asked."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        width, height = im.size
        if oriented and orientation(im) in SWAPPING_ORIENTATIONS:
            width, height = height, width
    return int(width), int(height)


def orientation(im: Image.Image) -> int:
    """The EXIF orientation of an open image (1, upright, when it has none or a broken one)."""
    try:
        return int(im.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block is not a broken image
        return 1


def is_image_name(name: str) -> bool:
    """Whether a file or object name ends in one of :data:`IMAGE_EXTENSIONS`."""
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS
