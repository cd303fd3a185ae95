"""Reading a label map: a PNG of class indices (palette or single-channel), decoded with
Pillow into a 2-D integer array, its values mapped to class indices where the source says
how (:class:`.classes.ClassSet`'s ``value_map``); or, for a source whose masks are painted
in its classes' colours (CVAT's and Datumaro's VOC export, a VOC mask saved again as RGB),
an RGB PNG whose colours are looked up in a :class:`ColorTable`.

A mask with an alpha channel (RGBA, as GIMP, Label Studio's brush PNGs and Pillow's saving
of a 4-channel array write them; LA, grey + alpha) is read as its colour or grey channels
where every pixel is opaque, and refused where one is not: what a translucent pixel's class
is would be a guess. A palette or grey PNG's ``tRNS`` transparency is no channel: its
pixels are the indices, read as they are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ingest.labelmap import VOID_COLOR

LABEL_MAP_MODES = ("P", "L", "I", "I;16", "1")
"""Pillow's modes of a label map: palette indices, 8-bit grey, 16/32-bit grey, 1-bit (a
binary mask's 0 and 1, as Pillow saves a boolean array)."""
COLOR_MODE = "RGB"
"""Pillow's mode of a mask painted in its classes' colours."""
OPAQUE_MODES = {"RGBA": COLOR_MODE, "LA": "L"}
"""Pillow's modes with an alpha channel, and the mode each is read as when it is opaque."""
OPAQUE = 255
"""An opaque pixel's alpha."""


class LabelMapError(ValueError):
    """A mask file that is not a label map (the message names the file)."""


WIDE_MODES = (COLOR_MODE, *OPAQUE_MODES)
"""Pillow's modes of several channels, which a PNG of 16 bits a channel opens as with each
channel's high byte only (a 48-bit RGB PNG, as ``cv2.imwrite`` writes a ``uint16`` colour
array): its values are not the file's."""


def refuse_inexact(location: str, image: Any, fix: str) -> None:
    """A :class:`LabelMapError` naming the file where ``image`` (opened, not yet decoded)
    cannot be read as the values it was saved with: JPEG content whatever its name (a
    JPEG renamed ``.png``: its compression changes the values along every edge, into other
    valid classes), or a PNG of 16 bits a channel and several channels, of which Pillow
    reads each channel's high byte (a colour 1 would be 0, ids would change; ``fix`` then
    says what to save instead)."""
    if image.format in ("JPEG", "MPO"):
        raise LabelMapError(
            f"{location}: a JPEG image (whatever its name), whose compression changes the "
            "values along every edge: save it as PNG (lossless) from its source"
        )
    if image.mode not in WIDE_MODES:
        return
    if any(str(tile[3]).endswith(";16B") for tile in image.tile):
        bits = 16 * len(image.mode)
        raise LabelMapError(
            f"{location}: a {bits}-bit {image.mode} PNG (16 bits a channel), which cannot be "
            f"read exactly (only each channel's high byte): {fix}"
        )


WIDE_FIX = (
    "save it with 8 bits a channel (a uint8 array), or class ids past 255 as a "
    "single-channel 16-bit PNG"
)
"""What a semantic mask of 16 bits a channel needs."""


class UnknownColorError(LabelMapError):
    """An RGB mask with colours of no class: ``colors`` holds them with their pixel counts,
    most pixels first."""

    def __init__(self, location: str, colors: list[tuple[tuple[int, int, int], int]]) -> None:
        self.location = location
        self.colors = colors
        super().__init__(f"{location}: colour(s) {shown_colors(colors)} are no class's colour")


def shown_colors(colors: list[tuple[tuple[int, int, int], int]], first: int = 5) -> str:
    """``(r,g,b) N px`` for the first ``first`` colours, then how many more."""
    shown = ", ".join(f"({r},{g},{b}) {n} px" for (r, g, b), n in colors[:first])
    return shown + (f" and {len(colors) - first} more" if len(colors) > first else "")


COLORS = 1 << 24
"""How many RGB colours there are: the size of a :class:`ColorTable`'s lookup."""


@dataclass(frozen=True)
class ColorTable:
    """Each RGB colour's value plus one (0: no class's colour), by the packed colour
    ``r << 16 | g << 8 | b``: one lookup a pixel. 32 MB of address space, but allocated
    zeroed (``calloc``) and written at the table's few colours only, so memory holds the
    pages a mask's colours touch."""

    lookup: np.ndarray


def color_table(colors: Sequence[Sequence[int] | None], void: int = 255) -> ColorTable:
    """The table of class ``i`` painted in ``colors[i]`` (a class without a colour is not
    in it), plus :data:`VOID_COLOR` read as ``void`` unless a class has that colour. A
    colour two classes share is a :class:`ValueError`: which class a pixel is would be a
    guess."""
    by_color: dict[int, int] = {}
    for index, rgb in enumerate(colors):
        if rgb is None:
            continue
        key = _pack_one(rgb)
        if key in by_color:
            raise ValueError(
                f"classes {by_color[key]} and {index} share the colour "
                f"({', '.join(map(str, rgb))}): give each class its own colour"
            )
        by_color[key] = index
    by_color.setdefault(_pack_one(VOID_COLOR), void)
    lookup = np.zeros(COLORS, dtype=np.uint16 if max(by_color.values()) < 65535 else np.uint32)
    lookup[list(by_color)] = [value + 1 for value in by_color.values()]
    return ColorTable(lookup)


def _pack_one(rgb: Sequence[int]) -> int:
    r, g, b = (int(c) for c in rgb)
    return (r << 16) | (g << 8) | b


def painted_values(location: str, rgb: np.ndarray, table: ColorTable) -> np.ndarray:
    """The values of an RGB mask's pixels (height, width, 3) through ``table``: each pixel
    packed into one integer and looked up (~1 ms a 512x512 mask); a colour of no class is
    an :class:`UnknownColorError` naming them with their pixel counts."""
    # packed in place in one array: three widened channels and their shifted copies were
    # ~2 ms of temporaries a 512x512 mask, 5x this
    packed = rgb[..., 0].astype(np.uint32)
    packed <<= 8
    packed |= rgb[..., 1]
    packed <<= 8
    packed |= rgb[..., 2]
    found = table.lookup[packed]
    if packed.size and int(found.min()) == 0:
        values, counts = np.unique(packed[found == 0], return_counts=True)
        order = np.argsort(-counts, kind="stable")
        colors = [
            (((int(v) >> 16) & 255, (int(v) >> 8) & 255, int(v) & 255), int(n))
            for v, n in zip(values[order], counts[order], strict=True)
        ]
        raise UnknownColorError(location, colors)
    found -= 1
    top = int(found.max()) if found.size else 0
    return found.astype(np.uint8) if top < 256 else found


def is_painted(location: str, colors: ColorTable | None = None) -> bool:
    """Whether the mask at ``location`` is an RGB image, or an RGBA one read as RGB (its
    header only); with ``colors``, also a palette one read by its colours
    (:func:`palette_order`: its header, and its pixels where the palette is reordered)."""
    from PIL import Image  # as read_label_map: Pillow when a mask is read

    with Image.open(location) as image:
        if OPAQUE_MODES.get(image.mode, image.mode) == COLOR_MODE:
            return True
        if image.mode != "P" or colors is None or image.palette is None:
            return False
        raw = image.palette.palette  # the PNG's PLTE, read without the pixels
        if _in_class_order(_palette_classes(bytes(raw), colors)):
            return False
        indices = np.asarray(image)
        return palette_order(indices, image.getpalette() or [], colors) is not indices


def read_label_map(
    location: str, value_map: np.ndarray | None = None, colors: ColorTable | None = None
) -> np.ndarray:
    """The mask at ``location`` as a ``uint8`` / ``uint16`` array of shape (height, width):
    a palette PNG's indices as they are (not its colours; with ``colors``, unless its
    palette was reordered: :func:`palette_order`), a grey PNG's values; then
    ``value_map[value]`` where given. An RGB mask is read through ``colors`` (its pixels'
    colours are class colours: :func:`painted_values`; where some are no class's and its
    channels are equal, its grey values), and without one as its grey values where its
    channels are equal (:func:`grey_channel`), else refused: its colours would need a table
    to become classes. An RGBA or LA mask is its RGB or grey
    channels where it is opaque (:func:`without_alpha`)."""
    # Pillow (~12 ms of imports) when a mask is read: this module is imported with the
    # semantic area's manifest, by every command that opens a catalog
    from PIL import Image

    try:
        with Image.open(location) as image:
            mode = OPAQUE_MODES.get(image.mode, image.mode)
            table = colors if mode == COLOR_MODE else None
            refuse_inexact(location, image, WIDE_FIX)
            refused = LabelMapError(
                f"{location}: a {image.mode} image, not a label map (save the masks as "
                "palette or single-channel PNGs of class indices"
                + ("" if mode != COLOR_MODE else _COLOR_HINT)
                + ")"
            )
            if mode not in LABEL_MAP_MODES and mode != COLOR_MODE:
                raise refused
            array = np.asarray(image)
            if array.dtype == np.bool_:  # a 1-bit mask: its bits are the classes 0 and 1
                array = array.astype(np.uint8)
            if image.mode in OPAQUE_MODES:
                array = without_alpha(location, image.mode, array)
            if mode == COLOR_MODE and table is None:
                grey = grey_channel(array)
                if grey is None:
                    raise refused
                array = grey
            if image.mode == "P" and colors is not None:
                array = palette_order(array, image.getpalette() or [], colors)
    except OSError as exc:
        raise LabelMapError(f"{location}: cannot read the mask ({exc})") from None
    if table is not None:
        try:
            return painted_values(location, array, table)
        except UnknownColorError:
            # a grey mask saved with three channels among painted ones (a model's class ids
            # written by cv2): its colours are no class's, its equal channels the ids
            grey = grey_channel(array)
            if grey is None:
                raise
            array = grey
    if value_map is not None:
        if array.dtype != np.uint8:
            # a 16-bit PNG of label ids (as OpenCV writes a wider array) maps like an 8-bit
            # one; only a value outside the map's 0..255 cannot be mapped
            low, high = (int(array.min()), int(array.max())) if array.size else (0, 0)
            if low < 0 or high > 255:
                bad = high if high > 255 else low
                raise LabelMapError(
                    f"{location}: value {bad}, outside the 0..255 of a source mapped by "
                    "its label ids"
                )
            array = array.astype(np.uint8)
        array = value_map[array]
    return array


def grey_channel(rgb: np.ndarray) -> np.ndarray | None:
    """The one channel of an RGB mask whose three channels are equal at every pixel: a grey
    label map saved with three channels (``cv2.imwrite`` of what ``cv2.imread`` read, as
    BGR), whose values are unambiguous; None where a pixel's channels differ (a colour)."""
    first = rgb[..., 0]
    if not (np.array_equal(first, rgb[..., 1]) and np.array_equal(first, rgb[..., 2])):
        return None
    return np.ascontiguousarray(first)


def palette_order(
    indices: np.ndarray, palette: Sequence[int] | bytes, table: ColorTable
) -> np.ndarray:
    """A palette mask's class indices where its source's classes have colours: its indices,
    unless its palette gives every index it uses a class's colour and some of them another
    class's than their own (a PNG optimiser or ImageMagick compacted and reordered the
    palette, keeping the colours): then each pixel is the class of its colour. A palette
    in the classes' order (VOC's own) is one lookup of its 256 entries; ``indices`` itself
    is returned where they are the classes."""
    classes = _palette_classes(palette, table)
    if _in_class_order(classes):
        return indices
    used = np.flatnonzero(np.bincount(indices.ravel(), minlength=len(classes)))
    if used.max(initial=0) >= len(classes) or not classes[used].all():
        return indices  # an index with no colour, or of no class's: the indices are meant
    by_color = classes - 1
    return by_color.astype(indices.dtype if by_color.max() < 256 else np.uint16)[indices]


def _palette_classes(palette: Sequence[int] | bytes, table: ColorTable) -> np.ndarray:
    """Each palette entry's class + 1 through ``table`` (0: no class's colour)."""
    flat = np.frombuffer(palette, np.uint8) if isinstance(palette, bytes) else palette
    rgb = np.asarray(flat, dtype=np.uint32)[: len(flat) // 3 * 3].reshape(-1, 3)
    return table.lookup[(rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]].astype(np.int64)


def _in_class_order(classes: np.ndarray) -> bool:
    """Whether each palette entry of a class's colour is at that class's index."""
    return bool(((classes == 0) | (classes == np.arange(1, len(classes) + 1))).all())


def without_alpha(location: str, mode: str, array: np.ndarray) -> np.ndarray:
    """The colour (RGBA) or grey (LA) channels of ``array``, a mask of ``mode`` whose last
    channel is its alpha, where every pixel is opaque; else a :class:`LabelMapError`
    naming the file, how many pixels are translucent and the fix."""
    alpha = array[..., -1]
    translucent = int(np.count_nonzero(alpha != OPAQUE))
    if translucent:
        flat = "RGB" if mode == "RGBA" else "single-channel grey (L)"
        raise LabelMapError(
            f"{location}: {translucent} of {alpha.size} pixels are translucent (alpha below "
            f"{OPAQUE}) in this {mode} mask: which class they are would be a guess; flatten "
            f"the image (remove its alpha channel) or save the mask as {flat}, then import "
            "it again"
        )
    return array[..., :-1] if mode == "RGBA" else np.ascontiguousarray(array[..., 0])


_COLOR_HINT = (
    "; RGB masks painted in the classes' colours are read for a VOC layout (VOC's palette) "
    "and a CVAT / Datumaro export (its labelmap.txt)"
)
