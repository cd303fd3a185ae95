"""YOLO (Ultralytics): ``data.yaml`` with ``names`` in the dataset's class order (a class's
id is its position, the same in every export), ``images/<split>/`` and ``labels/<split>/``.

The task follows the labels: pose when any object has keypoints (every row a pose row,
``kpt_shape: [K, 3]``, all keypoint classes must share K; an object without keypoints gets
K unlabelled points), segmentation when any object has a polygon (objects with an RLE mask
or none are written as their box's four corners), else detection. Every image gets a label
file, an empty one when it has no object (Ultralytics' "background" image). Rotated boxes and
polylines are left out (their objects' boxes are written; :data:`TASKS`).

Coordinates are normalised by the image size and written as Python's shortest exact repr, so a
re-ingest gives back the pixels to within float rounding (the tests allow 1e-6 pixel); an
image without a split goes to ``train``. A polygon of several parts is written as its parts
one after the other (YOLO rows hold one outline). The yaml names no ``path``: Ultralytics
resolves the splits beside the yaml, wherever the folder is moved.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import yaml

from .errors import ExportError
from .kind_hooks import KindHooks
from .staging import background_writes, image_name, unique_names
from .view import ExportView, Labels
from .yolo_text import rows_text

SPLITS = ("train", "val", "test")
TASKS: KindHooks[str] = KindHooks(
    "yolo",
    {"box": "detect", "mask": "segment", "keypoints": "pose"},
    left_out=("rotated_box", "polyline"),
)
"""The Ultralytics task each kind of label is written as; a view's task is that of the
last kind it has, in the kinds' declared order (keypoints over masks over boxes)."""
YAML_FILE = "data.yaml"


def write_yolo(
    view: ExportView, root: Path, splits: dict[int, str | None]
) -> tuple[int, list[tuple[str, str]], list[tuple[str, str]]]:
    """Lay out a YOLO dataset under ``root`` and write its label files; returns the object
    count, the images to place and no further files to write."""
    s = view.samples
    split_of = [splits.get(sid) or "train" for sid in s["sample_id"]]
    odd = sorted(set(split_of) - set(SPLITS))
    if odd:
        raise ExportError(
            f"YOLO holds the splits train, val and test, not {', '.join(map(repr, odd))}: "
            "re-draw them with --splits train=0.8,val=0.2"
        )
    base = image_name if view.frames else _base  # a video's frames keep its folder
    names = [f"{split}/{base(f)}" for split, f in zip(split_of, s["file_name"], strict=True)]
    unique_names(names, "image")
    unique_names([n.rsplit(".", 1)[0] for n in names], "label file for")
    class_id = {name: i for i, name in enumerate(view.class_names)}
    lengths, polygons = view.objects.shapes()
    points = _keypoint_count(view, lengths)
    present = {"box", *(["mask"] if polygons else []), *(["keypoints"] if points else [])}
    task = [task for kind, task in TASKS.items() if kind in present][-1]
    used = [x for x in SPLITS if x in split_of]
    labels, images = str(root / "labels"), str(root / "images")
    for split in used:
        os.makedirs(f"{labels}/{split}")
    paths = [f"{labels}/{name.rsplit('.', 1)[0]}.txt" for name in names]
    for folder in {os.path.dirname(p) for p in paths} if view.frames else ():
        os.makedirs(folder, exist_ok=True)
    count = _write_labels(view, task, points, paths)
    pairs = [(loc, f"{images}/{name}") for loc, name in zip(s["location"], names, strict=True)]
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
    return count, pairs, []


def _base(file_name: str) -> str:
    return file_name.replace("\\", "/").rsplit("/", 1)[-1]


def _keypoint_count(view: ExportView, lengths: set[int]) -> int:
    """K of ``kpt_shape``: the keypoint classes' point count (0 when there are none), given
    the objects' own keypoint counts ``lengths``."""
    counts = {len(c["keypoint_names"]) for c in view.categories if c.get("keypoint_names")}
    counts |= lengths
    if len(counts) > 1:
        raise ExportError(
            f"YOLO pose needs one keypoint count for every class; this view has {sorted(counts)}"
        )
    return counts.pop() if counts else 0


_COLUMNS = {
    "detect": ["sample_id", "label", "x", "y", "w", "h"],
    "segment": ["sample_id", "label", "x", "y", "w", "h", "segmentation"],
    "pose": ["sample_id", "label", "x", "y", "w", "h", "keypoints"],
}


def _write_labels(view: ExportView, task: str, points: int, paths: list[str]) -> int:
    """Write every sample's label file (``paths``, in the view's order), a batch of samples
    at a time: the batch's files are formatted into one buffer while a thread writes the
    previous batch's files (slices of its buffer). Returns how many objects were written."""
    s = view.samples
    names = view.class_names
    sizes = (np.array(s["width"], np.float64), np.array(s["height"], np.float64))  # None: nan
    con = duckdb.connect()
    written = 0
    try:
        con.register("c", pa.table({"label": names, "cls": list(range(len(names)))}))
        sql = _SQL.replace("{ROW}", _POSE_SQL).replace("{K}", str(points))
        with background_writes() as write:
            for begin, end, labels in view.objects.batches(_COLUMNS[task]):
                texts = _label_texts(con, sql, labels, s, sizes, begin, end, task, names)
                ids = s["sample_id"][begin:end]
                write([(paths[begin + i], texts.get(sid, b"")) for i, sid in enumerate(ids)])
                written += len(labels)
    finally:
        con.close()
    return written


def _row_sizes(
    labels: Labels,
    s: dict[str, list[Any]],
    sizes: tuple[np.ndarray, np.ndarray],
    begin: int,
    end: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each object's image width and height; a sample with objects and no known size is an
    :class:`ExportError`."""
    ids = np.array(s["sample_id"][begin:end], np.int64)
    order = np.argsort(ids, kind="stable")
    at = order[np.searchsorted(ids[order], labels.table.column("sample_id").to_numpy())]
    width, height = sizes[0][begin:end][at], sizes[1][begin:end][at]
    unknown = ~((width > 0) & (height > 0))  # nan (no size) compares false
    if unknown.any():
        first = begin + int(at[np.flatnonzero(unknown)[0]])
        raise ExportError(f"{s['file_name'][first]} has no known size: YOLO needs it to normalise")
    return width, height


def _label_texts(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    labels: Labels,
    s: dict[str, list[Any]],
    sizes: tuple[np.ndarray, np.ndarray],
    begin: int,
    end: int,
    task: str,
    class_names: list[str],
) -> dict[int, bytes | memoryview]:
    """Each sample's label file of one batch (samples without objects: none). Detection and
    segmentation rows are formatted in numpy and orjson (:mod:`.yolo_text`) into one buffer
    a sample's file is a slice of, with the polygons parsed by DuckDB; pose rows by the
    in-memory DuckDB ``con`` over the batch's Arrow columns (``sql``; its DOUBLE to VARCHAR
    is the shortest exact text, as Python's ``repr``), a row's class id being its class's
    position in the view's class list (the table ``c``)."""
    table = labels.table
    if table.num_rows == 0:
        return {}
    width, height = _row_sizes(labels, s, sizes, begin, end)
    if task != "pose":
        polygons = _polygons(con, table) if task == "segment" else None
        text, bounds = rows_text(table, width, height, class_names, polygons)
        buffer, at = memoryview(text), bounds.tolist()
        return {sid: buffer[at[first] : at[last]] for sid, (first, last) in labels.starts.items()}
    objects = table.rename_columns(
        ["kp" if n == "keypoints" else n for n in table.column_names]
    ).append_column("_i", pa.array(np.arange(table.num_rows)))
    sizes_table = pa.table(
        {
            "sample_id": s["sample_id"][begin:end],
            "W": s["width"][begin:end],
            "H": s["height"][begin:end],
        }
    )
    con.register("o", objects)
    con.register("s", sizes_table)
    try:
        result = con.sql(sql).to_arrow_table()
    finally:
        con.unregister("o")
        con.unregister("s")
    return dict(zip(result.column(0).to_pylist(), result.column(1).to_pylist(), strict=True))


def _polygons(con: duckdb.DuckDBPyConnection, table: pa.Table) -> pa.ListArray:
    """Each row's polygon, its parts flattened (null for an RLE mask or none)."""
    con.register("o", table.select(["segmentation"]))
    try:
        result = con.sql(
            "SELECT CASE WHEN starts_with(segmentation, '[') THEN "
            "flatten(from_json(segmentation, '[[\"DOUBLE\"]]')) END FROM o"
        ).to_arrow_table()
    finally:
        con.unregister("o")
    return result.column(0).combine_chunks()


_SQL = """
    SELECT o.sample_id, encode(string_agg({ROW}, chr(10) ORDER BY o._i) || chr(10))
    FROM o JOIN s USING (sample_id) JOIN c USING (label)
    GROUP BY o.sample_id
"""
# a pose row: the box, then K points of x y v; an object without keypoints (or a point not
# labelled): 0 0 0
_POSE_SQL = (
    "c.cls::VARCHAR || ' ' || ((o.x + o.w / 2) / s.W)::VARCHAR || ' ' || "
    "((o.y + o.h / 2) / s.H)::VARCHAR || ' ' || (o.w / s.W)::VARCHAR || ' ' || "
    "(o.h / s.H)::VARCHAR || ' ' || array_to_string(list_transform(range(0, {K}), lambda k: "
    "CASE WHEN o.kp IS NOT NULL AND o.kp[3 * k + 3] > 0 THEN (o.kp[3 * k + 1] / s.W)::VARCHAR "
    "|| ' ' || (o.kp[3 * k + 2] / s.H)::VARCHAR || ' ' || o.kp[3 * k + 3]::VARCHAR "
    "ELSE '0.0 0.0 0.0' END), ' ')"
)
