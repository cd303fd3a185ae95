"""The samples of an ``eval`` label filter from the evaluation index, as a mask.

``{"labels": {"source": "ground_truth", "classes": ["cat"], "eval": {"status": ["fn"]}}}``
("a missed cat") is the typical evaluation filter. Its sample ids through SQL (the
evaluation summaries) cost 18 ms at 1M images; the evaluation index
(:mod:`.eval_facet_index`) holds, per (status, error type, source, label) of each latest
evaluation, the distinct samples of its boxes, so the filter's mask is the union of the
matching combinations' positions.

The semantics are the SQL's (:func:`.eval_filter.compile_eval_condition` inside the plain
``EXISTS`` over the boxes of :mod:`..catalog.query.filters`): a sample matches when one of its
boxes of the source (ground truth, all predictions, one model, or any) with one of the
classes has, in one of the evaluations read, a row with one of the statuses and error
types. The evaluations read are ``key``'s, or else the latest of ``model`` (or of every
model); a ground-truth box is evaluated by every model, a prediction by its own. A box row
whose box is gone (replaced predictions) matches nothing. Only these keys are answered;
anything else returns None and the caller keeps the SQL. Registered as the planner's
backend of ``eval`` label conditions (:mod:`.manifest`).
"""

from __future__ import annotations

import duckdb
import numpy as np

from ..catalog.indexes.box_index import SampleSet
from ..catalog.query.filter_model import LabelCondition
from .eval_facet_index import Evaluation, current
from .eval_filter import EvalCondition


def eval_label_mask(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    label: LabelCondition,
    samples: SampleSet,
    token: str,
) -> np.ndarray | None:
    """A boolean mask over ``samples`` of the samples matching ``label`` (a source?,
    classes? and ``eval: {status?, error?, model? | key?}``), or None when the index cannot
    answer it exactly (another shape, an evaluation the index does not hold, or an index
    of another ``token``)."""
    cond = label.extra("eval")
    if not isinstance(cond, EvalCondition) or len(label.extras) != 1:
        return None
    if label.score is not None or label.where:
        return None
    if (cond.confused_with, cond.confused, cond.iou, cond.tide) != (None,) * 4:
        return None
    wanted = {
        part: set(values)
        for part, values in (
            ("label", label.classes),
            ("status", cond.status),
            ("error", cond.error),
        )  # fmt: skip
        if values is not None
    }
    found = current(cur, dataset_id, token, samples)
    index = found.index
    if index is None or not index.same_samples(samples):
        return None
    evaluations = _evaluations_read(cond, index.evaluations)
    if evaluations is None:
        return None
    mask = np.zeros(samples.n, dtype=bool)
    for ev in evaluations:
        m = ev.matches
        chosen = np.isin(m.source, [c for c, v in enumerate(m.values["source"]) if
                                    v is not None and label.matches_source(v)])  # fmt: skip
        for name, codes in (("status", m.status), ("error", m.error), ("label", m.label)):
            allowed = wanted.get(name)
            if allowed is not None:
                chosen &= np.isin(codes, [c for c, v in enumerate(m.values[name]) if v in allowed])
        mask |= m.mask(chosen, whole_groups="label" not in wanted)
    return mask


def _evaluations_read(cond: EvalCondition, held: list[Evaluation]) -> list[Evaluation] | None:
    """The index's evaluations the SQL reads for ``cond``: ``key``'s, or the latest of
    ``model`` or of every model (None: it reads one the index does not hold)."""
    if cond.key is not None:
        chosen = [ev for ev in held if ev.key == cond.key]
        return chosen or None
    return [ev for ev in held if cond.model is None or ev.model == cond.model]
