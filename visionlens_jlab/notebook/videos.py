"""Videos, frames and tracks of a dataset as DataFrames: ``ds.videos()``, ``ds.frames()``,
``ds.tracks()``. Read from the server's REST API like every notebook table
(``GET datasets/{name}/videos``, ``GET datasets/{name}/tracks``; frames are samples, read
through the samples export with the filter fields of videos)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from ..rest_client import RestClient, VisionLensError, dataset_path
from .bodies import Filter, filter_body

VIDEO_COLUMNS = [
    "video_id", "name", "location", "kind", "fps", "num_frames", "duration", "codec",
    "width", "height", "rotation", "variable_frame_rate", "tracks",
]  # fmt: skip
TRACK_COLUMNS = [
    "video", "video_id", "track_id", "source_id", "label", "first_frame", "last_frame",
    "length", "span",
]  # fmt: skip
_FRAME_FIELD = "video_num_frames"  # NULL exactly for a sample that is no video's frame


class VideosMixin:
    """The video methods of :class:`~.dataset.Dataset`."""

    _client: RestClient
    name: str
    samples: Callable[..., pd.DataFrame]  # the Dataset's: frames are samples

    def videos(self) -> pd.DataFrame:
        """One row per video (a video file or a sequence of frame images), in ingest order:
        video_id, name, location, kind (``file`` / ``sequence``), fps, num_frames, duration
        (seconds), codec, width, height, rotation, variable_frame_rate, and tracks (its
        distinct ground-truth tracks, the filter field ``video_tracks``). Empty for a
        dataset of still images."""
        rows = self._client.get_json(dataset_path(self.name, "videos"))["videos"]
        frame = pd.DataFrame(rows, columns=VIDEO_COLUMNS)
        for column in ("width", "height"):  # NULL for a sequence without a size
            frame[column] = frame[column].astype("Int64")
        return frame

    def frames(self, video: str | None = None, filter: Filter | None = None) -> pd.DataFrame:
        """The frame samples matching ``filter`` (of ``video`` only, by name), in sample id
        order (a video's frames in order): the columns of :meth:`samples` with ``video``
        and ``frame_number`` (from 1) first after ``sample_id``. Samples that are no
        video's frame are left out. ``filter`` takes the video fields too:
        ``{"sample": {"video_tracks": {"min": 10}}}``,
        ``{"labels": {"source": "ground_truth", "where": {"track_length": {"max": 5}}}}``."""
        spec: dict[str, Any] = dict(filter_body(filter) or {})
        sample = dict(spec.get("sample") or {})
        if video is not None:
            if not isinstance(video, str):
                raise VisionLensError("video must be a video's name (see ds.videos())")
            if "fields.video" in sample:
                raise VisionLensError(
                    "give the video either as video= or as the filter's 'fields.video', not both"
                )
            sample["fields.video"] = {"eq": video}
        own = dict(sample.get(_FRAME_FIELD) or {})
        own.setdefault("is_null", False)
        sample[_FRAME_FIELD] = own
        spec["sample"] = sample
        frame = self.samples(spec)
        for column in ("frame_number", "video"):  # frames always have both fields
            values = frame.pop(f"fields.{column}") if f"fields.{column}" in frame else None
            frame.insert(1, column, values if values is not None else pd.Series(dtype=object))
        return frame

    def tracks(self, model: str | None = None, video: str | None = None) -> pd.DataFrame:
        """One row per track of the ground truth (or of ``model``'s predictions), of
        ``video`` only (by name) or of every video, in video then track order: video,
        video_id, track_id (unique in the dataset), source_id (the source file's identity,
        e.g. MOT's id), label (its class on its first frame), first_frame, last_frame,
        length (the frames it has an object on: the filter field ``track_length``) and
        span (last_frame - first_frame + 1; ``span - length`` frames are gaps)."""
        for name, value in (("model", model), ("video", video)):
            if value is not None and not isinstance(value, str):
                raise VisionLensError(f"{name} must be a string (a name)")
        rows = self._client.get_json(dataset_path(self.name, "tracks"), model=model, video=video)[
            "tracks"
        ]
        return pd.DataFrame(rows, columns=TRACK_COLUMNS)
