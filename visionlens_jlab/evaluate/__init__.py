"""Detection evaluation: matching, the COCO and VOC protocols, per-box results, reports.

Importing this package installs its catalog manifest (:mod:`.manifest`): the evaluation
tables, the reads the catalog makes of them, and the ``eval`` label filter
(``{"labels": {"source": "m1", "eval": {"status": ["fp"]}}}``).
"""

from .api import PROTOCOLS, eval_key, evaluate_arrays, evaluate_model, report_for
from .manifest import MANIFEST
from .report import EvaluationReport
from .store import eval_facet_entries, eval_facets, get_evaluation, list_evaluations

__all__ = [
    "MANIFEST",
    "PROTOCOLS",
    "EvaluationReport",
    "eval_facet_entries",
    "eval_facets",
    "eval_key",
    "evaluate_arrays",
    "evaluate_model",
    "get_evaluation",
    "list_evaluations",
    "report_for",
]
