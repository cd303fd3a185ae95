"""The file formats VisionLens reads and writes, declared once.

The REST routes, the CLI's choices, the parsers' dispatch, the error messages and the lab's
forms (``GET /formats``) all read these tuples, so a format is added here and in its parser or
writer, nowhere else. Plugin ingest formats join the dataset formats at run time (the plugin
registry). This module imports nothing: the CLI builds its parser from it without importing
the parsers or writers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileFormat:
    """One format: the name a request or ``--format`` gives, and what a form shows."""

    name: str
    title: str
    videos: bool = False
    """An export format that writes videos (a folder per video): it needs a dataset with
    videos, and the lab's export dialog offers it only for one."""


DATASET_FORMATS = (
    FileFormat("coco", "COCO JSON (a file, or FiftyOne's, Label Studio's, Roboflow's folders)"),
    FileFormat("yolo", "YOLO (data.yaml, images/ + labels/, or darknet's lists)"),
    FileFormat("voc", "Pascal VOC (XML per image, segmentation PNGs)"),
    FileFormat("cvat", "CVAT for images XML"),
    FileFormat("dota", "DOTA oriented boxes (labelTxt/ + images/)"),
    FileFormat("yolo-obb", "Ultralytics OBB (YOLO layout, rows class x1 y1 ... x4 y4)"),
    FileFormat("txt", "txt per image: class left top right bottom, pixels"),
    FileFormat("txt-xywh", "txt per image: class left top width height, pixels"),
    FileFormat("classification", "Image classes (class folders, or a CSV/Parquet table)"),
    FileFormat("mot", "MOT Challenge sequences (seqinfo.ini, img1/, gt/gt.txt): tracks"),
    FileFormat("video", "Videos: a folder of mp4/mov/mkv/webm/avi files and image sequences"),
    FileFormat("vis", "YouTube-VIS / TAO JSON (videos of frames, per-frame boxes and masks)"),
)
"""What ``ingest`` reads as a dataset (``auto`` detects among them)."""

PREDICTION_FORMATS = (
    FileFormat("coco", "COCO results JSON (image_id, category_id, bbox, score)"),
    FileFormat("txt", "txt per image: class conf left top right bottom, pixels"),
    FileFormat("txt-xywh", "txt per image: class conf left top width height, pixels"),
    FileFormat("yolo", "txt per image: class conf x_center y_center width height, normalised"),
    FileFormat("txt-rel", "the same as yolo"),
    FileFormat("yolo-conf-last", "Ultralytics' --save-txt --save-conf rows (confidence last)"),
    FileFormat("dota", "DOTA Task1 results (Task1_<class>.txt: image score 4 corners)"),
    FileFormat("yolo-obb", "Ultralytics OBB rows: class x1 y1 ... x4 y4 conf, normalised"),
    FileFormat("classification", "Image classes with scores (a CSV/Parquet table)"),
    FileFormat("mot", "MOT Challenge results (<sequence>.txt: frame,id,x,y,w,h,conf): tracks"),
    FileFormat("vis", "YouTube-VIS results JSON (video_id, category_id, score, segmentations)"),
)
"""What ``predictions`` reads as a model's predictions (``auto`` detects among them)."""

EXPORT_FORMATS = (
    FileFormat("coco", "COCO (labels.json + images)"),
    FileFormat("yolo", "YOLO (Ultralytics data.yaml + split folders)"),
    FileFormat("voc", "Pascal VOC (XML per image)"),
    FileFormat("dota", "DOTA (labelTxt/ + images/: rotated boxes, other boxes as corners)"),
    FileFormat("classification", "Classification folder tree"),
    FileFormat("parquet", "Parquet (samples and labels tables)"),
    FileFormat("mot", "MOT Challenge (a sequence folder per video: gt/gt.txt, img1/)", True),
    FileFormat("cvat-video", "CVAT for video 1.1 (annotations.xml + images/ per video)", True),
)
"""What ``export`` writes."""

VIDEO_EXPORT_FORMATS = tuple(f.name for f in EXPORT_FORMATS if f.videos)
"""Export formats that need videos (refused for a dataset of still images)."""

IMAGE_EXPORT_FORMATS = tuple(f.name for f in EXPORT_FORMATS if not f.videos)
"""Export formats any dataset can write (a video dataset's as its frames' images)."""

AUTO = "auto"
"""The format a read detects (datasets and predictions)."""


def names(formats: tuple[FileFormat, ...]) -> tuple[str, ...]:
    """The formats' names, in order."""
    return tuple(f.name for f in formats)
