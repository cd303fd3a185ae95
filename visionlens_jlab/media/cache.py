"""The on-disk thumbnail cache: ``{data_dir}/thumbnails/``.

An entry's key hashes the image location, its *version* (local: mtime_ns + file size; GCS:
the object generation) and the thumbnail size/variant, so a changed source image gets a new
key and is never served stale; the orphaned old entry ages out. Entries are written
atomically (temp file + rename), so the server's threads and pre-generation worker
processes can fill the cache at the same time.

A failed render is cached too (an *error entry* holding the error code), so a corrupt image
is not decoded again on every grid scroll; its key also changes when the file is fixed.

Size cap with LRU-ish eviction: a hit refreshes the entry's mtime (at most once an hour,
to keep hits to one read); when the total passes the cap, the oldest entries by mtime are
deleted down to 90% of it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from pathlib import Path

from .errors import MEDIA_ERROR_CODES, MediaErrorCode
from .image_source import SourceVersion

CACHE_FORMAT = "1"  # bump when rendering changes, so old thumbnails are not reused
ERROR_PREFIX = b"VLERR:"
TOUCH_INTERVAL_S = 3600.0
EVICT_TO = 0.9
DEFAULT_MAX_BYTES = 2 * 1024**3
DEFAULT_GCS_REVALIDATE_S = 600.0


def cache_key(location: str, version: SourceVersion, size: int, variant: str) -> str:
    """Hex key of one thumbnail (``size`` 0 means the original's check entry)."""
    raw = "\0".join((CACHE_FORMAT, location, version.token, str(size), variant))
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def is_whole_image(data: bytes) -> bool:
    """Whether ``data`` is a complete JPEG or WebP file (the only formats cached), checked by
    its framing only (start and end markers, RIFF length): no decode on a cache hit."""
    if data.startswith(b"\xff\xd8"):
        return data.endswith(b"\xff\xd9")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return int.from_bytes(data[4:8], "little") + 8 == len(data)
    return False


class CachedEntry:
    """A cache hit: thumbnail bytes, or the error code of an image that failed to render."""

    __slots__ = ("data", "error")

    def __init__(self, data: bytes, error: MediaErrorCode | None) -> None:
        self.data = data
        self.error = error


class ThumbnailCache:
    """Thumbnails on disk under ``root``, capped at ``max_bytes``."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        gcs_revalidate_s: float = DEFAULT_GCS_REVALIDATE_S,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = int(max_bytes)
        self.gcs_revalidate_s = float(gcs_revalidate_s)
        self._lock = threading.Lock()
        self._usage: int | None = None  # measured lazily by the first write

    # ------------------------------------------------------------------ entries

    def path(self, key: str) -> Path:
        """Where the entry ``key`` lives (two-level fan-out keeps directories small)."""
        return self.root / key[:2] / key

    def get(self, key: str) -> CachedEntry | None:
        """The entry for ``key`` or ``None``; one open+read on a hit."""
        path = self.path(key)
        try:
            with open(path, "rb") as f:
                data = f.read()
                mtime = os.fstat(f.fileno()).st_mtime
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError:
            return None  # unreadable entry: render again and overwrite it
        if time.time() - mtime > TOUCH_INTERVAL_S:
            try:
                os.utime(path)
            except OSError:
                pass
        if data.startswith(ERROR_PREFIX):
            code = data[len(ERROR_PREFIX) :].decode("ascii", "replace")
            if code in MEDIA_ERROR_CODES:
                return CachedEntry(b"", code)
            return None
        if not is_whole_image(data):
            # Disk corruption, or a file cut short outside our atomic writes: render again.
            try:
                path.unlink()
            except OSError:
                pass
            return None
        return CachedEntry(data, None)

    def put(self, key: str, data: bytes, *, account: bool = True) -> None:
        """Store a thumbnail atomically; evicts old entries when over the cap.

        Worker processes pass ``account=False``: the server's cache object accounts for
        their writes afterwards (:meth:`note_external_writes`).
        """
        self._write(self.path(key), data)
        if account:
            self._account(len(data))

    def put_error(self, key: str, code: MediaErrorCode, *, account: bool = True) -> None:
        """Remember that this version of an image failed with ``code``."""
        data = ERROR_PREFIX + code.encode("ascii")
        self._write(self.path(key), data)
        if account:
            self._account(len(data))

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    # ------------------------------------------------------------------ GCS versions

    def _gcs_index_path(self, location: str) -> Path:
        digest = hashlib.sha256(location.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return self.root / "gcs" / digest[:2] / digest

    def gcs_version(self, location: str) -> SourceVersion | None:
        """The generation last seen for a GCS object, if checked within ``gcs_revalidate_s``.

        Saves a metadata round trip per request: GCS objects change rarely, and the window
        bounds how long an overwritten object can be shown stale.
        """
        path = self._gcs_index_path(location)
        try:
            with open(path, encoding="ascii") as f:
                text = f.read()
                mtime = os.fstat(f.fileno()).st_mtime
        except (OSError, UnicodeDecodeError):
            return None
        if time.time() - mtime > self.gcs_revalidate_s:
            return None
        token, _, size = text.partition(" ")
        if not token or not size.isdigit():
            return None
        return SourceVersion(token, int(size))

    def set_gcs_version(self, location: str, version: SourceVersion) -> None:
        """Record the version of a GCS object just read from a listing or metadata."""
        self._write(self._gcs_index_path(location), f"{version.token} {version.size}".encode())

    # ------------------------------------------------------------------ size cap

    def usage(self) -> int:
        """Bytes used by entries (measured once, then tracked)."""
        with self._lock:
            if self._usage is None:
                self._usage = sum(size for _, _, size in self._scan())
            return self._usage

    def note_external_writes(self, nbytes: int) -> None:
        """Account for entries other processes (pre-generation workers) wrote; may evict."""
        self._account(nbytes)

    def _account(self, nbytes: int) -> None:
        with self._lock:
            if self._usage is None:
                self._usage = sum(size for _, _, size in self._scan())
            else:
                self._usage += nbytes
            over = self._usage > self.max_bytes
        if over:
            self.evict()

    def evict(self) -> int:
        """Delete least recently used entries until usage is at most 90% of the cap."""
        with self._lock:
            entries = sorted(self._scan())  # oldest mtime first
            total = sum(size for _, _, size in entries)
            goal = int(self.max_bytes * EVICT_TO)
            removed = 0
            for _, path, size in entries:
                if total <= goal:
                    break
                try:
                    os.unlink(path)
                except OSError:
                    continue
                total -= size
                removed += 1
            self._usage = total
            return removed

    def _scan(self) -> list[tuple[float, str, int]]:
        out: list[tuple[float, str, int]] = []
        try:
            shards = list(os.scandir(self.root))
        except OSError:
            return out
        for shard in shards:
            if not shard.is_dir(follow_symlinks=False) or len(shard.name) != 2:
                continue  # skips the gcs/ version index (tiny, bounded by the datasets)
            try:
                for entry in os.scandir(shard.path):
                    if entry.name.startswith(".tmp-"):
                        continue  # being written right now
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    out.append((st.st_mtime, entry.path, st.st_size))
            except OSError:
                continue
        return out
