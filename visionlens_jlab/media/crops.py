"""The crop of one object with some context around it (the patches view's tiles).

Boxes are in the pixels of the image as its annotation saw it: the stored width and height,
so EXIF orientation is applied before cropping (as every annotation tool displays it). The
crop is the box grown by ``context`` (a share of its larger side) on every side, clipped to
the image, and shrunk so its longest side is at most ``size`` (never enlarged).
"""

from __future__ import annotations

from PIL import Image, ImageOps

from .errors import MediaError
from .imaging import MAX_DECODE_PIXELS, encode, open_image

CROP_SIZES = (64, 128, 256)
"""The only crop sizes served; any other request rounds to the nearest."""
MAX_CONTEXT = 2.0


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


def render_crop(
    data: bytes,
    box: tuple[float, float, float, float],
    context: float,
    size: int,
    name: str = "image",
) -> bytes:
    """JPEG bytes of the crop of ``box`` in encoded image ``data`` (see the module docstring).
    Raises :class:`MediaError` for images that cannot be decoded."""
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
        if out.mode not in ("L", "RGB"):
            out = out.convert("RGB")
        scale = min(1.0, size / max(out.size))
        if scale < 1.0:
            target = (max(1, round(out.size[0] * scale)), max(1, round(out.size[1] * scale)))
            out = out.resize(target, Image.Resampling.BOX)
        return encode(out, "jpeg")
    finally:
        im.close()
