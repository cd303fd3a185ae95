"""The crop of one object with some context around it (the patches view's tiles).

Boxes are in the pixels of the image as its annotation saw it: the stored width and height,
so EXIF orientation is applied before cropping (as every annotation tool displays it). The
crop is the box grown by ``context`` (a share of its larger side) on every side, clipped to
the image, and shrunk so its longest side is at most ``size`` (never enlarged).

An evaluation patch with a partner (a true positive and the ground truth it matched, a false
positive and the ground truth that explains it, a miss and its best-overlapping prediction) is
cropped as a pair: the crop of the union of both boxes, so its tile draws both. :func:`tile_regions` tells each
object of a patches page the region its tile shows, in image pixels, so that its labels line
up with the crop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from .errors import MediaError
from .imaging import MAX_DECODE_PIXELS, encode, open_image

CROP_SIZES = (64, 128, 256)
"""The only crop sizes served; any other request rounds to the nearest."""
MAX_CONTEXT = 2.0
DEFAULT_CONTEXT = 0.25
"""The context of a patch tile's crop (the crop route's default)."""

Box = tuple[float, float, float, float]
Pixels = tuple[int, int, np.ndarray]
"""Pixels to draw on a crop: the left and top of a boolean mask, in image pixels."""
OVERLAY_RGB = (255, 61, 0)
"""The tint of drawn pixels: a warm red-orange that stands out on most photos and maps."""
OVERLAY_ALPHA = 96
"""How much of the tint covers a drawn pixel (of 255); its outline is solid."""


@dataclass(frozen=True)
class CropOverlay:
    """What a crop draws on the image: ``key`` names the pixels in the crop cache; ``load``
    (run off the event loop, on a cache miss only) finds them, None when there are none."""

    key: str
    load: Callable[[], Pixels | None]


def snap_crop_size(requested: int) -> int:
    """The served crop size nearest to ``requested`` (ties go to the larger)."""
    return min(CROP_SIZES, key=lambda s: (abs(s - requested), -s))


def crop_region(
    box: tuple[float, float, float, float], context: float, width: int, height: int
) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of the crop of box ``(x, y, w, h)`` in an image of
    ``width`` x ``height``: the box grown by ``context`` times its larger side on every side,
    clipped to the image, at least one pixel."""
    x, y, w, h = box
    pad = max(w, h, 1.0) * context
    left = min(max(int(x - pad), 0), width - 1)
    top = min(max(int(y - pad), 0), height - 1)
    right = max(min(int(round(x + w + pad)), width), left + 1)
    bottom = max(min(int(round(y + h + pad)), height), top + 1)
    return left, top, right, bottom


def union_box(a: Box, b: Box) -> Box:
    """The smallest ``(x, y, w, h)`` box holding boxes ``a`` and ``b``."""
    left, top = min(a[0], b[0]), min(a[1], b[1])
    right, bottom = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return left, top, right - left, bottom - top


def tile_regions(objects: Iterable[dict[str, Any]]) -> None:
    """Give each object of a patches page what its tile shows: ``crop``, the crop's region
    ``[x, y, w, h]`` in image pixels at :data:`DEFAULT_CONTEXT` (null when the image's size
    is unknown), and for an evaluation patch drawn as a pair (one with a ``match``: a true
    positive's ground truth, a false positive's explaining ground truth, a miss's
    best-overlapping prediction) ``crop_with``, the partner's id (the crop route's ``with``)."""
    for o in objects:
        box: Box = (o["x"], o["y"], o["w"], o["h"])
        match = o.get("match")
        if match is not None and match.get("ann_id") is not None:
            box = union_box(box, (match["x"], match["y"], match["w"], match["h"]))
            o["crop_with"] = match["ann_id"]
        width, height = o.get("image_width"), o.get("image_height")
        if not width or not height:
            o["crop"] = None
            continue
        left, top, right, bottom = crop_region(box, DEFAULT_CONTEXT, int(width), int(height))
        o["crop"] = [left, top, right - left, bottom - top]


def render_crop(
    data: bytes,
    box: tuple[float, float, float, float],
    context: float,
    size: int,
    name: str = "image",
    pixels: Pixels | None = None,
) -> bytes:
    """JPEG bytes of the crop of ``box`` in encoded image ``data`` (see the module docstring),
    with ``pixels`` tinted and outlined where given. Raises :class:`MediaError` for images
    that cannot be decoded."""
    im = open_image(data, name)
    try:
        if im.size[0] * im.size[1] > MAX_DECODE_PIXELS:
            raise MediaError("too_large", f"{name} is larger than VisionLens decodes")
        try:
            upright = ImageOps.exif_transpose(im)
        except Exception as exc:  # truncated data, bad tables: as a thumbnail reports it
            raise MediaError("corrupt", f"{name} cannot be decoded: {exc}") from exc
        region = crop_region(box, context, upright.size[0], upright.size[1])
        out = upright.crop(region)
        if pixels is not None:
            out = draw_pixels(out.convert("RGB"), pixels, region[0], region[1], size)
        elif out.mode not in ("L", "RGB"):
            out = out.convert("RGB")
        scale = min(1.0, size / max(out.size))
        if scale < 1.0:
            target = (max(1, round(out.size[0] * scale)), max(1, round(out.size[1] * scale)))
            out = out.resize(target, Image.Resampling.BOX)
        return encode(out, "jpeg")
    finally:
        im.close()


def draw_pixels(crop: Image.Image, pixels: Pixels, left: int, top: int, size: int) -> Image.Image:
    """``crop`` (whose corner is ``(left, top)`` in the image) with ``pixels`` tinted and
    outlined, the outline wide enough to stay visible once the crop is shrunk to ``size``."""
    x, y, mask = pixels
    width, height = crop.size
    inside = np.zeros((height, width), dtype=np.uint8)
    # the mask's part inside the crop (a crop is clipped to the image; so is the mask)
    x0, y0 = max(x - left, 0), max(y - top, 0)
    x1 = min(x - left + mask.shape[1], width)
    y1 = min(y - top + mask.shape[0], height)
    if x1 <= x0 or y1 <= y0:
        return crop
    inside[y0:y1, x0:x1] = mask[y0 - (y - top) : y1 - (y - top), x0 - (x - left) : x1 - (x - left)]
    shape = Image.fromarray(inside * 255, "L")
    reach = max(1, round(max(width, height) / size))  # crop pixels per served pixel
    eroded = shape.filter(ImageFilter.MinFilter(min(2 * reach + 1, 9)))
    outline = Image.fromarray(np.asarray(shape) & ~np.asarray(eroded), "L")
    tint = Image.new("RGB", crop.size, OVERLAY_RGB)
    crop = Image.composite(tint, crop, Image.fromarray(inside * OVERLAY_ALPHA, "L"))
    return Image.composite(tint, crop, outline)
