"""CVAT for video 1.1 XML: one video (its file, or its frames exported as ``images/``) and
its ``<track>`` elements, each a track identity through the frames.

A track lists shapes (``<box>``, ``<polygon>``, ``<polyline>``, ``<points>``, ``<skeleton>``)
on some frames, each ``keyframe`` or interpolated, ``outside`` where the object has left.
Every frame the track covers becomes one object with the track's ``track_id``: a listed shape
as it is; between two listed boxes, the box linearly interpolated (CVAT's own rule for
boxes); between other shapes, the earlier one held; after the last listed shape, held to the
video's end unless it is ``outside`` (CVAT keeps an object until it leaves). ``outside``
shapes make no object, nor does a skeleton all of whose points are ``outside`` (CVAT writes
no ``outside`` on a track's skeleton). ``keyframe``, ``occluded``, ``z_order``, a box's
``rotation`` (turned the shorter way between keyframes, as CVAT does), the track's
``source`` and ``group_id`` (a shape's own, where it has them) and the ``<attribute>``
children are the object's attributes. A ``<tag>`` (a label of one frame) is that frame's
image-level label.

CVAT numbers frames from 0: frame ``f`` is VisionLens' frame ``f + 1``. They are the source
video's frames: a task of part of a video (``start_frame``, ``stop_frame``, a
``frame_filter`` of ``step=K``) names its frames ``start + i K``, and CVAT's "save images"
export names each image by its frame (``images/frame_{f:06d}``), writing only the task's
frames that are not deleted: images so named are frames ``f + 1`` whatever the gaps between
them (the video's length reaching ``stop_frame``; a frame without an image has no sample,
and a shape on it is reported unless ``outside``). A folder of other names is the task's
frames in order, frame ``f`` its ``(f - start) / K``-th image; with the video, a track is
held no further than ``stop_frame``. Report rows: two shapes of one track on one frame (``cvat_track_overlap``,
the first kept), a shape on a frame the video lacks (``cvat_frame_out_of_range``), an
ellipse or cuboid (``cvat_shape_skipped``: no label type holds them). A project export of
several tasks (each a video of its own) is refused, never mixed into one video.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa

from ..records.batches import TRACK_ID_FIELD, Batch, ColumnBuffer, dumps_or_none
from ..records.report import IngestError
from ..video.frame_index import IndexStore
from ..video.locator import is_video_name
from ..video.probe import VideoError
from .base import ParsedBase, as_number
from .cvat import SKIPPED_SHAPES, Shape, cvat_xml_path, read_shape, task_meta
from .images import image_size, is_gcs, list_images
from .object_rows import ObjectRows, classification_rows
from .video_folder import probe_location, report_truncated
from .video_rows import FILE, SEQUENCE, Video, VideoRows, sorted_frames
from .xml_text import encoding_hint, xml_text

FORMAT = "cvat"
TRACK_SHAPES = ("box", "polygon", "polyline", "points", "skeleton", "mask")
_FLAGS = ("keyframe", "occluded", "z_order", "source", "rotation")
_TRACK_FLAGS = ("source", "group_id")  # CVAT writes them on the <track>, not its shapes
_STEP = re.compile(r"step\s*=\s*(\d+)")


def is_cvat_video(path: str) -> bool:
    """Whether CVAT XML ``path`` holds tracks or frame tags and no ``<image>`` (CVAT for video); a file
    with images is CVAT for images (whose reader counts and skips any track in it)."""
    tracks = False
    try:
        with open(path, "rb") as f:
            if "<!doctype" in xml_text(f.read(1 << 16)).lower():  # CvatDataset refuses it
                return False
            f.seek(0)
            for _event, el in ET.iterparse(f, events=("end",)):
                if el.tag == "image":
                    return False
                # a frame's tag (CVAT for images puts its tags in <image>, without a frame):
                # a video task labelled with tags alone has no track
                if el.tag == "track" or (el.tag == "tag" and el.get("frame") is not None):
                    tracks = True
                    el.clear()
    except (ET.ParseError, OSError):
        return False
    return tracks


@dataclass
class TrackShape:
    """One listed shape of a track: its 0-based CVAT frame, kind, geometry, attributes."""

    frame: int
    tag: str
    outside: bool
    shape: Shape
    attributes: dict[str, Any]


class CvatVideo(ParsedBase):
    """A CVAT for video 1.1 file as a :class:`~visionlens_jlab.records.parsed.ParsedSource`."""

    def __init__(
        self,
        path: str,
        media: str | None = None,
        split: str | None = None,
        video_index: str | None = None,
    ) -> None:
        """``video_index``: where the task video's frame index is kept
        (:func:`.video_folder.probe_location`; None: not kept)."""
        path = cvat_xml_path(path, "CVAT XML")
        here = os.path.dirname(path)
        super().__init__(FORMAT, path, here)
        self.split = split
        self.rows = VideoRows()
        self.points_of: dict[str, list[str]] = {}
        self.index_store = IndexStore(video_index) if video_index else None
        meta, tasks = task_meta(self.source)
        if len(tasks) > 1:  # their tracks name frames of different videos: never mixed
            raise IngestError(
                f"{self.source} is a CVAT project export of {len(tasks)} tasks "
                f"({', '.join(tasks[:3])}{', ...' if len(tasks) > 3 else ''}): "
                "their tracks are of different videos. Export each task on its own from CVAT "
                "(the task's Export task dataset, CVAT for video 1.1) and ingest each"
            )
        self.video, self.frame_names = self._media(media, here, meta)
        width, height = self.video.width, self.video.height
        self.size = (width, height) if width and height else None
        self.start, self.step, self.end = 0, 1, self.video.num_frames
        """CVAT's frame of the first frame, CVAT frames per frame, and the end of a track held
        (frame indices): a frames folder holds the task's frames only, a video all."""
        self.position: dict[int, int] | None = None
        """Where a folder's images have CVAT's names: the sample offset of each frame index
        (CVAT's frame) with an image; the frames without one have no sample."""
        self.numbers: np.ndarray | None = None
        """Those images' frame numbers (from 1)."""
        start = _count(meta.get("start_frame")) or 0
        stop = _count(meta.get("stop_frame"))
        step = _STEP.search(meta.get("frame_filter") or "")
        named = cvat_frame_numbers(self.frame_names) if self.frame_names is not None else None
        if named is not None:  # each image is the frame it names, whatever the task says
            self.position = {f: i for i, f in enumerate(named)}
            self.numbers = np.array(named, dtype=np.int64) + 1
            self.end = max(named[-1], stop if stop is not None else 0) + 1
            self.video = replace(self.video, num_frames=self.end)
        elif self.frame_names is not None:
            self.start, self.step = start, max(1, int(step.group(1))) if step else 1
        elif stop is not None:
            self.end = min(self.end, stop + 1)

    def _media(
        self, media: str | None, here: str, meta: dict[str, str]
    ) -> tuple[Video, list[str] | None]:
        """The task's video file (``media``, the ``<source>`` beside the XML, or the only
        video there) or its frames (``media`` or ``images/``, in natural order)."""
        candidates = [media] if media else []
        if meta.get("source"):
            candidates.append(os.path.join(here, meta["source"]))
        videos = [n for n in sorted(os.listdir(here)) if is_video_name(n)]
        candidates += [os.path.join(here, videos[0])] if len(videos) == 1 else []
        for candidate in candidates:
            remote = bool(candidate) and is_gcs(candidate)
            if candidate and (remote or os.path.isfile(candidate)) and is_video_name(candidate):
                try:
                    probe = probe_location(candidate, self.index_store)  # confined like any read
                except VideoError as exc:
                    raise IngestError(f"the task's video cannot be read: {exc}") from exc
                report_truncated(probe, candidate, self.report)
                if remote:  # its frames are served from the object's folder
                    self.media_root = candidate.rsplit("/", 1)[0]
                name = os.path.basename(candidate)
                video = Video(name, candidate, FILE, probe.num_frames, probe.fps or None,
                              probe.codec, probe.width, probe.height, probe.rotation,
                              probe.variable_frame_rate)  # fmt: skip
                return video, None
        folder = media if media and os.path.isdir(media) else os.path.join(here, "images")
        frames = sorted_frames(list_images(folder, self.report))
        if not frames:
            raise IngestError(
                f"{self.source}: found neither the task's video ({meta.get('source') or 'none named'}) "
                f"nor its frames in {folder}: pass the video or the frames folder with --images"
            )
        size = image_size(os.path.join(folder, frames[0]), self.report)
        name = meta.get("name") or os.path.basename(folder)
        video = Video(name, folder, SEQUENCE, len(frames), None, None,
                      size[0] if size else None, size[1] if size else None)  # fmt: skip
        self.media_root = folder
        return video, frames

    def batches(self) -> Iterator[Batch]:
        video_id, first = self.rows.add(self.video, self.numbers)
        yield Batch(
            samples=self.rows.samples(video_id, self.frame_names, self.media_root, split=self.split)
        )
        objects, tracks, tags = ObjectRows(), [], classification_rows()
        n_tracks = 0
        with open(self.source, "rb") as f:
            try:
                for _event, el in ET.iterparse(f, events=("end",)):
                    if el.tag == "label" and el.find("name") is not None:
                        self._declare(el)
                    elif el.tag == "track":
                        n_tracks += 1
                        added = self._track(el, first, objects)
                        tracks += [n_tracks] * added
                        el.clear()
                    elif el.tag == "tag" and el.get("frame") is not None:
                        self._tag(el, first, tags)
            except ET.ParseError as exc:
                raise IngestError(
                    f"{self.source} is not well-formed XML: {exc}{encoding_hint(self.source)}"
                ) from exc
        table = objects.take()
        if table is not None:
            table = table.append_column(TRACK_ID_FIELD, pa.array(tracks, pa.int64()))
        yield Batch(annotations=table, classifications=tags.take())
        self.rows.count(self.report.counts, n_tracks)

    def _declare(self, label: ET.Element) -> None:
        name = (label.findtext("name") or "").strip()
        parent = (label.findtext("parent") or "").strip()
        if parent:
            self.points_of.setdefault(parent, []).append(name)
        elif name:
            self.add_class(name)

    def _tag(self, el: ET.Element, first: int, tags: ColumnBuffer) -> None:
        """A frame's ``<tag frame="f" label="...">`` (CVAT for video writes them beside the
        tracks): an image-level label of that frame's sample."""
        label, cvat_frame = el.get("label"), _count(el.get("frame"))
        where = f"tag {label!r} frame {el.get('frame')}"
        if not label or cvat_frame is None:
            self.report.error("cvat_bad_tag", "tags without a label or a frame number (skipped)",
                              where)  # fmt: skip
            return
        frame, off_step = divmod(cvat_frame - self.start, self.step)
        at = frame if self.position is None else self.position.get(frame)
        if off_step or at is None or not 0 <= frame < self.video.num_frames:
            self.report.error(
                "cvat_frame_out_of_range",
                "track shapes or tags on a frame the video does not have (not ingested)",
                f"{where} of {self.video.num_frames} (CVAT counts from 0)",
            )
            return
        self.add_class(label)
        tags.append(sample_index=first + at, label=label)

    def _track(self, el: ET.Element, first: int, rows: ObjectRows) -> int:
        """Add the objects of track ``el``; returns how many."""
        label = el.get("label")
        if not label:
            self.report.error("cvat_bad_track", "tracks without a label (skipped)", el.attrib)
            return 0
        self.add_class(label)
        listed = self._listed(el, label)
        added = 0
        for i, shape in enumerate(listed):
            end = listed[i + 1].frame if i + 1 < len(listed) else max(self.end, shape.frame + 1)
            if shape.outside:
                continue
            for frame in range(shape.frame, end):
                at = frame if self.position is None else self.position.get(frame)
                if at is None:  # a frame without an image (a folder of some frames)
                    continue
                geometry = shape.shape
                attributes = shape.attributes
                if frame > shape.frame:
                    attributes = {**attributes, "keyframe": "0"}
                    if i + 1 < len(listed) and shape.tag == listed[i + 1].tag == "box":
                        geometry = _between(shape, listed[i + 1], frame)
                        attributes = _turned(attributes, shape, listed[i + 1], frame)
                _add(rows, first + at, label, shape.tag, geometry, attributes, el.get("id"))
                added += 1
        return added

    def _listed(self, el: ET.Element, label: str) -> list[TrackShape]:
        """The track's readable shapes by frame index (from 0): the first of two on one
        frame, none past the video's frames (both reported)."""
        by_frame: dict[int, TrackShape] = {}
        for child in el:
            if child.tag in SKIPPED_SHAPES:
                self.report.warn(
                    "cvat_shape_skipped",
                    "ellipses and cuboids (not stored: no label type holds them)",
                    f"track {el.get('id')}: {child.tag}",
                )
            if child.tag not in TRACK_SHAPES:
                continue
            where = f"track {el.get('id')} frame {child.get('frame')}"
            cvat_frame = _count(child.get("frame"))
            if cvat_frame is None:
                self.report.error("cvat_bad_shape", "shapes with unreadable coordinates (skipped)",
                                  f"{where}: not a frame number")  # fmt: skip
                continue
            frame, off_step = divmod(cvat_frame - self.start, self.step)
            outside = child.get("outside") == "1" or (
                child.tag == "skeleton"
                and all(p.get("outside") == "1" for p in child.findall("points"))
            )
            # with CVAT's image names, an outside shape may be on a frame with no image:
            # it ends the track there all the same
            imageless = self.position is not None and frame not in self.position
            if off_step or not 0 <= frame < self.video.num_frames or (imageless and not outside):
                task = f", frames from {self.start} every {self.step}" if self.frame_names else ""
                if self.position is not None:
                    task = f"; frame_{cvat_frame:06d} is none of the images"
                self.report.error(
                    "cvat_frame_out_of_range",
                    "track shapes or tags on a frame the video does not have (not ingested)",
                    f"{where} of {self.video.num_frames} (CVAT counts from 0{task})",
                )
                continue
            if frame in by_frame:
                self.report.error(
                    "cvat_track_overlap",
                    "a track's second shape on one frame (the first kept)",
                    where,
                )
                continue
            try:
                shape = read_shape(child, self.size, self.points_of.get(label))
            except (ValueError, TypeError, KeyError) as exc:
                self.report.error("cvat_bad_shape", "shapes with unreadable coordinates (skipped)",
                                  f"{where}: {exc}")  # fmt: skip
                continue
            flags = [(k, child.get(k)) for k in _FLAGS] + [(k, el.get(k)) for k in _TRACK_FLAGS]
            attributes: dict[str, Any] = {}
            for k, v in flags:  # the shape's own first
                if v is not None:
                    attributes.setdefault(k, v)
            for attribute in child.findall("attribute"):
                attributes[attribute.get("name") or ""] = attribute.text or ""
            by_frame[frame] = TrackShape(frame, child.tag, outside, shape, attributes)
        return [by_frame[f] for f in sorted(by_frame)]

    def feature_rows(self) -> dict[str, pa.Table]:
        """The ``videos`` and ``video_frames`` rows (once the batches are done)."""
        return self.rows.feature_rows()


def _between(a: TrackShape, b: TrackShape, frame: int) -> Shape:
    """Box ``a`` moved linearly towards box ``b`` at ``frame`` (between their frames)."""
    t = (frame - a.frame) / (b.frame - a.frame)
    x, y, w, h = (p + (q - p) * t for p, q in zip(a.shape[:4], b.shape[:4], strict=True))
    return x, y, w, h, None, w * h, None


def _turned(attributes: dict[str, Any], a: TrackShape, b: TrackShape, frame: int) -> dict[str, Any]:
    """``attributes`` of box ``a`` at ``frame`` with its ``rotation`` (degrees; CVAT writes
    none for 0) turned towards ``b``'s the shorter way round, as CVAT interpolates it."""
    if "rotation" not in a.attributes and "rotation" not in b.attributes:
        return attributes
    start, end = (as_number(s.attributes.get("rotation")) or 0.0 for s in (a, b))
    turn = (end - start + 180) % 360 - 180
    t = (frame - a.frame) / (b.frame - a.frame)
    return {**attributes, "rotation": f"{(start + turn * t) % 360:.2f}"}


def _add(
    rows: ObjectRows, index: int, label: str, tag: str, shape: Shape, attributes: dict[str, Any],
    track: str | None,
) -> None:  # fmt: skip
    x, y, w, h, segmentation, area, points = shape
    rows.add(index, None, label, x, y, w, h, area=area, source_ann_id=track,
             segmentation=dumps_or_none(segmentation), attributes=dumps_or_none(attributes))  # fmt: skip
    if tag == "polyline":
        rows.set_labels(polyline=points)
    elif segmentation is not None:
        rows.set_labels(mask_area=area)
    elif points is not None:
        rows.set_labels(keypoints=points, num_keypoints=sum(1 for v in points[2::3] if v > 0))


CVAT_IMAGE = re.compile(r"frame_(\d+)\.[^.]+")


def cvat_frame_numbers(names: list[str]) -> list[int] | None:
    """The CVAT frames (from 0) of a task's images (in natural order) named as CVAT's "save
    images" export names them, ``frame_000012.jpg`` (each image by its frame: a task of
    some frames, frames deleted in CVAT or an export of the labelled frames leaves gaps);
    None where any name is another (the images are then the task's frames in order)."""
    numbers = []
    for name in names:
        found = CVAT_IMAGE.fullmatch(name)
        if found is None:
            return None
        numbers.append(int(found.group(1)))
    if any(b <= a for a, b in zip(numbers, numbers[1:], strict=False)):
        return None  # one frame twice (two suffixes): no telling which
    return numbers


def _count(text: str | None) -> int | None:
    """A whole number of frames, or None for anything else."""
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
