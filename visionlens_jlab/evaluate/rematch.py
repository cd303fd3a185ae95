"""The per-box results of edited samples matched again, inside the edit's transaction.

COCO's and VOC's matching are per image: a box's status (TP, FP, FN, ignored), the box it
matched, its IoU and a false positive's error type depend on the boxes of its own image
only. So after an edit the stored rows of the touched samples are replaced by those of the
same matching run over those samples' boxes as the edit commits them (read through the
writer's cursor): the rows then equal what a full re-evaluation would store for them, and
the ``eval`` filters and facets answer for the labels now without evaluating every image;
the stored whole-dataset eval facets move by the touched rows' counts, and the evaluation
index (:mod:`.eval_facet_index`) is patched with the touched samples' rows.
The evaluation's summary (AP, per-class figures) is a whole-dataset accumulation and stays
that of the run; the evaluation lists itself as ``edited_since`` until it is run again.

Box evaluations (``iou_type`` bbox, COCO or VOC) are matched again; a segm, keypoints or
LVIS evaluation's rows of the edited boxes are unmatched instead (they name no box, ``ann_id`` becomes
``-1 - ann_id``), as before: their masks and keypoints would be read and decoded here.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog import GROUND_TRUTH
from ..catalog.sql.facet_parts import store_part, stored_parts
from .analysis import BoxOutcomes, outcomes_from_coco, outcomes_from_voc
from .boxes import Boxes
from .coco import match_coco
from .eval_summaries import refresh_eval_summaries
from .iou_types import coco_params
from .load import EvalInput
from .outcome_rows import outcome_table
from .tide import tide_objects
from .tide_rows import TABLE as TIDE_TABLE
from .tide_rows import delete_tide_rows, insert_tide_rows
from .voc import match_voc


def rematch_samples(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, samples: Sequence[int], sources: set[str]
) -> list[str]:
    """Inside the edit's write: the rows of every evaluation of ``dataset_id`` that compares
    one of the edited ``sources`` replaced, for the ``samples`` touched, by a matching run
    over their boxes now; returns the keys matched again (the others' rows unmatched)."""
    ids = sorted({int(s) for s in samples})
    evaluations = cur.execute(
        "SELECT eval_key, model, protocol, iou, params, "
        "COALESCE(json_extract(summary, '$.tide.objects')::BOOLEAN, FALSE) "
        "FROM evaluations WHERE dataset_id = ? ORDER BY eval_key",
        [dataset_id],
    ).fetchall()
    matched: list[str] = []
    others: set[str] = set()
    for key, model, protocol, iou, params_text, typed in evaluations:
        if GROUND_TRUTH not in sources and model not in sources:
            continue
        params = json.loads(params_text)
        # LVIS's per-image cap and federated sets are not read here: unmatched, like masks
        if params.get("iou_type", "bbox") != "bbox" or protocol == "lvis":
            for table in ("box_evaluations", TIDE_TABLE):
                _unmatch(cur, table, dataset_id, key, ids, sources)
            continue
        inp = _input(cur, dataset_id, model, ids)
        was = touched_value_counts(cur, dataset_id, key, ids)
        cur.execute(
            "DELETE FROM box_evaluations WHERE dataset_id = ? AND eval_key = ? "
            "AND sample_id IN (SELECT unnest(?::BIGINT[]))",
            [dataset_id, key, ids],
        )
        delete_tide_rows(cur, dataset_id, key, ids)
        if len(inp.gt) or len(inp.dt):
            outcomes = _outcomes(inp, protocol, float(iou), params, typed)
            _insert(cur, dataset_id, key, outcome_table(inp, outcomes))
        _patch_part(cur, dataset_id, key, was, touched_value_counts(cur, dataset_id, key, ids))
        matched.append(key)
        others |= {GROUND_TRUTH, model} - sources
    # the other side's rows of these samples changed too (a relabelled truth box leaves a
    # prediction a false positive): its evaluation summaries, which the registry refreshes
    # for the edited sources only (its boxes, hence their classes' numbers, are unchanged)
    for source in sorted(others):
        refresh_eval_summaries(cur, dataset_id, source=source, samples=ids)
    return matched


def touched_value_counts(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, key: str, ids: list[int]
) -> Counter[tuple[str, str]]:
    """The rows of ``ids`` per (facet, value) of the eval facets. The touched rows are
    picked first (materialized) and only then counted per facet: a lateral unpivot of the
    table before that filter read every row of the evaluation (1.7 s at 5M rows, 14 ms
    this way; benchmarks/results/edit.md)."""
    rows = cur.execute(
        """
        WITH touched AS MATERIALIZED (
            SELECT status, error_type FROM box_evaluations
            WHERE dataset_id = $1 AND eval_key = $2
              AND sample_id IN (SELECT unnest($3::BIGINT[]))
        )
        SELECT 'eval.status', status, COUNT(*) FROM touched
        WHERE status IS NOT NULL GROUP BY ALL
        UNION ALL
        SELECT 'eval.error', error_type, COUNT(*) FROM touched
        WHERE error_type IS NOT NULL GROUP BY ALL
        """,
        [dataset_id, key, ids],
    ).fetchall()
    return Counter({(facet, value): int(n) for facet, value, n in rows})


def _patch_part(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    key: str,
    was: Counter[tuple[str, str]],
    now: Counter[tuple[str, str]],
) -> None:
    """The stored whole-dataset eval facets of ``key`` (``eval:<key>``, what the writer of
    the evaluation stored) moved by the touched samples' change: no pass over every row."""
    part = f"eval:{key}"
    stored = stored_parts(cur, dataset_id, [part])
    if stored is None:
        return  # none stored: the readers count the rows
    entries = stored[part]
    model = next((e["source"] for e in entries), None)
    counts: Counter[tuple[str, str]] = Counter(
        {(e["name"], v["value"]): int(v["count"]) for e in entries for v in e["values"]}
    )
    counts.update(now)
    counts.subtract(was)
    if model is None:  # an evaluation of no box: its model from the table
        ((model,),) = cur.execute(
            "SELECT model FROM evaluations WHERE dataset_id = ? AND eval_key = ?",
            [dataset_id, key],
        ).fetchall()
    out = []
    for facet in ("eval.error", "eval.status"):  # the SQL's order: per facet, most first
        values = sorted(((v, n) for (f, v), n in counts.items() if f == facet and n > 0),
                        key=lambda vn: (-vn[1], vn[0]))  # fmt: skip
        if values:
            out.append({"name": facet, "type": "categorical", "source": model, "key": key,
                        "values": [{"value": v, "count": n} for v, n in values]})  # fmt: skip
    store_part(cur, dataset_id, part, out)


def _outcomes(
    inp: EvalInput, protocol: str, iou: float, params: dict[str, Any], typed: bool
) -> BoxOutcomes:
    """The per-box outcomes of :func:`~.api.evaluate_arrays` without its report (no
    accumulation, no per-class table): at the one threshold ``iou``, which COCO matches
    independently of the others; with ``typed``, each object's TIDE error too (decided
    inside its image, as the whole run decided it)."""
    plus_one = bool(params.get("plus_one", False))
    if protocol == "coco":
        cp = coco_params(inp, plus_one=plus_one)
        match = match_coco(
            inp.gt, inp.dt, len(inp.classes), np.array([iou]), area_ranges=cp.area_ranges,
            max_det=cp.max_dets[-1], similarity=cp.similarity, gt_at=0,
        )  # fmt: skip
        out = outcomes_from_coco(inp.gt, inp.dt, match, 0, similarity=cp.similarity)
        if typed:
            out.tide = tide_objects(inp.gt, inp.dt, cp.similarity)
        return out
    ignore_difficult = bool(params.get("ignore_difficult", True))
    vm = match_voc(inp.gt, inp.dt, len(inp.classes), iou, plus_one=plus_one,
                   ignore_difficult=ignore_difficult)  # fmt: skip
    return outcomes_from_voc(inp.gt, inp.dt, vm, iou, plus_one=plus_one)


def _insert(cur: duckdb.DuckDBPyConnection, dataset_id: int, key: str, rows: pa.Table) -> None:
    cur.register("_vl_rematched", rows)
    try:
        cur.execute(
            """
            INSERT INTO box_evaluations
            SELECT ?, ?, ann_id, sample_id, status, matched_ann_id, iou, error_type,
                   confused_with
            FROM _vl_rematched
            """,
            [dataset_id, key],
        )
        insert_tide_rows(cur, dataset_id, key, "_vl_rematched")
    finally:
        cur.unregister("_vl_rematched")


def _unmatch(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    dataset_id: int,
    key: str,
    ids: list[int],
    sources: set[str],
) -> None:
    """The rows of ``table`` (the per-box results or their TIDE errors) of the edited
    sources' boxes in ``ids`` name no box any more (the eval filter stops matching them;
    the evaluation's counts stay those of its run)."""
    cur.execute(  # a table of this module's two; values bound
        f"""
        UPDATE {table} SET ann_id = -1 - ann_id
        WHERE dataset_id = $1 AND eval_key = $4 AND ann_id >= 0
          AND sample_id IN (SELECT unnest($2::BIGINT[]))
          AND ann_id IN (SELECT ann_id FROM annotations WHERE dataset_id = $1
                         AND sample_id IN (SELECT unnest($2::BIGINT[]))
                         AND source IN (SELECT unnest($3::VARCHAR[])))
        """,  # noqa: S608
        [dataset_id, ids, sorted(sources), key],
    )


def _input(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, model: str, ids: list[int]
) -> EvalInput:
    """The ground truth and ``model``'s boxes of the samples ``ids``, as
    :func:`~.load.load_input` reads a whole dataset's (bbox only)."""
    class_order = [
        r[0]
        for r in cur.execute(
            "SELECT name FROM categories WHERE dataset_id = ? ORDER BY category_id", [dataset_id]
        ).fetchall()
    ]
    table = cur.sql(
        """
        SELECT a.ann_id, a.sample_id, a.source = ? AS is_gt, a.label, a.x, a.y, a.w, a.h,
               a.score, COALESCE(a.area, a.w * a.h) AS area, a.iscrowd, a.difficult
        FROM annotations a
        WHERE a.dataset_id = ? AND a.source IN (?, ?)
          AND a.sample_id IN (SELECT unnest(?::BIGINT[]))
        ORDER BY a.ann_id
        """,
        params=[GROUND_TRUTH, dataset_id, GROUND_TRUTH, model, ids],
    ).to_arrow_table()
    labels = table.column("label").combine_chunks()
    classes = class_order + sorted(set(pc.unique(labels).to_pylist()) - set(class_order))
    cat = pc.index_in(labels, value_set=pa.array(classes, pa.string()))
    codes = cat.to_numpy(zero_copy_only=False).astype(np.int64)
    col = {name: table.column(name).to_numpy(zero_copy_only=False) for name in (
        "ann_id", "sample_id", "is_gt", "x", "y", "w", "h", "area", "iscrowd", "difficult")}  # fmt: skip
    score = table.column("score").fill_null(1.0).to_numpy(zero_copy_only=False)
    image = np.searchsorted(np.asarray(ids, dtype=np.int64), col["sample_id"].astype(np.int64))
    is_gt = col["is_gt"].astype(bool)

    def boxes(side: np.ndarray, predicted: bool) -> Boxes:
        return Boxes(
            ann_id=col["ann_id"][side].astype(np.int64),
            image=image[side].astype(np.int64),
            cat=codes[side],
            x=col["x"][side].astype(float),
            y=col["y"][side].astype(float),
            w=col["w"][side].astype(float),
            h=col["h"][side].astype(float),
            area=col["area"][side].astype(float),
            score=score[side].astype(float),
            # predictions are never crowd regions or difficult, as load_input makes them
            crowd=np.zeros(int(side.sum()), bool) if predicted else col["iscrowd"][side].astype(bool),
            difficult=(np.zeros(int(side.sum()), bool) if predicted
                       else col["difficult"][side].astype(bool)),
        )  # fmt: skip

    return EvalInput(
        dataset_id=dataset_id,
        classes=classes,
        gt=boxes(is_gt, False),
        dt=boxes(~is_gt, True),
        gt_sample=col["sample_id"][is_gt].astype(np.int64),
        dt_sample=col["sample_id"][~is_gt].astype(np.int64),
        missing_scores=0,
    )
