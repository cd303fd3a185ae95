"""The labels of a page's or one sample's images, as the REST answers carry them.

Each object is its box plus, where it has them, its mask (``segmentation``: COCO polygons or
RLE, exactly as stored), ``mask_area``, ``keypoints`` (flat ``[x, y, v, ...]``) and
``num_keypoints``; each sample gets its image-level ``classifications``.

A page's masks and keypoints are JSON text selected in SQL and handed to the encoder as
:class:`orjson.Fragment`: the answer carries the stored text without Python ever parsing it
(a page of 200 COCO images holds ~1,500 polygons). The handlers encode answers with orjson
(``handlers/base.py``), which writes a fragment as it is; so does the answers cache.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import orjson

_PAGE_ANNOTATIONS_SQL = """
    SELECT a.sample_id, a.ann_id, a.source, a.label, a.x, a.y, a.w, a.h, a.score, a.iscrowd,
           a.difficult, a.segmentation::VARCHAR, to_json(a.keypoints)::VARCHAR,
           a.num_keypoints, a.mask_area, {match}
    FROM annotations a WHERE a.sample_id IN (SELECT unnest(?::BIGINT[]))
    ORDER BY a.sample_id, a.source, a.ann_id
"""


def annotations_for(
    cur: duckdb.DuckDBPyConnection,
    sample_ids: list[int],
    match: tuple[str, list[Any]] | None = None,
) -> dict[int, list[dict[str, Any]]]:
    """The objects of the given samples, grouped by sample id: boxes, and the masks and
    keypoints of those that have them (as JSON fragments). ``match``: compiled SQL over
    ``a`` and its values (``filters.label_match_sql``); each object then says whether it
    meets it (``"match"``), so that a view can draw only the labels the filter is about."""
    sql = _PAGE_ANNOTATIONS_SQL.format(match=match[0] if match else "NULL")
    rows = cur.execute(sql, [*(match[1] if match else []), sample_ids]).fetchall()
    out: dict[int, list[dict[str, Any]]] = {}
    fragment = orjson.Fragment
    for r in rows:
        ann: dict[str, Any] = {
            "ann_id": int(r[1]),
            "source": r[2],
            "label": r[3],
            "bbox": [r[4], r[5], r[6], r[7]],
            "score": r[8],
            "iscrowd": bool(r[9]),
            "difficult": bool(r[10]),
        }
        if r[11] is not None:
            ann["segmentation"] = fragment(r[11])
            ann["mask_area"] = r[14]
        if r[12] is not None:
            ann["keypoints"] = fragment(r[12])
            ann["num_keypoints"] = r[13]
        if match:
            ann["match"] = bool(r[15])
        out.setdefault(int(r[0]), []).append(ann)
    return out


def classifications_for(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, sample_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """The image-level labels (``source``, ``label``, ``score``) of the given samples,
    grouped by sample id; ground truth first, then the models by name, best score first."""
    rows = cur.execute(
        """
        SELECT sample_id, source, label, score FROM classifications
        WHERE dataset_id = ? AND sample_id IN (SELECT unnest(?::BIGINT[]))
        ORDER BY sample_id, source != 'ground_truth', source, score DESC NULLS LAST, label
        """,
        [dataset_id, sample_ids],
    ).fetchall()
    out: dict[int, list[dict[str, Any]]] = {}
    for sample_id, source, label, score in rows:
        out.setdefault(int(sample_id), []).append(
            {"source": source, "label": label, "score": score}
        )
    return out


def sample_annotations(cur: duckdb.DuckDBPyConnection, sample_id: int) -> list[dict[str, Any]]:
    """Every object of one sample with all it has (segmentation and attributes included)."""
    rows = cur.execute(
        """
        SELECT ann_id, source, label, x, y, w, h, score, area, iscrowd, difficult,
               source_ann_id, segmentation, attributes, keypoints, num_keypoints, mask_area
        FROM annotations WHERE sample_id = ? ORDER BY source, ann_id
        """,
        [sample_id],
    ).fetchall()
    out = []
    for b in rows:
        ann = {
            "ann_id": int(b[0]),
            "source": b[1],
            "label": b[2],
            "bbox": [b[3], b[4], b[5], b[6]],
            "score": b[7],
            "area": b[8],
            "iscrowd": bool(b[9]),
            "difficult": bool(b[10]),
            "source_ann_id": b[11],
            "segmentation": json.loads(b[12]) if b[12] else None,
            "attributes": json.loads(b[13]) if b[13] else {},
        }
        if b[12]:
            ann["mask_area"] = b[16]
        if b[14] is not None:
            ann["keypoints"] = list(b[14])
            ann["num_keypoints"] = b[15]
        out.append(ann)
    return out
