"""Read frame N of a video file as the N-th frame in display order, whatever the encoding.

Frame N (from 1) is the frame whose presentation timestamp is the N-th smallest of the file,
from the probe's demux (:func:`.probe.probe_video`), so B-frames (decode order differs from
display order) and variable frame rates (timestamps are not ``N / fps``) need no special
case. A read seeks to the keyframe at or before that timestamp and decodes forward until the
decoder hands out exactly that timestamp.

Three bounded caches make browsing cheap (:class:`FrameReader`):

* the frame index of each file (timestamps as a NumPy array: 0.9 MB for an hour at 30 fps),
  keyed by path and ``mtime_ns``/size, so a changed file is probed again (and, given an
  :class:`~.frame_index.IndexStore`, kept on disk for the next process);
* a few open containers, each with a decoder positioned after the last frame it gave out,
  so "next frame" decodes one frame instead of seeking;
* the last decoded frames (a byte budget): a jump keeps the ``seek_window`` frames before
  its target, and a step back that must seek keeps ``window`` of them, so "previous frame"
  is usually a cache hit.

On the way from the keyframe to the frames kept, frames no other frame refers to (most
B-frames) are not decoded at all (``skip_frame=NONREF``): their pictures would be thrown
away, and nothing else depends on them, so the target's pixels are the same bits.

Decoder threads: ``thread_type="SLICE"``. Frame threading ("FRAME", "AUTO") adds a
pipeline of one frame per thread that a seek flushes and refills: on 2 cores it was never
faster for seeks, and in one of two runs ~35% slower (``benchmarks/results/video.md``).

Remote files (``gs://``) go through the reader's :class:`~.files.RemoteFiles`: keyed by
the object's version token (its generation) instead of ``os.stat``, decoded from a seekable
file object that reads byte ranges, so a frame costs the bytes of its GOP, not the file.

Thread-safe: each open container has its own lock (PyAV containers are not thread-safe);
requests for different files decode in parallel. No frame is ever written to disk.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, BinaryIO

import av
from PIL import Image

from .files import RemoteFiles, file_version, open_file
from .frame_index import FrameIndex, IndexStore, load_index
from .probe import VideoError

DEFAULT_CACHE_BYTES = 192 * 1024 * 1024
"""Decoded frames kept in memory, all files together (~60 frames of 1080p yuv420p)."""
DEFAULT_WINDOW = 32
"""Frames before the target that are decoded and kept when stepping back needs a seek."""
DEFAULT_SEEK_WINDOW = 8
"""Frames before the target of a jump (not a step back) that are decoded and kept."""
DEFAULT_OPEN = 4
"""Open containers (file handles and decoder state) kept."""
DEFAULT_INDEXES = 32
"""Frame indexes kept (files probed)."""

_TRANSPOSE = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


def shown_image(frame: Any, rotation: int) -> Image.Image:
    """A decoded ``av.VideoFrame`` as an RGB image, turned by ``rotation`` (degrees, as the
    file says to show it). Through a numpy array, not PyAV's ``to_image``: the same pixels
    (one colour conversion) in a quarter of the time at 720p, as ``to_image`` copies the
    picture row by row (tests/test_video_frames.py)."""
    image = Image.fromarray(frame.to_ndarray(format="rgb24"))
    transpose = _TRANSPOSE.get(rotation)
    return image.transpose(transpose) if transpose is not None else image


class FrameNotFoundError(VideoError):
    """A frame number past the end of the file (or below 1)."""


class _Cursor:
    """One open container and where its decoder stands."""

    def __init__(self, path: str, thread_type: str, file: BinaryIO | None = None) -> None:
        self.file = file
        try:
            self.container: Any = av.open(file if file is not None else path)
        except (av.FFmpegError, OSError) as exc:
            if file is not None:
                file.close()
            raise VideoError(f"cannot open {path}: {exc}") from exc
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = thread_type
        self.lock = threading.Lock()
        self.frames: Iterator[Any] | None = None
        self.next_position: int | None = None
        """Position of the frame ``frames`` yields next, when known."""
        self.closed = False
        self.skip_below: int | None = None
        """Packets with a smaller pts are decoded with ``skip_frame=NONREF``: a frame no
        other frame refers to and nobody asked for is not decoded (half the B-frames)."""
        self.last_target: int | None = None

    def seek(self, pts: int) -> None:
        self.container.seek(pts, stream=self.stream, backward=True, any_frame=False)
        self.frames = self._decoded()
        self.next_position = None

    def _decoded(self) -> Iterator[Any]:
        context = self.stream.codec_context
        skipping: bool | None = None  # unknown: an earlier pass may have left it on
        for packet in self.container.demux(self.stream):  # ends with a flushing packet
            skip = (
                packet.pts is not None
                and self.skip_below is not None
                and packet.pts < self.skip_below
            )
            if skip != skipping:  # the decoder reads the setting per packet
                context.skip_frame = "NONREF" if skip else "DEFAULT"
                skipping = skip
            yield from context.decode(packet)

    def close(self) -> None:
        with self.lock:
            self.shut()

    def shut(self) -> None:
        """Close the container and its file (the caller holds the lock)."""
        self.closed = True
        self.container.close()
        if self.file is not None:
            self.file.close()  # drops its block cache


class FrameReader:
    """Frames of video files by number (see the module docstring); ``remote`` reads the
    files whose locations are URIs (``gs://``), refused without it."""

    def __init__(
        self,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        window: int = DEFAULT_WINDOW,
        seek_window: int = DEFAULT_SEEK_WINDOW,
        max_open: int = DEFAULT_OPEN,
        max_indexes: int = DEFAULT_INDEXES,
        thread_type: str = "SLICE",
        remote: RemoteFiles | None = None,
        index_store: IndexStore | None = None,
    ) -> None:
        self.remote = remote
        self.index_store = index_store
        """Where indexes probed by an earlier process are read back (None: probe each)."""
        self.cache_bytes = cache_bytes
        self.window = window
        self.seek_window = seek_window
        self.max_open = max_open
        self.max_indexes = max_indexes
        self.thread_type = thread_type
        self._lock = threading.Lock()
        self._indexes: OrderedDict[tuple[str, str], FrameIndex] = OrderedDict()
        self._index_locks: dict[tuple[str, str], threading.Lock] = {}
        self._cursors: OrderedDict[tuple[str, str], _Cursor] = OrderedDict()
        self._frames: OrderedDict[tuple[tuple[str, str], int], tuple[Any, int]] = OrderedDict()
        self._frame_bytes = 0
        self.seeks = 0
        """Seeks made so far (tests check that stepping does not seek)."""

    # ------------------------------------------------------------------ public

    def index(self, path: str) -> FrameIndex:
        """The frame index of the file at ``path`` (probed once per file version)."""
        return self._index(self._key(path))

    def frame(self, path: str, number: int) -> Any:
        """Frame ``number`` (from 1) of ``path`` as a decoded ``av.VideoFrame``.

        Raises :class:`FrameNotFoundError` past the end, :class:`~.probe.VideoError` for a
        file that cannot be read, ``FileNotFoundError`` for a missing one.
        """
        key = self._key(path)
        return self._frame(key, self._index(key), number)

    def image(self, path: str, number: int, version: str | None = None) -> Image.Image:
        """Frame ``number`` of ``path`` as an RGB image, turned as the file says to show it;
        ``version``: the file's version token, read by the caller (not asked again)."""
        # Asked once: a remote file's version is a metadata request.
        key = (path, version) if version is not None else self._key(path)
        index = self._index(key)
        return shown_image(self._frame(key, index, number), index.rotation)

    def _frame(self, key: tuple[str, str], index: FrameIndex, number: int) -> Any:
        path = key[0]
        if not 1 <= number <= index.num_frames:
            raise FrameNotFoundError(
                f"{path} has {index.num_frames} frames; there is no frame {number}"
            )
        target = number - 1
        cached = self._cached(key, target)
        if cached is not None:
            return cached
        while True:
            cursor = self._cursor(key)
            with cursor.lock:
                if cursor.closed:  # evicted by another request before this one got it
                    continue
                cached = self._cached(key, target)  # decoded meanwhile by another request
                if cached is not None:
                    return cached
                try:
                    return self._decode_to(key, cursor, index, target)
                except av.FFmpegError as exc:
                    self._drop_cursor(key, cursor)
                    raise VideoError(f"cannot decode frame {number} of {path}: {exc}") from exc
                except Exception:
                    self._drop_cursor(key, cursor)  # a remote read failed mid-packet
                    raise

    def cached_bytes(self) -> int:
        """Bytes of decoded frames held now (never above ``cache_bytes`` plus one frame)."""
        with self._lock:
            return self._frame_bytes

    def close(self) -> None:
        """Close every open container and drop the caches."""
        with self._lock:
            cursors = list(self._cursors.values())
            self._cursors.clear()
            self._frames.clear()
            self._frame_bytes = 0
        for cursor in cursors:
            cursor.close()

    # ------------------------------------------------------------------ decoding

    def _decode_to(
        self, key: tuple[str, str], cursor: _Cursor, index: FrameIndex, target: int
    ) -> Any:
        keyframe = index.keyframe_before(target)
        # Stepping back keeps a long run of frames before the target; a jump only a few.
        backward = cursor.last_target is not None and target < cursor.last_target
        keep = self.window if backward else self.seek_window
        cursor.skip_below = int(index.pts[target - keep]) if target - keep > 0 else None
        cursor.last_target = target
        ahead = cursor.next_position
        if cursor.frames is None or ahead is None or not keyframe <= ahead <= target:
            self._seek(cursor, index, keyframe)
        for attempt in range(3):
            found = self._decode_forward(key, cursor, index, target)
            if found is not None:
                return found
            # The demuxer landed after the target (an index that disagrees with the
            # packets' timestamps): start again from an earlier keyframe, then from the top.
            earlier = index.keyframe_before(keyframe - 1) if attempt == 0 and keyframe > 0 else 0
            keyframe = earlier
            self._seek(cursor, index, keyframe)
        raise VideoError(f"frame {target + 1} of {key[0]} could not be decoded")

    def _seek(self, cursor: _Cursor, index: FrameIndex, keyframe: int) -> None:
        cursor.seek(int(index.pts[keyframe]))
        self.seeks += 1

    def _decode_forward(
        self, key: tuple[str, str], cursor: _Cursor, index: FrameIndex, target: int
    ) -> Any | None:
        """Decode until the target; None when the decoder is already past it."""
        assert cursor.frames is not None
        for frame in cursor.frames:
            if frame.pts is None:
                raise VideoError(f"{key[0]} has frames without timestamps")
            position = index.position(int(frame.pts))
            if position is None:
                continue  # a frame the probe did not count (a leading frame of an open GOP)
            cursor.next_position = position + 1
            if position > target:
                return None
            if cursor.skip_below is None or frame.pts >= cursor.skip_below:
                self._store(key, position, frame)
            if position == target:
                return frame
        cursor.frames = None  # end of stream before the target: a truncated file
        raise VideoError(f"{key[0]} ends before frame {target + 1}")

    # ------------------------------------------------------------------ caches

    def _key(self, path: str) -> tuple[str, str]:
        return path, file_version(path, self.remote)

    def _index(self, key: tuple[str, str]) -> FrameIndex:
        with self._lock:
            found = self._indexes.get(key)
            if found is not None:
                self._indexes.move_to_end(key)
                return found
            probing = self._index_locks.setdefault(key, threading.Lock())
        with probing:  # one probe per file version, however many requests wait for it
            with self._lock:
                found = self._indexes.get(key)
            if found is None:
                try:
                    found = self._stored_or_probed(key)
                finally:
                    with self._lock:
                        self._index_locks.pop(key, None)
                with self._lock:
                    self._indexes[key] = found
                    while len(self._indexes) > self.max_indexes:
                        self._indexes.popitem(last=False)
            return found

    def _stored_or_probed(self, key: tuple[str, str]) -> FrameIndex:
        store = self.index_store
        found = store.get(*key) if store is not None else None
        if found is None:
            file = open_file(*key, self.remote)
            try:
                found = load_index(key[0], file)
            finally:
                if file is not None:
                    file.close()
            if store is not None:
                store.put(*key, found, lambda: file_version(key[0], self.remote))
        return found

    def _cursor(self, key: tuple[str, str]) -> _Cursor:
        with self._lock:
            cursor = self._cursors.get(key)
            if cursor is not None:
                self._cursors.move_to_end(key)
                return cursor
        cursor = _Cursor(key[0], self.thread_type, open_file(*key, self.remote))
        evicted: list[_Cursor] = []
        with self._lock:
            existing = self._cursors.get(key)
            if existing is not None:  # opened meanwhile by another request
                evicted.append(cursor)
                cursor = existing
            else:
                self._cursors[key] = cursor
                while len(self._cursors) > self.max_open:
                    evicted.append(self._cursors.popitem(last=False)[1])
        for old in evicted:
            old.close()  # waits for a request still decoding with it
        return cursor

    def _drop_cursor(self, key: tuple[str, str], cursor: _Cursor) -> None:
        """Forget a cursor whose decoder failed (the caller holds its lock)."""
        with self._lock:
            if self._cursors.get(key) is cursor:
                del self._cursors[key]
        cursor.shut()

    def _cached(self, key: tuple[str, str], position: int) -> Any | None:
        with self._lock:
            entry = self._frames.get((key, position))
            if entry is None:
                return None
            self._frames.move_to_end((key, position))
            return entry[0]

    def _store(self, key: tuple[str, str], position: int, frame: Any) -> None:
        size = sum(plane.buffer_size for plane in frame.planes)
        with self._lock:
            old = self._frames.pop((key, position), None)
            if old is not None:
                self._frame_bytes -= old[1]
            self._frames[(key, position)] = (frame, size)
            self._frame_bytes += size
            while self._frame_bytes > self.cache_bytes and len(self._frames) > 1:
                _, (_, dropped) = self._frames.popitem(last=False)
                self._frame_bytes -= dropped
