"""A dataset of real photos with planted duplicates, and vectors computed from its pixels.

From the shared Pascal VOC photos (cartucho-map): 20 originals in ``train`` plus a byte
copy of one of them in ``train`` (a duplicate, not a leak); in ``val`` two byte copies of
train images, two JPEG quality-60 re-encodings and two 90 % resizes of train images, and
five unrelated photos. So, by construction:

* exact (byte-identical) pairs: 3; perceptual pairs: 7 (the 3 copies and the 4 re-encoded
  or resized images); near pairs at a 0.98 threshold on :func:`descriptor` vectors: 7;
* leaks (val sample with a duplicate in train): 6 pairs, each listed once under its
  strongest kind (2 exact, 4 perceptual; all 6 are also near), 6 distinct val samples;
  7 groups of 2.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.vectors import VectorStore

from .catalog_fixtures import RowsSource
from .paths import DATASETS

PHOTOS = sorted((DATASETS / "cartucho-map" / "images").glob("*.jpg"))
MODEL, VERSION, DIM = "pixels-8x8", "test", 64
THRESHOLD = 0.98
EXPECTED = {"exact": 3, "perceptual": 7, "near": 7}
EXPECTED_LEAKS = {"exact": 2, "perceptual": 4}


def descriptor(data: bytes) -> np.ndarray:
    """An 8x8 grey thumbnail minus its mean, normalized: re-encoded or resized copies keep
    cosine > 0.9999, unrelated photos stay below 0.83."""
    with Image.open(io.BytesIO(data)) as im:
        small = im.convert("L").resize((8, 8), Image.Resampling.BOX)
    v = np.asarray(small, dtype=np.float32).ravel()
    v -= v.mean()
    return v / np.linalg.norm(v)


def _reencode(src: Path, dst: Path, scale: float, quality: int) -> None:
    with Image.open(src) as original:
        im = original.convert("RGB")
        if scale != 1:
            im = im.resize((int(im.width * scale), int(im.height * scale)))
        im.save(dst, "JPEG", quality=quality)


def make_planted_images(root: Path) -> list[tuple[str, str]]:
    """Write the images under ``root``; returns ``(file_name, split)`` per sample."""
    (root / "train").mkdir(parents=True)
    (root / "val").mkdir()
    out: list[tuple[str, str]] = []
    for k, photo in enumerate(PHOTOS[:20]):
        shutil.copy(photo, root / "train" / f"t{k}.jpg")
        out.append((f"train/t{k}.jpg", "train"))
    shutil.copy(PHOTOS[6], root / "train" / "t6_copy.jpg")
    out.append(("train/t6_copy.jpg", "train"))
    for k in (0, 1):
        shutil.copy(PHOTOS[k], root / "val" / f"copy{k}.jpg")
        out.append((f"val/copy{k}.jpg", "val"))
    for k in (2, 3):
        _reencode(PHOTOS[k], root / "val" / f"q60_{k}.jpg", 1.0, 60)
        out.append((f"val/q60_{k}.jpg", "val"))
    for k in (4, 5):
        _reencode(PHOTOS[k], root / "val" / f"small_{k}.jpg", 0.9, 90)
        out.append((f"val/small_{k}.jpg", "val"))
    for k, photo in enumerate(PHOTOS[20:25]):
        shutil.copy(photo, root / "val" / f"other{k}.jpg")
        out.append((f"val/other{k}.jpg", "val"))
    return out


class PlantedSource(RowsSource):
    """The planted images as a dataset whose media root is ``root``."""

    def __init__(self, root: Path, files: list[tuple[str, str]]) -> None:
        samples: list[dict[str, Any]] = [
            {
                "file_name": name,
                "location": str(root / name),
                "width": 1,
                "height": 1,
                "split": split,
                "source_image_id": name,
                "fields": None,
            }
            for name, split in files
        ]
        super().__init__(samples, [], ["thing"])
        self.media_root = str(root)


def add_planted_dataset(
    catalog: Catalog, store: VectorStore | None, root: Path, name: str = "planted"
) -> dict[str, int]:
    """Ingest the planted dataset and (if ``store``) its descriptor vectors; returns
    ``{file_name: sample_id}``."""
    files = make_planted_images(root)
    write_dataset(catalog, name, PlantedSource(root, files))
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, name)
        rows = cur.execute(
            "SELECT file_name, sample_id FROM samples WHERE dataset_id = ?", [dataset_id]
        ).fetchall()
    ids = {str(r[0]): int(r[1]) for r in rows}
    if store is not None:
        space = store.ensure_space(MODEL, VERSION, DIM).name
        names = sorted(ids)
        vectors = np.array([descriptor((root / n).read_bytes()) for n in names])
        store.upsert(space, [ids[n] for n in names], vectors, dataset_id)
    return ids
