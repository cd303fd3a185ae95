"""Schema step 25: ``track_results``, each object's outcome in a model's latest tracking
evaluation, so that identity switches and misses are filters (``{"labels": {"track":
...}}``): which frames an identity switched on, which tracks switched at all.

One row per object of the evaluated videos, ground truth and the model's: its CLEAR
outcome (``matched``, ``missed``, ``false_positive``, ``ignored``: a tracker box matched to
a distractor or out of the evaluation, ``not_evaluated``: a ground-truth box the protocol
leaves out), ``switched`` (the object is one side of a match where its ground-truth
identity changed tracker id: TrackEval's IDSW, counted on that frame) and, for a
ground-truth object, its track's ``track_switches`` and MT/PT/ML ``track_status``. Written
by every ``evaluate --tracking`` (replacing the model's rows); its report is not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa

from ..catalog import Catalog
from ..catalog.query.filter_conditions import bounds, choice_list, in_clause, range_clauses
from ..catalog.query.filters import FilterError, Params
from .code_names import names_of

if TYPE_CHECKING:  # the engine (scipy) loads with an evaluation, not with the catalog
    from .tracking.report import SequenceDetails

TABLE = "track_results"

DDL = """
CREATE TABLE IF NOT EXISTS track_results (
    dataset_id INTEGER NOT NULL,
    model VARCHAR NOT NULL,         -- the tracker evaluated (its objects and the truth's)
    ann_id BIGINT NOT NULL,
    sample_id BIGINT NOT NULL,
    status VARCHAR NOT NULL,        -- matched | missed | false_positive | ignored | not_evaluated
    switched BOOLEAN NOT NULL,      -- one side of a match where the identity switched
    track_switches INTEGER,         -- ground truth: its track's identity switches
    track_status VARCHAR            -- ground truth: MT | PT | ML
)
"""

STATUSES = ("matched", "missed", "false_positive", "ignored", "not_evaluated")
TRACK_STATUSES = ("ML", "PT", "MT")
"""Indexed by :data:`.report.TRACK_MOSTLY_LOST` ... ``TRACK_MOSTLY_TRACKED``."""


@dataclass(frozen=True)
class SequenceObjects:
    """The catalog's objects behind one sequence's rows, in the sequence's row order."""

    gt_ann: np.ndarray
    gt_sample: np.ndarray
    tr_ann: np.ndarray
    tr_sample: np.ndarray


def create_track_results(cur: duckdb.DuckDBPyConnection) -> None:
    """Step 25: the (empty) table of the objects' tracking outcomes."""
    cur.execute(DDL)


def result_rows(objects: SequenceObjects, gt_id: np.ndarray, d: SequenceDetails) -> pa.Table:
    """One sequence's rows: ground truth first (``gt_id``: each row's track id), then the
    tracker's."""
    from .tracking.report import GT_MATCHED, GT_MISSED, TR_FALSE_POSITIVE, TR_MATCHED

    gt_status = np.where(d.gt_status == GT_MATCHED, 0, np.where(d.gt_status == GT_MISSED, 1, 4))
    tr_status = np.where(
        d.tr_status == TR_MATCHED, 0, np.where(d.tr_status == TR_FALSE_POSITIVE, 2, 3)
    )
    track, known = _tracks_of(d.track_gt_id, gt_id)
    n_tr = len(objects.tr_ann)
    evaluated = len(d.track_gt_id) > 0
    switches = np.where(known, d.track_switches[track] if evaluated else 0, 0)
    statuses = np.where(known, d.track_status[track] if evaluated else -1, -1)
    return pa.table({
        "ann_id": np.concatenate([objects.gt_ann, objects.tr_ann]).astype(np.int64),
        "sample_id": np.concatenate([objects.gt_sample, objects.tr_sample]).astype(np.int64),
        "status": names_of(np.concatenate([gt_status, tr_status]), STATUSES),
        "switched": np.concatenate([d.gt_switched, d.tr_switched]),
        "track_switches": pa.array(
            np.concatenate([switches, np.zeros(n_tr, np.int64)]).astype(np.int32),
            mask=np.concatenate([~known, np.ones(n_tr, bool)]),
        ),
        "track_status": names_of(
            np.concatenate([statuses, np.full(n_tr, -1)]), TRACK_STATUSES
        ),
    })  # fmt: skip


def _tracks_of(ids: np.ndarray, gt_id: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's track index among the evaluated tracks ``ids``, and whether it has one
    (a row the protocol left out may belong to no evaluated track)."""
    if not len(ids):
        return np.zeros(len(gt_id), dtype=np.int64), np.zeros(len(gt_id), dtype=bool)
    order = np.argsort(ids, kind="stable")
    track = order[np.minimum(np.searchsorted(ids[order], gt_id), len(ids) - 1)]
    return track, ids[track] == gt_id


def store_track_results(catalog: Catalog, dataset_id: int, model: str, rows: pa.Table) -> None:
    """Replace ``model``'s rows of the dataset by ``rows`` in one transaction."""
    with catalog.write(dataset_id, keeps_derived=True) as cur:
        cur.execute(
            "DELETE FROM track_results WHERE dataset_id = ? AND model = ?", [dataset_id, model]
        )
        cur.register("_vl_track_results", rows)
        try:
            cur.execute(
                "INSERT INTO track_results SELECT ?, ?, ann_id, sample_id, status, switched, "
                "track_switches, track_status FROM _vl_track_results",
                [dataset_id, model],
            )
        finally:
            cur.unregister("_vl_track_results")


@dataclass(frozen=True)
class TrackCondition:
    """A checked ``track`` label condition."""

    model: str | None
    status: tuple[str, ...] | None
    switched: bool | None
    switches: tuple[float | None, float | None] | None
    track_status: tuple[str, ...] | None


_KEYS = {"model", "status", "switched", "track_switches", "track_status"}


def parse_track_condition(value: Any) -> TrackCondition:
    """``{"model"?, "status"?: [...], "switched"?: bool, "track_switches"?: {"min", "max"},
    "track_status"?: ["MT" | "PT" | "ML"]}`` checked, or FilterError. Without ``model``: any
    model's latest tracking evaluation."""
    if not isinstance(value, dict):
        raise FilterError("labels.track must be an object such as {'switched': true}")
    unknown = set(value) - _KEYS
    if unknown:
        raise FilterError(f"unknown labels.track keys: {sorted(unknown)}")
    model = value.get("model")
    if model is not None and not isinstance(model, str):
        raise FilterError("labels.track.model must be a model's name")
    lists = {
        name: choice_list(value.get(name), f"labels.track.{name}", allowed)
        for name, allowed in (("status", STATUSES), ("track_status", TRACK_STATUSES))
    }
    switched = value.get("switched")
    if switched is not None and not isinstance(switched, bool):
        raise FilterError("labels.track.switched must be true or false")
    return TrackCondition(
        model, lists["status"], switched, bounds(value.get("track_switches"), "labels.track.track_switches", integer=True),
        lists["track_status"],
    )  # fmt: skip


def compile_track_condition(cond: TrackCondition, params: Params) -> str:
    """SQL over the box ``a``: its row in ``track_results`` meets ``cond``."""
    parts = ["r.dataset_id = a.dataset_id"]
    if cond.model is not None:
        parts.append(f"r.model = {params.add(cond.model)}")
    for column, wanted in (("r.status", cond.status), ("r.track_status", cond.track_status)):
        if wanted is not None:
            parts.append(in_clause(column, wanted, params))
    if cond.switched is not None:
        parts.append("r.switched" if cond.switched else "NOT r.switched")
    if cond.switches is not None:
        parts += range_clauses("r.track_switches", cond.switches, params)
    where = " AND ".join(parts)
    return f"a.ann_id IN (SELECT r.ann_id FROM track_results r WHERE {where})"  # noqa: S608 - fixed SQL, bound values
