"""Synthetic photos with planted image-quality issues (tests and the benchmark).

"Natural-ish" content: a smooth two-colour gradient, a dozen random filled shapes, some
texture noise, at COCO-like sizes (560-720 x 400-540), JPEG quality 88. Planted issues, each
on its own image: ``dark`` (content scaled into 0-55), ``light`` (into 246-255), ``blurry``
(smooth colours, darker borders, Gaussian blur radius 6-9), ``low_information`` (one flat colour), ``grayscale`` (a
single-channel JPEG), ``odd_aspect_ratio`` (a 4:1 or 1:4 strip), ``odd_size`` (tiny 64x48
or large 1800x1350). ``clean`` images have none by construction.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset

from .catalog_fixtures import RowsSource

PLANTED = (
    "dark",
    "light",
    "blurry",
    "low_information",
    "grayscale",
    "odd_aspect_ratio",
    "odd_size",
)


def natural(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A colourful image with edges and texture."""
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = np.linspace(0, 1, width)[None, :, None] * rng.uniform(0.3, 1)
    t = t + np.linspace(0, 1, height)[:, None, None] * rng.uniform(0, 0.7)
    base = c0 * (1 - t / t.max()) + c1 * (t / t.max())
    im = Image.fromarray(base.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(im)
    for _ in range(int(rng.integers(6, 16))):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(20, width // 2)), int(rng.integers(20, height // 2))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x0 + w, y0 + h), fill=fill)
    px = np.asarray(im, dtype=np.int16) + rng.normal(0, 6, (height, width, 1)).astype(np.int16)
    return Image.fromarray(np.clip(px, 0, 255).astype(np.uint8), "RGB")


def planted_image(rng: np.random.Generator, issue: str) -> Image.Image:
    """One image with ``issue`` (one of :data:`PLANTED`, or ``clean``)."""
    width, height = int(rng.integers(560, 721)), int(rng.integers(400, 541))
    if issue == "odd_aspect_ratio":
        width, height = (800, 200) if rng.random() < 0.5 else (150, 600)
    elif issue == "odd_size":
        width, height = (64, 48) if rng.random() < 0.5 else (1800, 1350)
    if issue == "low_information":
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        return Image.new("RGB", (width, height), colour)
    im = natural(rng, width, height)
    if issue == "dark":
        return Image.fromarray((np.asarray(im) * (55 / 255)).astype(np.uint8), "RGB")
    if issue == "light":
        return Image.fromarray((246 + np.asarray(im) * (9 / 255)).astype(np.uint8), "RGB")
    if issue == "blurry":
        # smooth colours over a wide range of greys, darker towards the border (cleanvision's
        # edge image keeps the border's pixels as they are: bright borders read as sharp)
        field = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
        smooth = Image.fromarray(field, "RGB").resize((width, height), Image.Resampling.BICUBIC)
        yy, xx = np.mgrid[-1 : 1 : height * 1j, -1 : 1 : width * 1j]
        vignette = np.clip(1.1 - 0.8 * np.maximum(np.abs(xx), np.abs(yy)) ** 2, 0.25, 1)
        px = np.asarray(Image.blend(smooth, im, 0.1)) * vignette[..., None]
        blurred = Image.fromarray(px.astype(np.uint8), "RGB")
        return blurred.filter(ImageFilter.GaussianBlur(float(rng.uniform(6, 9))))
    if issue == "grayscale":
        return im.convert("L")
    return im


def write_images(root: Path, issues: list[str], *, seed: int = 0, start: int = 0) -> dict[str, Any]:
    """Write one JPEG per entry of ``issues`` (names ``img{k:06d}.jpg`` from ``start``).
    Returns ``{file_name: (issue, (width, height))}``."""
    root.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {}
    for k, issue in enumerate(issues, start):
        image = planted_image(np.random.default_rng((seed, k)), issue)
        name = f"img{k:06d}.jpg"
        image.save(root / name, "JPEG", quality=88)
        out[name] = (issue, image.size)
    return out


def planted_issues(
    n: int, *, seed: int = 0, planted_share: float = 0.25, start: int = 0
) -> list[str]:
    """``n`` issue names: about ``planted_share`` of them planted, evenly over
    :data:`PLANTED`, the rest ``clean``."""
    rng = np.random.default_rng((seed, 1))
    draws = rng.random(start + n)[start:]
    return [
        PLANTED[k % len(PLANTED)] if d < planted_share else "clean"
        for k, d in enumerate(draws, start)
    ]


def add_dataset(catalog: Catalog, root: Path, files: dict[str, Any], name: str) -> dict[str, int]:
    """Ingest the written images as a dataset (their true sizes, no objects); returns
    ``{file_name: sample_id}``."""
    samples = [
        {"file_name": f, "location": str(root / f), "width": w, "height": h, "split": None,
         "source_image_id": f, "fields": None}
        for f, (_issue, (w, h)) in files.items()
    ]  # fmt: skip
    source = RowsSource(samples, [], ["thing"])
    source.media_root = str(root)
    write_dataset(catalog, name, source)
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT file_name, sample_id FROM samples WHERE dataset_id = ?",
            [catalog.dataset_id(cur, name)],
        ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def write_coco(root: Path, names: list[str], sizes: list[tuple[int, int]]) -> Path:
    """A COCO file listing the images (no objects) beside them; returns its path."""
    images = [
        {"id": k + 1, "file_name": name, "width": w, "height": h}
        for k, (name, (w, h)) in enumerate(zip(names, sizes, strict=True))
    ]
    path = root / "coco.json"
    path.write_text(
        json.dumps({"images": images, "annotations": [], "categories": [{"id": 1, "name": "x"}]})
    )
    return path
