"""The classes of a semantic dataset: names, colours and how a mask's pixel values map to
class indices, for the known datasets (Pascal VOC's 21 classes and palette, Cityscapes'
19 evaluated classes from its label ids, ADE20K's 150 classes after 0 = other) and for a
classes file.

A class index is what the evaluation counts (``0 .. C-1``); :data:`IGNORE` and any value
past the classes are left out of every metric. A ``value_map`` (256 entries, pixel value →
class index) is stored with a source whose PNG values are not the indices themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# the labelmap's parser is the dataset ingest's too (a VOC root beside a CVAT labelmap)
from ..ingest.labelmap import LABELMAP_FILE as LABELMAP_FILE
from ..ingest.labelmap import read_labelmap as parse_labelmap
from ..ingest.labelmap import voc_colors as voc_colors

IGNORE = 255
"""The default ignore index (VOC's void border, Cityscapes' unevaluated ids)."""

VOC_CLASSES = (
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
    "sheep", "sofa", "train", "tvmonitor",
)  # fmt: skip

CITYSCAPES_CLASSES = (
    "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign",
    "vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train",
    "motorcycle", "bicycle",
)  # fmt: skip

CITYSCAPES_COLORS = (
    (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153),
    (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152),
    (70, 130, 180), (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100),
    (0, 80, 100), (0, 0, 230), (119, 11, 32),
)  # fmt: skip

CITYSCAPES_TRAIN_IDS = (7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33)
"""The label id of each evaluated class, in train-id order (cityscapesScripts' labels.py);
every other label id is ignored."""


@dataclass(frozen=True)
class ClassSet:
    """A dataset's classes and how its PNG values become class indices."""

    names: tuple[str, ...]
    colors: tuple[tuple[int, int, int], ...]
    ignore_index: int = IGNORE
    value_map: tuple[int, ...] | None = None
    """Pixel value → class index (256 entries), None where the values are the indices."""


def default_ignore_clash(classes: ClassSet) -> str | None:
    """Why ``classes`` cannot keep the default ignore index, :data:`IGNORE`: class 255 of
    a class file of 256 or more (16-bit masks: ADE20K-full, say), whose pixels no metric
    would count; None where it can."""
    if classes.value_map is not None or len(classes.names) <= IGNORE:
        return None
    return (
        f"{len(classes.names)} classes: class {IGNORE} ({classes.names[IGNORE]!r}) is the "
        "default ignore index, left out of every metric; give --ignore-index (a value no "
        f"class has, as 65535, or {IGNORE} to leave that class out)"
    )


def voc_classes(ignore_index: int = IGNORE) -> ClassSet:
    """Pascal VOC: 21 classes, PNG values are the indices, 255 the void border."""
    return ClassSet(VOC_CLASSES, voc_colors(len(VOC_CLASSES)), ignore_index)


def cityscapes_classes(ignore_index: int = IGNORE) -> ClassSet:
    """Cityscapes ``*_gtFine_labelIds.png``: the 19 evaluated classes by their train ids;
    every other label id (void, license plate, the classes the benchmark leaves out) maps
    to ``ignore_index``."""
    # the value map sends the unevaluated ids to the ignore index itself: every reader of
    # the mapped masks (evaluation, overlay, label quality) leaves out that one value
    value_map = [ignore_index] * 256
    for train_id, label_id in enumerate(CITYSCAPES_TRAIN_IDS):
        value_map[label_id] = train_id
    return ClassSet(CITYSCAPES_CLASSES, CITYSCAPES_COLORS, ignore_index, tuple(value_map))


def cityscapes_train_classes(ignore_index: int = IGNORE) -> ClassSet:
    """Cityscapes ``*_gtFine_labelTrainIds.png`` (cityscapesScripts'
    ``createTrainIdLabelImgs``, which mmsegmentation's converter runs): the values are the
    19 train ids themselves and 255 every other label (its ``labels.py``: trainId 255), which
    maps to ``ignore_index``."""
    if ignore_index == IGNORE:
        return ClassSet(CITYSCAPES_CLASSES, CITYSCAPES_COLORS)
    value_map = tuple(ignore_index if v == IGNORE else v for v in range(256))
    return ClassSet(CITYSCAPES_CLASSES, CITYSCAPES_COLORS, ignore_index, value_map)


def ade20k_classes(names: tuple[str, ...], ignore_index: int = IGNORE) -> ClassSet:
    """ADE20K (SceneParsing): value 0 is "other" and maps to ``ignore_index``, value ``k``
    is class ``k-1``."""
    value_map = [ignore_index, *range(255)]
    return ClassSet(names, voc_colors(len(names) + 1)[1:], ignore_index, tuple(value_map))


def read_class_file(path: str | Path) -> tuple[str, ...]:
    """Class names from a file: one name a line (line ``i``: pixel value / class ``i``), or
    ADE20K's ``objectInfo150.csv`` (its ``Name`` column, the first of ``;``-separated
    synonyms)."""
    text = Path(path).read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    if lines and lines[0].lower().startswith("idx,"):
        header = lines[0].split(",")
        column = header.index("Name")
        return tuple(line.split(",")[column].split(";")[0] for line in lines[1:] if line)
    names = tuple(line for line in lines if line)
    if not names:
        raise ValueError(f"{path}: no class names (one name a line)")
    return names


def read_labelmap(path: Path, ignore_index: int = IGNORE) -> ClassSet:
    """The classes of a CVAT / Datumaro ``labelmap.txt``: names and colours in its order
    (:func:`visionlens_jlab.ingest.labelmap.read_labelmap`, whose :class:`ValueError` names
    the line of a label or colour given twice)."""
    labelmap = parse_labelmap(path)
    return ClassSet(labelmap.names, labelmap.colors, ignore_index)
