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

from ..base.errors import NotFoundError
from ..store.feature_reads import EVAL_BOX_RESULTS, EVAL_RUNS, relation

_PAGE_ANNOTATIONS_SQL = """
    SELECT a.sample_id, a.ann_id, a.source, a.label, a.x, a.y, a.w, a.h, a.score, a.iscrowd,
           a.difficult, a.segmentation::VARCHAR, to_json(a.keypoints)::VARCHAR,
           a.num_keypoints, a.mask_area, {match}, {status}
    FROM annotations a {status_join}
    WHERE a.sample_id IN (SELECT unnest(?::BIGINT[]))
    ORDER BY a.sample_id, a.source, a.ann_id
"""


def status_join() -> str:
    """Each box's status in one evaluation: a LEFT JOIN with that evaluation's rows of the
    page's samples only (not the evaluation's millions of rows), so a page stays about as
    fast; its values: the dataset id, the evaluation key, the sample ids. The rows are the
    evaluation's per-box results, as its manifest supplies them."""
    return f"""
    LEFT JOIN (SELECT be.ann_id, be.status FROM {relation(EVAL_BOX_RESULTS)} be
               WHERE be.dataset_id = ? AND be.eval_key = ?
                 AND be.sample_id IN (SELECT unnest(?::BIGINT[]))) st ON st.ann_id = a.ann_id
    """  # noqa: S608 - the feature's fixed SQL, values bound


Evaluation = tuple[int, str]
"""An evaluation: its dataset id and its key."""


def chosen_evaluation(cur: duckdb.DuckDBPyConnection, dataset_id: int, name: str) -> Evaluation:
    """The evaluation ``name`` designates on a dataset: the one of that key, else the latest
    evaluation of the model of that name; a :class:`NotFoundError` (HTTP 404) that says so
    when there is neither.

    A key chooses one evaluation of a model evaluated several ways (bbox, segm, keypoints),
    as FiftyOne's eval keys do; a model name keeps meaning its latest evaluation.
    """
    row = cur.execute(
        f"""
        SELECT eval_key FROM {relation(EVAL_RUNS)} runs
        WHERE dataset_id = $d AND (eval_key = $name OR (model = $name AND latest))
        ORDER BY eval_key = $name DESC LIMIT 1
        """,  # noqa: S608 - the feature's fixed SQL, values bound
        {"d": dataset_id, "name": name},
    ).fetchone()
    if row is None:
        raise NotFoundError(
            f"{name!r} is neither an evaluation nor an evaluated model of this dataset: "
            "evaluate the model first (visionlens evaluate, or the Evaluation panel)"
        )
    return dataset_id, str(row[0])


def annotations_for(
    cur: duckdb.DuckDBPyConnection,
    sample_ids: list[int],
    match: tuple[str, list[Any]] | None = None,
    evaluation: Evaluation | None = None,
) -> dict[int, list[dict[str, Any]]]:
    """The objects of the given samples, grouped by sample id: boxes, and the masks and
    keypoints of those that have them (as JSON fragments). ``match``: compiled SQL over
    ``a`` and its values (``filters.label_match_sql``); each object then says whether it
    meets it (``"match"``), so that a view can draw only the labels the filter is about.
    ``evaluation``: an evaluation (:func:`chosen_evaluation`); each object then carries its
    ``"status"`` in it (``tp``, ``fp``, ``fn``, ``ignored``; null for a box it did not
    judge, e.g. another model's)."""
    sql = _PAGE_ANNOTATIONS_SQL.format(
        match=match[0] if match else "NULL",
        status="st.status" if evaluation else "NULL",
        status_join=status_join() if evaluation else "",
    )
    status = [*evaluation, sample_ids] if evaluation else []
    values = [*(match[1] if match else []), *status, sample_ids]
    rows = cur.execute(sql, values).fetchall()
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
        if evaluation:
            ann["status"] = r[16]
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


def sample_annotations(
    cur: duckdb.DuckDBPyConnection, sample_id: int, evaluation: Evaluation | None = None
) -> list[dict[str, Any]]:
    """Every object of one sample with all it has (segmentation and attributes included);
    with ``evaluation``, each object's ``status`` in that evaluation as in
    :func:`annotations_for`."""
    rows = cur.execute(
        f"""
        SELECT a.ann_id, a.source, a.label, a.x, a.y, a.w, a.h, a.score, a.area, a.iscrowd,
               a.difficult, a.source_ann_id, a.segmentation, a.attributes, a.keypoints,
               a.num_keypoints, a.mask_area, {"st.status" if evaluation else "NULL"}
        FROM annotations a {status_join() if evaluation else ""}
        WHERE a.sample_id = ? ORDER BY a.source, a.ann_id
        """,  # noqa: S608 - fixed SQL, bound values
        [*([*evaluation, [sample_id]] if evaluation else []), sample_id],
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
        if evaluation:
            ann["status"] = b[17]
        out.append(ann)
    return out
