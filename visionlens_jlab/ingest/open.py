"""The one entry point to every parser: :func:`open_dataset` and :func:`open_predictions`.

The CLI, the server's ingest jobs and the demo generator call these, then hand the result to
:func:`~visionlens_jlab.catalog.writes.dataset_writer.write_dataset` /
:func:`~visionlens_jlab.catalog.writes.dataset_writer.write_predictions`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .. import formats
from ..formats import names
from ..records.report import IngestError
from .class_names import read_names
from .txt import TXT_FORMATS, list_txt

if TYPE_CHECKING:
    from ..records.parsed import ParsedSource
    from .coco.dataset import coco_category_map
    from .detect import DATASET_FORMATS

PREDICTION_FORMATS = names(formats.PREDICTION_FORMATS)

__all__ = [
    "DATASET_FORMATS",
    "PREDICTION_FORMATS",
    "coco_category_map",
    "open_dataset",
    "open_predictions",
    "read_names",
]


def __getattr__(name: str) -> object:
    """The dataset formats' names and COCO's category map, from their modules on first use:
    an ingest imports the reader of its own format only (the others, and the detection
    that imports them all, ~10 ms, when a format is ``auto`` or asked for)."""
    if name == "DATASET_FORMATS":
        from . import detect

        return detect.DATASET_FORMATS
    if name == "coco_category_map":
        from .coco import dataset

        return dataset.coco_category_map
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_dataset(
    source: str,
    fmt: str = "auto",
    images: str | None = None,
    split: str | None = None,
    image_labels: str | None = None,
    video_index: str | None = None,
) -> ParsedSource:
    """Open a dataset for :func:`~visionlens_jlab.catalog.writes.dataset_writer.write_dataset`.

    ``source``: a COCO json file, FiftyOne's COCO export (``labels.json`` + ``data/``), Label
    Studio's (a .json beside ``images/``); a YOLO root (data.yaml / classes.txt / darknet
    obj.data; ``yolo-obb``: the same layout of Ultralytics OBB rows); a VOC root,
    FiftyOne's VOC export (``labels/`` + ``data/``) or a folder of VOC XMLs; CVAT for images XML (``annotations.xml`` + ``images/``), or CVAT for video (tracks; the task's video or its frames, :mod:`.cvat_video`); a folder of per-image txt files (``txt``: ``class left top right bottom``,
    ``txt-xywh``); ``classification``: a folder-per-class tree or a CSV/Parquet of (file,
    label[, score]); or a dataset of one labelled part per split (:mod:`.split_folders`:
    Roboflow's COCO and VOC, COCO's ``annotations/`` layout, Hugging Face's imagefolder). ``fmt``: ``auto`` or one of
    :data:`DATASET_FORMATS`. ``images``: the images folder (local or ``gs://``) when it is not
    where the format puts it. ``split``: for YOLO/VOC sources with splits, ingest only that
    split; for COCO, the split of images without a per-image ``split`` key; otherwise the
    split given to every sample; when none is given, a source folder named as a split is
    (``.../val``: :func:`.split_folders.folder_split`), as it would be were its parent given,
    unless it has splits of its own and none of that name (then all of it, with those).
    ``image_labels``: a CSV/Parquet of (file, label) whose
    labels become the samples' ground-truth image labels (:mod:`.image_labels`). ``mot``: MOT
    Challenge sequences (:mod:`.mot`); ``video``: a folder of video files and image
    sequences (:mod:`.video_folder`, also a ``gs://`` folder; the only format read from one):
    every frame one sample; ``vis``: YouTube-VIS / TAO
    JSON (:mod:`.vis`), ``images`` its frames' folder. Raises :class:`IngestError` with a clear
    message when the source cannot be opened; problems inside are in ``parsed.report``.
    ``video_index``: the folder where the frame indexes of the video files probed are kept
    for the server (its data folder's :data:`~visionlens_jlab.config.VIDEO_INDEX_DIR`), so
    their first view does not probe them again; None: not kept.
    """
    parsed = None
    named = None if split is not None else _folder_split(source)
    if named is not None:
        try:  # ".../val" given: its samples are val's, as were its parent given
            parsed = _open_dataset(source, fmt, images, named, video_index)
        except IngestError:
            pass  # a dataset with splits of its own, none named as its folder: all of it
    if parsed is None:
        parsed = _open_dataset(source, fmt, images, split, video_index)
    if image_labels:
        from .image_labels import WithImageLabels

        parsed = WithImageLabels(parsed, open_predictions(image_labels, "classification"))
    return parsed


def _folder_split(source: object) -> str | None:
    """The split a local source folder's own name means (:func:`.split_folders.folder_split`)."""
    if not isinstance(source, str) or source.startswith("gs://"):
        return None
    source = os.path.expanduser(source)
    if not os.path.isdir(source):
        return None
    from .split_folders import folder_split

    return folder_split(source)


def _open_dataset(
    source: str, fmt: str, images: str | None, split: str | None, video_index: str | None
) -> ParsedSource:
    if not isinstance(source, str) or not source:
        raise IngestError("no source path given")
    source = os.path.expanduser(source)
    if source.startswith("gs://"):
        if fmt in (None, "", "auto", "video"):  # a folder of videos: no labels to read
            from .video_folder import VideoFolder

            return VideoFolder(source, split, video_index)
        # Labels are read from local files; only media (--images) may live in GCS.
        raise IngestError(
            f"{source}: a {fmt} dataset is read from a local folder or file (a gs:// source "
            "is a folder of videos, --format video); keep the labels locally and pass the "
            "gs:// folder of the images (or CVAT's task video) with --images, or mount the "
            "bucket (gcsfuse) and ingest the mounted folder"
        )
    if fmt in (None, "", "auto"):
        from .class_table import is_table
        from .detect import detect_dataset_format, detect_plugin_format

        try:
            fmt = detect_dataset_format(source)
        except IngestError as exc:
            found = detect_plugin_format(source) if os.path.exists(source) else None
            if found is None:
                raise exc from None
            fmt = found
        if fmt == "classification" and is_table(source):
            # Any .csv/.parquet reads as a table of (file, label): a weak guess, so a plugin
            # format that claims the file (a CSV of boxes, say) comes first.
            fmt = detect_plugin_format(source) or fmt
    if not os.path.exists(source):
        raise IngestError(f"{source} does not exist")
    # each format's reader is imported when asked for: an ingest needs its own only
    if fmt == "coco":
        from .coco.dataset import CocoDataset
        from .detect import coco_export_file
        from .split_folders import (
            SplitFolders,
            coco_annotation_files,
            coco_split_files,
            folder_split,
            split_coco_file,
        )

        if os.path.isdir(source):
            exported = coco_export_file(source)
            if exported is not None:
                data = os.path.join(source, "data")
                return CocoDataset(
                    exported, images or (data if os.path.isdir(data) else None), split
                )
            parts = coco_split_files(source) or coco_annotation_files(source)
            if parts:
                return SplitFolders("coco", source, parts, CocoDataset, images, split)
            part = split_coco_file(source)  # one split folder of Roboflow's export
            if part is not None:
                return CocoDataset(part, images, split)
            raise IngestError(f"{source} is a folder: pass the COCO .json file")
        parent = os.path.dirname(os.path.abspath(source))
        if split is None and split_coco_file(parent) == os.path.abspath(source):
            split = folder_split(parent)  # valid/_annotations.coco.json: valid's samples
        return CocoDataset(source, images, split)
    if fmt in ("yolo", "yolo-obb"):
        from .yolo import YoloDataset

        return YoloDataset(source, images, split, obb=fmt == "yolo-obb")
    if fmt == "voc":
        from .split_folders import SplitFolders, voc_split_folders
        from .voc import VocDataset

        parts = voc_split_folders(source)
        if parts:
            return SplitFolders("voc", source, parts, VocDataset, images, split)
        return VocDataset(source, images, split)
    if fmt == "cvat":
        from .cvat import CvatDataset, cvat_file
        from .cvat_video import CvatVideo, is_cvat_video

        xml = cvat_file(source) if os.path.isdir(source) else source
        if xml is not None and is_cvat_video(xml):  # tracks: CVAT for video
            return CvatVideo(xml, images, split, video_index)
        return CvatDataset(source, images, split)
    if fmt == "dota":
        from .dota import DotaSource

        return DotaSource(source, images, split)
    if fmt == "mot":
        from .mot import MotDataset

        return MotDataset(source, split)
    if fmt == "video":
        from .video_folder import VideoFolder

        return VideoFolder(source, split, video_index)
    if fmt == "vis":
        from .vis import VisDataset

        return VisDataset(source, images, split)
    if fmt in ("txt", "txt-xywh"):
        from .txt import TxtSource

        return TxtSource(source, fmt, images_root=images, split=split)
    if fmt == "classification":
        from .class_table import ClassificationTable
        from .class_tree import ClassificationTree
        from .split_folders import SplitFolders, table_split_files

        tables = table_split_files(source) if os.path.isdir(source) else None
        if tables:
            return SplitFolders(
                "classification", source, tables, ClassificationTable, images, split
            )
        if os.path.isdir(source):
            return ClassificationTree(source, split)
        return ClassificationTable(source, images, split)
    return open_plugin_format(source, fmt, images, split)


def open_plugin_format(
    source: str, fmt: str, images: str | None, split: str | None
) -> ParsedSource:
    """Open ``source`` with the plugin ingest format ``fmt``; its failures become
    :class:`IngestError` naming the plugin."""
    from ..plugins.api import IngestFormatContext
    from ..plugins.registry import default_registry

    found = default_registry().ingest_formats.get(fmt)
    if found is None:
        from .detect import DATASET_FORMATS

        known = [*DATASET_FORMATS, *sorted(default_registry().ingest_formats)]
        raise IngestError(f"unknown dataset format {fmt!r}; use auto or one of {', '.join(known)}")
    plugin, ingest_format = found
    try:
        parsed = ingest_format.open(
            context=IngestFormatContext(source=source, images=images, split=split)
        )
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(
            f"format {fmt} of plugin {plugin} could not open {source}: {type(exc).__name__}: {exc}"
        ) from exc
    # DuckDB validates a plugin's JSON columns on insert, whatever the plugin declares (and
    # a plugin's parser that is no ParsedBase may declare nothing: the writer reads the field)
    parsed.json_checked = False
    return parsed


def open_predictions(
    source: str,
    fmt: str = "auto",
    classes: list[str] | str | None = None,
    categories: dict[int, str] | None = None,
    keypoint_classes: dict[str, int] | None = None,
    videos: dict[str, str] | None = None,
    frames: dict[str, str] | None = None,
) -> ParsedSource:
    """Open model predictions for :func:`~visionlens_jlab.catalog.writes.dataset_writer.write_predictions`.

    ``fmt``: ``auto``, ``coco`` (results list or dataset dict with ``score``), ``txt``
    (``class conf left top right bottom``), ``txt-xywh`` (``class conf left top w h``),
    ``yolo``/``txt-rel`` (``class conf xc yc w h`` normalised), ``yolo-conf-last``
    (Ultralytics' ``predict --save-txt --save-conf``: detection, segmentation and pose rows
    ending with the confidence), ``dota`` (DOTA's Task1 results: ``Task1_<class>.txt`` files
    of ``image score x1 y1 ... x4 y4``, oriented boxes), ``yolo-obb`` (Ultralytics'
    ``predict task=obb save_txt save_conf``: ``class x1 y1 ... x4 y4 conf`` normalised,
    oriented boxes), ``mot`` (a tracker's MOT results: ``<sequence>.txt`` files or one, boxes
    with a track identity; ``auto`` when their rows are comma-separated), ``vis`` (YouTube-VIS
    results: a JSON list of tracks, one mask per frame; ``auto`` when its first result names
    a ``video_id``, or a ``track_id``: TAO's per-frame results, their frames found by
    ``frames``), ``classification`` (a CSV/Parquet
    of file, label, score or of per-class scores). ``classes``: class names (or a
    names-file path) that integer class ids index into. ``categories``: COCO ``{category_id: name}`` for a bare COCO results list
    (the ground truth's; see :func:`coco_category_map`). ``keypoint_classes``: ``{class: K}``
    of the dataset's keypoint classes (what makes a ``yolo-conf-last`` row a pose row). A
    folder without txt files but with a ``labels/`` of them (Ultralytics'
    ``runs/<task>/predict``) means its ``labels/``.
    """
    if not isinstance(source, str) or not source:
        raise IngestError("no predictions path given")
    source = os.path.expanduser(source)
    if isinstance(classes, str):
        classes = read_names(classes)
    labels = os.path.join(source, "labels")
    if os.path.isdir(labels) and not list_txt(source):  # Ultralytics' runs/<task>/predict
        source = labels
    if fmt in (None, "", "auto"):
        from .detect import detect_predictions_format

        fmt = detect_predictions_format(source)
    if not os.path.exists(source):
        raise IngestError(f"{source} does not exist")
    if fmt == "coco":
        from .coco.predictions import CocoPredictions

        return CocoPredictions(source, categories, classes)
    if fmt in TXT_FORMATS:
        from .txt import TxtSource

        return TxtSource(source, fmt, predictions=True, classes=classes)
    if fmt in ("yolo-conf-last", "yolo-obb"):
        from .yolo_predictions import YoloPredictions

        if fmt == "yolo-obb":
            return YoloPredictions(source, classes, obb=True)
        return YoloPredictions(source, classes, keypoint_classes)
    if fmt == "dota":
        from .dota_predictions import DotaPredictions

        return DotaPredictions(source)
    if fmt == "classification":
        from .class_table import ClassificationPredictions

        return ClassificationPredictions(source, classes)
    if fmt == "mot":
        from .mot_predictions import MotPredictions

        return MotPredictions(source)
    if fmt == "vis":
        from .vis_predictions import VisPredictions

        return VisPredictions(source, categories, videos, frames)
    raise IngestError(
        f"unknown predictions format {fmt!r}; use auto or one of {', '.join(PREDICTION_FORMATS)}"
    )
