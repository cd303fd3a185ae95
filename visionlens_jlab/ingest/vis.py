"""YouTube-VIS (2019, 2021) and TAO style JSON: videos of frame images, each annotation a track.

One JSON object holds ``videos``, ``categories`` and ``annotations`` (read with ijson, the
annotations streamed, :mod:`.coco.jsonstream`; a split released without them, YouTube-VIS'
``valid.json``, ingests its frames alone):

- a video lists its frames as ``file_names`` (YouTube-VIS), or is named by ``name`` and its
  frames are the ``images`` whose ``video_id`` is its id, in ``frame_index`` order (TAO);
- a YouTube-VIS annotation is one track: its ``bboxes``, ``segmentations`` (COCO RLE or
  polygons) and ``areas`` hold one entry per frame, ``null`` where the object is absent;
- a TAO annotation is one object on one frame (``image_id``, ``bbox``, ``segmentation``) of
  the track ``track_id`` (TAO's ``tracks`` table lists them with their category, which an
  annotation without its own ``category_id`` takes).

Every video is an image sequence (one sample per frame, frame N its N-th frame) and every
object of a track carries that track's ``track_id``, unique in the dataset (the
annotation's id stays in ``source_ann_id``). Masks are stored as COCO segmentations are, and
checked by the same code (:class:`~.coco.label_checks.LabelChecks`). Frames are image files
under the images folder (``--images``, else where the datasets ship them, :func:`images_folder`).

Bad input is reported and the rest ingests: frames missing on disk (kept, without a size
check), annotations naming a video, image or category the file lacks, entries past a video's
last frame, a track with two objects on one frame (the first kept), unreadable boxes and
masks.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from ..records.batches import Batch
from ..records.report import IngestError
from .base import (
    ANNOTATION_BATCH_ROWS,
    SPLIT_FOLDERS,
    ParsedBase,
    as_int,
    as_number,
)
from .coco.jsonstream import JsonLayout, iter_array, read_value, scan_layout
from .coco.label_checks import ImageSizes
from .images import image_size
from .prefetch import prefetch
from .video_rows import SEQUENCE, Video, VideoRows, natural_key
from .vis_objects import VisObjects

FORMAT = "vis"
KEYS = ("videos", "images", "annotations", "categories", "tracks")
IMAGE_FOLDERS = ("JPEGImages", "frames")
"""Folders beside the JSON that hold the frames (YouTube-VIS's, TAO's)."""
_VIDEOS_KEY = re.compile(rb'"videos"\s*:\s*\[')
_IMAGES_KEY = re.compile(rb'"images"\s*:\s*\[')
_IMAGE_ID_KEY = re.compile(rb'"image_id"\s*:')
_VIDEO_ID_KEY = re.compile(rb'"video_id"\s*:')
HEAD_BYTES = 1 << 20
PER_FRAME = ("bboxes", "segmentations", "areas")
"""A YouTube-VIS track's lists of one entry per frame."""
UNKNOWN = "annotations (or TAO images) naming {what} the file does not list (not ingested)"


def is_vis_json(path: str) -> bool:
    """Whether JSON file ``path`` has a top-level ``videos`` array (a COCO file has none):
    found in its first MB (YouTube-VIS and TAO files put it before the annotations), else,
    where that MB names neither ``videos`` nor ``images`` (a converter that wrote the
    annotations first), by its annotations (COCO's name an ``image_id`` and no
    ``video_id``), and failing that by a scan of the whole file's top-level keys."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError:
        return False
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        return False
    if _VIDEOS_KEY.search(head) is not None:
        return True
    if len(head) < HEAD_BYTES or _IMAGES_KEY.search(head) is not None:
        return False
    # Annotations first: COCO's name an image and never a video (YouTube-VIS' name a
    # video, TAO's both), so a COCO file is told in its first MB, not by reading all of it
    if _IMAGE_ID_KEY.search(head) is not None and _VIDEO_ID_KEY.search(head) is None:
        return False
    try:
        layout = scan_layout(path, ("videos", "images"))
    except IngestError:
        return False
    return "videos" in set(layout.offsets) | layout.ambiguous


def vis_file(path: str) -> str | None:
    """The YouTube-VIS / TAO JSON of folder ``path`` (its only .json file that is one)."""
    try:
        names = sorted(e for e in os.listdir(path) if e.lower().endswith(".json"))
    except OSError:
        return None
    found = [os.path.join(path, n) for n in names if is_vis_json(os.path.join(path, n))]
    return found[0] if len(found) == 1 else None


class VisDataset(ParsedBase):
    """A YouTube-VIS or TAO JSON file as a :class:`~visionlens_jlab.records.parsed.ParsedSource`."""

    def __init__(self, path: str, images: str | None = None, split: str | None = None) -> None:
        path = os.path.abspath(path)
        if os.path.isdir(path):
            found = vis_file(path)
            if found is None:
                raise IngestError(f"{path} holds no YouTube-VIS / TAO .json (a 'videos' list)")
            path = found
        self.layout = scan_layout(path, KEYS)
        # YouTube-VIS' and OVIS' valid.json and test.json list the videos with no
        # 'annotations' at all (their labels are withheld): the frames alone ingest
        if self.layout.kind != "object" or "videos" not in self._keys():
            raise IngestError(
                f"{path} is not YouTube-VIS / TAO JSON: expected an object with 'videos' "
                "(and 'annotations')"
            )
        super().__init__(FORMAT, path, images_folder(path, images, first_frame(self.layout)))
        self.split = split
        self.rows = VideoRows()
        self.sizes = ImageSizes()
        self.cats: dict[Any, str] = {}
        self.image_frames: dict[Any, int] = {}
        """A TAO image id: its frame's sample index."""
        self.frames_of: dict[Any, tuple[int, int]] = {}
        """A video's source id: its first frame's sample index and its frame count."""
        self.unnamed = 0
        self.track_classes: dict[Any, Any] | None = None
        """TAO's ``tracks`` table: a track's id and its category id."""

    def _keys(self) -> set[str]:
        return set(self.layout.offsets) | self.layout.ambiguous

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        self._categories()
        if "tracks" in self._keys():
            self.track_classes = {
                t["id"]: t.get("category_id")
                for t in iter_array(self.layout, "tracks")
                if isinstance(t, dict) and "id" in t
            }
        yield from self._videos()
        objects = VisObjects(self.report, self.sizes, first_track=1)
        listed = "annotations" in self._keys()
        for a in iter_array(self.layout, "annotations") if listed else ():
            if not isinstance(a, dict):
                self.report.error("vis_bad_annotation", "annotations that are not objects", a)
                continue
            if "segmentations" in a or "bboxes" in a:
                self._vis_track(a, objects)
            else:
                self._tao_object(a, objects)
            if len(objects) >= ANNOTATION_BATCH_ROWS:
                yield Batch(annotations=objects.take())
        table = objects.take()
        if table is not None:
            yield Batch(annotations=table)
        objects.flush()
        self.rows.count(self.report.counts, objects.tracks)

    def _categories(self) -> None:
        listed = read_value(self.layout, "categories") if "categories" in self._keys() else None
        for c in listed or []:
            if isinstance(c, dict) and "id" in c and isinstance(c.get("name"), str):
                self.cats[c["id"]] = c["name"]
                self.add_class(c["name"], c.get("supercategory"), as_int(c["id"]))

    def _videos(self) -> Iterator[Batch]:
        by_video: dict[Any, list[dict[str, Any]]] = {}
        if "images" in self._keys():  # TAO: the frames are images of a video
            for image in iter_array(self.layout, "images"):
                if isinstance(image, dict) and isinstance(image.get("file_name"), str):
                    by_video.setdefault(image.get("video_id"), []).append(image)
        names: set[str] = set()
        for video in iter_array(self.layout, "videos"):
            if not isinstance(video, dict) or "id" not in video:
                self.report.error("vis_bad_video", "videos without an id (skipped)", video)
                continue
            images = sorted(by_video.pop(video["id"], []), key=_frame_order)
            files = video.get("file_names")
            if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
                files = [i["file_name"] for i in images]
            if not files:
                self.report.error(
                    "vis_video_without_frames", "videos listing no frames", video["id"]
                )
                continue
            # written on Windows (os.path.join): v1\00000.jpg names v1/00000.jpg
            files = [f.replace("\\", "/") for f in files]
            batch = self._video(video, files, images, names)
            yield Batch(samples=batch)
        for video_id, images in by_video.items():
            self.report.error(
                "vis_unknown_video",
                UNKNOWN.format(what="a video"),
                f"video_id {video_id}",
                count=len(images),
            )

    def _video(
        self, video: dict[str, Any], files: list[str], images: list[dict[str, Any]], names: set[str]
    ) -> pa.Table:
        vid = video["id"]
        name = video.get("name") if isinstance(video.get("name"), str) else None
        name = name or os.path.dirname(files[0]) or str(vid)
        if name in names:  # frames name themselves <video>/<N>: the name must be unique
            name = f"{name} ({vid})"
        names.add(name)
        width, height = as_int(video.get("width")), as_int(video.get("height"))
        if (width is None or height is None) and images:
            width, height = as_int(images[0].get("width")), as_int(images[0].get("height"))
        local = not self.media_root.startswith("gs://")
        missing = [
            f for f in files if local and not os.path.isfile(os.path.join(self.media_root, f))
        ]
        if missing:
            self.report.warn(
                "vis_frame_missing",
                "frames the JSON lists that are not on disk (kept: their pictures show missing)",
                count=len(missing),
                examples=[os.path.join(self.media_root, f) for f in missing[:3]],
            )
        if width is None or height is None:
            gone = set(missing)
            present = [f for f in files if f not in gone]
            size = (
                image_size(os.path.join(self.media_root, present[0]), self.report)
                if present
                else None
            )
            width, height = size if size else (None, None)
        length = as_int(video.get("length"))
        if length is not None and length != len(files):
            self.report.warn(
                "vis_length_mismatch",
                "videos whose 'length' differs from their frames (the frames count)",
                f"video {vid}: length {length}, {len(files)} frames",
            )
        folder = os.path.dirname(os.path.join(self.media_root, files[0]))
        fps = as_number(video.get("fps")) if video.get("fps") is not None else None
        entry = Video(name, folder, SEQUENCE, len(files), fps or None, None, width, height,
                      source_id=vid)  # fmt: skip
        video_id, first = self.rows.add(entry)
        self.frames_of[vid] = (first, len(files))
        for i, image in enumerate(images):
            if "id" in image:
                self.image_frames[image["id"]] = first + i
        for _ in files:
            self.sizes.add(width, height)
        # TAO's image ids: what its per-frame results name the frames by
        ids = [i.get("id") for i in images] if len(images) == len(files) else None
        return self.rows.samples(video_id, files, self.media_root, "", self.split, ids)

    def _vis_track(self, a: dict[str, Any], objects: VisObjects) -> None:
        where = f"annotation id={a.get('id')}"
        found = self.frames_of.get(a.get("video_id"))
        label = self._label(a, where)
        if found is None or label is None:
            if found is None:
                self._unknown("vis_unknown_video", "a video", where, a.get("video_id"))
            return
        first, n = found
        boxes, masks, areas = (self._entries(a, k, where) for k in PER_FRAME)
        past = sum(
            1 for entries in (boxes, masks) for e in entries[n:] if e is not None
        ) if max(len(boxes), len(masks)) > n else 0  # fmt: skip
        if past:
            self.report.error(
                "vis_frame_out_of_range",
                "per-frame entries past their video's last frame (not ingested)",
                f"{where}: {max(len(boxes), len(masks))} entries, {n} frames",
                count=past,
            )
        self.unnamed += 1  # an annotation without an id is a track of its own
        track = ("annotation", a["id"] if "id" in a else -self.unnamed)
        crowd = a.get("iscrowd") == 1
        for i in range(min(max(len(boxes), len(masks)), n)):
            box = boxes[i] if i < len(boxes) else None
            mask = masks[i] if i < len(masks) else None
            if box is None and mask is None:
                continue  # absent on this frame
            area = areas[i] if i < len(areas) else None
            objects.add(first + i, label, box, mask, area, crowd, track, a.get("id"),
                        f"{where} frame {i + 1}")  # fmt: skip

    def _entries(self, a: dict[str, Any], key: str, where: str) -> list[Any]:
        """Track ``a``'s per-frame list ``key`` (none when absent); any other value (a dict
        of frames, one box) is a report row, not read."""
        value = a.get(key)
        if value is None or isinstance(value, list):
            return value or []
        self.report.error(
            "vis_bad_per_frame_list",
            "YouTube-VIS annotations whose bboxes, segmentations or areas are no list of one "
            "entry per frame (that list not read)",
            f"{where}: {key} is {type(value).__name__}",
        )
        return []

    def _tao_object(self, a: dict[str, Any], objects: VisObjects) -> None:
        where = f"annotation id={a.get('id')}"
        index = self.image_frames.get(a.get("image_id"))
        track_id = a.get("track_id")
        if track_id is not None and self.track_classes is not None:
            if track_id not in self.track_classes:
                self.report.warn(
                    "vis_unknown_track",
                    "annotations whose track_id the 'tracks' table does not list (kept)",
                    f"{where}: track_id {track_id!r}",
                )
            elif "category_id" not in a:  # TAO's track names the class of its objects
                a = {**a, "category_id": self.track_classes[track_id]}
        label = self._label(a, where)
        if index is None or label is None:
            if index is None:
                self._unknown("vis_unknown_image", "an image", where, a.get("image_id"))
            return
        track = ("track", track_id) if track_id is not None else None
        objects.add(index, label, a.get("bbox"), a.get("segmentation"), a.get("area"),
                    a.get("iscrowd") == 1, track, a.get("id"), where)  # fmt: skip

    def _label(self, a: dict[str, Any], where: str) -> str | None:
        label = self.cats.get(a.get("category_id"))
        if label is None:
            self._unknown("vis_unknown_category", "a category", where, a.get("category_id"))
        return label

    def _unknown(self, code: str, what: str, where: str, value: Any) -> None:
        self.report.error(
            code, UNKNOWN.format(what=what),
            f"{where}: {value!r}",
        )  # fmt: skip

    def feature_rows(self) -> dict[str, pa.Table]:
        """The ``videos`` and ``video_frames`` rows (once the batches are done)."""
        return self.rows.feature_rows()


def _frame_order(image: dict[str, Any]) -> tuple[float, list[int | str]]:
    index = as_number(image.get("frame_index"))
    return (index if index is not None else np.inf, natural_key(image["file_name"]))


def first_frame(layout: JsonLayout) -> str | None:
    """The first frame file a YouTube-VIS / TAO JSON names: its first video's first
    ``file_names`` entry, else (TAO) its first image's ``file_name``."""
    video = next(iter_array(layout, "videos"), None)
    files = video.get("file_names") if isinstance(video, dict) else None
    if isinstance(files, list) and files and isinstance(files[0], str):
        return files[0].replace("\\", "/")
    if "images" in set(layout.offsets) | layout.ambiguous:
        image = next(iter_array(layout, "images"), None)
        if isinstance(image, dict) and isinstance(image.get("file_name"), str):
            return image["file_name"].replace("\\", "/")
    return None


def images_folder(path: str, images: str | None, first: str | None) -> str:
    """The folder the frames of JSON ``path`` resolve under: ``images`` when given, else the
    first of the folders the datasets ship them in that holds the ``first`` frame:
    ``JPEGImages/`` or ``frames/`` beside the JSON (YouTube-VIS 2021, TAO's frames copied
    there), the JSON's split's folder (YouTube-VIS 2019's ``train.json`` beside
    ``train/JPEGImages/``, OVIS' ``annotations_train.json`` beside ``train/``), TAO's
    ``frames/`` beside its ``annotations/`` folder, the JSON's folder; else (no frame on
    disk) ``JPEGImages/`` or ``frames/`` where one is there, else the JSON's folder."""
    if images:
        return images if images.startswith("gs://") else os.path.abspath(images)
    here = os.path.dirname(path)
    beside = [os.path.join(here, name) for name in IMAGE_FOLDERS]
    stem = os.path.splitext(os.path.basename(path))[0].lower()
    splits = [t for t in re.split(r"[_\-.]", stem) if t in SPLIT_FOLDERS]
    split = [os.path.join(here, t, sub) for t in splits for sub in (*IMAGE_FOLDERS, "")]
    candidates = [*beside, *split, os.path.join(os.path.dirname(here), "frames"), here]
    if first is not None:
        for folder in candidates:
            if os.path.isfile(os.path.join(folder, first)):
                return os.path.normpath(folder)
    return next((folder for folder in beside if os.path.isdir(folder)), here)
