"""Where the parts of a Pascal VOC dataset are: the XML folder (a VOC root's Annotations/,
FiftyOne's labels/, or the folder itself), the images, the split lists of
``ImageSets/Main`` (detection) and ``ImageSets/Segmentation`` (segmentation), and a CVAT or
Datumaro export's ``labelmap.txt``."""

from __future__ import annotations

import os
from pathlib import Path

from ..records.report import IngestError
from .labelmap import LABELMAP_FILE, Labelmap, read_labelmap

_SPLIT_ORDER = ("train", "val", "test", "trainval")


def is_fiftyone_voc(path: str) -> bool:
    """Whether ``path`` is FiftyOne's VOC export: ``labels/`` of XML files beside ``data/``."""
    labels = os.path.join(path, "labels")
    if not os.path.isdir(labels) or not os.path.isdir(os.path.join(path, "data")):
        return False
    return any(n.lower().endswith(".xml") for n in os.listdir(labels))


def default_images(path: str, is_root: bool, exported: bool) -> str:
    """The images folder of a VOC root, an export or a folder of XMLs (and the usual
    neighbours), when none is given."""
    if exported:
        return os.path.join(path, "data")
    candidates = [os.path.join(path, "JPEGImages")] if is_root else []
    candidates += [
        os.path.join(path, "images"),
        os.path.join(path, "..", "JPEGImages"),
        os.path.join(path, "..", "images"),
        os.path.join(path, "..", "..", "images"),
    ]
    for c in candidates:
        if os.path.isdir(c):
            return os.path.normpath(c)
    return os.path.normpath(candidates[0] if is_root else path)


def read_splits(root: str, kind: str = "Main") -> dict[str, str]:
    """``{image id: split}`` from ImageSets/<kind>/{train,val,test}.txt (trainval if alone);
    ``kind``: ``Main`` or ``Segmentation``."""
    main = os.path.join(root, "ImageSets", kind)
    try:
        names = os.listdir(main)
    except OSError:
        return {}
    lists = {os.path.splitext(n)[0]: n for n in names if n.endswith(".txt") and "_" not in n}
    order = [s for s in _SPLIT_ORDER if s in lists]
    if "trainval" in order and ("train" in order or "val" in order):
        order.remove("trainval")
    order += sorted(s for s in lists if s not in _SPLIT_ORDER)
    out: dict[str, str] = {}
    for split in order:
        with open(os.path.join(main, lists[split]), encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if parts:
                    out.setdefault(parts[0], split)
    return out


def export_labelmap(root: str) -> Labelmap | None:
    """The ``labelmap.txt`` of a VOC root exported by CVAT or Datumaro (its classes and the
    colours of its masks), None where there is none; one that cannot be used (a label or a
    colour given twice, a colour that is no r,g,b) is an :class:`IngestError` naming the
    line, as its masks could not be read without guessing."""
    path = Path(root) / LABELMAP_FILE
    if not path.is_file():
        return None
    try:
        return read_labelmap(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise IngestError(
            f"{exc} (fix {LABELMAP_FILE}: its colours map mask pixels to classes)"
        ) from None
