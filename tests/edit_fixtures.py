"""Helpers of the edit tests: random operations over a catalog, and its rows to compare."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.export_fixtures import coco_source, ingest_source
from visionlens_jlab.catalog import Catalog

CLASSES = [f"c{k}" for k in range(12)]


def coco_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> Path:
    """A synthetic COCO ``kind`` dataset (``segm`` or ``keypoints``) ingested as ``src``
    into a data folder under ``tmp_path``; the data folder."""
    coco_source(tmp_path / "src", kind)
    return ingest_source(capsys, tmp_path / "src", tmp_path / "vl")


def first_row(cat: Catalog, query: str, params: list[Any] | None = None) -> dict[str, Any]:
    """The first row of ``query`` as a dict by column name (empty: none)."""
    with cat.cursor() as cur:
        cur.execute(query, params or [])
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone() or (), strict=True))


def rows(cat: Catalog, ds: int) -> tuple[list[Any], list[Any]]:
    """Every object row and object tag row of the dataset, in id order."""
    with cat.cursor() as cur:
        objects = cur.execute(
            "SELECT * FROM annotations WHERE dataset_id = ? ORDER BY ann_id", [ds]
        ).fetchall()
        tags = cur.execute(
            "SELECT ann_id, tags FROM object_tags WHERE dataset_id = ? ORDER BY ann_id", [ds]
        ).fetchall()
    return objects, tags


def objects(cat: Catalog, ds: int, source: str | None = None) -> dict[int, dict[str, Any]]:
    """The dataset's objects by id: sample, source, label, box and tags."""
    with cat.cursor() as cur:
        found = cur.execute(
            """
            SELECT a.ann_id, a.sample_id, a.source, a.label, [a.x, a.y, a.w, a.h],
                   COALESCE(t.tags, []), s.width, s.height
            FROM annotations a JOIN samples s ON s.sample_id = a.sample_id
            LEFT JOIN object_tags t ON t.dataset_id = a.dataset_id AND t.ann_id = a.ann_id
            WHERE a.dataset_id = ? AND (? IS NULL OR a.source = ?)
            """,
            [ds, source, source],
        ).fetchall()
    keys = ("sample_id", "source", "label", "bbox", "tags", "width", "height")
    return {r[0]: dict(zip(keys, r[1:], strict=True)) for r in found}


def inside(rnd: random.Random, width: int | None, height: int | None) -> list[float]:
    """A random box inside an image of that size."""
    w, h = width or 2000, height or 2000
    bw, bh = rnd.uniform(1, w / 2), rnd.uniform(1, h / 2)
    return [rnd.uniform(0, w - bw), rnd.uniform(0, h - bh), bw, bh]


def within(obj: dict[str, Any]) -> bool:
    """Whether the object's box lies inside its image."""
    x, y, w, h = obj["bbox"]
    return (
        x >= 0 and y >= 0 and x + w <= (obj["width"] or 2000) and y + h <= (obj["height"] or 2000)
    )


def random_ops(
    rnd: random.Random, cat: Catalog, ds: int, n: int, model: str = "m1"
) -> list[dict[str, Any]]:
    """``n`` valid operations on distinct objects of the dataset, of every kind."""
    present = objects(cat, ds)
    truth = [a for a, o in present.items() if o["source"] == "ground_truth"]
    predicted = [a for a, o in present.items() if o["source"] == model and within(o)]
    rnd.shuffle(truth)
    rnd.shuffle(predicted)
    ops: list[dict[str, Any]] = []
    for _ in range(n):
        kind = rnd.choice(["add", "delete", "relabel", "move", "accept", "tag", "untag"])
        if kind in ("accept",) and predicted:
            ops.append({"op": "accept", "annotation_id": predicted.pop()})
            continue
        if kind == "add" or not truth:
            sample = rnd.choice(list(present.values()))
            ops.append({"op": "add", "sample_id": sample["sample_id"],
                        "label": rnd.choice(CLASSES),
                        "bbox": inside(rnd, sample["width"], sample["height"])})  # fmt: skip
            continue
        ann = truth.pop()
        obj = present[ann]
        if kind == "delete":
            ops.append({"op": "delete", "annotation_id": ann})
        elif kind == "relabel":
            label = rnd.choice([c for c in CLASSES if c != obj["label"]])
            ops.append({"op": "relabel", "annotation_id": ann, "label": label})
        elif kind == "move":
            box = inside(rnd, obj["width"], obj["height"])
            ops.append({"op": "move", "annotation_id": ann, "bbox": box})
        elif kind == "untag" and obj["tags"]:
            ops.append({"op": "untag", "annotation_id": ann, "tag": obj["tags"][0]})
        else:
            ops.append({"op": "tag", "annotation_id": ann, "tag": rnd.choice(["bad", "x<b>"])})
    return ops
