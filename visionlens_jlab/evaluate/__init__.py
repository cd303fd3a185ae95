"""Detection evaluation: matching, the COCO and VOC protocols, per-box results, reports.

Importing this package registers the evaluation tables with the catalog and the ``eval``
label filter (``{"labels": {"source": "m1", "eval": {"status": ["fp"]}}}``).
"""

from .api import PROTOCOLS, eval_key, evaluate_arrays, evaluate_model, report_for
from .report import EvaluationReport
from .store import eval_facet_entries, eval_facets, get_evaluation, install, list_evaluations

install()

__all__ = [
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
