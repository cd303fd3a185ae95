"""CVAT's and Datumaro's ``labelmap.txt``: the classes of a segmentation export and the
colour each is painted in (CVAT's "Segmentation mask 1.1", Datumaro's VOC export).

Read by the dataset ingest (:mod:`.voc_masks`: a VOC root beside a labelmap) and by the
semantic ingest (:func:`visionlens_jlab.semantic.classes.read_labelmap`), one parser for
both. Its class ``i`` is its ``i``-th label line; a mask's pixel is painted in that
label's colour (CVAT's RGB PNGs), which :func:`color_positions` turns into the position,
or, in a palette or greyscale PNG, holds the position itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

LABELMAP_FILE = "labelmap.txt"
"""CVAT's and Datumaro's VOC class file: ``# label:color_rgb:parts:actions``, then one
``name:r,g,b:parts:actions`` line a class, in index order."""
BACKGROUND = "background"
"""The label CVAT and Datumaro write first: the unlabelled pixels."""
VOID_COLOR = (224, 224, 192)
"""VOC's palette colour 255: the void border, read as the value 255 (as its palette PNGs
hold it) where no class has this colour."""


class Labelmap(NamedTuple):
    """A labelmap's label names and their colours, in its order."""

    names: tuple[str, ...]
    colors: tuple[tuple[int, int, int], ...]


def voc_colors(count: int) -> tuple[tuple[int, int, int], ...]:
    """Pascal VOC's palette (the bit-interleaved colour map of its devkit), ``count`` colours."""
    colors = []
    for index in range(count):
        r = g = b = 0
        c = index
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        colors.append((r, g, b))
    return tuple(colors)


def read_labelmap(path: Path) -> Labelmap:
    """The labels of a CVAT / Datumaro ``labelmap.txt``: names and colours in its order
    (label ``i`` is its ``i``-th line); a label without a colour gets VOC's palette colour
    of its index, as Datumaro gives it. A line without a name, a colour that is not three
    values 0..255, and a name or a colour given twice (a mask's pixels of that colour could
    be either label) are :class:`ValueError` naming the line."""
    names: list[str] = []
    colors: list[tuple[int, int, int]] = []
    seen: dict[tuple[int, int, int], str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, _, rest = text.partition(":")
        given = rest.split(":", 1)[0].strip()
        where = f"{path}:{number}: {text!r}"
        if not name.strip():
            raise ValueError(f"{where}: no label name (a line is name:r,g,b:parts:actions)")
        try:
            color = tuple(int(c) for c in given.split(",")) if given else None
        except ValueError:
            color = ()
        if color is None:
            color = voc_colors(len(names) + 1)[-1]
        if len(color) != 3 or not all(0 <= c <= 255 for c in color):
            raise ValueError(f"{where}: the colour is not r,g,b (three values 0..255)")
        rgb = (color[0], color[1], color[2])
        if name.strip() in names:
            raise ValueError(f"{where}: label {name.strip()!r} is given twice")
        if rgb in seen:
            raise ValueError(
                f"{where}: colour {given or rgb} is {seen[rgb]!r}'s too: give each label its "
                "own colour, or a mask's pixels of that colour could be either"
            )
        seen[rgb] = name.strip()
        names.append(name.strip())
        colors.append(rgb)
    if not names:
        raise ValueError(f"{path}: no labels (one name:r,g,b:: line a class)")
    return Labelmap(tuple(names), tuple(colors))


def color_positions(
    pixels: np.ndarray, colors: tuple[tuple[int, int, int], ...]
) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """The labelmap position of each pixel of an ``H x W x 3`` RGB mask painted in
    ``colors``, and the colours it holds that are none of them (their pixels' positions are
    then meaningless: the caller refuses the mask)."""
    rgb = pixels.astype(np.int32)
    keys = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    known = np.array([(r << 16) | (g << 8) | b for r, g, b in colors], dtype=np.int32)
    order = np.argsort(known)
    found, inverse = np.unique(keys, return_inverse=True)
    at = np.clip(np.searchsorted(known[order], found), 0, len(known) - 1)
    matched = known[order][at] == found
    unknown = [(int(k) >> 16, (int(k) >> 8) & 255, int(k) & 255) for k in found[~matched]]
    positions = order[at].astype(np.int32)[inverse.reshape(keys.shape)]
    return positions, unknown


def class_values(labelmap: Labelmap) -> tuple[tuple[str, ...], np.ndarray]:
    """The labelmap's classes as VOC's masks number them, and the 256-entry table from a
    labelmap position to that value: :data:`BACKGROUND` is 0 (no object, as VOC's 0), the
    other labels 1, 2, ... in order (``classes[value - 1]``); positions past the labels
    keep their value (a value no class has, reported by the reader), 255 stays VOC's void.
    A :class:`ValueError` for more labels than an 8-bit mask holds."""
    classes = tuple(name for name in labelmap.names if name.lower() != BACKGROUND)
    if len(classes) > 254:
        raise ValueError(f"{len(classes)} labels: a VOC mask holds 254 classes at most")
    shift = len(labelmap.names) - len(classes) - 1  # 0 with a background label, else -1
    table = np.minimum(np.arange(256) - shift, 254).astype(np.uint8)
    table[255] = 255
    for position, name in enumerate(labelmap.names):
        table[position] = 0 if name.lower() == BACKGROUND else classes.index(name) + 1
    return classes, table
