"""Where image bytes come from: local files or Google Cloud Storage, behind one interface.

A *location* is an absolute local path or ``gs://bucket/key``. Callers use the module-level
functions (:func:`read_bytes`, :func:`image_size`, :func:`list_images`, :func:`version`,
:func:`resolve_within`), which pick the source from the location's scheme.

GCS uses google-cloud-storage's standard credential chain (application-default credentials,
``GOOGLE_APPLICATION_CREDENTIALS`` service-account file, metadata server) and falls back to
an anonymous client for public buckets when no credentials are found. ``STORAGE_EMULATOR_HOST``
is honoured by the library itself. Credentials stay in this process: the browser only ever
sees bytes the server produced.
"""

from __future__ import annotations

import io
import os
import stat
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from .errors import MediaAccessError, MediaError, MediaUnavailableError

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".jfif"}
)
"""File name endings :func:`list_images` treats as images (case-insensitive)."""

HEADER_BYTES = 64 * 1024
"""First ranged read for a GCS header; doubled until the header parses."""
MAX_HEADER_BYTES = 8 * 1024 * 1024
MAX_FILE_BYTES = 512 * 1024 * 1024
"""Larger image files are refused (``too_large``) instead of being read into memory."""

# EXIF orientations that swap width and height (rotations by 90/270, transpose, transverse).
_SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})


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
    with Image.open(io.BytesIO(data)) as im:
        width, height = im.size
        if oriented and _orientation(im) in _SWAPPING_ORIENTATIONS:
            width, height = height, width
    return int(width), int(height)


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block is not a broken image
        return 1


def _is_image_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


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
        except (PermissionError, IsADirectoryError) as exc:
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
        except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
            raise MediaError("missing", f"no image file at {location}") from exc
        if not stat.S_ISREG(st.st_mode):
            raise MediaError("unsupported", f"{location} is not a regular file")
        return SourceVersion(f"{st.st_mtime_ns}-{st.st_size}", st.st_size)

    def image_size(self, location: str, *, oriented: bool = True) -> tuple[int, int]:
        # Pillow reads only as much of the file as the header needs.
        try:
            with self._open(location, limit=False) as f, Image.open(f) as im:
                width, height = im.size
                if oriented and _orientation(im) in _SWAPPING_ORIENTATIONS:
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
                if _is_image_name(name):
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


# ----------------------------------------------------------------------------- GCS


def parse_gs(location: str) -> tuple[str, str]:
    """``gs://bucket/key`` → ``(bucket, key)``; :class:`MediaAccessError` if malformed."""
    if not location.startswith("gs://"):
        raise MediaAccessError(f"not a gs:// location: {location!r}")
    bucket, _, key = location[5:].partition("/")
    if not bucket or "\\" in bucket or bucket in (".", ".."):
        raise MediaAccessError(f"no bucket in {location!r}")
    return bucket, key


_client_lock = threading.Lock()
_clients: dict[str | None, Any] = {}

GCS_TIMEOUT_S = 10.0
"""Per GCS request (connect and read) and, twice over, the retry deadline of one read: a
storage outage answers within ~20 s instead of google-cloud-storage's default 60 s per
attempt retried for 120 s, which would hold a thumbnail request (and a thread) for minutes.
Set by the server from ``c.VisionLensApp.gcs_timeout_s``."""


def configure_gcs(timeout_s: float) -> None:
    """Set :data:`GCS_TIMEOUT_S` for this process."""
    global GCS_TIMEOUT_S
    GCS_TIMEOUT_S = float(timeout_s)


def _gcs_call_options() -> dict[str, Any]:
    """Timeout and bounded retry (5xx, 429, connection errors: google's default predicate)."""
    from google.cloud.storage.retry import DEFAULT_RETRY

    return {
        "timeout": GCS_TIMEOUT_S,
        "retry": DEFAULT_RETRY.with_deadline(2 * GCS_TIMEOUT_S).with_delay(
            initial=0.2, maximum=GCS_TIMEOUT_S / 2
        ),
    }


def gcs_client() -> Any:
    """This process's storage client (one per ``STORAGE_EMULATOR_HOST`` value).

    Uses the default credential chain; without credentials, an anonymous client (public
    buckets only).
    """
    emulator = os.environ.get("STORAGE_EMULATOR_HOST") or None
    client = _clients.get(emulator)
    if client is not None:
        return client
    with _client_lock:
        client = _clients.get(emulator)
        if client is None:
            from google.auth.exceptions import DefaultCredentialsError
            from google.cloud import storage

            try:
                client = storage.Client()
            except DefaultCredentialsError:
                client = storage.Client.create_anonymous_client()
            _clients[emulator] = client
    return client


@contextmanager
def _gcs_errors(location: str) -> Iterator[None]:
    """Map storage errors: not found / forbidden → ``missing``; transport → unavailable."""
    from google.api_core import exceptions as gexc

    try:
        yield
    except gexc.NotFound as exc:
        raise MediaError("missing", f"no object at {location}") from exc
    except (gexc.Forbidden, gexc.Unauthorized) as exc:
        raise MediaError("missing", f"no permission to read {location}") from exc
    except (gexc.GoogleAPIError, OSError) as exc:
        raise MediaUnavailableError(f"cannot reach storage for {location}: {exc}") from exc
    except Exception as exc:  # requests / urllib3 / google-auth transport errors
        if type(exc).__module__.startswith(("requests", "urllib3", "google")):
            raise MediaUnavailableError(f"cannot reach storage for {location}: {exc}") from exc
        raise


class GCSSource(ImageSource):
    """Images in Google Cloud Storage; locations are ``gs://bucket/key``."""

    def _blob(self, location: str) -> Any:
        bucket, key = parse_gs(location)
        if not key:
            raise MediaError("missing", f"no object at {location}")
        return gcs_client().bucket(bucket).blob(key)

    def read_bytes(self, location: str) -> bytes:
        blob = self._blob(location)
        with _gcs_errors(location):
            return bytes(blob.download_as_bytes(**_gcs_call_options()))

    def read_head(self, location: str, nbytes: int) -> bytes:
        from google.api_core.exceptions import RequestRangeNotSatisfiable

        blob = self._blob(location)
        with _gcs_errors(location):
            try:
                return bytes(blob.download_as_bytes(start=0, end=nbytes - 1, **_gcs_call_options()))
            except RequestRangeNotSatisfiable:
                return b""  # an empty object

    def version(self, location: str) -> SourceVersion:
        bucket, key = parse_gs(location)
        if not key:
            raise MediaError("missing", f"no object at {location}")
        with _gcs_errors(location):
            blob = gcs_client().bucket(bucket).get_blob(key, **_gcs_call_options())
        if blob is None:
            raise MediaError("missing", f"no object at {location}")
        return SourceVersion(f"g{blob.generation}", int(blob.size or 0))

    def list_objects(self, prefix: str, timeout: float | None = None) -> Iterator[ObjectInfo]:
        bucket, key = parse_gs(prefix)
        if key and not key.endswith("/"):
            key += "/"  # a prefix names a folder: gs://b/img must not match gs://b/img2/...
        # With a timeout: per page request and no retries (callers with a fallback).
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout, "retry": None}
        with _gcs_errors(prefix):  # pages are fetched while iterating: keep it inside
            for blob in gcs_client().list_blobs(bucket, prefix=key or None, **extra):
                if _is_image_name(blob.name) and not blob.name.endswith("/"):
                    yield ObjectInfo(
                        f"gs://{bucket}/{blob.name}",
                        SourceVersion(f"g{blob.generation}", int(blob.size or 0)),
                    )

    def resolve_within(self, location: str, media_root: str) -> str:
        bucket, key = parse_gs(location)
        if not media_root.startswith("gs://"):
            raise MediaAccessError(f"{location!r} is not inside the dataset's media root")
        root_bucket, root_key = parse_gs(media_root)
        if root_key and not root_key.endswith("/"):
            root_key += "/"
        # Object names are literal ('..' is not a path step in GCS), so a prefix test suffices.
        if bucket != root_bucket or not key or not key.startswith(root_key):
            raise MediaAccessError(f"{location!r} is not inside the dataset's media root")
        return location


# ----------------------------------------------------------------------------- dispatch

_LOCAL = LocalSource()
_GCS = GCSSource()


def source_for(location: str) -> ImageSource:
    """The source that reads ``location`` (by scheme)."""
    if location.startswith("gs://"):
        return _GCS
    if "://" in location:
        raise MediaAccessError(f"unsupported image location scheme: {location!r}")
    return _LOCAL


def read_bytes(location: str) -> bytes:
    """All bytes of the image at ``location`` (absolute path or ``gs://bucket/key``)."""
    return source_for(location).read_bytes(location)


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


def resolve_within(location: str, media_root: str) -> str:
    """``location`` made safe to read: inside ``media_root`` or :class:`MediaAccessError`."""
    return source_for(location).resolve_within(location, media_root)
