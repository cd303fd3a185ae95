"""Images in Google Cloud Storage (``gs://bucket/key``), read through google-cloud-storage.

The client uses the library's standard credential chain (application-default credentials,
``GOOGLE_APPLICATION_CREDENTIALS`` service-account file, metadata server) and falls back to
an anonymous client for public buckets when no credentials are found. ``STORAGE_EMULATOR_HOST``
is honoured by the library itself. Credentials stay in this process: the browser only ever
sees bytes the server produced.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .errors import MediaAccessError, MediaError, MediaUnavailableError
from .image_source import ImageSource, ObjectInfo, SourceVersion, is_image_name


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


def gcs_call_options() -> dict[str, Any]:
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
def gcs_errors(location: str) -> Iterator[None]:
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


def object_version(location: str) -> SourceVersion:
    """The generation (``g<generation>``) and size of the object at ``location`` now."""
    bucket, key = parse_gs(location)
    if not key:
        raise MediaError("missing", f"no object at {location}")
    with gcs_errors(location):
        blob = gcs_client().bucket(bucket).get_blob(key, **gcs_call_options())
    if blob is None:
        raise MediaError("missing", f"no object at {location}")
    return SourceVersion(f"g{blob.generation}", int(blob.size or 0))


def read_range(location: str, start: int, end: int, generation: int | None = None) -> bytes:
    """Bytes ``start`` to ``end`` (inclusive) of the object at ``location``; with
    ``generation``, of that generation only (``missing`` once it is replaced)."""
    bucket, key = parse_gs(location)
    if not key:
        raise MediaError("missing", f"no object at {location}")
    blob = gcs_client().bucket(bucket).blob(key, generation=generation)
    with gcs_errors(location):
        return bytes(blob.download_as_bytes(start=start, end=end, **gcs_call_options()))


def list_children(folder: str) -> tuple[list[str], list[str]]:
    """``(object names, subfolder names)`` directly under the ``gs://`` ``folder``, each
    without the folder's prefix, in listing order (one delimited listing, nothing read)."""
    bucket, key = parse_gs(folder)
    if key and not key.endswith("/"):
        key += "/"
    names: list[str] = []
    with gcs_errors(folder):  # pages are fetched while iterating: keep it inside
        blobs = gcs_client().list_blobs(
            bucket, prefix=key or None, delimiter="/", **gcs_call_options()
        )
        names = [b.name[len(key) :] for b in blobs if not b.name.endswith("/")]
        folders = [p[len(key) :].rstrip("/") for p in sorted(blobs.prefixes)]
    return names, folders


class GCSSource(ImageSource):
    """Images in Google Cloud Storage; locations are ``gs://bucket/key``."""

    def _blob(self, location: str) -> Any:
        bucket, key = parse_gs(location)
        if not key:
            raise MediaError("missing", f"no object at {location}")
        return gcs_client().bucket(bucket).blob(key)

    def read_bytes(self, location: str) -> bytes:
        blob = self._blob(location)
        with gcs_errors(location):
            return bytes(blob.download_as_bytes(**gcs_call_options()))

    def read_head(self, location: str, nbytes: int) -> bytes:
        from google.api_core.exceptions import RequestRangeNotSatisfiable

        blob = self._blob(location)
        with gcs_errors(location):
            try:
                return bytes(blob.download_as_bytes(start=0, end=nbytes - 1, **gcs_call_options()))
            except RequestRangeNotSatisfiable:
                return b""  # an empty object

    def version(self, location: str) -> SourceVersion:
        return object_version(location)

    def list_objects(self, prefix: str, timeout: float | None = None) -> Iterator[ObjectInfo]:
        bucket, key = parse_gs(prefix)
        if key and not key.endswith("/"):
            key += "/"  # a prefix names a folder: gs://b/img must not match gs://b/img2/...
        # With a timeout: per page request and no retries (callers with a fallback).
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout, "retry": None}
        with gcs_errors(prefix):  # pages are fetched while iterating: keep it inside
            for blob in gcs_client().list_blobs(bucket, prefix=key or None, **extra):
                if is_image_name(blob.name) and not blob.name.endswith("/"):
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
