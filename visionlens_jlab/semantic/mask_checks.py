"""What a label map must be before it is stored: a label map (not a colour image, unless
its source's masks are painted in its classes' colours: each colour then a class's) whose
every value, through its source's value map, is a class or the ignore index.

The masks stay files that the evaluation, the overlay and label quality read later: a value
no class names would be left out of every metric silently (a ground truth's) or stop an
evaluation of the whole dataset (a prediction's), so each is read once here and refused,
naming the file, the value and the fix, before anything is written.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..records.report import IngestError
from .classes import IGNORE, ClassSet
from .label_maps import (
    ColorTable,
    LabelMapError,
    UnknownColorError,
    read_label_map,
    shown_colors,
)
from .records import value_lut


def unknown_values(raw: np.ndarray, classes: ClassSet) -> list[int]:
    """The pixel values of ``raw`` (as in the file) that ``classes``' value map sends to
    no class and no ignored value, sorted. The ignored values are the ignore index and 255,
    the void of VOC and of most tools, kept void under another ``--ignore-index`` (VOC read
    with ``--ignore-index 0`` still has its 255 border), as the evaluation leaves it out."""
    lut = value_lut(classes.ignore_index, classes.value_map)
    mapped = raw if lut is None else lut[raw]
    count = len(classes.names)
    if mapped.size == 0 or int(mapped.max()) < count:  # the common case: one pass
        return []
    bad = (mapped >= count) & (mapped != classes.ignore_index) & (mapped != IGNORE)
    return sorted(int(v) for v in np.unique(raw[bad]))


TRUTH_FIX = (
    "name every class (classes.txt or --classes, line i for value i) or set --ignore-index "
    "to the value left out"
)
"""What a ground truth whose values are no class needs."""
COLOR_FIX = (
    "add each colour to labelmap.txt as a class (a line name:r,g,b::), or repaint those "
    "pixels with a class's colour"
)
"""What a CVAT export's ground truth painted in colours of no class needs."""
VOC_COLOR_FIX = (
    "a VOC mask saved as RGB holds VOC's palette colours only (class i in colour i, the "
    "border (224,224,192)); repaint those pixels, or give the colours with a labelmap.txt "
    "beside SegmentationClass/ (--layout cvat)"
)
"""What a VOC ground truth painted in colours of no class needs."""


def checked_label_map(
    location: str,
    classes: ClassSet,
    fix: str = TRUTH_FIX,
    colors: ColorTable | None = None,
    color_fix: str = COLOR_FIX,
) -> np.ndarray:
    """The mask at ``location`` as stored in its file (an RGB one painted in ``colors``:
    its class indices), once its values are read and known (:func:`unknown_values`): else
    an :class:`IngestError` naming the file, the values and ``fix``; a colour of no class
    names the colours with their pixel counts and ``color_fix``."""
    try:
        raw = read_label_map(location, colors=colors)
    except UnknownColorError as exc:
        raise IngestError(
            f"{location}: colour(s) {shown_colors(exc.colors)} are the colour of none of "
            f"the {len(classes.names)} classes: {color_fix}"
        ) from None
    except LabelMapError as exc:
        raise IngestError(str(exc)) from None
    mapped = classes.value_map is not None
    if mapped and raw.size and int(raw.max()) > 255:
        raise IngestError(
            f"{location}: value {int(raw.max())}, outside the 0..255 of a source mapped by "
            "its label ids"
        )
    bad = unknown_values(raw, classes)
    if bad:
        shown = ", ".join(map(str, bad[:5])) + (", ..." if len(bad) > 5 else "")
        count = len(classes.names)
        plain = "" if mapped else f" (the values 0..{count - 1})"
        raise IngestError(
            f"{location}: pixel value(s) {shown} name none of the {count} classes{plain} nor "
            f"an ignored value ({', '.join(map(str, sorted({classes.ignore_index, IGNORE})))}): "
            f"{fix}"
        )
    return raw


def has_scored_class(raw: np.ndarray, classes: ClassSet) -> bool:
    """Whether ``raw`` (values as in the file, each known: :func:`checked_label_map`) has a
    pixel of a scored class other than class 0 (the background of a binary mask)."""
    lut = value_lut(classes.ignore_index, classes.value_map)
    mapped = raw if lut is None else lut[raw]
    scored = (mapped > 0) & (mapped < len(classes.names))
    if 0 < classes.ignore_index < len(classes.names):
        scored &= mapped != classes.ignore_index
    return bool(scored.any())


def checked_shapes(
    locations: Sequence[str],
    classes: ClassSet,
    fix: str = TRUTH_FIX,
    colors: ColorTable | None = None,
    color_fix: str = COLOR_FIX,
    scored: threading.Event | None = None,
) -> list[tuple[int, int]]:
    """The ``(height, width)`` of each mask of ``locations``, each read and checked
    (:func:`checked_label_map`) on a pool of threads: Pillow decodes a PNG without the GIL,
    so a many-core machine reads a dataset's masks side by side. The first refused mask, in
    ``locations``' order, is the error. ``scored`` is set once a mask has a pixel of a
    scored class other than class 0 (:func:`has_scored_class`; the masks after it are not
    searched)."""

    def shape(location: str) -> tuple[int, int]:
        raw = checked_label_map(location, classes, fix, colors, color_fix)
        if scored is not None and not scored.is_set() and has_scored_class(raw, classes):
            scored.set()
        height, width = raw.shape[:2]
        return int(height), int(width)

    with ThreadPoolExecutor(min(8, (os.cpu_count() or 1) + 1)) as pool:
        return list(pool.map(shape, locations))
