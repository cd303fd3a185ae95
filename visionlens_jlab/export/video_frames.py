"""Which frames of a video dataset an export writes (``--frames``) and what each frame's
image is named: ``<video stem>/<frame number>.jpg``, numbered from 1 as everywhere in
VisionLens (MOT's and CVAT's own names are made at their writers, :mod:`.mot` and
:mod:`.cvat_video`).

``labelled`` (the default on a video dataset): the view's frames that have a label of the
exported source; ``all``: every frame of the videos the view has a frame of; ``every:K``:
frames 1, 1 + K, 1 + 2K... of those videos, with or without labels (a frame without one is
in the image list with no labels).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..catalog import Catalog
from ..catalog.reads.queries import sample_ids
from ..formats import IMAGE_EXPORT_FORMATS, VIDEO_EXPORT_FORMATS
from ..video.locator import is_video_name
from .errors import ExportError
from .video_reads import dataset_videos, frames_of_samples, frames_of_videos, sample_file_name
from .view import ExportView

LABELLED, ALL, EVERY = "labelled", "all", "every"
FRAME_CHOICES = f"{LABELLED}, {ALL} or {EVERY}:K"


@dataclass(frozen=True)
class FrameChoice:
    """``--frames`` parsed: its mode and, for ``every``, the step K."""

    mode: str
    step: int = 1


def parse_frames(text: str | None) -> FrameChoice | None:
    """``labelled``, ``all`` or ``every:K`` (K a whole number from 1) as a
    :class:`FrameChoice`; None for None (the default)."""
    if text is None:
        return None
    value = text.strip().lower() if isinstance(text, str) else text
    if value in (LABELLED, ALL):
        return FrameChoice(value)
    if isinstance(value, str) and value.startswith(f"{EVERY}:"):
        number = value[len(EVERY) + 1 :].strip()
        if number.isdigit() and int(number) >= 1:
            return FrameChoice(EVERY, int(number))
        raise ExportError(
            f"--frames every:K takes a whole number K from 1 (every K-th frame), not {number!r}"
        )
    raise ExportError(f"--frames takes {FRAME_CHOICES}, not {text!r}")


def has_videos(catalog: Catalog, dataset: str, fmt: str, choice: FrameChoice | None) -> bool:
    """Whether ``dataset`` has videos (its export is one of frames); refused: a video
    format or a ``--frames`` choice on a dataset without videos. The one check of both the
    CLI (:func:`~.run.export_view`) and the server before it queues a job
    (:func:`~.check.check_export`), so nothing is written."""
    if dataset_videos(catalog, dataset):
        return True
    if fmt in VIDEO_EXPORT_FORMATS:
        raise ExportError(
            f"--format {fmt} writes videos and {dataset!r} has none: export its images with "
            f"--format {'|'.join(IMAGE_EXPORT_FORMATS)} (or ingest videos, MOT sequences or "
            "a CVAT for video task)"
        )
    if choice is not None:
        raise ExportError(
            f"--frames chooses frames of videos and {dataset!r} has none: leave it out"
        )
    return False


def check_only_frames(
    catalog: Catalog, dataset: str, fmt: str, spec: dict[str, Any] | None, version: int | None
) -> None:
    """Refuse a video format (MOT, CVAT for video) for a view that holds samples that are no
    frame of a video: the server's check before it queues the export, which would otherwise
    fail at the first such sample. The view's ids, then their frames: two reads."""
    if fmt not in VIDEO_EXPORT_FORMATS:
        return
    ids = sample_ids(catalog, dataset, spec, version).to_numpy()
    frames = frames_of_samples(catalog, dataset, ids)
    refuse_stills(catalog, fmt, ids, frames.column("sample_id").to_numpy())


def refuse_stills(catalog: Catalog, fmt: str, ids: Any, framed: Any) -> None:
    """Refuse a video format for a view whose sample ``ids`` are not all ``framed`` (the ids
    that are frames of a video), counting the others and naming one: the one message of the
    server's check (:func:`check_only_frames`) and of the export itself, before it writes."""
    if fmt not in VIDEO_EXPORT_FORMATS:
        return
    ids = np.asarray(ids, dtype=np.int64)
    stills = np.setdiff1d(ids, np.asarray(framed, dtype=np.int64))
    if len(stills):
        example = sample_file_name(catalog, int(stills[0]))
        raise ExportError(
            f"{len(stills)} of the view's {len(ids)} samples are no frame of a video "
            f"({example!r} is one): --format {fmt} writes videos only; leave them out of "
            f"the view, or export with --format {'|'.join(IMAGE_EXPORT_FORMATS)}"
        )


@dataclass(frozen=True)
class VideoFrames:
    """The videos of a dataset and which frame of which of them each sample of a view is."""

    videos: dict[int, dict[str, Any]]
    """``videos`` rows by ``video_id``."""
    of_sample: dict[int, tuple[int, int]]
    """``sample_id`` to ``(video_id, frame_number)`` (samples that are frames only)."""

    def stem(self, video_id: int) -> str:
        """The folder a video's frames go in: its name without a video file's suffix."""
        name = str(self.videos[video_id]["name"])
        stem = os.path.splitext(name)[0] if is_video_name(name) else name
        if not stem or stem in (".", "..") or any(c in stem for c in "/\\\0"):
            raise ExportError(
                f"the video {name!r} cannot name a folder (empty, '.', '..', or holding '/', "
                "'\\\\' or NUL): leave it out of the view"
            )
        return stem


def read_frames(catalog: Catalog, dataset: str, view: ExportView) -> VideoFrames:
    """The videos of ``dataset`` and the frames the samples of ``view`` are."""
    table = frames_of_samples(catalog, dataset, view.samples["sample_id"])
    of_sample = {
        sid: (vid, n)
        for sid, vid, n in zip(
            table["sample_id"].to_pylist(),
            table["video_id"].to_pylist(),
            table["frame_number"].to_pylist(),
            strict=True,
        )
    }
    return VideoFrames(dataset_videos(catalog, dataset), of_sample)


def video_ids_of(frames: VideoFrames) -> list[int]:
    """The videos the view has a frame of, in order."""
    return sorted({vid for vid, _ in frames.of_sample.values()})


def frames_to_read(
    catalog: Catalog, dataset: str, frames: VideoFrames, choice: FrameChoice
) -> list[int]:
    """``all`` or ``every:K``: the sample ids of those frames of the view's videos."""
    step = choice.step if choice.mode == EVERY else 1
    return frames_of_videos(catalog, dataset, video_ids_of(frames), step)


def labelled_only(view: ExportView) -> ExportView:
    """The samples of ``view`` that have a label (an object or an image label) of its
    source after its class and score filters; an :class:`ExportError` when none has."""
    counts, image_labels = view.objects.counts, view.classifications.starts
    ids = view.samples["sample_id"]
    positions = [i for i, sid in enumerate(ids) if counts.get(sid) or sid in image_labels]
    if not positions:
        raise ExportError(
            f"no frame of the view has a label of {view.source}: nothing to export with "
            "--frames labelled (export the frames themselves with --frames all or every:K)"
        )
    if len(positions) == len(ids):
        return view
    return view.keep(positions, [view.samples["location"][i] for i in positions])


def named_frames(view: ExportView, frames: VideoFrames) -> ExportView:
    """``view`` with each frame's file name ``<video stem>/<frame number>.jpg`` (a frame
    image of a sequence keeps its own suffix: it is copied, not encoded) and the samples'
    ``frames`` flag set; samples that are no frame keep their names."""
    s = view.samples
    names = []
    for sid, name, location in zip(s["sample_id"], s["file_name"], s["location"], strict=True):
        found = frames.of_sample.get(sid)
        if found is None:
            names.append(name)
            continue
        video_id, number = found
        names.append(f"{frames.stem(video_id)}/{number}{frame_suffix(frames, video_id, location)}")
    return replace(view, samples={**s, "file_name": names}, frames=True)


def frame_suffix(frames: VideoFrames, video_id: int, location: str) -> str:
    """``.jpg`` for a frame of a video file (written as a JPEG), else the frame image's own
    suffix, lower case."""
    if frames.videos[video_id]["kind"] == "file":
        return ".jpg"
    suffix = os.path.splitext(location.rsplit("/", 1)[-1])[1].lower()
    return suffix or ".jpg"
