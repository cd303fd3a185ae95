"""Scene changes: the frames where a video cuts to another shot, found by decoding it once.

The detector is deliberately cheap and frame-exact: every frame is decoded in display order
(the N-th frame decoded is frame N, as everywhere in VisionLens), shrunk by FFmpeg's scaler
to a :data:`THUMB` x :data:`THUMB` grayscale thumbnail, and frame N starts a new scene when
the mean absolute difference of its thumbnail and frame N-1's, on the 0-255 scale, is above
the threshold. Frame 1 always starts one. A cut changes most of the picture at once (a
difference of 30-100), while motion within a shot moves a small part of it (a few units),
so one threshold separates them without a model; slow fades and flashes are its known
limits (a fade never jumps; a flash is two cuts).

PySceneDetect's ``ContentDetector`` works on the same principle (HSV instead of gray) but
decodes through its own video backend (OpenCV by default), whose frame count and order are
not guaranteed to be the N-th-decoded-frame numbering that frame samples use; this module
uses the same decoder as :mod:`.frames`, so a cut's frame number is the sample's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
from PIL import Image

from .probe import VideoError

THUMB = 32
"""Side of the square grayscale thumbnail compared between consecutive frames."""
DEFAULT_THRESHOLD = 30.0
"""Mean absolute difference (0-255) above which a frame starts a new scene."""

Tick = Callable[[], None]
"""Called every :data:`TICK_EVERY` frames (a job checks for cancellation there)."""
TICK_EVERY = 256


def scene_starts(
    thumbnails: Iterable[np.ndarray], threshold: float, tick: Tick | None = None
) -> list[int]:
    """Frame numbers (from 1) that start a scene in a sequence of equal-sized thumbnails."""
    starts: list[int] = []
    previous: np.ndarray | None = None
    for number, thumb in enumerate(thumbnails, start=1):
        if tick is not None and number % TICK_EVERY == 0:
            tick()
        current = thumb.astype(np.int16)
        if previous is None or float(np.abs(current - previous).mean()) > threshold:
            starts.append(number)
        previous = current
    return starts


def _file_thumbnails(path: str) -> Iterator[np.ndarray]:
    import av  # PyAV only where a video is read: model jobs import this module for frames

    try:
        container = av.open(path)
    except (av.FFmpegError, OSError) as exc:
        raise VideoError(f"cannot open video {path}: {exc}") from exc
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # straight through, no seeks: frame threads pay off
        try:
            for frame in container.decode(stream):
                yield frame.reformat(width=THUMB, height=THUMB, format="gray").to_ndarray()
        except av.FFmpegError as exc:
            raise VideoError(f"cannot decode video {path}: {exc}") from exc


def video_file_scenes(path: str, threshold: float, tick: Tick | None = None) -> list[int]:
    """The frames of the video file ``path`` that start a scene (:func:`scene_starts`)."""
    return scene_starts(_file_thumbnails(path), threshold, tick)


def _image_thumbnail(path: str) -> np.ndarray:
    with Image.open(path) as im:
        im.draft("L", (THUMB * 2, THUMB * 2))  # a JPEG decodes at a reduced scale
        small = im.convert("L").resize((THUMB, THUMB), Image.Resampling.BOX)
    return np.asarray(small, np.uint8)


def image_sequence_scenes(
    paths: list[str], threshold: float, tick: Tick | None = None
) -> list[int]:
    """The frames of an image sequence (``paths[0]`` is frame 1) that start a scene; an
    unreadable image counts as black (the frames around it become scene starts)."""

    def thumbnails() -> Iterator[np.ndarray]:
        for path in paths:
            try:
                yield _image_thumbnail(path)
            except OSError:
                yield np.zeros((THUMB, THUMB), np.uint8)

    return scene_starts(thumbnails(), threshold, tick)
