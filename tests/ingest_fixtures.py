"""Helpers for the ingest tests and the ingest benchmark: a catalog, one-call ingest, and fast
generators of COCO / YOLO / VOC trees of any size."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

from tests.paths import DATASETS
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.ingest_summary import IngestSummary
from visionlens_jlab.ingest.open import open_dataset, open_predictions

__all__ = [
    "DATASETS",
    "allowed_settings",
    "count",
    "ingest",
    "ingest_predictions",
    "queued_job",
    "tiny_jpeg",
    "write_coco",
    "write_voc",
    "write_yolo",
]


def ingest(catalog: Catalog, name: str, source: Any, **kw: Any) -> IngestSummary:
    """Open ``source`` with :func:`open_dataset` and write it as ``name``."""
    return write_dataset(catalog, name, open_dataset(str(source), **kw))


def ingest_predictions(
    catalog: Catalog, dataset: str, model: str, source: Any, **kw: Any
) -> IngestSummary:
    """Open ``source`` with :func:`open_predictions` and write it as ``model``."""
    return write_predictions(catalog, dataset, model, open_predictions(str(source), **kw))


def count(catalog: Catalog, sql: str, params: list[Any] | None = None) -> Any:
    """First column of the first row of a read query."""
    with catalog.cursor() as cur:
        row = cur.execute(sql, params or []).fetchone()
    return row[0] if row else None


_JPEG_CACHE: dict[tuple[int, int], bytes] = {}


def tiny_jpeg(width: int = 64, height: int = 48) -> bytes:
    """The bytes of a small grey JPEG of the given size (cached)."""
    key = (width, height)
    if key not in _JPEG_CACHE:
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.new("RGB", key, (128, 128, 128)).save(buf, "JPEG", quality=50)
        _JPEG_CACHE[key] = buf.getvalue()
    return _JPEG_CACHE[key]


def write_coco(
    path: Path,
    n_images: int,
    boxes_per_image: int = 7,
    *,
    seed: int = 0,
    polygon_points: int = 8,
    n_classes: int = 80,
    categories_last: bool = False,
) -> int:
    """Write a COCO instances file (strings built directly: fast enough for 100K images).

    Returns the number of annotations. ``categories_last`` mimics the official val2014
    key order (annotations, images, categories).
    """
    rnd = random.Random(seed)
    cats = ",".join(
        f'{{"id":{i + 1},"name":"class_{i}","supercategory":"thing"}}' for i in range(n_classes)
    )
    images = ",".join(
        f'{{"id":{i + 1},"file_name":"{i + 1:012d}.jpg","width":640,"height":480,'
        f'"license":1,"date_captured":"2013-11-15 11:55:43"}}'
        for i in range(n_images)
    )
    parts = []
    aid = 0
    uniform, rand = rnd.uniform, rnd.random
    for i in range(n_images):
        for _ in range(boxes_per_image):
            aid += 1
            x, y = uniform(0, 500), uniform(0, 400)
            w, h = uniform(5, 140), uniform(5, 80)
            poly = ",".join(
                f"{x + rand() * w:.2f},{y + rand() * h:.2f}" for _ in range(polygon_points)
            )
            parts.append(
                f'{{"segmentation":[[{poly}]],"area":{w * h * 0.7:.3f},"iscrowd":0,'
                f'"image_id":{i + 1},"bbox":[{x:.2f},{y:.2f},{w:.2f},{h:.2f}],'
                f'"category_id":{rnd.randint(1, n_classes)},"id":{aid}}}'
            )
    annotations = ",".join(parts)
    with open(path, "w", encoding="utf-8") as f:
        if categories_last:
            f.write(
                f'{{"annotations":[{annotations}],"images":[{images}],'
                f'"categories":[{cats}],"info":{{}},"licenses":[]}}'
            )
        else:
            f.write(
                f'{{"info":{{"description":"generated"}},"licenses":[],'
                f'"categories":[{cats}],"images":[{images}],"annotations":[{annotations}]}}'
            )
    return aid


def write_yolo(
    root: Path,
    n_images: int,
    boxes_per_image: int = 7,
    *,
    seed: int = 0,
    splits: tuple[str, ...] = ("train", "val"),
) -> int:
    """Write an Ultralytics-layout YOLO tree (data.yaml, images/<split>, labels/<split>)."""
    rnd = random.Random(seed)
    jpeg = tiny_jpeg()
    n_boxes = 0
    for s in splits:
        os.makedirs(root / "images" / s, exist_ok=True)
        os.makedirs(root / "labels" / s, exist_ok=True)
    for i in range(n_images):
        split = splits[i % len(splits)]
        stem = f"{i:07d}"
        with open(root / "images" / split / f"{stem}.jpg", "wb") as f:
            f.write(jpeg)
        lines = []
        for _ in range(boxes_per_image):
            w, h = rnd.uniform(0.05, 0.4), rnd.uniform(0.05, 0.4)
            xc, yc = rnd.uniform(w / 2, 1 - w / 2), rnd.uniform(h / 2, 1 - h / 2)
            lines.append(f"{rnd.randrange(20)} {xc:.6f} {yc:.6f} {w:.6f} {h:.6f}")
        n_boxes += len(lines)
        with open(root / "labels" / split / f"{stem}.txt", "w") as f:
            f.write("\n".join(lines) + "\n")
    names = "\n".join(f"  {k}: c{k}" for k in range(20))
    (root / "data.yaml").write_text(
        "path: .\n" + "".join(f"{s}: images/{s}\n" for s in splits) + f"names:\n{names}\n"
    )
    return n_boxes


def write_voc(root: Path, n_images: int, boxes_per_image: int = 3, *, seed: int = 0) -> int:
    """Write a VOC root (Annotations/, JPEGImages/, ImageSets/Main/train.txt + val.txt)."""
    rnd = random.Random(seed)
    classes = ["person", "car", "dog", "cat", "chair"]
    for d in ("Annotations", "JPEGImages", "ImageSets/Main"):
        os.makedirs(root / d, exist_ok=True)
    jpeg = tiny_jpeg()
    ids: dict[str, list[str]] = {"train": [], "val": []}
    n_boxes = 0
    for i in range(n_images):
        stem = f"2024_{i:06d}"
        ids["train" if i % 4 else "val"].append(stem)
        with open(root / "JPEGImages" / f"{stem}.jpg", "wb") as f:
            f.write(jpeg)
        objects = []
        for _ in range(boxes_per_image):
            x1, y1 = rnd.randint(0, 40), rnd.randint(0, 30)
            objects.append(
                f"<object><name>{rnd.choice(classes)}</name><pose>Unspecified</pose>"
                f"<truncated>0</truncated><difficult>{int(rnd.random() < 0.1)}</difficult>"
                f"<bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x1 + rnd.randint(2, 20)}</xmax>"
                f"<ymax>{y1 + rnd.randint(2, 15)}</ymax></bndbox></object>"
            )
        n_boxes += len(objects)
        (root / "Annotations" / f"{stem}.xml").write_text(
            f"<annotation><folder>VOC</folder><filename>{stem}.jpg</filename><size><width>64"
            f"</width><height>48</height><depth>3</depth></size>{''.join(objects)}</annotation>"
        )
    for split, stems in ids.items():
        (root / "ImageSets" / "Main" / f"{split}.txt").write_text("\n".join(stems) + "\n")
    return n_boxes


def allowed_settings(tmp_path: Path, root_dir: Path) -> dict[str, Any]:
    """A test server's settings that confine ingests to ``tmp_path / "allowed"`` (made
    here) and the server's root folder: what a test module's ``vl_settings`` returns."""
    (tmp_path / "allowed").mkdir()
    return {"allowed_roots": [str(tmp_path / "allowed"), str(root_dir)]}


async def queued_job(api: Any, wait_job: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` to the route ``path``, which answers 202 with a job, and the job once
    it has ended."""
    status, answer = await api("POST", path, body)
    assert status == 202, answer
    return dict(await wait_job(answer["job"], timeout=120))
