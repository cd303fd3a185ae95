"""YOLO (Ultralytics): ``data.yaml`` with ``names`` in the dataset's class order (a class's
id is its position, the same in every export), ``images/<split>/`` and ``labels/<split>/``.

The task follows the labels: pose when any object has keypoints (every row a pose row,
``kpt_shape: [K, 3]``, all keypoint classes must share K; an object without keypoints gets
K unlabelled points), segmentation when any object has a polygon (objects with an RLE mask
or none are written as their box's four corners), else detection. Every image gets a label
file, an empty one when it has no object (Ultralytics' "background" image).

Coordinates are normalised by the image size and written as Python's shortest exact repr, so a
re-ingest gives back the pixels to within float rounding (the tests allow 1e-6 pixel); an
image without a split goes to ``train``. A polygon of several parts is written as its parts
one after the other (YOLO rows hold one outline). The yaml names no ``path``: Ultralytics
resolves the splits beside the yaml, wherever the folder is moved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import yaml

from .errors import ExportError
from .staging import unique_names
from .view import ExportView

SPLITS = ("train", "val", "test")
YAML_FILE = "data.yaml"


def write_yolo(
    view: ExportView, root: Path, splits: dict[int, str | None]
) -> tuple[int, list[tuple[str, Path]], list[tuple[Path, str]]]:
    """Lay out a YOLO dataset under ``root``; returns the object count, the images to place
    and the label files to write."""
    s = view.samples
    split_of = [splits.get(sid) or "train" for sid in s["sample_id"]]
    odd = sorted(set(split_of) - set(SPLITS))
    if odd:
        raise ExportError(
            f"YOLO holds the splits train, val and test, not {', '.join(map(repr, odd))}: "
            "re-draw them with --splits train=0.8,val=0.2"
        )
    names = [f"{split}/{_base(f)}" for split, f in zip(split_of, s["file_name"], strict=True)]
    unique_names(names, "image")
    unique_names([n.rsplit(".", 1)[0] for n in names], "label file for")
    class_id = {name: i for i, name in enumerate(view.class_names)}
    points = _keypoint_count(view)
    o = view.objects
    task = "pose" if points else ("segment" if _has_polygons(view) else "detect")
    cols = {n: o.column(n) for n in ("label", "x", "y", "w", "h", "segmentation", "keypoints")}
    files: list[tuple[Path, str]] = []
    pairs: list[tuple[str, Path]] = []
    for i, sid in enumerate(s["sample_id"]):
        width, height = s["width"][i], s["height"][i]
        begin, end = o.starts.get(sid, (0, 0))
        if begin < end and not (width and height):
            raise ExportError(f"{s['file_name'][i]} has no known size: YOLO needs it to normalise")
        rows = [_row(cols, j, class_id, width, height, task, points) for j in range(begin, end)]
        stem = names[i].rsplit(".", 1)[0]
        files.append((root / "labels" / f"{stem}.txt", "".join(r + "\n" for r in rows)))
        pairs.append((s["location"][i], root / "images" / names[i]))
    used = [x for x in SPLITS if x in split_of]
    config: dict[str, Any] = {
        "train": f"images/{'train' if 'train' in used else used[0]}",
        "val": f"images/{'val' if 'val' in used else used[0]}",
    }
    if "test" in used:
        config["test"] = "images/test"
    config["names"] = dict(enumerate(view.class_names))
    if points:
        config["kpt_shape"] = [points, 3]
        kpt = [c for c in view.categories if c.get("keypoint_names") is not None]
        config["kpt_names"] = {class_id[c["name"]]: c["keypoint_names"] for c in kpt}
        sigmas = next((c["sigmas"] for c in kpt if c.get("sigmas") is not None), None)
        if sigmas is not None:
            config["kpt_oks_sigmas"] = sigmas
    (root / YAML_FILE).write_text(
        yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    for split in used:
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
    return len(o), pairs, files


def _base(file_name: str) -> str:
    return file_name.replace("\\", "/").rsplit("/", 1)[-1]


def _keypoint_count(view: ExportView) -> int:
    """K of ``kpt_shape``: the keypoint classes' point count (0 when there are none)."""
    counts = {len(c["keypoint_names"]) for c in view.categories if c.get("keypoint_names")}
    lengths = {len(k) // 3 for k in view.objects.column("keypoints") if k is not None}
    counts |= lengths
    if len(counts) > 1:
        raise ExportError(
            f"YOLO pose needs one keypoint count for every class; this view has {sorted(counts)}"
        )
    return counts.pop() if counts else 0


def _has_polygons(view: ExportView) -> bool:
    return any(
        seg is not None and seg.startswith("[") for seg in view.objects.column("segmentation")
    )


def _row(
    cols: dict[str, list[Any]],
    j: int,
    class_id: dict[str, int],
    width: float,
    height: float,
    task: str,
    points: int,
) -> str:
    x, y, w, h = cols["x"][j], cols["y"][j], cols["w"][j], cols["h"][j]
    values: list[float]
    if task == "segment":
        seg = cols["segmentation"][j]
        parts = orjson.loads(seg) if seg is not None and seg.startswith("[") else None
        if parts:
            flat = [v for part in parts for v in part]
        else:
            flat = [x, y, x + w, y, x + w, y + h, x, y + h]
        values = [v / (width if k % 2 == 0 else height) for k, v in enumerate(flat)]
    else:
        values = [(x + w / 2) / width, (y + h / 2) / height, w / width, h / height]
        if task == "pose":
            kps = cols["keypoints"][j] or [0.0] * (3 * points)
            for k in range(0, len(kps), 3):
                v = kps[k + 2]
                values += [kps[k] / width, kps[k + 1] / height, v] if v else [0.0, 0.0, 0.0]
    return " ".join([str(class_id[cols["label"][j]]), *map(repr, values)])
