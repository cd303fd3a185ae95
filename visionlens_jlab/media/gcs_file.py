"""A ``gs://`` object as a seekable, read-only file: what FFmpeg decodes a GCS video from.

Reads are ranged downloads of whole blocks (:data:`BLOCK_BYTES`), a few kept in a small LRU
cache (:data:`CACHE_BLOCKS`): a frame read fetches the blocks its GOP's packets lie in and
the container's index, never the whole file, and nothing goes to disk. The file is pinned
to one generation of the object: a download names that generation, so an object replaced
meanwhile is never read half old, half new (GCS answers 404 for a generation that is gone).

Credentials, timeouts and error mapping are :mod:`.gcs_source`'s: a missing object is
``missing``, an outage :class:`~.errors.MediaUnavailableError` within the bounded timeouts.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from typing import Any, BinaryIO, cast

from .errors import MediaError, MediaUnavailableError
from .gcs_source import object_version, parse_gs, read_range
from .image_source import SourceVersion

BLOCK_BYTES = 1024 * 1024
"""Bytes per ranged download. One request costs ~tens of ms on GCS whatever its size below
a few MiB, and a 1080p GOP is ~0.5-2 MiB: 1 MiB blocks fetch one GOP in one or two requests
without pulling much past it."""
CACHE_BLOCKS = 8
"""Blocks kept per open file: the container's index and a GOP or two (8 MiB at most)."""


class GCSObjectFile(io.RawIOBase):
    """One generation of a ``gs://`` object as a seekable read-only raw file."""

    def __init__(
        self,
        location: str,
        generation: int,
        size: int,
        *,
        block_bytes: int | None = None,
        cache_blocks: int | None = None,
    ) -> None:
        super().__init__()
        if not parse_gs(location)[1]:
            raise MediaError("missing", f"no object at {location}")
        self.location = location
        self.size = size
        self.generation = generation
        self._block_bytes = block_bytes or BLOCK_BYTES
        self._cache_blocks = cache_blocks or CACHE_BLOCKS
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._pos = 0
        self.fetched_bytes = 0
        """Bytes downloaded so far (what a read cost)."""
        self.requests = 0
        """Ranged downloads made so far."""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}.get(whence)
        if base is None:
            raise ValueError(f"invalid whence {whence}")
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._pos < self.size:
            index, start = divmod(self._pos, self._block_bytes)
            block = self._block(index)
            n = min(len(view) - done, len(block) - start)
            view[done : done + n] = block[start : start + n]
            done += n
            self._pos += n
        return done

    def close(self) -> None:
        self._blocks.clear()
        super().close()

    def _block(self, index: int) -> bytes:
        block = self._blocks.get(index)
        if block is not None:
            self._blocks.move_to_end(index)
            return block
        start = index * self._block_bytes
        end = min(self.size, start + self._block_bytes) - 1
        block = read_range(self.location, start, end, self.generation)
        self.requests += 1
        self.fetched_bytes += len(block)
        if len(block) != end - start + 1:
            # Shorter than the generation's size said: the object changed under its name
            # (a store that ignores the generation). Transient: the next read sees the new one.
            raise MediaUnavailableError(f"{self.location} changed while it was read")
        self._blocks[index] = block
        while len(self._blocks) > self._cache_blocks:
            self._blocks.popitem(last=False)
        return block


class GCSVideoFiles:
    """The :class:`~visionlens_jlab.video.files.RemoteFiles` of ``gs://`` video files."""

    def version(self, location: str) -> str:
        """``g<generation>-<size>`` of the object now (one metadata request)."""
        return video_version(object_version(location))

    def open(self, location: str, version: str) -> BinaryIO:
        """A :class:`GCSObjectFile` of the generation ``version`` names."""
        token, _, size = version.rpartition("-")
        return cast(BinaryIO, GCSObjectFile(location, int(token.removeprefix("g")), int(size)))


def video_version(version: SourceVersion) -> str:
    """The frame reader's version token (``g<generation>-<size>``) of an object version."""
    return f"{version.token}-{version.size}"
