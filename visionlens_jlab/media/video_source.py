"""Frames of video files as images: the source :func:`.sources.source_for` picks for a frame
location (``<video>#frame=N``, :mod:`..video.locator`).

A frame reads as a JPEG (quality :data:`FRAME_JPEG_QUALITY`) of the decoded picture, turned
as the file says to show it. JPEG rather than PNG: a 1080p frame encodes ~5x faster and ~10x
smaller, the thumbnail renderer scales JPEG while decoding it (DCT scaling), and the picture
was already lossy in the video, so the re-encoding at high quality adds no visible loss.

The video FILE is what versions, confinement and errors are about: a frame's version is its
file's (a changed file changes every frame's thumbnail key), ``resolve_within`` confines the
file's path exactly as an image's path is confined and keeps the frame fragment, and a file
that cannot be decoded is ``corrupt``, a frame past its end ``missing``. Frames of a
``gs://`` video are decoded from ranged reads of its object (:mod:`.gcs_file`): the bytes of
the frame's GOP, never the whole file; a missing object is ``missing``, an outage
:class:`~.errors.MediaUnavailableError`.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ..video.locator import FrameLocation, frame_location, parse_frame_location
from .errors import MediaError
from .image_source import ImageSource, ObjectInfo, SourceVersion

if TYPE_CHECKING:  # Pillow is the frame reader's (every command imports this module)
    from PIL import Image

    from ..video.frame_index import IndexStore
    from ..video.frames import FrameReader

FRAME_JPEG_QUALITY = 92
T = TypeVar("T")


class VideoFrameSource(ImageSource):
    """Frames of video files (local or ``gs://``), by frame location.

    ``file_source`` gives the source of a video FILE location (local or GCS): its
    ``version`` and ``resolve_within`` are the file's own rules, not a copy of them.
    """

    def __init__(
        self,
        file_source: Callable[[str], ImageSource],
        reader: Callable[[], FrameReader] | None = None,
    ) -> None:
        self._file_source = file_source
        self._reader = reader

    def read_bytes(self, location: str) -> bytes:
        return _jpeg(self.image(location))

    def read_bytes_at(self, location: str, version: SourceVersion) -> bytes:
        """The frame of that version of a ``gs://`` video (its generation: no metadata
        request); a local file is read as it is now (a stat is cheap and names the file
        FFmpeg opens). A generation replaced since ``version`` was read (a caller's version
        cache) is gone from GCS: the current one is read instead, as :meth:`read_bytes`
        does (one more metadata request, only when the pinned read fails)."""
        frame = _parse(location)
        if not frame.video.startswith("gs://"):
            return self.read_bytes(location)
        from .gcs_file import video_version

        pinned = video_version(version)
        try:
            image = self._read(location, lambda r: r.image(frame.video, frame.frame_number, pinned))
        except MediaError:
            # A generation replaced since ``version`` was read is gone (FFmpeg reports the
            # 404 as bad data, a cached index as a missing frame): if the object changed,
            # read the current one; if not, the error is the file's own.
            if self.version(location) == version:
                raise
            image = self.image(location)
        return _jpeg(image)

    def read_head(self, location: str, nbytes: int) -> bytes:
        return self.read_bytes(location)[:nbytes]

    def image(self, location: str) -> Image.Image:
        """The decoded frame as an RGB image (rotation applied)."""
        frame = _parse(location)
        return self._read(location, lambda r: r.image(frame.video, frame.frame_number))

    def version(self, location: str) -> SourceVersion:
        frame = _parse(location)
        return self._file_source(frame.video).version(frame.video)

    def versioned_file(self, location: str) -> str:
        """The video file: every frame of it has its version."""
        return _parse(location).video

    def image_size(self, location: str, *, oriented: bool = True) -> tuple[int, int]:
        """The frame size from the file's index (no decode); ``oriented`` applies the
        file's rotation, as EXIF orientation is applied to images."""
        frame = _parse(location)
        index = self._read(location, lambda r: r.index(frame.video))
        return index.display_size() if oriented else (index.width, index.height)

    def list_objects(self, prefix: str, timeout: float | None = None) -> Iterator[ObjectInfo]:
        raise MediaError("unsupported", f"{prefix}: frames of videos are not listed")

    def resolve_within(self, location: str, media_root: str) -> str:
        frame = _parse(location)
        real = self._file_source(frame.video).resolve_within(frame.video, media_root)
        return frame_location(real, frame.frame_number)

    # ------------------------------------------------------------------ internals

    def _read(self, location: str, read: Callable[[FrameReader], T]) -> T:
        # Imported on the first frame: PyAV costs ~0.1 s to import, which every process
        # that reads only images (thumbnail workers) would otherwise pay.
        from ..video.frames import FrameNotFoundError
        from ..video.probe import VideoError

        try:
            return read((self._reader or shared_reader)())
        except FrameNotFoundError as exc:
            raise MediaError("missing", str(exc)) from exc
        except VideoError as exc:
            raise MediaError("corrupt", f"{location}: {exc}") from exc
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise MediaError("missing", f"no video file for {location}") from exc
        except OSError as exc:
            raise MediaError("missing", f"cannot read {location}: {exc.strerror}") from exc


_SHARED: FrameReader | None = None
_SHARED_LOCK = threading.Lock()
_INDEX_STORE: IndexStore | None = None


def keep_video_indexes(directory: str | Path) -> None:
    """Keep the shared reader's frame indexes in ``directory`` (the server's data folder),
    so a video version probed once is not probed again by the next server process: for a
    ``gs://`` video a probe reads the whole object (:mod:`..video.frame_index`)."""
    # Imported here: the thumbnail workers import this module and must not pay numpy.
    from ..video.frame_index import IndexStore

    global _INDEX_STORE
    with _SHARED_LOCK:
        _INDEX_STORE = IndexStore(directory)
        if _SHARED is not None:
            _SHARED.index_store = _INDEX_STORE


def shared_reader() -> FrameReader:
    """The process's frame reader, ``gs://`` videos read through GCS (made on first use,
    so importing this module costs no PyAV import), its indexes kept where
    :func:`keep_video_indexes` says."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            from ..video.frames import FrameReader
            from .gcs_file import GCSVideoFiles

            _SHARED = FrameReader(remote=GCSVideoFiles(), index_store=_INDEX_STORE)
        return _SHARED


def _jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=FRAME_JPEG_QUALITY)
    return buf.getvalue()


def _parse(location: str) -> FrameLocation:
    frame = parse_frame_location(location)
    if frame is None:
        raise MediaError("unsupported", f"{location} is not a frame of a video file")
    return frame
