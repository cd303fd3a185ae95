"""What a patches page asks for besides its filter: the request's JSON as a typed query.

Everything that decides a page's rows is a field here, passed down explicitly: the objects
(``kind``, ``source``, ``model``, ``statuses``), their order and page, the saved
``version`` whose objects are read (None: the current ones) and the ``evaluation`` whose
status each patch carries (its colour in the lab). Nothing travels beside the query (no
state of the request's context), so the page cache keys on it and a notebook or the CLI
asks for the same page with the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..query.filters import FilterError
from ..query.object_sort import ObjectSort, parse_object_sort
from ..store.schema import GROUND_TRUTH
from ..tables.labels_view import check_readable, parse_version

KINDS = ("objects", "evaluation", "regions")
"""``regions``: the stored regions of a semantic label-quality run (a feature's page,
:mod:`visionlens_jlab.label_quality.region_pages`), of ``model``."""
EVAL_STATUSES = ("tp", "fp", "fn")
MAX_PAGE = 1000


@dataclass(frozen=True)
class PatchQuery:
    """Which objects a patches page shows and in which order (see :mod:`.object_pages`).

    ``evaluation``: an evaluation's key, or a model (its latest evaluation). Of evaluation
    patches (kind ``evaluation``), the evaluation whose rows they are (default: the latest
    of ``model``); of objects, the evaluation whose status (``tp``, ``fp``, ``fn``) each
    object carries, null where it did not judge the object. ``sort``: the typed order
    (:func:`..query.object_sort.parse_object_sort`), its direction included."""

    kind: str = "objects"
    source: str = GROUND_TRUTH
    model: str | None = None
    statuses: tuple[str, ...] = EVAL_STATUSES
    lq_model: str | None = None
    sort: ObjectSort = ObjectSort()
    offset: int = 0
    limit: int = 100
    version: int | None = None
    evaluation: str | None = None


def parse_patch_query(body: Mapping[str, Any]) -> PatchQuery:
    """A :class:`PatchQuery` from a request's JSON (FilterError says what is wrong)."""
    kind = body.get("kind") or "objects"
    if kind not in KINDS:
        raise FilterError(f"'kind' must be one of {list(KINDS)}, not {kind!r}")
    source = body.get("source") or GROUND_TRUTH
    model, evaluation = body.get("model"), body.get("evaluation")
    for name, value in (
        ("source", source), ("model", model), ("lq_model", body.get("lq_model")),
        ("evaluation", evaluation),
    ):  # fmt: skip
        if value is not None and (not isinstance(value, str) or not value):
            raise FilterError(f"'{name}' must be a non-empty string")
    if kind == "evaluation" and not (model or evaluation):
        raise FilterError(
            "evaluation patches need 'model' (its latest evaluation) or 'evaluation' (a key)"
        )
    if kind == "regions" and not model:
        raise FilterError("region patches need 'model': the semantic model of the run")
    statuses = body.get("statuses") or list(EVAL_STATUSES)
    if not isinstance(statuses, list) or any(s not in EVAL_STATUSES for s in statuses):
        raise FilterError(f"'statuses' must be a list of {list(EVAL_STATUSES)}")
    offset, limit = body.get("offset", 0), body.get("limit", 100)
    for name, value in (("offset", offset), ("limit", limit)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise FilterError(f"'{name}' must be a non-negative integer")
    sort = parse_object_sort(body.get("sort"), body.get("order"))
    version = parse_version(body.get("version"))
    if kind == "evaluation":
        check_readable(version, model or evaluation, "kind 'evaluation'")
    if kind == "regions" and version is not None:
        raise FilterError(
            f"semantic regions are of the current labels: browse version {version} without "
            "kind 'regions', or go back to the current labels"
        )
    check_readable(version, evaluation, "'evaluation'")
    if version is not None and (body.get("lq_model") or sort.quality_score):
        raise FilterError(
            f"label-quality scores are of the current labels: browse version {version} "
            "without 'lq_model' or an 'lq_' sort, or go back to the current labels"
        )
    return PatchQuery(
        kind, source, model, tuple(statuses), body.get("lq_model"), sort,
        offset, min(limit, MAX_PAGE), version, evaluation,
    )  # fmt: skip
