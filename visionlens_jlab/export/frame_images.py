"""The frames of video files an export writes: each decoded on demand, the exact frame
(:class:`~visionlens_jlab.video.frames.FrameReader`: frame N is the N-th frame in display
order), and saved as a JPEG. Nothing else is written: no frame dump of the whole video.
A ``gs://`` video is read in ranges of its object (:mod:`visionlens_jlab.media.gcs_file`).

The frames are decoded in order, video by video, so one pass forward through each file
gives them all (a frame at most a GOP after the previous one is reached by decoding on, not
by a seek); the colour conversion and JPEG encoding of each frame run on the export's
threads while the next frame decodes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..media.errors import MediaError, MediaUnavailableError
from ..media.gcs_file import GCSVideoFiles
from ..video.frames import FrameReader, shown_image
from ..video.locator import FrameLocation, parse_frame_location
from ..video.probe import VideoError
from .errors import ExportError

JPEG_QUALITY = 95
"""Quality of the frames written: high enough that a frame re-ingested or trained on
differs from the decoded picture by less than the video's own compression did."""
READER_CACHE_BYTES = 16 * 1024 * 1024
"""The export's own decoder keeps few frames (it never steps back): the server's shared
reader, and its cache of the frames being browsed, are left alone."""
PENDING = 16
"""Decoded frames waiting for their JPEG at most (their pictures are held meanwhile)."""


def frame_of(location: str) -> FrameLocation | None:
    """The video frame a location names (``<video>#frame=N``), None for an image file."""
    return parse_frame_location(location)


def write_frames(
    pairs: Sequence[tuple[str, str | Path]],
    pool: ThreadPoolExecutor,
    done: Callable[[], None],
) -> None:
    """Decode the frame each ``(frame location, destination)`` pair names and write it as a
    JPEG at its destination (its folder exists); ``done()`` is called for each frame
    written. A frame that cannot be decoded is an :class:`ExportError` naming it."""
    frames = sorted(
        ((frame_of(str(location)), dest) for location, dest in pairs),
        key=lambda item: (item[0].video, item[0].frame_number) if item[0] else ("", 0),
    )
    reader = FrameReader(
        cache_bytes=READER_CACHE_BYTES,
        window=0,
        seek_window=0,
        max_open=1,
        remote=GCSVideoFiles(),
    )
    pending: deque[Future[None]] = deque()
    try:
        for where, dest in frames:
            assert where is not None  # the caller passes frame locations only
            try:
                frame = reader.frame(where.video, where.frame_number)
                rotation = reader.index(where.video).rotation
            except (VideoError, OSError, MediaError, MediaUnavailableError) as exc:
                raise ExportError(
                    f"cannot decode frame {where.frame_number} of {where.video}: {exc} "
                    "(export the labels alone with --images none)"
                ) from exc
            while len(pending) >= PENDING:
                pending.popleft().result()
                done()
            pending.append(pool.submit(_save, frame, rotation, Path(dest)))
        while pending:
            pending.popleft().result()
            done()
    finally:
        for future in pending:
            future.cancel()
        reader.close()


def _save(frame: Any, rotation: int, dest: Path) -> None:
    """One decoded frame as a JPEG, turned as the file says to show it."""
    image = shown_image(frame, rotation)
    try:
        image.save(dest, "JPEG", quality=JPEG_QUALITY)
    except OSError as exc:
        raise ExportError(f"cannot write the frame {dest}: {exc.strerror or exc}") from exc
