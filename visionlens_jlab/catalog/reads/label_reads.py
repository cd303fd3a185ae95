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
from .object_fields import KindFields, kind_columns

_KIND_TEXTS = kind_columns(as_text=True)
_KIND_COLUMNS = kind_columns()

_PAGE_ANNOTATIONS_SQL = """
    SELECT a.sample_id, a.ann_id, a.source, a.label, a.score, a.iscrowd, a.difficult,
           {kinds}, {match} AS match, {status} AS status
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


def _column_names(result: duckdb.DuckDBPyConnection) -> list[str]:
    return [d[0] for d in result.description or ()]


def _parsed(value: Any) -> Any:
    """A stored JSON value as the sample answer carries it: text parsed, lists as they are."""
    return json.loads(value) if isinstance(value, str) else value


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
        kinds=_KIND_TEXTS,
        match=match[0] if match else "NULL",
        status="st.status" if evaluation else "NULL",
        status_join=status_join() if evaluation else "",
    )
    status = [*evaluation, sample_ids] if evaluation else []
    values = [*(match[1] if match else []), *status, sample_ids]
    result = cur.execute(sql, values)
    fields = KindFields(_column_names(result), orjson.Fragment)
    out: dict[int, list[dict[str, Any]]] = {}
    for r in result.fetchall():
        ann: dict[str, Any] = {
            "ann_id": int(r[1]),
            "source": r[2],
            "label": r[3],
            "score": r[4],
            "iscrowd": bool(r[5]),
            "difficult": bool(r[6]),
        }
        fields.add(ann, r)
        if match:
            ann["match"] = bool(r[-2])
        if evaluation:
            ann["status"] = r[-1]
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
    cur: duckdb.DuckDBPyConnection,
    sample_ids: list[int],
    evaluation: Evaluation | None = None,
) -> dict[int, list[dict[str, Any]]]:
    """Every object of the given samples with all it has (segmentation and attributes
    included), grouped by sample id, each sample's by source then id; with ``evaluation``,
    each object's ``status`` in that evaluation as in :func:`annotations_for`."""
    result = cur.execute(
        f"""
        SELECT a.ann_id, a.source, a.label, a.score, a.area, a.iscrowd, a.difficult,
               a.source_ann_id, a.attributes, a.track_id, a.sample_id, {_KIND_COLUMNS},
               {"st.status" if evaluation else "NULL"} AS status
        FROM annotations a {status_join() if evaluation else ""}
        WHERE a.sample_id IN (SELECT unnest(?::BIGINT[]))
        ORDER BY a.sample_id, a.source, a.ann_id
        """,  # noqa: S608 - fixed SQL, bound values
        [*([*evaluation, sample_ids] if evaluation else []), sample_ids],
    )
    fields = KindFields(_column_names(result), _parsed)
    out: dict[int, list[dict[str, Any]]] = {}
    for b in result.fetchall():
        ann = {
            "ann_id": int(b[0]),
            "source": b[1],
            "label": b[2],
            "score": b[3],
            "area": b[4],
            "iscrowd": bool(b[5]),
            "difficult": bool(b[6]),
            "source_ann_id": b[7],
            "attributes": json.loads(b[8]) if b[8] else {},
        }
        if b[9] is not None:  # an object of a video track (its identity colours the view)
            ann["track_id"] = int(b[9])
        fields.add(ann, b)
        if evaluation:
            ann["status"] = b[-1]
        out.setdefault(int(b[10]), []).append(ann)
    return out
