"""Generate the demo dataset: JPEG images, COCO ground truth and simulated predictions.

Every image is made from its own random streams, seeded by ``(seed, image index)``, so the
output is identical whatever the number of worker processes and image ``i`` does not change
when ``images`` grows. The files are written to a temporary sibling directory and renamed
into place at the end: an interrupted run never leaves a half demo that looks complete.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import ImageDraw

from . import scenes
from .copies import apply_copy, copy_plan
from .labels import classify, ground_truth_keypoints, image_label, predicted_geometry
from .model import DEFAULT_PARAMS, Box, GroundTruth, ModelParams, iou, predict
from .shapes import CLASSES, KEYPOINT_CLASS, KEYPOINT_NAMES, SKELETON, SUPERCATEGORY, Shape
from .signatures import write_blind_spots

GENERATOR_VERSION = 3
"""Bump when the same seed would produce different files, so old copies are regenerated."""

WIDTH, HEIGHT = 320, 240
JPEG_QUALITY = 85
TRAIN_FRACTION = 0.8
MAX_OBJECTS = 8
RADIUS_RANGE = (6.0, 72.0)  # log-uniform; COCO "small" (area < 32^2) is roughly r < 16
ANNOTATIONS_FILE = "annotations.json"
PREDICTIONS_FILE = "predictions.json"
BLIND_SPOTS_FILE = "blind_spots.json"
LABELS_FILE = "image_labels.csv"
CLASSIFIER_FILE = "classifier.csv"
IMAGES_DIR = "images"
PARALLEL_THRESHOLD = 400  # below this, starting worker processes costs more than it saves

ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class DemoFiles:
    """Where a generated demo lives."""

    root: Path
    annotations: Path
    predictions: Path
    images: Path
    blind_spots: Path
    image_labels: Path
    classifier: Path

    @classmethod
    def at(cls, root: str | os.PathLike[str]) -> DemoFiles:
        """The file layout under ``root`` (whether or not it exists yet)."""
        r = Path(root)
        return cls(
            r, r / ANNOTATIONS_FILE, r / PREDICTIONS_FILE, r / IMAGES_DIR, r / BLIND_SPOTS_FILE,
            r / LABELS_FILE, r / CLASSIFIER_FILE,
        )  # fmt: skip


def existing_demo(
    out_dir: str | os.PathLike[str], *, images: int, seed: int, blind_spots: bool = True
) -> DemoFiles | None:
    """The demo already in ``out_dir`` if it is complete and was made with these settings."""
    files = DemoFiles.at(out_dir)
    try:
        meta = json.loads(files.blind_spots.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = (
        isinstance(meta, dict)
        and meta.get("generator_version") == GENERATOR_VERSION
        and meta.get("images") == images
        and meta.get("seed") == seed
        and meta.get("blind_spots_enabled", True) == blind_spots
        and files.annotations.is_file()
        and files.predictions.is_file()
        and files.image_labels.is_file()
        and files.classifier.is_file()
    )
    return files if ok else None


def generate_demo(
    out_dir: str | os.PathLike[str],
    *,
    images: int = 3000,
    seed: int = 0,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    blind_spots: bool = True,
) -> DemoFiles:
    """Generate ``images`` demo images with ground truth and predictions into ``out_dir``.

    ``out_dir`` is replaced if it exists. ``workers`` defaults to :func:`default_workers`.
    ``blind_spots=False`` simulates the model with every blind spot switched off
    (:meth:`ModelParams.without_blind_spots`): a control on which any finding is false.
    ``progress(fraction, message)`` is called about 20 times. Returns the written paths.
    """
    if images < 1:
        raise ValueError("the demo needs at least 1 image")
    final = Path(out_dir)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    files = DemoFiles.at(tmp)
    files.images.mkdir(parents=True)
    try:
        records = _render_all(files.images, images, seed, workers, progress, blind_spots)
        coco, preds = _assemble(records, seed)
        _write_json(files.annotations, coco)
        _write_json(files.predictions, preds)
        _write_classifications(files, records)
        params = DEFAULT_PARAMS if blind_spots else ModelParams.without_blind_spots()
        write_blind_spots(files.blind_spots, coco, preds, extra={
            "generator_version": GENERATOR_VERSION, "images": images, "seed": seed,
            "blind_spots_enabled": blind_spots,
        }, params=params)  # fmt: skip
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return DemoFiles.at(final)


def _write_json(path: Path, data: Any) -> None:
    # compact and key-ordered as built: the same seed gives the same bytes
    path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")


def _write_classifications(files: DemoFiles, records: list[dict[str, Any]]) -> None:
    """The image labels as the CSVs the classification ingest reads: the ground truth as
    (file_name, label), the classifier as one score column per class."""
    truth = ["file_name,label"] + [f"{r['file_name']},{r['label']}" for r in records]
    files.image_labels.write_text("\n".join(truth) + "\n", encoding="utf-8")
    scores = ["file_name," + ",".join(CLASSES)] + [
        r["file_name"] + "," + ",".join(f"{r['classifier'][c]:.4f}" for c in CLASSES)
        for r in records
    ]
    files.classifier.write_text("\n".join(scores) + "\n", encoding="utf-8")


def _render_all(
    images_dir: Path,
    n: int,
    seed: int,
    workers: int | None,
    progress: ProgressCallback | None,
    blind_spots: bool = True,
) -> list[dict[str, Any]]:
    if workers is None:
        workers = default_workers(n)
    tasks = [(seed, i, str(images_dir), blind_spots) for i in range(n)]
    records: list[dict[str, Any]] = []
    step = max(1, n // 20)
    if workers <= 1:
        results = map(_render_task, tasks)
        for record in results:
            records.append(record)
            if progress and len(records) % step == 0:
                progress(len(records) / n, f"{len(records)}/{n} images")
        return records
    # spawn, not fork: this may run inside a threaded Jupyter server
    ctx = multiprocessing.get_context("spawn")
    chunk = max(1, math.ceil(n / (workers * 16)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for record in pool.map(_render_task, tasks, chunksize=chunk):
            records.append(record)
            if progress and len(records) % step == 0:
                progress(len(records) / n, f"{len(records)}/{n} images")
    return records


def default_workers(n: int) -> int:
    """Worker processes for ``n`` images: one core is left to the rest (server, browser).

    Measured on a shared 2-core machine, two workers were *slower* than one (22 s vs 11 s for
    3000 images) because the second core was busy; so 2 cores -> 1 worker, 8 cores -> 4.
    """
    if n < PARALLEL_THRESHOLD:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores - 1, 4))


def _render_task(task: tuple[int, int, str, bool]) -> dict[str, Any]:
    """Pool entry point (module level, so that spawned workers can import it)."""
    seed, index, images_dir, blind_spots = task
    params = DEFAULT_PARAMS if blind_spots else ModelParams.without_blind_spots()
    return render_image(seed, index, Path(images_dir), params)


def _pick(rng: np.random.Generator, values: tuple[str, ...], weights: tuple[float, ...]) -> str:
    return values[int(rng.choice(len(values), p=np.asarray(weights) / sum(weights)))]


def render_image(
    seed: int, index: int, images_dir: Path, params: ModelParams = DEFAULT_PARAMS
) -> dict[str, Any]:
    """Draw image ``index``, write its JPEG and return its metadata, objects and predictions.

    A planted copy (:func:`~.copies.copy_plan`) re-draws its source's content and then
    re-encodes, resizes or crops it."""
    plan = copy_plan(seed, index)
    content = plan.source if plan else index
    rng = np.random.default_rng([seed, content, 0])  # image content
    model_rng = np.random.default_rng([seed, index, 1])  # the simulated model
    split_rng = np.random.default_rng([seed, index, 2])  # train/val assignment
    label_rng = np.random.default_rng([seed, index, 3])  # masks, keypoints, classifier
    scene = _pick(rng, scenes.SCENES, scenes.SCENE_WEIGHTS)
    background = _pick(rng, scenes.BACKGROUNDS, scenes.BACKGROUND_WEIGHTS)
    weather = _pick(rng, scenes.WEATHERS, scenes.WEATHER_WEIGHTS)
    camera = _pick(rng, scenes.CAMERAS, scenes.CAMERA_WEIGHTS)

    image = scenes.background(rng, scene, background, HEIGHT, WIDTH)
    draw = ImageDraw.Draw(image)
    shapes = _place_shapes(rng)
    for shape in shapes:
        behind = image.getpixel((int(shape.cx), int(shape.cy)))
        rgb = behind if isinstance(behind, tuple) else (int(behind or 0),) * 3
        shape.draw(draw, scenes.object_colour(rng, scene, rgb))
    image = scenes.apply_weather(rng, image, weather, scene)
    if camera == "mono":
        image = image.convert("L")
    quality = JPEG_QUALITY
    if plan is not None:
        image, shapes, quality = apply_copy(image, shapes, plan.transform, quality)
    width, height = image.size
    pixels = np.asarray(image)
    file_name = f"{index + 1:06d}.jpg"
    image.save(images_dir / file_name, format="JPEG", quality=quality)

    boxes = [s.bbox() for s in shapes]
    occluded = [_covered(boxes[i], boxes[i + 1 :]) > 0.2 for i in range(len(shapes))]
    objects = [
        GroundTruth(CLASSES.index(s.label), boxes[i], s.area(), occluded[i])
        for i, s in enumerate(shapes)
    ]
    preds = predict(
        model_rng,
        objects,
        scene=scene,
        background=background,
        width=width,
        height=height,
        params=params,
    )
    label = image_label(shapes)
    largest = max(s.area() for s in shapes)
    return {
        "file_name": file_name,
        "width": width,
        "height": height,
        "label": label,
        "classifier": classify(label_rng, label, scene, weather, largest),
        "fields": {
            "scene": scene,
            "background": background,
            "brightness": round(float(pixels.mean()) / 255.0, 4),
            "weather": weather,
            "camera": camera,
            "split": "train" if split_rng.random() < TRAIN_FRACTION else "val",
        },
        "objects": [
            (
                o.category,
                o.bbox,
                o.area,
                o.occluded,
                s.segmentation(height, width),
                ground_truth_keypoints(s, boxes[i + 1 :]),
            )
            for i, (o, s) in enumerate(zip(objects, shapes, strict=True))
        ],  # fmt: skip
        "predictions": [
            (
                p.category,
                p.bbox,
                p.score,
                *predicted_geometry(label_rng, p, shapes, boxes, height, width),
            )
            for p in preds
        ],  # fmt: skip
    }


def _place_shapes(rng: np.random.Generator) -> list[Shape]:
    """Up to MAX_OBJECTS shapes inside the image, none overlapping another by IoU > 0.3."""
    n = min(MAX_OBJECTS, 1 + int(rng.poisson(2.5)))
    placed: list[Shape] = []
    lo, hi = math.log(RADIUS_RANGE[0]), math.log(RADIUS_RANGE[1])
    for _ in range(n):
        label = CLASSES[int(rng.integers(len(CLASSES)))]
        r = math.exp(rng.uniform(lo, hi))
        # squares and diamonds stay near upright, or one would simply be the other rotated
        rotation = rng.uniform(-12, 12) if label in ("square", "diamond") else rng.uniform(0, 360)
        margin = 1.45 * r + 1  # a square's corner reaches r * sqrt(2)
        for _attempt in range(10):
            shape = Shape(
                label,
                rng.uniform(margin, WIDTH - margin),
                rng.uniform(margin, HEIGHT - margin),
                r,
                rotation,
            )
            if all(iou(shape.bbox(), other.bbox()) <= 0.3 for other in placed):
                placed.append(shape)
                break
    return placed


def _covered(box: Box, later: list[Box]) -> float:
    """Fraction of ``box`` covered by boxes drawn after it (overlaps summed, an upper bound)."""
    total = 0.0
    for other in later:
        ix = max(0.0, min(box[0] + box[2], other[0] + other[2]) - max(box[0], other[0]))
        iy = max(0.0, min(box[1] + box[3], other[1] + other[3]) - max(box[1], other[1]))
        total += ix * iy
    return total / max(box[2] * box[3], 1e-9)


def _r2(box: tuple[float, ...]) -> list[float]:
    return [round(v, 2) for v in box]


def _assemble(
    records: list[dict[str, Any]], seed: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """COCO ground truth and a COCO results list from the per-image records."""
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    predictions: list[dict[str, Any]] = []
    for image_id, rec in enumerate(records, start=1):
        own = {key: rec[key] for key in ("file_name", "width", "height")}
        images.append({"id": image_id} | own | rec["fields"])
        for category, bbox, area, occluded, segmentation, keypoints in rec["objects"]:
            ann: dict[str, Any] = {
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": category + 1,
                "bbox": _r2(bbox),
                "area": round(area, 2),
                "iscrowd": 0,
                "segmentation": segmentation,
            }
            if keypoints is not None:
                ann["keypoints"] = keypoints
                ann["num_keypoints"] = len(keypoints) // 3
            if occluded:
                ann["occluded"] = True
            annotations.append(ann)
        for category, bbox, score, mask, keypoints in rec["predictions"]:
            pred: dict[str, Any] = {
                "image_id": image_id,
                "category_id": category + 1,
                "bbox": _r2(bbox),
                "score": round(score, 4),
                "segmentation": mask,
            }
            if keypoints is not None:
                pred["keypoints"] = keypoints
            predictions.append(pred)
    coco = {
        "info": {
            "description": "VisionLens demo: drawn shapes with a simulated detector",
            "version": str(GENERATOR_VERSION),
            "seed": seed,
        },
        "licenses": [],
        "categories": [_category(i, name) for i, name in enumerate(CLASSES)],
        "images": images,
        "annotations": annotations,
    }
    return coco, predictions


def _category(index: int, name: str) -> dict[str, Any]:
    category: dict[str, Any] = {"id": index + 1, "name": name, "supercategory": SUPERCATEGORY[name]}
    if name == KEYPOINT_CLASS:
        category.update(keypoints=list(KEYPOINT_NAMES), skeleton=SKELETON)
    return category
