"""What an image request is answered with, in HTTP terms: the response the media service
builds (:class:`MediaResponse`, which the handler only copies onto the wire), the thumbnail
variant a browser gets, ``If-None-Match`` against an ETag, and a cached thumbnail's type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .errors import MediaErrorCode

CACHE_CONTROL_OK = "private, max-age=600"
"""A thumbnail reused for 10 minutes without asking, then revalidated by its ETag."""
CACHE_CONTROL_ERROR = "no-store"
"""A placeholder for bad media: a fixed file shows up on the next view."""


@dataclass
class MediaResponse:
    """What to send: status 200 (``body``) or 304 (empty), and the headers that go with it."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    cache_control: str = CACHE_CONTROL_OK
    error: MediaErrorCode | Literal["unavailable"] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def choose_variant(accept: str | None, requested: str | None = None) -> str:
    """Thumbnail variant for a request.

    ``requested`` (the ``format`` query argument: ``jpeg`` or ``webp``) wins. Otherwise
    ``auto`` when the browser accepts WebP (WebP only for images with transparency, JPEG for
    the rest: ~10x faster to encode at thumbnail sizes, for ~20% more bytes), else ``jpeg``.
    """
    if requested in ("jpeg", "webp"):
        return requested
    if requested not in (None, "", "auto"):
        raise ValueError(f"format must be jpeg or webp, not {requested!r}")
    return "auto" if accept and "image/webp" in accept else "jpeg"


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of an ``If-None-Match`` header against ``etag``."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


def sniff_type(data: bytes) -> str:
    """Content type of a cached thumbnail (JPEG or WebP) from its first bytes."""
    return "image/webp" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else "image/jpeg"
