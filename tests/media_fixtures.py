"""Images made by the tests (every mode, EXIF orientations, bombs, broken files), a catalog
dataset pointing at them, and a GCS emulator on loopback."""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from collections.abc import Iterator
from datetime import datetime

import numpy as np
import pytest
from PIL import Image

from tests.gcs_emulator import running_emulator
from visionlens_jlab.catalog import Catalog

# ----------------------------------------------------------------------------- images


def photo(width: int = 320, height: int = 240, seed: int = 0) -> Image.Image:
    """A smooth RGB test picture with an asymmetric marker (red top-left, blue bottom-right)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(40, 200, (max(1, height // 16), max(1, width // 16), 3), dtype=np.uint8)
    im = Image.fromarray(small, "RGB").resize((width, height), Image.Resampling.BILINEAR)
    arr = np.asarray(im).copy()
    arr[: height // 4, : width // 4] = (255, 0, 0)
    arr[-height // 4 :, -width // 4 :] = (0, 0, 255)
    return Image.fromarray(arr, "RGB")


def rgb(im: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The pixel of ``im`` at ``xy`` as RGB values (Pillow's own return type is loose)."""
    pixel = im.convert("RGB").getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel


def encode(im: Image.Image, fmt: str = "JPEG", **kwargs: object) -> bytes:
    """Encode an image to bytes."""
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


def jpeg_with_orientation(orientation: int, width: int = 320, height: int = 240) -> bytes:
    """A JPEG whose stored pixels are ``photo()`` with the given EXIF orientation tag."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(photo(width, height), "JPEG", quality=95, exif=exif.tobytes())


def mode_images() -> dict[str, tuple[str, bytes]]:
    """``{name: (extension, bytes)}`` covering grayscale, palette, CMYK, 16-bit, alpha, 1-bit."""
    base = photo(200, 150)
    gray16 = Image.fromarray((np.linspace(0, 65535, 200 * 150).reshape(150, 200)).astype(np.uint16))
    rgba = base.convert("RGBA")
    alpha = np.asarray(rgba).copy()
    alpha[:, :100, 3] = 0  # left half transparent
    rgba = Image.fromarray(alpha, "RGBA")
    palette = base.quantize(16)
    palette_t = palette.copy()
    palette_t.info["transparency"] = 0
    return {
        "gray": (".png", encode(base.convert("L"), "PNG")),
        "gray_jpeg": (".jpg", encode(base.convert("L"), "JPEG")),
        "palette": (".png", encode(palette, "PNG")),
        "palette_transparent": (".png", encode(palette_t, "PNG", transparency=0)),
        "cmyk": (".jpg", encode(base.convert("CMYK"), "JPEG")),
        "gray16": (".png", encode(gray16, "PNG")),
        "rgba": (".png", encode(rgba, "PNG")),
        "la": (".png", encode(base.convert("LA"), "PNG")),
        "bilevel": (".png", encode(base.convert("1"), "PNG")),
        "gif": (".gif", encode(palette, "GIF")),
        "webp": (".webp", encode(base, "WEBP")),
        "bmp": (".bmp", encode(base, "BMP")),
        "tiff": (".tif", encode(base, "TIFF")),
    }


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb)."""
    data = bytearray(encode(Image.new("L", (8, 8)), "PNG"))
    # IHDR data starts at byte 16: width, height (big-endian), then the rest; CRC after 13 bytes.
    data[16:24] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF
    data[29:33] = struct.pack(">I", crc)
    return bytes(data)


def truncated_jpeg() -> bytes:
    """The first 60% of a real JPEG."""
    data = encode(photo(640, 480), "JPEG", quality=90)
    return data[: len(data) * 6 // 10]


CORRUPT_BYTES = b"\x00\x01this is not an image at all\xff" * 10
UNSUPPORTED_BYTES = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


# ----------------------------------------------------------------------------- catalog


def add_dataset(
    catalog: Catalog,
    name: str,
    media_root: str,
    locations: list[str],
    *,
    file_names: list[str] | None = None,
) -> list[int]:
    """Insert a dataset with one sample per location straight into the catalog (test helper,
    so media tests do not depend on the ingest parsers). Returns the sample ids."""
    with catalog.write() as cur:
        dataset_id = Catalog.next_id(cur, "datasets", "dataset_id")
        first = Catalog.next_id(cur, "samples", "sample_id")
        ids = list(range(first, first + len(locations)))
        names = file_names or [os.path.basename(loc) for loc in locations]
        cur.executemany(
            "INSERT INTO samples VALUES (?, ?, ?, ?, NULL, NULL, NULL, NULL, [], NULL)",
            [
                [sid, dataset_id, fn, loc]
                for sid, fn, loc in zip(ids, names, locations, strict=True)
            ],
        )
        cur.execute(
            "INSERT INTO datasets VALUES (?, ?, 'coco', ?, ?, ?, ?, 0, ?)",
            [dataset_id, name, media_root, media_root, datetime.now(), len(ids), json.dumps({})],
        )
    return ids


# ----------------------------------------------------------------------------- GCS emulator


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[str]:
    """A ``gcp-storage-emulator`` on 127.0.0.1 (in memory) for the session; yields its URL.

    ``STORAGE_EMULATOR_HOST`` is set for the session, so google-cloud-storage (and worker
    processes, which inherit the environment) talk to it anonymously.
    """
    with running_emulator() as host:
        yield host


def gcs_bucket(name: str) -> object:
    """Create (or get) a bucket in the emulator."""
    from google.cloud import storage

    client = storage.Client(project="test")
    bucket = client.bucket(name)
    if not bucket.exists():
        bucket = client.create_bucket(name)
    return bucket


def gcs_upload(bucket: object, key: str, data: bytes, content_type: str = "image/jpeg") -> None:
    """Upload bytes as an object."""
    bucket.blob(key).upload_from_string(data, content_type=content_type)  # type: ignore[attr-defined]
