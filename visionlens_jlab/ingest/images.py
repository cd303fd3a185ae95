"""Where images live and how big they are, without decoding them.

Parsers resolve every image to a ``location`` (an absolute local path or a ``gs://`` URI) and
read a size only when the annotation source does not give one (YOLO always, VOC/COCO when the
size is missing). Sizes come from the file header (PIL's lazy ``Image.open`` reads the header
only); ``gs://`` locations go through :mod:`visionlens_jlab.media.sources`, which reads just the
first bytes of the object.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from ..media.errors import MediaNameError
from ..media.names import check_name
from ..records.report import IngestReport
from .allowed_roots import REMOTE_READ_EVENT, SourceNotAllowedError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif")
"""Extensions treated as images when listing folders (compared lower-case)."""

# EXIF orientations that swap width and height (transpose, 90/270 degree rotations).
_SWAPPED_ORIENTATIONS = {5, 6, 7, 8}
_EXIF_ORIENTATION = 0x0112


def is_gcs(location: str) -> bool:
    """Whether ``location`` is a ``gs://`` URI."""
    return location.startswith("gs://")


def join_location(root: str, relative: str) -> str:
    """Resolve ``relative`` (as written in an annotation file) against an images root.

    Local roots give a normalised absolute path; ``gs://`` roots are joined as strings.
    An absolute local ``relative`` path is kept as it is.
    """
    relative = relative.replace("\\", "/")
    if is_gcs(root):
        return root.rstrip("/") + "/" + relative.lstrip("/")
    if is_gcs(relative):
        return relative
    return os.path.normpath(os.path.join(root, relative))


def flag_bad_name(report: IngestReport, file_name: str, location: str) -> None:
    """Count in ``report`` a name no file system can hold (a NUL byte, too long).

    The sample is kept (its boxes are data), shown with the placeholder image, and skipped
    by every job that reads images; the example is ASCII-escaped so it prints as one line.
    """
    try:
        check_name(location)
    except MediaNameError as exc:
        report.warn(
            "image_bad_file_name",
            "file names no file system can hold: kept without an image, skipped by every job",
            f"{ascii(file_name)[:200]}: {exc}",
        )


def image_size(location: str, report: IngestReport | None = None) -> tuple[int, int] | None:
    """``(width, height)`` as displayed, from the image header, or ``None`` if unreadable.

    Never decodes pixels. EXIF orientation is applied, as in every view (thumbnails, the
    browser) and as annotation tools and YOLO trainers read images, so boxes and sizes share
    one frame. An image outside the server's allowed roots (``confine_reads``) is not read:
    it is one image without a size, counted in ``report``, not the end of the ingest.
    """
    try:
        return _header_size(location)
    except SourceNotAllowedError:
        if report is not None:
            report.warn(
                "image_outside_allowed_roots",
                "images outside the server's allowed roots (c.VisionLensApp.allowed_roots): "
                "never read, kept without a size, not served",
                location,
            )
        return None


def _header_size(location: str) -> tuple[int, int] | None:
    if is_gcs(location):
        sys.audit(REMOTE_READ_EVENT, location)  # confined like a local read (confine_reads)
        try:
            from ..media.sources import image_size as remote_size
        except ImportError:
            return None
        try:
            size = remote_size(location)
        except Exception:
            return None
        return (int(size[0]), int(size[1])) if size else None
    # Pillow (~8 ms to import) only where a header is read: MOT's seqinfo.ini, COCO's and
    # VOC's files give the sizes
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(location) as img:
            width, height = img.size
            if img.getexif().get(_EXIF_ORIENTATION) in _SWAPPED_ORIENTATIONS:
                width, height = height, width
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return int(width), int(height)


def utf8_names(names: Iterable[str], folder: str, report: IngestReport | None) -> list[str]:
    """``names`` of entries of ``folder`` less those that are not UTF-8: Python holds such
    bytes as surrogate escapes, which no catalog column can store. Each is a report row
    (skipped: the file must be renamed)."""
    kept = []
    for name in names:
        if not name.isascii():
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                if report is not None:
                    report.warn(
                        "file_name_not_utf8",
                        "file or folder names that are not UTF-8 (skipped: rename them)",
                        ascii(os.path.join(folder, name))[:200],
                    )
                continue
        kept.append(name)
    return kept


def list_images(folder: str | Path, report: IngestReport | None = None) -> list[str]:
    """Image file names (not paths) directly in ``folder``, sorted; empty if it is missing.
    Names that are not UTF-8 are left out (reported in ``report``, see :func:`utf8_names`).

    ``gs://`` folders are listed through :mod:`visionlens_jlab.media.sources` (object
    listings only, nothing downloaded).
    """
    if isinstance(folder, str) and is_gcs(folder):
        return _list_remote(folder)
    try:
        with os.scandir(folder) as entries:
            names = [
                e.name for e in entries if e.name.lower().endswith(IMAGE_EXTENSIONS) and e.is_file()
            ]
    except OSError:
        return []
    return sorted(utf8_names(names, str(folder), report))


def _list_remote(folder: str) -> list[str]:
    try:
        from ..media.sources import list_images as remote_list
    except ImportError:  # pragma: no cover - the media package is part of the install
        return []
    prefix = folder.rstrip("/") + "/"
    sys.audit(REMOTE_READ_EVENT, prefix)
    try:
        names = [loc[len(prefix) :] for loc in remote_list(prefix) if loc.startswith(prefix)]
    except Exception:
        return []
    return sorted(n for n in names if "/" not in n)
