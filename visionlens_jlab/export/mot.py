"""MOT Challenge: one sequence folder per video, ``<seq>/seqinfo.ini``, ``<seq>/gt/gt.txt``
(ground truth: ``frame,id,x,y,w,h,consider,class,visibility``) and, with images,
``<seq>/img1/000001.jpg``: what ``visionlens ingest --format mot`` and TrackEval's
``MotChallenge2DBox`` read. A model's labels are written as MOT results instead,
``results/<seq>.txt`` (``frame,id,x,y,w,h,score,-1,-1,-1``), which ``visionlens predictions
--format mot`` reads.

Frames number from 1 in MOT as in VisionLens: frame N is row frame N and image
``{N:06d}.jpg``; ``seqLength`` is the video's frame count (a row's frame is the video's
frame, whichever frames are exported). An object's id is its ``track_id``; an object of no
track gets an id of its own after the tracks'. Class ids are MOT17's for its class names;
other classes are numbered from 14 on in the dataset's class order and listed in
``classes.txt``. The ``consider`` and ``visibility`` attributes (MOT ground truth ingested)
fill their columns; without them a row counts (1) and is fully visible (1).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from ..ingest.mot_rows import MOT17_CLASSES
from .errors import ExportError
from .kind_hooks import KindHooks
from .staging import background_writes
from .video_frames import VideoFrames
from .view import ExportView

IMAGE_FOLDER = "img1"
RESULTS_FOLDER = "results"
CLASSES_FILE = "classes.txt"
MOT_IDS = {name: cls for cls, name in MOT17_CLASSES.items()}
_COLUMNS = ("sample_id", "label", "x", "y", "w", "h", "score", "attributes", "track_id")

KINDS: KindHooks[str] = KindHooks(
    "mot",
    {"box": "x,y,w,h"},
    left_out=("mask", "keypoints", "rotated_box", "polyline"),
)
"""MOT rows hold a box: every object is written as its box, its other labels left out."""

Row = tuple[int, int | None, float, float, float, float, float, int, float]


def write_mot(
    view: ExportView, root: Path, frames: VideoFrames
) -> tuple[int, list[tuple[str, str]], list[tuple[str, str]]]:
    """Write a sequence folder per video of ``view`` under ``root``; returns the object
    count, the frames to place and the text files to write (``seqinfo.ini``, ``classes.txt``)."""
    s = view.samples
    video_of: dict[int, tuple[int, int]] = {}
    for sid, name in zip(s["sample_id"], s["file_name"], strict=True):
        found = frames.of_sample.get(sid)
        if found is None:
            raise ExportError(f"{name} is no frame of a video: MOT writes videos only")
        video_of[sid] = found
    videos = sorted({vid for vid, _ in video_of.values()})
    class_id = _class_ids(view.class_names)
    rows: dict[int, list[Row]] = {vid: [] for vid in videos}
    count = 0
    for _, _, labels in view.objects.batches(_COLUMNS):
        c = {name: labels.column(name) for name in _COLUMNS}
        for i, sid in enumerate(c["sample_id"]):
            vid, number = video_of[sid]
            rows[vid].append(_row(c, i, number, class_id, view.predictions))
        count += len(labels)
    _number_untracked(rows)
    stems = {vid: frames.stem(vid) for vid in videos}
    pairs: list[tuple[str, str]] = []
    suffix_of: dict[int, str] = {}
    for sid, name, location in zip(s["sample_id"], s["file_name"], s["location"], strict=True):
        vid, number = video_of[sid]
        suffix = suffix_of.setdefault(vid, os.path.splitext(name)[1] or ".jpg")
        pairs.append((location, str(root / stems[vid] / IMAGE_FOLDER / f"{number:06d}{suffix}")))
    texts: list[tuple[str, str]] = []
    results = root / RESULTS_FOLDER
    with background_writes() as write:
        for vid in videos:
            seq = root / stems[vid]
            info = _seqinfo(frames.videos[vid], stems[vid], suffix_of[vid])
            texts.append((str(seq / "seqinfo.ini"), info))
            if view.predictions:
                os.makedirs(results, exist_ok=True)
                target = results / f"{stems[vid]}.txt"
            else:
                os.makedirs(seq / "gt", exist_ok=True)
                target = seq / "gt" / "gt.txt"
            write([(str(target), _text(rows[vid], view.predictions))])
    extra = {name: cid for name, cid in class_id.items() if name not in MOT_IDS}
    if extra and not view.predictions:
        texts.append((str(root / CLASSES_FILE), "".join(f"{i} {n}\n" for n, i in extra.items())))
    return count, pairs, texts


def _class_ids(names: list[str]) -> dict[str, int]:
    """MOT17's id of each of its class names; the other classes from 14 on, in order."""
    ids, next_id = {}, max(MOT17_CLASSES) + 1
    for name in names:
        if name in MOT_IDS:
            ids[name] = MOT_IDS[name]
        else:
            ids[name], next_id = next_id, next_id + 1
    return ids


def _row(
    c: dict[str, list[Any]], i: int, frame: int, class_id: dict[str, int], predictions: bool
) -> Row:
    attributes = orjson.loads(c["attributes"][i]) if c["attributes"][i] else {}
    if predictions:
        conf = float(c["score"][i] if c["score"][i] is not None else 1.0)
    else:
        conf = 0.0 if attributes.get("consider") in (False, 0, "0", "false") else 1.0
    visibility = attributes.get("visibility")
    return (
        frame, c["track_id"][i], float(c["x"][i]), float(c["y"][i]), float(c["w"][i]),
        float(c["h"][i]), conf, class_id[c["label"][i]],
        1.0 if visibility is None else float(visibility),
    )  # fmt: skip


def _number_untracked(rows: dict[int, list[Row]]) -> None:
    """Give each object of no track an id of its own, after every track's."""
    known = [r[1] for video in rows.values() for r in video if r[1] is not None]
    next_id = max(known, default=0) + 1
    for video in rows.values():
        for i, r in enumerate(video):
            if r[1] is None:
                video[i] = (r[0], next_id, *r[2:])
                next_id += 1


def _text(rows: list[Row], predictions: bool) -> bytes:
    """The rows sorted by frame then id, as MOT text."""
    rows.sort(key=lambda r: (r[0], r[1] or 0))
    fmt: Callable[[Row], str]
    if predictions:
        fmt = lambda r: f"{r[0]},{r[1]},{r[2]!r},{r[3]!r},{r[4]!r},{r[5]!r},{r[6]!r},-1,-1,-1\n"  # noqa: E731
    else:
        fmt = lambda r: (  # noqa: E731
            f"{r[0]},{r[1]},{r[2]!r},{r[3]!r},{r[4]!r},{r[5]!r},{int(r[6])},{r[7]},{r[8]!r}\n"
        )
    return "".join(map(fmt, rows)).encode()


def _seqinfo(video: dict[str, Any], name: str, suffix: str) -> str:
    """``seqinfo.ini`` of one video: its name, frame rate, length, size and image suffix."""
    width, height = video["width"], video["height"]
    if video["rotation"] in (90, 270):  # the frames are written turned, as they are shown
        width, height = height, width
    lines = ["[Sequence]", f"name={name}", f"imDir={IMAGE_FOLDER}"]
    fps = video["fps"]
    if fps:
        lines.append(f"frameRate={int(fps) if float(fps).is_integer() else fps}")
    lines.append(f"seqLength={video['num_frames']}")
    if width and height:
        lines += [f"imWidth={width}", f"imHeight={height}"]
    lines.append(f"imExt={suffix}")
    return "\n".join(lines) + "\n"
