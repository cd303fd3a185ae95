"""CVAT for video 1.1: one task folder per video, ``<video stem>/annotations.xml`` and,
with images, its frames as CVAT's "save images" export names them,
``<video stem>/images/frame_000000.jpg``: what CVAT imports and ``visionlens ingest
--format cvat`` reads back.

CVAT numbers frames from 0: VisionLens' frame N is CVAT's frame N - 1 (names and
``frame`` attributes alike): each image is named by its frame, as CVAT names a task's
images, which is how our reader (and CVAT) put it on its frame. Frames exported evenly
spaced (``--frames all``, ``every:K``) are the task's frames: ``start_frame``,
``stop_frame`` and a ``frame_filter`` of ``step=K`` say so, as CVAT's export of a task of
every K-th frame does, and its image ``i`` is frame ``start + i K``; other choices (the
labelled frames, with gaps no frame filter describes) are written as a task of the whole
video whose images are the exported frames only, as CVAT writes a task with deleted
frames: the frames without an image hold no shape but ``outside`` ones. Each track is one ``<track>`` (an object of no track is a
track of its own, one frame long) with a ``<box>`` on every frame it has an object, and an
``outside`` box on the task's frame after each run of frames (after the track's last
frame, or before a gap), unless the task ends there: CVAT keeps a track's object until it
leaves.
A track whose objects change class is one ``<track>`` per class. The ``keyframe``,
``occluded``, ``z_order``, ``source`` and ``rotation`` attributes ingested from CVAT are
the box's own again (``keyframe`` 1, ``occluded`` and ``z_order`` 0 when absent), a
``group_id`` the track's; the other attributes are ``<attribute>`` children. Masks, keypoints and polylines are written as
their objects' boxes.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .errors import ExportError
from .kind_hooks import KindHooks
from .video_frames import VideoFrames
from .view import ExportView

ANNOTATIONS_FILE = "annotations.xml"
IMAGES_FOLDER = "images"
FLAGS = {"keyframe": "1", "occluded": "0", "z_order": "0"}
"""The box's own attributes and their values when the object has none."""
_OWN = (*FLAGS, "source", "rotation", "group_id", "outside")
_COLUMNS = ("sample_id", "label", "x", "y", "w", "h", "attributes", "track_id")

KINDS: KindHooks[str] = KindHooks(
    "cvat-video",
    {"box": "box"},
    left_out=("mask", "keypoints", "rotated_box", "polyline"),
)
"""What a track holds of each kind of label: boxes (other kinds as their objects' boxes)."""

Shape = tuple[int, float, float, float, float, dict[str, Any]]
"""``(cvat frame, x, y, w, h, attributes)``"""


def write_cvat_video(
    view: ExportView, root: Path, frames: VideoFrames
) -> tuple[int, list[tuple[str, str]]]:
    """Write a task folder per video of ``view`` under ``root``; returns the object count
    and the frames to place."""
    s = view.samples
    video_of: dict[int, tuple[int, int]] = {}
    for sid, name in zip(s["sample_id"], s["file_name"], strict=True):
        found = frames.of_sample.get(sid)
        if found is None:
            raise ExportError(f"{name} is no frame of a video: CVAT for video writes videos only")
        video_of[sid] = found
    videos = sorted({vid for vid, _ in video_of.values()})
    tracks: dict[int, dict[tuple[Any, str], list[Shape]]] = {vid: {} for vid in videos}
    count = untracked = 0
    for _, _, labels in view.objects.batches(_COLUMNS):
        c = {name: labels.column(name) for name in _COLUMNS}
        for i, sid in enumerate(c["sample_id"]):
            vid, number = video_of[sid]
            track = c["track_id"][i]
            if track is None:
                untracked += 1
                track = ("untracked", untracked)
            attributes = orjson.loads(c["attributes"][i]) if c["attributes"][i] else {}
            shape = (number - 1, c["x"][i], c["y"][i], c["w"][i], c["h"][i], attributes)
            tracks[vid].setdefault((track, c["label"][i]), []).append(shape)
        count += len(labels)
    pairs = []
    for sid, name, location in zip(s["sample_id"], s["file_name"], s["location"], strict=True):
        vid, number = video_of[sid]
        suffix = os.path.splitext(name)[1] or ".jpg"
        dest = root / frames.stem(vid) / IMAGES_FOLDER / f"frame_{number - 1:06d}{suffix}"
        pairs.append((location, str(dest)))
    numbers: dict[int, set[int]] = {vid: set() for vid in videos}
    for vid, number in video_of.values():
        numbers[vid].add(number)
    for vid in videos:
        folder = root / frames.stem(vid)
        folder.mkdir(parents=True, exist_ok=True)
        task = task_frames(sorted(numbers[vid]), int(frames.videos[vid]["num_frames"]))
        document = _document(
            frames.videos[vid], frames.stem(vid), view.class_names, tracks[vid], task
        )
        ET.indent(document, space="  ")
        document.write(folder / ANNOTATIONS_FILE, encoding="utf-8", xml_declaration=True)
    return count, pairs


@dataclass(frozen=True)
class TaskFrames:
    """The CVAT frames (0-based, the source video's) a task folder's images are: ``start``,
    ``start + step``... up to ``stop``, ``size`` of them."""

    start: int
    stop: int
    step: int
    size: int


def task_frames(numbers: list[int], num_frames: int) -> TaskFrames:
    """The task of a video whose frames ``numbers`` (from 1, sorted) are exported: every
    ``step``-th frame from the first to the last when they are evenly spaced (``--frames
    all``, ``every:K``), which CVAT's ``start_frame``, ``stop_frame`` and ``frame_filter``
    say, so that CVAT (and our reader) put image ``i`` at frame ``start + i step``; else
    (labelled frames with gaps, which no frame filter describes) the whole video, its images
    placed on their frames by their names (``frame_{N - 1:06d}``) alone."""
    steps = {b - a for a, b in zip(numbers, numbers[1:], strict=False)}
    if len(steps) > 1 or not numbers:
        return TaskFrames(0, num_frames - 1, 1, num_frames)
    step = steps.pop() if steps else 1
    # to the video's last frame when the step has no frame past the last exported: the
    # same images, and the video ingested back keeps its length
    stop = num_frames if numbers[-1] + step > num_frames else numbers[-1]
    return TaskFrames(numbers[0] - 1, stop - 1, step, len(numbers))


def _document(
    video: dict[str, Any],
    name: str,
    class_names: list[str],
    tracks: dict[tuple[Any, str], list[Shape]],
    frames: TaskFrames,
) -> ET.ElementTree:
    """The XML of one video: its task's meta and its tracks."""
    top = ET.Element("annotations")
    ET.SubElement(top, "version").text = "1.1"
    task = ET.SubElement(ET.SubElement(top, "meta"), "task")
    for key, value in (("name", name), ("size", frames.size), ("mode", "interpolation"),
                       ("overlap", 0), ("start_frame", frames.start),
                       ("stop_frame", frames.stop)):  # fmt: skip
        ET.SubElement(task, key).text = str(value)
    if frames.step > 1:
        ET.SubElement(task, "frame_filter").text = f"step={frames.step}"
    labels = ET.SubElement(task, "labels")
    for label in class_names:
        el = ET.SubElement(labels, "label")
        ET.SubElement(el, "name").text = label
        ET.SubElement(el, "type").text = "any"
        ET.SubElement(el, "attributes")
    width, height = video["width"], video["height"]
    if video["rotation"] in (90, 270):
        width, height = height, width
    if width and height:
        size = ET.SubElement(task, "original_size")
        ET.SubElement(size, "width").text = str(width)
        ET.SubElement(size, "height").text = str(height)
    ET.SubElement(task, "source").text = os.path.basename(str(video["location"]))
    for number, ((_, label), shapes) in enumerate(tracks.items()):
        track = ET.SubElement(top, "track", id=str(number), label=label)
        shapes.sort(key=lambda shape: shape[0])
        group = shapes[0][5].get("group_id")  # CVAT's is the track's, not its boxes'
        if group is not None:
            track.set("group_id", str(group))
        for i, shape in enumerate(shapes):
            if i and shape[0] == shapes[i - 1][0]:
                continue  # two objects of one track on a frame: CVAT holds one
            _box(track, shape, outside=False)
            # the task's next frame: a frame the filter leaves out would be no frame of it
            after = shape[0] + frames.step
            following = shapes[i + 1][0] if i + 1 < len(shapes) else frames.stop + 1
            if following > after and after <= frames.stop:
                _box(track, (after, *shape[1:5], {}), outside=True)
    return ET.ElementTree(top)


def _box(track: ET.Element, shape: Shape, *, outside: bool) -> None:
    frame, x, y, w, h, attributes = shape
    own = {key: str(attributes.get(key, default)) for key, default in FLAGS.items()}
    for key in ("source", "rotation"):  # a rotated box's degrees: CVAT's own attribute
        if attributes.get(key) is not None:
            own[key] = str(attributes[key])
    own.update(
        frame=str(frame), outside="1" if outside else "0", xtl=repr(float(x)),
        ytl=repr(float(y)), xbr=repr(float(x + w)), ybr=repr(float(y + h)),
    )  # fmt: skip
    box = ET.SubElement(track, "box", own)
    for key, value in attributes.items():
        if key not in _OWN:
            text = value if isinstance(value, str) else orjson.dumps(value).decode()
            ET.SubElement(box, "attribute", name=key).text = text
