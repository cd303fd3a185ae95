"""Reading a label map: a PNG of class indices (palette or single-channel), decoded with
Pillow into a 2-D integer array, its values mapped to class indices where the source says
how (:class:`.classes.ClassSet`'s ``value_map``)."""

from __future__ import annotations

import numpy as np

LABEL_MAP_MODES = ("P", "L", "I", "I;16")
"""Pillow's modes of a label map: palette indices, 8-bit grey, 16/32-bit grey."""


class LabelMapError(ValueError):
    """A mask file that is not a label map (the message names the file)."""


def read_label_map(location: str, value_map: np.ndarray | None = None) -> np.ndarray:
    """The mask at ``location`` as a ``uint8`` / ``uint16`` array of shape (height, width):
    a palette PNG's indices as they are (not its colours), a grey PNG's values; then
    ``value_map[value]`` where given. An RGB mask is refused: its colours would need a
    palette to become classes."""
    # Pillow (~12 ms of imports) when a mask is read: this module is imported with the
    # semantic area's manifest, by every command that opens a catalog
    from PIL import Image

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
