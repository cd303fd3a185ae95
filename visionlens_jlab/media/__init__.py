"""Images of samples: local/GCS sources, thumbnails, the disk cache, bad-media placeholders.

Public entry points:

* :mod:`.sources` — ``read_bytes(location)``, ``image_size(location)``,
  ``list_images(prefix)`` for absolute paths and ``gs://bucket/key`` locations;
* :class:`.service.MediaService` — what the REST handler calls;
* :func:`.pregen.pregenerate_thumbnails` — the post-ingest job function;
* :func:`.lookup.bad_media_counts` — bad-media counts for the dataset view.

``THUMBNAIL_SIZES`` comes from :mod:`.imaging` on first use: Pillow (~12 ms of imports) is
for commands that read images, and every command imports this package's manifest to open
a catalog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import (
    MEDIA_ERROR_CODES,
    MEDIA_ERROR_HEADER,
    MediaAccessError,
    MediaError,
    MediaUnavailableError,
)

if TYPE_CHECKING:
    from .imaging import THUMBNAIL_SIZES

__all__ = [
    "MEDIA_ERROR_CODES",
    "MEDIA_ERROR_HEADER",
    "THUMBNAIL_SIZES",
    "MediaAccessError",
    "MediaError",
    "MediaUnavailableError",
]


def __getattr__(name: str) -> object:
    """``THUMBNAIL_SIZES``, from :mod:`.imaging` on first use."""
    if name == "THUMBNAIL_SIZES":
        from .imaging import THUMBNAIL_SIZES

        return THUMBNAIL_SIZES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
