"""Decoding, thumbnailing and encoding images; the bad-media placeholder.

Everything here is pure CPU work on bytes: it runs in executor threads (Pillow releases the
GIL while decoding and resizing) or in worker processes, never on the event loop.

Speed: for JPEG, :meth:`PIL.Image.Image.draft` asks libjpeg to decode at 1/2, 1/4 or 1/8
scale (DCT scaling) straight to the smallest size that is still at least the thumbnail, so
a 1920x1080 photo for a 256 px thumbnail decodes as 480x270 instead of 1920x1080; the rest
is a reducing resize of a small image. Plain ``Image.open().thumbnail()`` only drafts to
twice the target and resizes with a slower filter.
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFile, UnidentifiedImageError

from .errors import MediaError, MediaErrorCode

THUMBNAIL_SIZES = (128, 256, 512)
"""The only thumbnail sizes served; any other request rounds to the nearest."""

MAX_IMAGE_PIXELS = 200_000_000
"""Pillow's decompression-bomb limit, set deliberately: it warns above this and refuses
(``DecompressionBombError``) above twice this, already when opening the header."""
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

MAX_DECODE_PIXELS = 64_000_000
"""Most pixels we decode for one thumbnail (after JPEG DCT scaling): 64 MP is ~256 MB as
RGBA. Larger images get the ``too_large`` placeholder instead of exhausting memory."""

DECODE_BLOCK_MAX = 16 * 1024 * 1024
"""Largest piece of a JPEG file handed to the decoder at once (see :func:`render_thumbnail`)."""

CONTENT_TYPES = {"jpeg": "image/jpeg", "webp": "image/webp"}
VARIANTS = ("jpeg", "webp", "auto")
JPEG_QUALITY = 80
DRAFT_SLACK = 0.8
"""JPEG DCT scaling may decode down to 0.8x the thumbnail size (then resized up to it): a
1920x1080 photo decodes at 1/8 (240x135) for a 256 thumbnail. The up-scale of at most 1.25x
costs a little sharpness, invisible in a grid, and saves most of the decode time."""
WEBP_QUALITY = 80
WEBP_METHOD = 2  # 0 (fast) .. 6 (small); 2 is ~2x faster than the default 4 at similar size
ALPHA_BACKGROUND = (255, 255, 255)  # JPEG has no alpha: transparent pixels show white

# EXIF orientation → the transpose that displays the image upright (as ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# Leading bytes of formats Pillow cannot read (answered ``unsupported``, not ``corrupt``).
_UNSUPPORTED_MAGIC = (b"%PDF", b"<svg", b"<?xml", b"\x00\x00\x00\x0cjXL", b"\xff\x0a")


def snap_size(requested: int) -> int:
    """The served thumbnail size nearest to ``requested`` (ties go to the larger)."""
    return min(THUMBNAIL_SIZES, key=lambda s: (abs(s - requested), -s))


def _classify_unidentified(data: bytes) -> MediaErrorCode:
    if len(data) >= 12 and data[4:8] == b"ftyp":  # HEIC / AVIF / other ISO-BMFF
        return "unsupported"
    if data.lstrip()[:5].startswith(_UNSUPPORTED_MAGIC) or data.startswith(_UNSUPPORTED_MAGIC):
        return "unsupported"
    return "corrupt"


def open_image(data: bytes, name: str = "image") -> Image.Image:
    """Open encoded bytes (header only); bad data raises :class:`MediaError`."""
    if not data:
        raise MediaError("corrupt", f"{name} is empty")
    try:
        return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise MediaError("too_large", f"{name}: {exc}") from exc
    except UnidentifiedImageError as exc:
        code = _classify_unidentified(data)
        what = (
            "not an image format VisionLens reads"
            if code == "unsupported"
            else "not a readable image"
        )
        raise MediaError(code, f"{name} is {what}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise MediaError("corrupt", f"{name} has a broken header: {exc}") from exc


def original_content_type(data: bytes, name: str = "image") -> str:
    """The MIME type of encoded image bytes, checked by parsing the header."""
    with open_image(data, name) as im:
        fmt = im.format or ""
    return Image.MIME.get(fmt.upper(), "application/octet-stream")


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block is not a broken image
        return 1


def _to_8bit(im: Image.Image) -> Image.Image:
    """16-bit / 32-bit / float single-channel images → 8-bit grayscale."""
    # Imported here: only these rare images need numpy, and importing it costs every
    # pre-generation worker ~0.12 s of start-up (two thirds of its imports).
    import numpy as np

    arr = np.asarray(im)
    if im.mode.startswith("I;16"):
        scaled = arr.astype(np.float32) / 257.0  # full 16-bit range
    else:
        lo, hi = float(arr.min()), float(arr.max())
        if lo >= 0 and hi <= 255:
            scaled = arr.astype(np.float32)
        elif lo >= 0 and hi <= 65535:
            scaled = arr.astype(np.float32) / 257.0
        else:  # arbitrary range (float depth maps...): stretch to 0..255
            scaled = (arr.astype(np.float32) - lo) * (255.0 / max(hi - lo, 1e-12))
    return Image.fromarray(np.clip(scaled + 0.5, 0, 255).astype(np.uint8), "L")


def _display_mode(im: Image.Image, fmt: str) -> Image.Image:
    """Convert any decoded mode to L, RGB or (WebP only) RGBA, so colours come out right."""
    mode = im.mode
    if mode in ("L", "RGB"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode.startswith(("I", "F")):
        return _to_8bit(im)
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in im.info
    )
    if mode == "P" or mode == "PA":
        im = im.convert("RGBA" if has_alpha else "RGB")
    elif has_alpha:
        im = im.convert("RGBA")
    else:  # CMYK, YCbCr, LAB, HSV, RGBX...
        im = im.convert("RGB")
    if im.mode == "RGBA" and fmt == "jpeg":
        background = Image.new("RGB", im.size, ALPHA_BACKGROUND)
        background.paste(im, mask=im.getchannel("A"))
        return background
    return im


def render_thumbnail(
    data: bytes, size: int, variant: str = "jpeg", name: str = "image"
) -> tuple[bytes, str]:
    """Thumbnail of encoded image ``data`` with longest side ``size``: ``(bytes, content type)``.

    ``variant``: ``jpeg`` (always JPEG; transparency shown on white), ``webp`` (always WebP) or
    ``auto`` (WebP when the image has transparency, else JPEG: at 256 px JPEG encodes in
    ~0.2 ms, WebP in ~2 ms, as long as the whole rest for a 640x480 photo, for ~20% fewer
    bytes). EXIF orientation is applied; images smaller than ``size`` are not enlarged.
    Raises :class:`MediaError` for corrupt, truncated, unsupported or too large images.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown thumbnail variant {variant!r}")
    im = open_image(data, name)
    if isinstance(im, ImageFile.ImageFile) and im.format == "JPEG":
        # The bytes are in memory already: hand libjpeg all of them in one call instead of
        # 64 KB pieces (each a re-entry and a copy of the rest): 1-2% of the time, measured.
        # Capped, because Pillow copies each piece once more.
        im.decodermaxblock = max(min(len(data), DECODE_BLOCK_MAX), im.decodermaxblock)
    try:
        return _render(im, size, variant, name)
    finally:
        im.close()


def _draft_box(width: int, height: int, size: int) -> tuple[int, int] | None:
    """The box to pass to ``draft`` so libjpeg picks the largest useful 1/k scale."""
    longest = max(width, height)
    for k in (8, 4, 2):
        if longest / k >= DRAFT_SLACK * size:
            return (max(1, width // k), max(1, height // k))
    return None


def _render(im: Image.Image, size: int, variant: str, name: str) -> tuple[bytes, str]:
    width, height = im.size
    if width <= 0 or height <= 0:
        raise MediaError("corrupt", f"{name} has no pixels")
    scale = min(1.0, size / max(width, height))
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    orientation = _orientation(im)
    if im.format == "JPEG":
        box = _draft_box(width, height, size)
        if box is not None:  # DCT scaling: libjpeg decodes straight at 1/2, 1/4 or 1/8
            im.draft("RGB" if im.mode == "RGB" else None, box)
    if im.size[0] * im.size[1] > MAX_DECODE_PIXELS:
        raise MediaError(
            "too_large", f"{name} is {width}x{height} pixels, more than VisionLens decodes"
        )
    try:
        im.load()
    except Image.DecompressionBombError as exc:
        raise MediaError("too_large", f"{name}: {exc}") from exc
    except MemoryError as exc:
        raise MediaError("too_large", f"{name} does not fit in memory") from exc
    except Exception as exc:  # truncated data, bad Huffman tables, zlib errors...
        raise MediaError("corrupt", f"{name} cannot be decoded: {exc}") from exc
    fmt = "jpeg" if variant == "jpeg" else "webp"
    out = _display_mode(im, fmt)
    if out.size != target:
        # Shrinking: a box filter (exact area average, ~1.6x faster than bilinear and ~3x
        # faster than bicubic here, same error at thumbnail size); growing (the DRAFT_SLACK
        # case): bilinear, so the small up-scale stays smooth.
        shrink = out.size[0] >= target[0]
        out = out.resize(
            target,
            Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR,
            reducing_gap=2.0 if shrink else None,
        )
    if variant == "auto":
        if out.mode == "RGBA" and out.getchannel("A").getextrema()[0] == 255:
            out = out.convert("RGB")  # an alpha channel with nothing transparent
        if out.mode != "RGBA":
            fmt = "jpeg"
    transpose = _TRANSPOSE.get(orientation)
    if transpose is not None:  # on the small image: cheaper than rotating the full one
        out = out.transpose(transpose)
    return encode(out, fmt), CONTENT_TYPES[fmt]


def encode(im: Image.Image, fmt: str) -> bytes:
    """Encode an L/RGB/RGBA image as ``jpeg`` or ``webp``."""
    buf = io.BytesIO()
    if fmt == "jpeg":
        if im.mode not in ("L", "RGB"):
            im = im.convert("RGB")
        im.save(buf, "JPEG", quality=JPEG_QUALITY)
    else:
        im.save(buf, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buf.getvalue()


_PLACEHOLDER_TEXT = {
    "missing": "image missing",
    "corrupt": "corrupt image",
    "too_large": "image too large",
    "unsupported": "unsupported format",
    "unavailable": "storage unreachable",
}


def placeholder_size(size: int, frame: tuple[int | None, int | None] | None) -> tuple[int, int]:
    """The placeholder's pixel size: longest side ``size``, with the aspect of ``frame`` (the
    sample's recorded width and height) where it is known, else 4:3. The UI draws a sample's
    labels in its recorded frame: a placeholder of another shape would leave them beside it."""
    fw, fh = frame or (None, None)
    if not fw or not fh or fw <= 0 or fh <= 0:
        return size, max(1, size * 3 // 4)
    if fw >= fh:
        return size, max(1, round(size * fh / fw))
    return max(1, round(size * fw / fh)), size


def placeholder(
    code: str,
    size: int,
    fmt: str = "jpeg",
    frame: tuple[int | None, int | None] | None = None,
) -> bytes:
    """A neutral grey tile naming the problem, encoded: longest side ``size``, shaped like
    ``frame`` (:func:`placeholder_size`)."""
    return _placeholder(code, *placeholder_size(size, frame), fmt)


@lru_cache(maxsize=64)
def _placeholder(code: str, width: int, height: int, fmt: str) -> bytes:
    im = Image.new("RGB", (width, height), (224, 224, 224))
    draw = ImageDraw.Draw(im)
    size = max(width, height)
    inset = max(2, size // 32)
    line = max(1, size // 128)
    right, bottom = max(inset, width - 1 - inset), max(inset, height - 1 - inset)
    draw.rectangle([inset, inset, right, bottom], outline=(160, 160, 160), width=line)
    # A crossed-out frame reads as "no picture" without any font.
    draw.line([inset, inset, right, bottom], fill=(190, 190, 190), width=line)
    draw.line([inset, bottom, right, inset], fill=(190, 190, 190), width=line)
    text = _PLACEHOLDER_TEXT.get(code, code)
    try:
        from PIL import ImageFont

        # The largest font up to the square tile's whose text fits inside the frame (a
        # narrow placeholder gets smaller text, a very flat one none).
        for font_size in range(max(10, size // 12), 7, -1):
            font = ImageFont.load_default(size=font_size)
            box = draw.textbbox((0, 0), text, font=font)
            tw, th = box[2] - box[0], box[3] - box[1]
            if tw + 4 * inset <= width and th + 4 * inset <= height:
                break
        else:
            return encode(im, fmt)
        pos = ((width - tw) / 2, (height - th) / 2)
        draw.rectangle(
            [pos[0] - 4, pos[1] - 2, pos[0] + tw + 4, pos[1] + th + 6], fill=(224, 224, 224)
        )
        draw.text(pos, text, fill=(80, 80, 80), font=font)
    except Exception:  # no FreeType: the crossed frame alone still says it
        pass
    return encode(im, fmt)
