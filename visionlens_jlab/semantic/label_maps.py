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

import numpy as np

LABEL_MAP_MODES = ("P", "L", "I", "I;16")
"""Pillow's modes of a label map: palette indices, 8-bit grey, 16/32-bit grey."""
COLOR_MODE = "RGB"
"""Pillow's mode of a mask painted in its classes' colours."""
OPAQUE_MODES = {"RGBA": COLOR_MODE, "LA": "L"}
"""Pillow's modes with an alpha channel, and the mode each is read as when it is opaque."""
OPAQUE = 255
"""An opaque pixel's alpha."""
VOID_COLOR = (224, 224, 192)
"""VOC's palette colour 255: the void border, read as the value 255 (as its palette PNGs
hold it) where no class has this colour."""


class LabelMapError(ValueError):
    """A mask file that is not a label map (the message names the file)."""


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


def is_painted(location: str) -> bool:
    """Whether the mask at ``location`` is an RGB image, or an RGBA one read as RGB (its
    header only)."""
    from PIL import Image  # as read_label_map: Pillow when a mask is read

    with Image.open(location) as image:
        return OPAQUE_MODES.get(image.mode, image.mode) == COLOR_MODE


def read_label_map(
    location: str, value_map: np.ndarray | None = None, colors: ColorTable | None = None
) -> np.ndarray:
    """The mask at ``location`` as a ``uint8`` / ``uint16`` array of shape (height, width):
    a palette PNG's indices as they are (not its colours), a grey PNG's values; then
    ``value_map[value]`` where given. An RGB mask is read through ``colors`` (its pixels'
    colours are class colours: :func:`painted_values`), and refused without one: its
    colours would need a table to become classes. An RGBA or LA mask is its RGB or grey
    channels where it is opaque (:func:`without_alpha`)."""
    # Pillow (~12 ms of imports) when a mask is read: this module is imported with the
    # semantic area's manifest, by every command that opens a catalog
    from PIL import Image

    try:
        with Image.open(location) as image:
            mode = OPAQUE_MODES.get(image.mode, image.mode)
            table = colors if mode == COLOR_MODE else None
            if mode not in LABEL_MAP_MODES and table is None:
                raise LabelMapError(
                    f"{location}: a {image.mode} image, not a label map (save the masks as "
                    "palette or single-channel PNGs of class indices"
                    + ("" if mode != COLOR_MODE else _COLOR_HINT)
                    + ")"
                )
            array = np.asarray(image)
            if image.mode in OPAQUE_MODES:
                array = without_alpha(location, image.mode, array)
    except OSError as exc:
        raise LabelMapError(f"{location}: cannot read the mask ({exc})") from None
    if table is not None:
        return painted_values(location, array, table)
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
