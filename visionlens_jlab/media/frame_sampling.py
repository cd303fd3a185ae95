"""Which frames of a dataset's videos a model job reads: ``--frames all|every:K|fps:R|scenes``.

A frame is a sample (:mod:`visionlens_jlab.video.locator`), so a model job already runs on
every frame of its view. Sampling narrows the job's list of items once, before it starts
(:func:`sampled_items`): the embedding and model jobs' planning, progress, cancel and
resume are unchanged, since they only ever see the shorter list. Still images (samples
that are no video's frame) are always kept.

* ``all``: every frame (the default);
* ``every:K``: frames 1, 1+K, 1+2K, ... of each video;
* ``fps:R``: R frames per second of each video, by the ``fps`` of the ``videos`` table: the
  first frame of each 1/R-second interval (frame N is at ``(N - 1) / fps`` seconds), so
  ``fps:5`` of a 25 fps video is ``every:5``; R at or above the video's rate keeps every
  frame. A video without a known frame rate (a sequence without ``seqinfo.ini``) is refused;
* ``scenes[:T]``: the first frame of each scene, found by decoding each video once
  (:mod:`visionlens_jlab.video.scenes`, threshold T, default 30).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..catalog import Catalog
from ..video.locator import parse_frame_location
from ..video.probe import VideoError
from ..video.scenes import DEFAULT_THRESHOLD, image_sequence_scenes, video_file_scenes
from .confine import confine

FRAME_MODES = ("all", "every:K", "fps:R", "scenes", "scenes:T")
"""How ``--frames`` is written."""

_FRAMES_SQL = """
SELECT f.sample_id, f.video_id, f.frame_number, coalesce(v.fps, 0) AS fps, v.name, s.location
FROM video_frames f
JOIN videos v ON v.dataset_id = f.dataset_id AND v.video_id = f.video_id
JOIN samples s ON s.dataset_id = f.dataset_id AND s.sample_id = f.sample_id
WHERE f.dataset_id = ?
ORDER BY f.video_id, f.frame_number
"""


class FrameSamplingError(ValueError):
    """A ``--frames`` value that is not understood, or that a dataset's videos cannot meet."""


@dataclass(frozen=True)
class FrameSampling:
    """A parsed ``--frames`` value (:func:`parse_frames`)."""

    mode: str = "all"
    """``all``, ``every``, ``fps`` or ``scenes``."""
    value: float | None = None
    """K of ``every``, R of ``fps``, the threshold of ``scenes``; None for ``all``."""

    @property
    def samples_all(self) -> bool:
        """Whether every frame is kept (nothing to restrict)."""
        return self.mode == "all" or (self.mode == "every" and self.value == 1)


def parse_frames(text: str | None) -> FrameSampling:
    """``all``, ``every:K`` (K a positive integer), ``fps:R`` (R > 0), ``scenes`` or
    ``scenes:T`` (T >= 0) as a :class:`FrameSampling`; anything else a
    :class:`FrameSamplingError` saying what is accepted."""
    spec = (text or "all").strip().lower()
    mode, _, arg = spec.partition(":")
    usage = f"--frames {text!r} is not understood: use {', '.join(FRAME_MODES)}"
    if mode == "all" and not arg:
        return FrameSampling()
    if mode == "scenes" and not arg:
        return FrameSampling("scenes", DEFAULT_THRESHOLD)
    if mode not in ("every", "fps", "scenes") or not arg:
        raise FrameSamplingError(usage)
    try:
        value = int(arg) if mode == "every" else float(arg)
    except ValueError:
        raise FrameSamplingError(usage) from None
    lowest_ok = 0 if mode == "scenes" else 1e-300  # a threshold of 0: every changed frame
    if not value >= lowest_ok or not np.isfinite(value):
        raise FrameSamplingError(f"{usage} (with a positive number)")
    return FrameSampling(mode, float(value))


def sampled_items(
    catalog: Catalog,
    dataset_id: int,
    media_root: str,
    items: Sequence[tuple[int, str]],
    sampling: FrameSampling,
    tick: Callable[[], None] | None = None,
) -> list[tuple[int, str]]:
    """``items`` (``(sample_id, location)``, confined) without the frames ``sampling``
    leaves out; still images and every item's order kept. ``tick`` is called while scenes
    are detected (a job checks for cancellation there)."""
    if sampling.samples_all:
        return list(items)
    with catalog.cursor() as cur:
        rows = {
            k: np.asarray(v) for k, v in cur.execute(_FRAMES_SQL, [dataset_id]).fetchnumpy().items()
        }
    frame_ids = np.asarray(rows["sample_id"], np.int64)
    numbers = np.asarray(rows["frame_number"], np.int64)
    if sampling.mode == "every":
        keep = (numbers - 1) % int(sampling.value or 1) == 0
    elif sampling.mode == "fps":
        keep = _per_second(rows, numbers, float(sampling.value or 1.0))
    else:
        wanted = {int(i) for i, _ in items}
        keep = _scene_starts(rows, media_root, wanted, float(sampling.value or 0.0), tick)
    dropped = frame_ids[~keep]
    ids = np.fromiter((i for i, _ in items), np.int64, len(items))
    kept = ~np.isin(ids, dropped)
    return [item for item, k in zip(items, kept, strict=True) if k]


def _per_second(rows: dict[str, np.ndarray], numbers: np.ndarray, rate: float) -> np.ndarray:
    fps = np.asarray(rows["fps"], np.float64)  # 0: unknown (NULL in the table)
    unknown = ~np.isfinite(fps) | (fps <= 0)
    if unknown.any():
        names = sorted({str(n) for n in np.asarray(rows["name"])[unknown]})
        raise FrameSamplingError(
            f"--frames fps:{rate:g} needs each video's frame rate, unknown for "
            f"{', '.join(names[:5])}{' ...' if len(names) > 5 else ''}: use every:K instead"
        )
    # frame N is at (N - 1) / fps seconds: keep the first frame of each 1/rate interval
    slot = np.floor((numbers - 1) * rate / fps + 1e-9)
    before = np.floor((numbers - 2) * rate / fps + 1e-9)
    return (numbers == 1) | (slot != before)


def _scene_starts(
    rows: dict[str, np.ndarray],
    media_root: str,
    wanted: set[int],
    threshold: float,
    tick: Callable[[], None] | None,
) -> np.ndarray:
    """Whether each frame row starts a scene; only videos with a frame in ``wanted`` are
    decoded (the others' frames are not asked for)."""
    ids = np.asarray(rows["sample_id"], np.int64)
    videos = np.asarray(rows["video_id"], np.int64)
    numbers = np.asarray(rows["frame_number"], np.int64)
    confined = confine(
        zip(ids.tolist(), [str(x) for x in rows["location"]], strict=True), media_root
    )
    readable = dict(confined.items)
    frames: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    for sample_id, video_id, number in zip(
        ids.tolist(), videos.tolist(), numbers.tolist(), strict=True
    ):
        frames[video_id].append((number, readable.get(sample_id)))
    starts: dict[int, set[int]] = {}
    for video_id, listed in frames.items():
        if not wanted.intersection(ids[videos == video_id].tolist()):
            continue
        locations = [loc for _, loc in listed if loc is not None]
        if not locations:  # none may be read: none is sampled
            starts[video_id] = set()
            continue
        frame = parse_frame_location(locations[0])
        if frame is not None:  # a video file: decoded once, straight through
            try:
                starts[video_id] = set(video_file_scenes(frame.video, threshold, tick))
            except VideoError:  # its first frame goes to the model, which reports it
                starts[video_id] = {1}
        else:  # an image sequence: its images in frame order
            paths = [loc for _, loc in listed if loc is not None]
            numbered = [n for n, loc in listed if loc is not None]
            found = image_sequence_scenes(paths, threshold, tick)
            starts[video_id] = {numbered[i - 1] for i in found}
    return np.array(
        [n in starts.get(v, ()) for v, n in zip(videos.tolist(), numbers.tolist(), strict=True)],
        dtype=bool,
    )
