"""The ``classifications`` condition of a filter compiled to SQL over ``samples s``.

A sample meets a :class:`~.filter_model.ClassificationCondition` when one of its
image-level labels (table ``classifications``, alias ``c``) meets every part; with
``differs``, that label is compared with the sample's ground-truth labels (alias ``g``).
Every value is bound (:class:`~.filter_conditions.Params`).
"""

from __future__ import annotations

from ..store.schema import GROUND_TRUTH
from .filter_conditions import Params, condition_sql, in_clause
from .filter_model import ClassificationCondition


def classification_sql(cond: ClassificationCondition, params: Params) -> str:
    """A SQL boolean over sample ``s``: some label of it meets ``cond``."""
    where = ["c.sample_id = s.sample_id"]
    if cond.source == "predictions":
        where.append(f"c.source <> {params.add(GROUND_TRUTH)}")
    elif cond.source is not None:
        where.append(f"c.source = {params.add(cond.source)}")
    if cond.classes is not None:
        where.append(in_clause("c.label", list(cond.classes), params))
    if cond.score is not None:
        where.append(condition_sql("c.score", cond.score.ops, params))
    if cond.differs:  # the sample has ground truth, and not this label
        where.append(
            f"EXISTS ({_truth(params)}) AND NOT EXISTS ({_truth(params)} AND g.label = c.label)"
        )
    elif cond.differs is not None:  # this label is among the ground truth's
        where.append(f"EXISTS ({_truth(params)} AND g.label = c.label)")
    return f"EXISTS (SELECT 1 FROM classifications c WHERE {' AND '.join(where)})"  # noqa: S608 - fixed SQL, values bound


def _truth(params: Params) -> str:
    """The ground-truth labels ``g`` of the sample of label ``c``."""
    return f"SELECT 1 FROM classifications g WHERE g.sample_id = c.sample_id AND g.source = {params.add(GROUND_TRUTH)}"  # noqa: S608 - fixed SQL, value bound
