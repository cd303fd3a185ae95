"""What the ``category_id`` of a bare COCO results list means on a dataset whose classes
have no COCO ids (YOLO, VOC, a folder of class folders): a position in its class list,
counted as the tool that wrote the file counts.

COCO ids count from 1, and so do the tools that write results for such datasets: Ultralytics'
``val(save_json=True)`` writes class ``c`` as ``c + 1`` (``list(range(1, nc + 1))``), and
VisionLens' own COCO export numbers classes from 1. On COCO itself in YOLO layout (80
classes) Ultralytics writes COCO's 91 ids instead (``coco80_to_coco91_class``). A file with
an id 0 counts from 0. Which reading was taken is a report warning, so that a wrong guess
shows before anyone trusts the numbers.
"""

from __future__ import annotations

import mmap
import re

from ...records.report import IngestReport

COCO_GAPS = (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)
"""The ids 1-90 COCO left unused: its 80 classes are the others, in order."""
COCO_91_IDS = tuple(i for i in range(1, 91) if i not in COCO_GAPS)
"""COCO's category id of each of its 80 classes, in the order of their names."""

_CATEGORY_ID = re.compile(rb'"category_id"\s*:\s*(-?\d+)')


def category_ids_in(path: str) -> set[int]:
    """The distinct integer ``category_id`` values of the JSON file ``path`` (a scan of its
    bytes: a results list holds nothing else of that name)."""
    with open(path, "rb") as file:
        try:
            view = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            return set()
        with view:
            return {int(m.group(1)) for m in _CATEGORY_ID.finditer(view)}


def positional_category_ids(path: str, classes: list[str], report: IngestReport) -> dict[int, str]:
    """``{category_id: class name}`` for the results list ``path`` on a dataset of
    ``classes`` (in their order): from 0 if an id is 0, COCO's 91 ids for 80 classes and
    ids past 80 that are all COCO's, else from 1; the reading taken is a warning."""
    ids = category_ids_in(path)
    if 0 in ids:
        reading = "from 0 (the file has an id 0)"
        mapping = dict(enumerate(classes))
    elif (
        len(classes) == len(COCO_91_IDS)
        and max(ids, default=0) > len(classes)
        and ids <= set(COCO_91_IDS)
    ):
        reading = "as COCO's 91 ids of its 80 classes (as Ultralytics writes them for COCO)"
        mapping = dict(zip(COCO_91_IDS, classes, strict=True))
    else:
        reading = "from 1, as COCO ids and Ultralytics' save_json count"
        mapping = {i + 1: name for i, name in enumerate(classes)}
    known = sorted(ids & set(mapping))
    report.warn(
        "coco_category_ids_by_position",
        "the dataset's classes have no COCO ids: the results' category ids are counted "
        f"{reading} in its class list",
        f"category_id {known[0]} is {mapping[known[0]]!r}" if known else None,
    )
    return mapping
