"""Why a sample's image could not be shown, as one short machine-readable code."""

from __future__ import annotations

from typing import Literal

MediaErrorCode = Literal["missing", "corrupt", "too_large", "unsupported"]
MEDIA_ERROR_CODES: tuple[MediaErrorCode, ...] = ("missing", "corrupt", "too_large", "unsupported")

UNAVAILABLE: Literal["unavailable"] = "unavailable"
"""The header's code when the storage could not be reached: transient, never cached or
counted as bad media (not one of :data:`MEDIA_ERROR_CODES`)."""

MEDIA_ERROR_HEADER = "X-VisionLens-Media-Error"
"""Response header carrying the code when a placeholder is served instead of the image."""


class MediaError(Exception):
    """The image of a sample cannot be read or decoded.

    ``code`` is one of :data:`MEDIA_ERROR_CODES`: ``missing`` (no such file/object),
    ``corrupt`` (truncated or undecodable bytes), ``too_large`` (more pixels than the decoder
    limit: a decompression bomb, or a decode that ran past its time limit), ``unsupported``
    (a file Pillow cannot identify as a raster image format it reads).
    """

    def __init__(self, code: MediaErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: MediaErrorCode = code


class MediaNameError(MediaError):
    """A stored file name no file system can hold (a NUL byte, longer than the file system
    allows): shown as the ``unsupported`` placeholder and skipped by every job, never opened."""

    def __init__(self, message: str) -> None:
        super().__init__("unsupported", message)


class MediaAccessError(Exception):
    """A location outside the dataset's media root (never served, whatever its content)."""


class MediaUnavailableError(Exception):
    """The storage could not be reached (network, server error): transient, not bad media."""
