"""YouTube-VIS and TAO JSON written by the tests: image-sequence frames drawn with Pillow,
tracks of random masks (COCO RLE compressed and not, polygons) and boxes, with what was
written kept to compare with what was ingested. pycocotools is the mask oracle."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

WIDTH, HEIGHT = 40, 30


@dataclass
class WrittenObject:
    """One object as written: its video's source id, frame (from 1), track key, class."""

    video: int
    frame: int
    track: Any
    label: str
    box: list[float]
    segmentation: Any
    area: float | None
    ann_id: int


@dataclass
class Written:
    """What a fixture wrote."""

    path: Path
    videos: dict[int, list[str]] = field(default_factory=dict)
    """A video's id: its frame files (relative to the images folder), in frame order."""
    names: dict[int, str] = field(default_factory=dict)
    objects: list[WrittenObject] = field(default_factory=list)


def draw_frames(folder: Path, names: list[str], seed: int) -> None:
    """Write each frame of ``names`` (under ``folder``) as a small random-coloured JPEG."""
    rng = random.Random(seed)
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        colour = tuple(rng.randrange(256) for _ in range(3))
        Image.new("RGB", (WIDTH, HEIGHT), colour).save(folder / name)


def random_mask(rng: np.random.Generator) -> np.ndarray:
    """A binary mask of one or two random rectangles (never empty)."""
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    for _ in range(int(rng.integers(1, 3))):
        x, y = int(rng.integers(0, WIDTH - 6)), int(rng.integers(0, HEIGHT - 6))
        mask[y : y + int(rng.integers(2, 6)), x : x + int(rng.integers(2, 6))] = 1
    return mask


def uncompressed_rle(mask: np.ndarray) -> dict[str, Any]:
    """COCO's uncompressed RLE of ``mask`` (column-major runs, starting with zeros)."""
    flat = mask.flatten(order="F")
    runs, current, length = [], 0, 0
    for value in flat.tolist():
        if value != current:
            runs.append(length)
            current, length = value, 0
        length += 1
    runs.append(length)
    return {"counts": runs, "size": [int(mask.shape[0]), int(mask.shape[1])]}


def compressed_rle(mask: np.ndarray) -> dict[str, Any]:
    """COCO's compressed RLE of ``mask`` (pycocotools' encoding, counts as text)."""
    rle = mask_utils.encode(np.asfortranarray(mask))
    return {"counts": rle["counts"].decode(), "size": list(rle["size"])}


def decode(segmentation: Any) -> np.ndarray:
    """The mask of a COCO segmentation (polygons or RLE), by pycocotools."""
    if isinstance(segmentation, list):
        rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, HEIGHT, WIDTH))
    elif isinstance(segmentation["counts"], list):
        rle = mask_utils.frPyObjects(segmentation, *segmentation["size"])
    else:
        rle = {"counts": segmentation["counts"].encode(), "size": segmentation["size"]}
    return np.asarray(mask_utils.decode(rle))


def write_youtube_vis(root: Path, frames: dict[int, int], tracks: int, seed: int = 0) -> Written:
    """``root/JPEGImages/<video>/<NNNNN>.jpg`` and ``root/train.json``: videos of
    ``frames`` (id: frame count), ``tracks`` annotations, each on a random run of frames."""
    rng = np.random.default_rng(seed)
    written = Written(root / "train.json")
    videos = []
    for vid, n in frames.items():
        files = [f"v{vid:03d}/{i:05d}.jpg" for i in range(n)]
        written.videos[vid], written.names[vid] = files, f"v{vid:03d}"
        draw_frames(root / "JPEGImages", files, seed + vid)
        videos.append({"id": vid, "width": WIDTH, "height": HEIGHT, "length": n,
                       "file_names": files})  # fmt: skip
    categories = [{"id": 1, "name": "person", "supercategory": "object"}, {"id": 7, "name": "dog"}]
    annotations = []
    ids = list(frames)
    for k in range(tracks):
        vid = ids[k % len(ids)]
        n = frames[vid]
        label_id = int(rng.choice([1, 7]))
        start, stop = sorted(int(v) for v in rng.integers(0, n + 1, 2))
        stop = max(stop, start + 1)
        boxes: list[Any] = [None] * n
        masks: list[Any] = [None] * n
        areas: list[Any] = [None] * n
        for i in range(start, min(stop, n)):
            if rng.random() < 0.2:
                continue  # absent on this frame inside its run
            mask = random_mask(rng)
            kind = k % 3
            if kind == 0:
                seg: Any = compressed_rle(mask)
            elif kind == 1:
                seg = uncompressed_rle(mask)
            else:
                ys, xs = np.nonzero(mask)
                x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
                seg = [[x0, y0, x1, y0, x1, y1, x0, y1]]
            box = [float(v) for v in mask_utils.toBbox(mask_utils.encode(np.asfortranarray(mask)))]
            boxes[i], masks[i] = box, seg
            areas[i] = float(mask.sum()) if k % 2 == 0 else None
            name = "person" if label_id == 1 else "dog"
            written.objects.append(
                WrittenObject(vid, i + 1, 100 + k, name, box, seg, areas[i], 100 + k)
            )
        annotations.append({"id": 100 + k, "video_id": vid, "category_id": label_id,
                            "iscrowd": 0, "width": WIDTH, "height": HEIGHT, "length": 1,
                            "bboxes": boxes, "segmentations": masks, "areas": areas})  # fmt: skip
    document = {"info": {"description": "test"}, "licenses": [], "videos": videos,
                "categories": categories, "annotations": annotations}  # fmt: skip
    written.path.write_text(json.dumps(document))
    return written


def write_tao(root: Path, seed: int = 0) -> Written:
    """``root/frames/<video name>/frameNNNN.jpg`` and ``root/tao.json``: two named videos
    whose images are listed out of order with their ``frame_index``, per-frame annotations
    with ``track_id`` and a ``tracks`` table."""
    rng = np.random.default_rng(seed)
    written = Written(root / "tao.json")
    layout = {
        3: ("train/ArgoVerse/clip_a", [0, 30, 60, 90]),
        8: ("train/LaSOT/clip_b", [0, 15, 30]),
    }
    videos: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    tracks: list[dict[str, Any]] = []
    image_id = 1000
    for vid, (name, indices) in layout.items():
        files = [f"{name}/frame{i:04d}.jpg" for i in indices]
        written.videos[vid], written.names[vid] = files, name
        draw_frames(root / "frames", files, seed + vid)
        videos.append({"id": vid, "name": name, "width": WIDTH, "height": HEIGHT})
        for track in (vid * 10 + 1, vid * 10 + 2):
            tracks.append({"id": track, "category_id": 2, "video_id": vid})
        for number, (index, file) in enumerate(zip(indices, files, strict=True), start=1):
            image_id += 1
            images.append({"id": image_id, "video_id": vid, "frame_index": index,
                           "file_name": file, "width": WIDTH, "height": HEIGHT})  # fmt: skip
            for track in (vid * 10 + 1, vid * 10 + 2):
                if rng.random() < 0.25:
                    continue
                mask = random_mask(rng)
                seg = compressed_rle(mask)
                box = [
                    float(v) for v in mask_utils.toBbox(mask_utils.encode(np.asfortranarray(mask)))
                ]
                ann_id = len(annotations) + 1
                annotations.append({"id": ann_id, "image_id": image_id,
                                    "video_id": vid, "track_id": track, "category_id": 2,
                                    "bbox": box, "area": float(mask.sum()), "iscrowd": 0,
                                    "segmentation": seg})  # fmt: skip
                written.objects.append(
                    WrittenObject(vid, number, track, "car", box, seg, float(mask.sum()), ann_id)
                )
    random.Random(seed).shuffle(images)  # TAO's order is not the frames' order
    document = {"videos": videos, "annotations": annotations, "tracks": tracks, "images": images,
                "info": {}, "categories": [{"id": 2, "name": "car"}], "licenses": []}  # fmt: skip
    written.path.write_text(json.dumps(document))
    return written
