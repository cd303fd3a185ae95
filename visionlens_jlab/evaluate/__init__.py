"""Detection evaluation: matching, the COCO and VOC protocols, per-box results, reports.

Importing this package installs its catalog manifest (:mod:`.manifest`): the evaluation
tables, the reads the catalog makes of them, and the ``eval`` label filter
(``{"labels": {"source": "m1", "eval": {"status": ["fp"]}}}``). It does not import the
protocols and the report (:mod:`.api`, ~10 ms of imports): every command imports the manifest
to open a catalog, and only an evaluation needs them; the names below come on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .manifest import MANIFEST
from .store import eval_facet_entries, eval_facets, get_evaluation, list_evaluations

if TYPE_CHECKING:
    from .api import PROTOCOLS, eval_key, evaluate_arrays, evaluate_model, report_for
    from .report import EvaluationReport

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


def __getattr__(name: str) -> object:
    """The protocols' and the report's names, from their modules on first use."""
    if name in ("PROTOCOLS", "eval_key", "evaluate_arrays", "evaluate_model", "report_for"):
        from . import api

        return getattr(api, name)
    if name == "EvaluationReport":
        from . import report

        return report.EvaluationReport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
