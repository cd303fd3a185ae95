"""YouTube-VIS results as a prediction set: a JSON list of ``{"video_id", "category_id",
"score", "segmentations"}``, each one predicted track, its ``segmentations`` one COCO RLE
(or polygons) per frame of the video, ``null`` where the track is absent.

A result names its video by the ground truth's ``video_id``; the dataset ingested from that
ground truth (:mod:`.vis`) keeps each video's id in its frames' ``fields``
(``source_video_id``), from which ``videos`` maps an id to the video's name, and a frame is
named ``<video name>/<frame number>`` (its ``source_image_id``). Each result is one track
identity of the set; its box on a frame is its mask's (``bboxes``, where a result has them,
win). A mask that is empty on a frame makes no object there (reported).

TAO's results are per frame instead, ``{"image_id", "category_id", "bbox", "score",
"track_id", "video_id"}``: each a box on the frame whose TAO image id is ``image_id`` (the
dataset keeps it in the frame's ``fields``, ``source_frame_id``), of the track ``track_id``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ..records.batches import Batch
from ..records.report import IngestError
from .base import ANNOTATION_BATCH_ROWS, ParsedBase, as_number
from .coco.jsonstream import iter_array, scan_layout
from .coco.rle import segmentation_bbox
from .vis import FORMAT
from .vis_objects import VisObjects


class VisPredictions(ParsedBase):
    """YouTube-VIS results as a :class:`~visionlens_jlab.records.parsed.ParsedSource` of
    predictions (masks with a score and a ``track_id``)."""

    def __init__(
        self,
        path: str,
        categories: dict[int, str] | None = None,
        videos: dict[str, str] | None = None,
        frames: dict[str, str] | None = None,
    ) -> None:
        """``categories``: the ground truth's ``{category_id: name}``; ``videos``: its
        ``{str(video_id): video name}`` (without it, a video is looked for by its id as its
        name); ``frames``: its ``{str(image_id): "<video>/<N>"}`` (TAO's image ids)."""
        path = os.path.abspath(path)
        super().__init__(FORMAT, path, os.path.dirname(path))
        self.layout = scan_layout(path, ("annotations",))
        if self.layout.kind not in ("array", "empty") and "annotations" not in self.layout.offsets:
            raise IngestError(
                f"{path} is not YouTube-VIS results: expected a JSON list of "
                '{"video_id", "category_id", "score", "segmentations"}'
            )
        if not categories:
            raise IngestError(
                f"{path}: the dataset has no source category ids for the results' category_id "
                "(ingest its YouTube-VIS ground truth with --format vis)"
            )
        self.cats = categories
        self.videos = videos or {}
        self.frames = frames or {}

    def batches(self) -> Iterator[Batch]:
        for name in self.cats.values():
            self.add_class(name)
        objects = VisObjects(self.report, None, first_track=1, predictions=True)
        key = None if self.layout.kind == "array" else "annotations"
        items = iter_array(self.layout, key) if self.layout.kind != "empty" else iter(())
        for position, result in enumerate(items):
            if isinstance(result, dict):
                self._track(position, result, objects)
            else:
                self.report.error("vis_bad_result", "results that are not objects", result)
            if len(objects) >= ANNOTATION_BATCH_ROWS:
                yield Batch(annotations=objects.take())
        table = objects.take()
        if table is not None:
            yield Batch(annotations=table)
        objects.flush()
        self.report.counts["tracks"] = objects.tracks

    def _track(self, position: int, result: dict[str, Any], objects: VisObjects) -> None:
        where = f"result {position}"
        label = self.cats.get(result.get("category_id"))  # type: ignore[arg-type]
        score = as_number(result.get("score"))
        if label is None or score is None:
            what = "category_id" if label is None else "score"
            self.report.error(
                "vis_bad_result",
                "results without a known category_id or a numeric score (not ingested)",
                f"{where}: {what} {result.get(what)!r}",
            )
            return
        if "image_id" in result and "segmentations" not in result and "bboxes" not in result:
            self._frame_result(where, result, label, score, objects)
            return
        video = self.videos.get(str(result.get("video_id")), str(result.get("video_id")))
        masks = result.get("segmentations")
        boxes = result.get("bboxes")
        masks = masks if isinstance(masks, list) else []
        boxes = boxes if isinstance(boxes, list) else []
        for i in range(max(len(masks), len(boxes))):
            mask = masks[i] if i < len(masks) else None
            box = boxes[i] if i < len(boxes) else None
            if mask is None and box is None:
                continue
            if box is None and _empty(mask):
                self.report.warn("vis_empty_mask", "result masks empty on a frame (no object "
                                 "there)", f"{where} frame {i + 1}")  # fmt: skip
                continue
            objects.add(f"{video}/{i + 1}", label, box, mask, None, False, position, None,
                        f"{where} frame {i + 1}", score=score)  # fmt: skip

    def _frame_result(
        self, where: str, result: dict[str, Any], label: str, score: float, objects: VisObjects
    ) -> None:
        """One of TAO's per-frame results: a box (or mask) on the frame its ``image_id``
        names, of the track ``(video_id, track_id)``; a frame the dataset lacks is counted
        with the unmatched predictions."""
        image = result.get("image_id")
        if not self.frames:
            self.report.error(
                "vis_per_frame_result",
                "per-frame results (TAO's image_id, bbox, track_id) on a dataset whose frames "
                "have no image ids (not ingested: ingest the TAO ground truth with --format vis)",
                f"{where}: image_id {image!r}",
            )
            return
        frame = self.frames.get(str(image), f"image_id {image}")
        track = result.get("track_id")
        key = None if track is None else ("tao", result.get("video_id"), track)
        objects.add(frame, label, result.get("bbox"), result.get("segmentation"), None, False,
                    key, None, where, score=score)  # fmt: skip


def _empty(mask: Any) -> bool:
    bbox = segmentation_bbox(mask)
    return bbox is not None and not (bbox[2] > 0 and bbox[3] > 0)
