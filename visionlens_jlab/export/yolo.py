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

import duckdb
import numpy as np
import pyarrow as pa
import yaml

from .errors import ExportError
from .staging import unique_names
from .view import ExportView

SPLITS = ("train", "val", "test")
YAML_FILE = "data.yaml"


def write_yolo(
    view: ExportView, root: Path, splits: dict[int, str | None]
) -> tuple[int, list[tuple[str, Path]], list[tuple[str, str]]]:
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
    for i, sid in enumerate(s["sample_id"]):
        if sid in o.starts and not (s["width"][i] and s["height"][i]):
            raise ExportError(f"{s['file_name'][i]} has no known size: YOLO needs it to normalise")
    texts = _label_texts(view, task, points)
    labels, images = str(root / "labels"), str(root / "images")
    files = [
        (f"{labels}/{name.rsplit('.', 1)[0]}.txt", texts.get(sid, ""))
        for sid, name in zip(s["sample_id"], names, strict=True)
    ]
    pairs = [
        (loc, Path(f"{images}/{name}")) for loc, name in zip(s["location"], names, strict=True)
    ]
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


def _label_texts(view: ExportView, task: str, points: int) -> dict[int, str]:
    """Each sample's label file text, formatted by an in-memory DuckDB over the view's Arrow
    columns: 700K rows of 16 coordinates each are ~11M float-to-text conversions, which
    DuckDB does in C++ on every core (its DOUBLE to VARCHAR is the shortest exact text, as
    Python's ``repr``). A row's class id is its class's position in ``view.class_names``."""
    table = view.objects.table
    if table.num_rows == 0:
        return {}
    s = view.samples
    objects = table.select(["sample_id", "label", "x", "y", "w", "h"]).append_column(
        "_i", pa.array(np.arange(table.num_rows))
    )
    if task == "segment":
        objects = objects.append_column("seg", table.column("segmentation"))
    if task == "pose":
        objects = objects.append_column("kp", table.column("keypoints"))
    sizes = pa.table({"sample_id": s["sample_id"], "W": s["width"], "H": s["height"]})
    names = view.class_names
    classes = pa.table({"label": names, "cls": list(range(len(names)))})
    con = duckdb.connect()
    try:
        con.register("o", objects)
        con.register("s", sizes)
        con.register("c", classes)
        sql = f"""
            SELECT o.sample_id, string_agg({_ROW_SQL[task]}, chr(10) ORDER BY o._i) || chr(10)
            FROM o JOIN s USING (sample_id) JOIN c USING (label)
            GROUP BY o.sample_id
        """  # noqa: S608 - fixed SQL per task
        result = con.sql(sql.replace("{K}", str(points))).to_arrow_table()
    finally:
        con.close()
    return dict(zip(result.column(0).to_pylist(), result.column(1).to_pylist(), strict=True))


_BOX = (
    "c.cls::VARCHAR || ' ' || ((o.x + o.w / 2) / s.W)::VARCHAR || ' ' || "
    "((o.y + o.h / 2) / s.H)::VARCHAR || ' ' || (o.w / s.W)::VARCHAR || ' ' || "
    "(o.h / s.H)::VARCHAR"
)
_CORNERS = (
    "concat_ws(' ', (o.x / s.W)::VARCHAR, (o.y / s.H)::VARCHAR, ((o.x + o.w) / s.W)::VARCHAR, "
    "(o.y / s.H)::VARCHAR, ((o.x + o.w) / s.W)::VARCHAR, ((o.y + o.h) / s.H)::VARCHAR, "
    "(o.x / s.W)::VARCHAR, ((o.y + o.h) / s.H)::VARCHAR)"
)
_POLYGON = "flatten(from_json(o.seg, '[[\"DOUBLE\"]]'))"
_ROW_SQL = {
    "detect": _BOX,
    # a polygon's parts one after the other; an RLE mask or none: the box's corners
    "segment": (
        "c.cls::VARCHAR || ' ' || CASE WHEN starts_with(o.seg, '[') AND len("
        + _POLYGON
        + ") >= 6 THEN array_to_string(list_transform("
        + _POLYGON
        + ", lambda v, i: (v / CASE WHEN i % 2 = 1 THEN s.W ELSE s.H END)::VARCHAR), ' ') "
        "ELSE " + _CORNERS + " END"
    ),
    # K points of x y v; an object without keypoints (or a point not labelled): 0 0 0
    "pose": (
        _BOX + " || ' ' || array_to_string(list_transform(range(0, {K}), lambda k: CASE WHEN "
        "o.kp IS NOT NULL AND o.kp[3 * k + 3] > 0 THEN (o.kp[3 * k + 1] / s.W)::VARCHAR || ' ' "
        "|| (o.kp[3 * k + 2] / s.H)::VARCHAR || ' ' || o.kp[3 * k + 3]::VARCHAR "
        "ELSE '0.0 0.0 0.0' END), ' ')"
    ),
}
