"""Replace the boxes of one sample, all or nothing (the label editor's writer, issue #28).

:func:`replace_labels` validates every box first (class, numbers, the image's bounds), then
in one transaction replaces the sample's boxes of one source, keeps the dataset's or
model's box count, and tells the registry of derived structures (:mod:`..derived`) which
sample and source changed: the summaries, facet keys and parts, value lists refresh for
that sample in the same transaction, and the held box index is patched after the commit,
not rebuilt (:mod:`..derived.memory_structures`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from ..base.errors import CatalogError, NotFoundError
from ..derived import Change, Kind, apply_change
from ..store.catalog import Catalog
from ..store.schema import GROUND_TRUTH

_NUMBERS = ("x", "y", "w", "h")
_KNOWN = {"label", *_NUMBERS, "score", "iscrowd", "difficult", "attributes"}


def replace_labels(
    catalog: Catalog,
    dataset_id: int,
    sample_id: int,
    source: str,
    boxes: Sequence[Mapping[str, Any]],
) -> int:
    """Replace the boxes of ``source`` (``ground_truth`` or a model of the dataset) on one
    sample by ``boxes`` (each: ``label``, ``x``, ``y``, ``w``, ``h`` in absolute pixels, and
    optionally ``score`` (predictions only), ``iscrowd``, ``difficult``, ``attributes``);
    return how many boxes the sample has now. Nothing is written unless every box is valid
    (:class:`CatalogError` naming the box and the problem); an unknown dataset, sample or
    model is :class:`NotFoundError`."""
    with catalog.write(dataset_id) as cur:
        classes = dataset_classes(cur, dataset_id, source)
        size = cur.execute(
            "SELECT width, height FROM samples WHERE dataset_id = ? AND sample_id = ?",
            [dataset_id, sample_id],
        ).fetchall()
        if not size:
            raise NotFoundError(f"no sample {sample_id} in dataset {dataset_id}")
        rows = [
            box_columns(i, box, source, classes, size[0][0], size[0][1])
            for i, box in enumerate(boxes)
        ]
        ((removed,),) = cur.execute(
            "DELETE FROM annotations WHERE dataset_id = ? AND sample_id = ? AND source = ?",
            [dataset_id, sample_id, source],
        ).fetchall()  # DuckDB answers a DELETE with the number of rows deleted
        first = catalog.next_annotation_id(cur)
        if rows:  # executemany refuses an empty list
            cur.executemany(
                "INSERT INTO annotations (ann_id, sample_id, dataset_id, source, label, x, y, "
                "w, h, score, area, iscrowd, difficult, source_ann_id, segmentation, "
                "attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)",
                [[first + i, sample_id, dataset_id, source, *row] for i, row in enumerate(rows)],
            )
        adjust_box_count(cur, dataset_id, source, len(rows) - int(removed))
        apply_change(catalog, cur, Change(dataset_id, Kind.LABELS, (sample_id,), (source,)))
    return len(rows)


def dataset_classes(cur: duckdb.DuckDBPyConnection, dataset_id: int, source: str) -> set[str]:
    """The dataset's classes (its categories; without any, the labels of its ground truth),
    after checking that the dataset and ``source`` exist."""
    if not cur.execute("SELECT 1 FROM datasets WHERE dataset_id = ?", [dataset_id]).fetchall():
        raise NotFoundError(f"no dataset with id {dataset_id}")
    if (
        source != GROUND_TRUTH
        and not cur.execute(
            "SELECT 1 FROM models WHERE dataset_id = ? AND name = ?", [dataset_id, source]
        ).fetchall()
    ):
        raise NotFoundError(f"no model {source!r} on dataset {dataset_id}: import it first")
    rows = (
        cur.execute("SELECT name FROM categories WHERE dataset_id = ?", [dataset_id]).fetchall()
        or cur.execute(
            "SELECT DISTINCT label FROM annotations WHERE dataset_id = ? AND source = ?",
            [dataset_id, GROUND_TRUTH],
        ).fetchall()
    )
    return {r[0] for r in rows}


def box_columns(
    i: int,
    box: Mapping[str, Any],
    source: str,
    classes: set[str],
    width: int | None,
    height: int | None,
    *,
    flat: bool = False,
) -> list[Any]:
    """The annotation columns from ``label`` to ``difficult``, then ``attributes``.

    ``flat``: the box is a line's extent, which may have no height (a level line) or no
    width (an upright one), though not both (its points would all be one point)."""
    where = f"box {i}"
    if not isinstance(box, Mapping):
        raise CatalogError(f"{where}: expected an object with label, x, y, w, h")
    unknown = set(box) - _KNOWN
    if unknown:
        raise CatalogError(f"{where}: unknown keys {sorted(unknown)}")
    label = box.get("label")
    if not isinstance(label, str) or label not in classes:
        shown = ", ".join(sorted(classes)[:10]) + (", ..." if len(classes) > 10 else "")
        raise CatalogError(f"{where}: label {label!r} is not a class of the dataset ({shown})")
    values = []
    for key in _NUMBERS:
        value = box.get(key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise CatalogError(f"{where}: {key} must be a finite number, got {value!r}")
        values.append(float(value))
    x, y, w, h = values
    if flat and (w < 0 or h < 0 or w + h == 0):
        raise CatalogError(f"{where}: a line's points are all one point (w={w:g}, h={h:g})")
    if not flat and (w <= 0 or h <= 0):
        raise CatalogError(f"{where}: w and h must be positive, got w={w:g}, h={h:g}")
    if x < 0 or y < 0:
        raise CatalogError(f"{where}: x and y must be >= 0, got x={x:g}, y={y:g}")
    for name, end, limit in (("width", x + w, width), ("height", y + h, height)):
        if limit is not None and end > limit:
            raise CatalogError(f"{where}: the box ends at {end:g}, past the image {name} {limit}")
    score = box.get("score")
    if source == GROUND_TRUTH and score is not None:
        raise CatalogError(f"{where}: ground-truth boxes have no score")
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1
    ):
        raise CatalogError(f"{where}: score must be a number from 0 to 1, got {score!r}")
    attributes = box.get("attributes")
    if attributes is not None and not isinstance(attributes, Mapping):
        raise CatalogError(f"{where}: attributes must be an object")
    flags = [bool(box.get("iscrowd", False)), bool(box.get("difficult", False))]
    return [
        label, x, y, w, h, None if score is None else float(score), w * h, *flags,
        None if attributes is None else json.dumps(attributes),
    ]  # fmt: skip


def adjust_box_count(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, source: str, delta: int
) -> None:
    """Keep the dataset's ground-truth count or the model's prediction count exact."""
    if source == GROUND_TRUTH:
        cur.execute(
            "UPDATE datasets SET num_annotations = num_annotations + ? WHERE dataset_id = ?",
            [delta, dataset_id],
        )
    else:
        cur.execute(
            "UPDATE models SET num_predictions = num_predictions + ? "
            "WHERE dataset_id = ? AND name = ?",
            [delta, dataset_id, source],
        )
