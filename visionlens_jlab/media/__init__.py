"""Images of samples: local/GCS sources, thumbnails, the disk cache, bad-media placeholders.

Public entry points:

* :mod:`.sources` — ``read_bytes(location)``, ``image_size(location)``,
  ``list_images(prefix)`` for absolute paths and ``gs://bucket/key`` locations;
* :class:`.service.MediaService` — what the REST handler calls;
* :func:`.pregen.pregenerate_thumbnails` — the post-ingest job function;
* :func:`.lookup.bad_media_counts` — bad-media counts for the dataset view.
"""

from .errors import (
    MEDIA_ERROR_CODES,
    MEDIA_ERROR_HEADER,
    MediaAccessError,
    MediaError,
    MediaUnavailableError,
)
from .imaging import THUMBNAIL_SIZES

__all__ = [
    "MEDIA_ERROR_CODES",
    "MEDIA_ERROR_HEADER",
    "THUMBNAIL_SIZES",
    "MediaAccessError",
    "MediaError",
    "MediaUnavailableError",
]
