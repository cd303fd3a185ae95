"""Reading a label map: a PNG of class indices (palette or single-channel), decoded with
Pillow into a 2-D integer array, its values mapped to class indices where the source says
how (:class:`.classes.ClassSet`'s ``value_map``)."""

from __future__ import annotations

import numpy as np
from PIL import Image

LABEL_MAP_MODES = ("P", "L", "I", "I;16")
"""Pillow's modes of a label map: palette indices, 8-bit grey, 16/32-bit grey."""


class LabelMapError(ValueError):
    """A mask file that is not a label map (the message names the file)."""


def read_label_map(location: str, value_map: np.ndarray | None = None) -> np.ndarray:
    """The mask at ``location`` as a ``uint8`` / ``uint16`` array of shape (height, width):
    a palette PNG's indices as they are (not its colours), a grey PNG's values; then
    ``value_map[value]`` where given. An RGB mask is refused: its colours would need a
    palette to become classes."""
    try:
        with Image.open(location) as image:
            if image.mode not in LABEL_MAP_MODES:
                raise LabelMapError(
                    f"{location}: a {image.mode} image, not a label map (save the masks as "
                    "palette or single-channel PNGs of class indices)"
                )
            array = np.asarray(image)
    except OSError as exc:
        raise LabelMapError(f"{location}: cannot read the mask ({exc})") from None
    if value_map is not None:
        if array.dtype != np.uint8:
            raise LabelMapError(f"{location}: values past 255 in a source mapped by its label ids")
        array = value_map[array]
    return array
