"""Thumbnail rendering (every image mode, EXIF orientations, bad media) and the disk cache."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from visionlens_jlab.media import imaging
from visionlens_jlab.media.cache import ThumbnailCache, cache_key
from visionlens_jlab.media.errors import MediaError
from visionlens_jlab.media.image_source import SourceVersion

from .media_fixtures import (
    CORRUPT_BYTES,
    UNSUPPORTED_BYTES,
    encode,
    jpeg_with_orientation,
    mode_images,
    photo,
    png_claiming_size,
    rgb,
    truncated_jpeg,
)
from .paths import DATASETS


def decode(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def test_snap_size() -> None:
    assert [imaging.snap_size(n) for n in (1, 128, 150, 192, 200, 256, 300, 384, 400, 9999)] == [
        128, 128, 128, 256, 256, 256, 256, 512, 512, 512,
    ]  # fmt: skip


@pytest.mark.parametrize("size", [128, 256, 512])
def test_real_jpegs_longest_side_and_content(size: int) -> None:
    for path in sorted((DATASETS / "padilla-review-voc100" / "images").glob("*.jpg"))[:5]:
        data = path.read_bytes()
        thumb, content_type = imaging.render_thumbnail(data, size, "jpeg")
        assert content_type == "image/jpeg"
        out = decode(thumb)
        with Image.open(path) as src:
            w, h = src.size
            expected = src.convert("RGB")
        longest = min(size, max(w, h))  # never enlarged
        assert max(out.size) == longest
        assert abs(out.size[0] / out.size[1] - w / h) < 0.02
        # Same picture as a careful reference resize (mean abs error in 0..255).
        ref = np.asarray(expected.resize(out.size, Image.Resampling.LANCZOS), dtype=np.float32)
        # (two different photos differ by ~60; DCT-scaled decoding + JPEG cost ~5-10)
        assert np.abs(np.asarray(out.convert("RGB"), dtype=np.float32) - ref).mean() < 15


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(orientation: int) -> None:
    data = jpeg_with_orientation(orientation, 320, 240)
    out = decode(imaging.render_thumbnail(data, 128, "jpeg")[0]).convert("RGB")
    reference = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    assert out.size == (
        reference.size[0] * 128 // max(reference.size),
        reference.size[1] * 128 // max(reference.size),
    )
    ref = np.asarray(reference.resize(out.size, Image.Resampling.LANCZOS), dtype=np.float32)
    assert np.abs(np.asarray(out, dtype=np.float32) - ref).mean() < 10


def test_every_mode_renders_right() -> None:
    images = mode_images()
    for name, (_, data) in images.items():
        for variant in ("jpeg", "auto", "webp"):
            thumb, content_type = imaging.render_thumbnail(data, 128, variant)
            out = decode(thumb)
            assert out.size == (128, 96), name
            assert content_type == ("image/jpeg" if variant == "jpeg" else content_type)
            assert imaging.CONTENT_TYPES[str(out.format).lower()] == content_type, name

    # Colour images keep their colours: the red marker stays red (CMYK, palette, WebP, TIFF...).
    for name in ("palette", "cmyk", "gif", "webp", "bmp", "tiff", "rgba"):
        out = decode(imaging.render_thumbnail(images[name][1], 128, "jpeg")[0]).convert("RGB")
        r, g, b = rgb(out, (127 - 100, 10) if name == "rgba" else (5, 5))
        if name == "rgba":  # left half transparent → white on JPEG
            assert min(r, g, b) > 230, (name, (r, g, b))
        else:
            assert r > 200 and g < 60 and b < 60, (name, (r, g, b))
    # 16-bit grayscale is scaled, not clipped: a top-to-bottom ramp stays a ramp.
    ramp = np.asarray(decode(imaging.render_thumbnail(images["gray16"][1], 128, "jpeg")[0]))
    assert ramp[0].mean() < 20 and ramp[-1].mean() > 235 and 100 < ramp[48].mean() < 155
    # Alpha survives in WebP when the browser takes it, and only when there is transparency.
    for name in ("rgba", "palette_transparent"):
        thumb, content_type = imaging.render_thumbnail(images[name][1], 128, "auto")
        assert content_type == "image/webp"
        assert decode(thumb).mode == "RGBA"
    assert imaging.render_thumbnail(images["la"][1], 128, "auto")[1] == "image/jpeg"  # opaque


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (png_claiming_size(100_000, 100_000), "too_large"),  # Pillow's bomb error
        (png_claiming_size(9_000, 9_000), "too_large"),  # over our decode limit
        (truncated_jpeg(), "corrupt"),
        (CORRUPT_BYTES, "corrupt"),
        (b"", "corrupt"),
        (UNSUPPORTED_BYTES, "unsupported"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "unsupported"),
    ],
)
def test_bad_media_codes(data: bytes, code: str) -> None:
    with pytest.raises(MediaError) as exc:
        imaging.render_thumbnail(data, 256, "jpeg")
    assert exc.value.code == code


def test_huge_jpeg_decodes_through_dct_scaling() -> None:
    # 8200 x 8200 = 67 MP is over the decode limit, but JPEG decodes it at 1/8 scale.
    big = encode(Image.new("RGB", (8200, 8200), (10, 200, 30)), "JPEG", quality=50)
    out = decode(imaging.render_thumbnail(big, 256, "jpeg")[0])
    assert out.size == (256, 256)
    assert rgb(out, (128, 128))[1] > 180


def test_placeholder_is_an_image() -> None:
    for code in ("missing", "corrupt", "too_large", "unsupported"):
        out = decode(imaging.placeholder(code, 256))
        assert out.format == "JPEG" and out.size == (256, 192)


def test_placeholder_takes_the_shape_of_its_frame() -> None:
    assert imaging.placeholder_size(256, (480, 640)) == (192, 256)
    assert imaging.placeholder_size(256, (1000, 300)) == (256, 77)
    assert imaging.placeholder_size(512, (None, None)) == (512, 384)
    assert imaging.placeholder_size(512, (0, 10)) == (512, 384)
    for frame in ((480, 640), (1000, 300), (10000, 10)):
        out = decode(imaging.placeholder("missing", 256, frame=frame))
        assert out.size == imaging.placeholder_size(256, frame)


def test_original_content_type() -> None:
    assert imaging.original_content_type(encode(photo(), "PNG")) == "image/png"
    assert imaging.original_content_type(encode(photo(), "JPEG")) == "image/jpeg"
    with pytest.raises(MediaError):
        imaging.original_content_type(CORRUPT_BYTES)


# ----------------------------------------------------------------------------- cache


def test_cache_key_depends_on_version_size_and_variant() -> None:
    v1, v2 = SourceVersion("1-10", 10), SourceVersion("2-10", 10)
    keys = {
        cache_key("/a.jpg", v1, 256, "jpeg"),
        cache_key("/a.jpg", v2, 256, "jpeg"),
        cache_key("/a.jpg", v1, 128, "jpeg"),
        cache_key("/a.jpg", v1, 256, "auto"),
        cache_key("/b.jpg", v1, 256, "jpeg"),
    }
    assert len(keys) == 5


def test_cache_roundtrip_errors_and_eviction(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs", max_bytes=10_000)
    assert cache.get("ab" * 20) is None
    cache.put("ab" * 20, b"\xff\xd8payload\xff\xd9")  # cached entries are whole JPEG/WebP files
    entry = cache.get("ab" * 20)
    assert entry is not None and entry.data == b"\xff\xd8payload\xff\xd9" and entry.error is None
    cache.put_error("cd" * 20, "corrupt")
    entry = cache.get("cd" * 20)
    assert entry is not None and entry.error == "corrupt"

    # Fill past the cap: the least recently used entries go, down to 90% of the cap.
    now = time.time()
    keys = [f"{i:02x}" + "0" * 38 for i in range(20)]
    for i, key in enumerate(keys):
        cache.put(key, b"\xff\xd8" + b"x" * 996 + b"\xff\xd9")
        os.utime(cache.path(key), (now - 1000 + i, now - 1000 + i))
    assert cache.usage() <= 10_000
    survivors = [k for k in keys if cache.get(k) is not None]
    assert survivors == keys[len(keys) - len(survivors) :]  # the newest ones
    assert 7 <= len(survivors) <= 9


def test_cache_hit_refreshes_old_entries(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path)
    cache.put("ef" * 20, b"\xff\xd8data\xff\xd9")
    old = time.time() - 10 * 3600
    os.utime(cache.path("ef" * 20), (old, old))
    assert cache.get("ef" * 20) is not None
    assert cache.path("ef" * 20).stat().st_mtime > old + 3600


def test_gcs_version_index_expires(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path, gcs_revalidate_s=60)
    assert cache.gcs_version("gs://b/a.jpg") is None
    cache.set_gcs_version("gs://b/a.jpg", SourceVersion("g42", 100))
    assert cache.gcs_version("gs://b/a.jpg") == SourceVersion("g42", 100)
    index = next((tmp_path / "gcs").rglob("*"))
    while index.is_dir():
        index = next(index.iterdir())
    old = time.time() - 120
    os.utime(index, (old, old))
    assert cache.gcs_version("gs://b/a.jpg") is None


def test_jpeg_decoded_in_one_call_gives_the_same_thumbnail(monkeypatch: pytest.MonkeyPatch) -> None:
    # render_thumbnail hands libjpeg the whole file at once (1-2% faster than Pillow's 64 KB
    # pieces): same pixels, and a truncated file is still corrupt.
    noisy = Image.merge("RGB", [Image.effect_noise((1280, 720), 60) for _ in range(3)])
    data = encode(noisy, "JPEG", quality=95)
    assert len(data) > 4 * 65536  # several pieces the old way
    whole = imaging.render_thumbnail(data, 256, "jpeg")
    with pytest.raises(MediaError) as exc:
        imaging.render_thumbnail(data[: len(data) // 2], 256, "jpeg")
    assert exc.value.code == "corrupt"
    monkeypatch.setattr(imaging, "DECODE_BLOCK_MAX", 0)  # back to Pillow's pieces
    assert imaging.render_thumbnail(data, 256, "jpeg") == whole
