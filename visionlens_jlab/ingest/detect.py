"""Guess the format of a dataset or predictions path, or say clearly what was looked for."""

from __future__ import annotations

import os

import ijson

from .. import formats
from ..formats import names
from ..records.report import IngestError
from .class_names import NAME_FILES
from .class_table import TABLE_EXTENSIONS
from .class_tree import tree_splits
from .cvat import cvat_file, is_cvat_xml
from .dota import label_folder
from .dota_predictions import task1_files
from .images import list_images
from .mot import find_sequences
from .mot_fast import UTF16_BOMS
from .split_folders import (
    COCO_SPLIT_FILE,
    coco_annotation_files,
    coco_split_files,
    split_coco_file,
    table_split_files,
    voc_split_folders,
)
from .txt import list_txt
from .video_folder import video_files
from .vis import is_vis_json, vis_file
from .voc_layout import is_fiftyone_voc
from .voc_masks import has_segmentation
from .yolo_layout import YAML_FILES

DATASET_FORMATS = names(formats.DATASET_FORMATS)
LOOKED_FOR = (
    "a COCO .json file, a folder of labels.json + data/ (FiftyOne's export) or of one .json "
    "+ images/ (Label Studio's) or of split "
    f"folders each with a COCO file ({COCO_SPLIT_FILE}, Roboflow's export), or COCO's "
    "annotations/instances_<split>.json beside <split>/ or images/<split>/; a YOLO root "
    "(data.yaml, obj.data, images/ + labels/, obj_*_data/); a VOC root (Annotations/ + "
    "JPEGImages/, or SegmentationClass/ / SegmentationObject/ PNGs), FiftyOne's VOC export (labels/ + data/), a folder of VOC .xml files or of "
    "split folders holding them (Roboflow's); CVAT for images XML (annotations.xml + images/); "
    "DOTA (labelTxt/ + images/); "
    "a folder of per-image txt files (class left top right bottom); a classification tree "
    "(<class>/<image> for 2 classes or more, optionally under train/ val/ test/; --format "
    "classification for one), a .csv/.parquet of file, label or split folders each holding "
    "one (Hugging Face's imagefolder: train/metadata.csv); MOT Challenge sequences "
    "(seqinfo.ini or img1/, gt/gt.txt); a folder of video files (.mp4 .mov .mkv .webm .avi); "
    "YouTube-VIS / TAO JSON (a top-level 'videos' list)"
)
COCO_EXPORT_FILE = "labels.json"
"""The COCO file of FiftyOne's COCODetectionDataset export (beside its ``data/`` folder)."""
NOT_COCO_FILES = ("data.json", "notes.json")
"""JSON files exporters write beside their labels (Label Studio's YOLO export's class list)."""


def coco_export_file(path: str) -> str | None:
    """The COCO file of a folder exported as FiftyOne writes COCO (``labels.json`` beside
    ``data/``), or the folder's only .json file beside ``data/``, or beside ``images/`` with
    no ``labels/`` (Label Studio's COCO export: ``result.json``); else None."""
    if os.path.isdir(os.path.join(path, "data")):
        if os.path.isfile(os.path.join(path, COCO_EXPORT_FILE)):
            return os.path.join(path, COCO_EXPORT_FILE)
    elif not os.path.isdir(os.path.join(path, "images")) or os.path.isdir(
        os.path.join(path, "labels")
    ):
        return None
    jsons = [e for e in os.listdir(path) if e.lower().endswith(".json") and e not in NOT_COCO_FILES]
    return os.path.join(path, jsons[0]) if len(jsons) == 1 else None


def detect_dataset_format(path: str) -> str:
    """``coco``, ``yolo``, ``voc``, ``cvat``, ``dota``, ``txt``, ``classification``, ``mot``
    (sequence folders), ``video`` (a folder of video files) or ``vis`` (a JSON file, or a
    folder's only one, with a top-level ``videos`` list) for a dataset path, else
    :class:`IngestError`."""
    if not os.path.exists(path):
        raise IngestError(f"{path} does not exist")
    if os.path.isfile(path):
        low = path.lower()
        if low.endswith(".json"):
            return "vis" if is_vis_json(path) else "coco"
        if low.endswith(TABLE_EXTENSIONS):
            return "classification"
        if low.endswith((".yaml", ".yml", ".data")):
            return "yolo"
        if low.endswith(".xml"):
            if is_cvat_xml(path):
                return "cvat"
            raise IngestError(f"{path}: give the folder that holds the VOC .xml files")
        raise IngestError(f"cannot tell the format of {path}; expected {LOOKED_FOR}")
    entries = set(os.listdir(path))
    if find_sequences(path):
        return "mot"
    if "Annotations" in entries or is_fiftyone_voc(path) or has_segmentation(path):
        return "voc"
    if cvat_file(path):
        return "cvat"
    if label_folder(path):
        return "dota"
    if entries & set(YAML_FILES) or "obj.data" in entries:
        return "yolo"
    if coco_export_file(path):
        return "coco"
    if "labels" in entries and os.path.isdir(os.path.join(path, "labels")):
        return "yolo"
    if any(e.startswith("obj_") and e.endswith("_data") for e in entries):
        return "yolo"
    if coco_split_files(path) or coco_annotation_files(path):
        return "coco"
    if voc_split_folders(path):
        return "voc"
    if any(e.lower().endswith(".xml") for e in entries):
        return "voc"
    if video_files(path):
        return "video"
    if vis_file(path):
        return "vis"
    if split_coco_file(path):  # one split folder of Roboflow's COCO export
        return "coco"
    jsons = [e for e in entries if e.lower().endswith(".json")]
    if len(jsons) == 1:
        raise IngestError(f"{path} holds one COCO file: pass the file itself, {jsons[0]}")
    txts = list_txt(path)
    if txts:
        return "yolo" if _looks_normalised(path, txts) and (entries & set(NAME_FILES)) else "txt"
    if table_split_files(path) or tree_splits(path, min_classes=2) is not None:
        return "classification"
    hint = " (it holds only images)" if list_images(path) else ""
    raise IngestError(f"cannot tell the format of {path}{hint}: looked for {LOOKED_FOR}")


def detect_plugin_format(path: str) -> str | None:
    """The first plugin ingest format (by name) whose ``detect`` claims ``path``, if any.

    Asked only when no built-in format fits, so a plugin cannot take COCO/YOLO/VOC sources
    away; a detector that raises counts as "not mine".
    """
    from ..plugins.registry import default_registry

    for name, (_plugin, fmt) in sorted(default_registry().ingest_formats.items()):
        try:
            if fmt.detect(path):
                return name
        except Exception:  # a broken detector must not break detection of the others
            continue
    return None


def detect_predictions_format(path: str) -> str:
    """``coco`` for a .json file (``vis`` when its first result names a ``video_id``: YouTube-VIS
    results, or a ``track_id``: TAO's per-frame results), ``classification`` for a table,
    ``mot`` for a tracker's MOT results (a .txt file, or a folder of them, of ``frame, id,
    x, y, w, h, conf`` rows, :func:`_is_mot_results`); for another txt folder ``dota``
    (DOTA's Task1 results: every file ``Task1_<class>.txt``, or most rows an image, a score
    and 4 corners in pixels), ``txt``, ``txt-xywh``, ``yolo`` or ``yolo-conf-last``
    (Ultralytics' rows: polygons or keypoints, longer than a box, every value normalised; or
    boxes with the confidence last)."""
    if not os.path.exists(path):
        raise IngestError(f"{path} does not exist")
    if os.path.isfile(path):
        if path.lower().endswith(".json"):
            return "vis" if _first_result_key(path) == "video_id" else "coco"
        if path.lower().endswith(TABLE_EXTENSIONS):
            return "classification"
        if path.lower().endswith(".txt") and _is_mot_results(path):
            return "mot"
        raise IngestError(
            f"cannot tell the predictions format of {path}: expected a COCO or YouTube-VIS "
            "results .json, a classification .csv/.parquet, a MOT results .txt or a folder "
            "of per-image txt files"
        )
    txts = list_txt(path)
    data = os.path.join(path, "data")  # a tracker's folder in TrackEval's layout
    if not txts and os.path.isdir(data) and _is_mot_folder(data):
        return "mot"
    if not txts:
        raise IngestError(f"{path} holds no .json or per-image .txt predictions")
    if _is_mot_folder(path, txts):
        return "mot"
    if len(task1_files(txts)) == len(txts):
        return "dota"
    rows = _sample_rows(path, txts, 200)
    if rows and any(len(r) > 6 for r in rows) and all(-0.5 <= v <= 2.0 for r in rows for v in r):
        return "yolo-conf-last"
    # normalised coordinates may overshoot 1 a little (boxes leaving the image); pixel
    # coordinates of a whole folder all below 2 are not plausible
    if rows and all(len(r) == 6 and all(-0.5 <= v <= 2.0 for v in r[2:]) for r in rows):
        # class conf xc yc w h (Padilla) or class xc yc w h conf (Ultralytics): the layout
        # whose boxes lie inside the image (Ultralytics clips them) in more rows
        last = sum(_inside(r[1:5]) for r in rows)
        return "yolo-conf-last" if last > sum(_inside(r[2:6]) for r in rows) else "yolo"
    if rows and any(len(r) == 6 and (r[4] <= r[2] or r[5] <= r[3]) for r in rows):
        return "txt-xywh"  # "right <= left" is impossible for corners: these are widths
    if rows and sum(len(r) == 10 for r in rows) > len(rows) / 2:
        return "dota"  # image score and 4 corners in pixels: DOTA's <class>.txt results
    return "txt"


def _first_result_key(path: str) -> str | None:
    """``image_id`` or ``video_id``, whichever the first object of JSON list ``path`` names
    first (COCO results name images, YouTube-VIS results videos), ``video_id`` for one with
    a ``track_id`` (TAO's per-frame results, which the YouTube-VIS reader reads); None for
    anything else. Streamed: only the first object is read."""
    found = None
    try:
        with open(path, "rb") as f:
            for prefix, event, value in ijson.parse(f):
                if prefix == "" and event != "start_array":
                    return None
                if prefix == "item" and event == "map_key":
                    if value == "track_id":
                        return "video_id"
                    if value in ("image_id", "video_id"):
                        found = found or str(value)
                if prefix == "item" and event == "end_map":
                    return found
    except (OSError, ijson.JSONError):
        return None
    return found


def _is_mot_folder(path: str, txts: list[str] | None = None) -> bool:
    """Whether folder ``path``'s .txt files (``txts``, else listed) are MOT results."""
    txts = list_txt(path) if txts is None else txts
    return bool(txts) and all(_is_mot_results(os.path.join(path, t)) for t in txts[:20])


def _is_mot_results(path: str, lines: int = 5) -> bool:
    """Whether the first rows of ``path`` are MOT Challenge rows as the MOT reader reads
    them: at least ``frame, id, x, y, w, h`` numbers, frame and id whole, comma-separated
    (a trailing comma allowed), or separated by tabs or spaces in rows of 7 or more values
    (a tracker's score among them: a per-image txt row of a box has at most 6, and its
    second value is a score or a normalised coordinate, not a whole id); after a header
    line if there is one (``frame,id,...``, as pandas writes it: the MOT reader skips it);
    NUL bytes ending a line (trailing padding) are no values."""
    seen = 0
    header = False
    try:
        with open(path, "rb") as head:
            utf16 = head.read(2).startswith(UTF16_BOMS)  # PowerShell's "> results.txt"
        with open(path, encoding="utf-16" if utf16 else "utf-8-sig", errors="replace") as f:
            for line in f:
                # NUL padding after the rows (a writer that crashed, a preallocated file):
                # no rows, as the MOT reader reads it (mot_fast.trailing_nuls)
                line = line.rstrip("\x00")
                if not line.strip():
                    continue
                values = _row_values(line)
                if values is None:
                    if seen or header:
                        return False
                    header = True
                    continue
                spaced = "," not in line
                if len(values) < (7 if spaced else 6) or not (
                    values[0].is_integer() and values[1].is_integer()
                ):
                    return False
                seen += 1
                if seen == lines:
                    break
    except OSError:
        return False
    return seen > 0


def _row_values(line: str) -> list[float] | None:
    """A text row's numbers, split as the MOT reader splits them (a comma, else tabs or
    spaces; one trailing comma is no value), or None where one is no number."""
    parts = line.split(",") if "," in line else line.split()
    if len(parts) > 1 and not parts[-1].strip():
        parts = parts[:-1]
    try:
        return [float(v) for v in parts]
    except ValueError:
        return None


def _inside(box: list[float], slack: float = 1e-3) -> bool:
    """Whether a normalised ``xc yc w h`` box has an area and lies inside the image."""
    xc, yc, w, h = box
    return (
        w > 0
        and h > 0
        and xc - w / 2 >= -slack
        and yc - h / 2 >= -slack
        and xc + w / 2 <= 1 + slack
        and yc + h / 2 <= 1 + slack
    )


def _sample_rows(path: str, txts: list[str], limit: int) -> list[list[float]]:
    rows: list[list[float]] = []
    for name in txts[:50]:
        try:
            with open(os.path.join(path, name), encoding="utf-8-sig", errors="replace") as f:
                for line in f.read().splitlines():
                    parts = line.split()
                    try:
                        rows.append([0.0] + [float(v) for v in parts[1:]])
                    except ValueError:
                        continue
                    if len(rows) >= limit:
                        return rows
        except OSError:
            continue
    return rows


def _looks_normalised(path: str, txts: list[str]) -> bool:
    """Whether the sampled rows are YOLO's: boxes (5 fields) or polygons (class and at least
    3 x y points), every coordinate near [0, 1]."""
    rows = _sample_rows(path, txts, 50)
    return bool(rows) and all(
        (len(r) == 5 or (len(r) >= 7 and len(r) % 2)) and all(-0.5 <= v <= 2.0 for v in r[1:])
        for r in rows
    )
