"""The samples of an ``eval`` label filter from the evaluation index, as a mask.

``{"labels": {"source": "ground_truth", "classes": ["cat"], "eval": {"status": ["fn"]}}}``
("a missed cat") is the typical evaluation filter. Its sample ids through SQL (the
evaluation summaries) cost 18 ms at 1M images; the evaluation index
(:mod:`.eval_facet_index`) holds, per (status, error type, source, label) of each latest
evaluation, the distinct samples of its boxes, so the filter's mask is the union of the
matching combinations' positions.

The semantics are the SQL's (:func:`.store.compile_eval_condition` inside the plain
``EXISTS`` over the boxes of :mod:`..catalog.query.filters`): a sample matches when one of its
boxes of the source (ground truth, all predictions, one model, or any) with one of the
classes has, in one of the evaluations read, a row with one of the statuses and error
types. The evaluations read are ``key``'s, or else the latest of ``model`` (or of every
model); a ground-truth box is evaluated by every model, a prediction by its own. A box row
whose box is gone (replaced predictions) matches nothing. Only these keys are answered;
anything else returns None and the caller keeps the SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import numpy as np

from ..catalog.indexes.facet_index import SampleSet
from ..catalog.store.schema import GROUND_TRUTH
from .eval_facet_index import Evaluation, current

_STATUSES = ("tp", "fp", "fn", "ignored")
_ERRORS = ("duplicate", "class_confusion", "localization", "background")


def eval_label_mask(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    spec: Mapping[str, Any],
    samples: SampleSet,
    token: str,
) -> np.ndarray | None:
    """A boolean mask over ``samples`` of the samples matching label filter ``spec``
    (``{"source"?, "classes"?, "eval": {"status"?, "error"?, "model"? | "key"?}}``), or
    None when the index cannot answer it exactly (another shape, a value the SQL rejects,
    an evaluation the index does not hold, or an index of another ``token``)."""
    wanted = _parse(spec)
    if wanted is None:
        return None
    found = current(cur, dataset_id, token, samples)
    index = found.index
    if index is None or not index.same_samples(samples):
        return None
    evaluations = _evaluations_read(spec["eval"], index.evaluations)
    if evaluations is None:
        return None
    mask = np.zeros(samples.n, dtype=bool)
    for ev in evaluations:
        m = ev.matches
        chosen = np.isin(m.source, [c for c, v in enumerate(m.values["source"]) if
                                    v is not None and _source_matches(spec.get("source"), v)])  # fmt: skip
        for name, codes in (("status", m.status), ("error", m.error), ("label", m.label)):
            allowed = wanted.get(name)
            if allowed is not None:
                chosen &= np.isin(codes, [c for c, v in enumerate(m.values[name]) if v in allowed])
        mask |= m.mask(chosen, whole_groups="label" not in wanted)
    return mask


def _parse(spec: Mapping[str, Any]) -> dict[str, set[str]] | None:
    """The allowed values per combination part, or None for a spec this does not answer."""
    if not isinstance(spec, Mapping) or not isinstance(spec.get("eval"), Mapping):
        return None
    if set(spec) - {"source", "classes", "eval"}:
        return None
    cond = spec["eval"]
    if set(cond) - {"status", "error", "model", "key"}:
        return None
    if any(cond.get(k) is not None and not isinstance(cond[k], str) for k in ("model", "key")):
        return None
    source = spec.get("source")
    if source is not None and not isinstance(source, str):
        return None
    wanted: dict[str, set[str]] = {}
    for name, part, allowed in (
        ("classes", "label", None),
        ("status", "status", _STATUSES),
        ("error", "error", _ERRORS),
    ):
        value = spec.get(name) if name == "classes" else cond.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None
        if allowed is not None and not set(value) <= set(allowed):
            return None
        wanted[part] = set(value)
    return wanted


def _source_matches(source: str | None, value: str) -> bool:
    """``source_clause``'s test on a box of source ``value``."""
    if source is None:
        return True
    if source == "predictions":
        return value != GROUND_TRUTH
    return value == source


def _evaluations_read(cond: Mapping[str, Any], held: list[Evaluation]) -> list[Evaluation] | None:
    """The index's evaluations the SQL reads for ``cond``: ``key``'s, or the latest of
    ``model`` or of every model (None: it reads one the index does not hold)."""
    key, model = cond.get("key"), cond.get("model")
    if key is not None:
        chosen = [ev for ev in held if ev.key == key]
        return chosen or None
    return [ev for ev in held if model is None or ev.model == model]
