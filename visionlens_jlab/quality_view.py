"""The quality view: per issue type how many members it has, the view that shows them worst
first, and the notebook call that reproduces that view.

Label issues (overlooked, swapped, badly located, spurious) come from the stored
label-quality run of one model (``label_quality_runs``): their counts are the run's, as
``visionlens label-quality`` prints them, and their view is the patches view of the flagged
objects of that issue (the ``label_quality`` label condition), lowest score first. Image
issues come from the image-quality fields: their counts are
:func:`~visionlens_jlab.image_quality.job.summary`'s, and their view is the grid filtered on
the issue's flag, sorted by its score, lowest first. Nothing here computes: a missing run is
``null`` and the panel offers the job.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .catalog import GROUND_TRUTH
from .catalog.query import view_code
from .catalog.query.filter_parser import parse_filter
from .catalog.store.catalog import NotFoundError
from .image_quality.job import summary as image_summary
from .label_quality.scores import ISSUES

if TYPE_CHECKING:
    from .catalog import Catalog

WORST_FIRST = "asc"
"""Lower scores are worse for every issue type (cleanlab's and cleanvision's convention)."""


def label_issue_view(dataset: str, model: str, issue: str, count: int) -> dict[str, Any]:
    """One label-issue row: its count, the patches view of its members (filter, source,
    sort, order, lq_model) and the ``ds.patches(...)`` call that reads them."""
    source = model if issue == "overlooked" else GROUND_TRUTH  # the side the type scores
    # a list of label conditions: the lab's filter model keeps `labels` as one
    flt = {
        "labels": [
            {
                "source": source,
                "label_quality": {"model": model, "issue": [issue], "flagged": True},
            }
        ]
    }
    code = (
        f"vl.dataset({dataset!r}).patches({flt!r}, source={source!r}, sort='lq_score', "
        f"order={WORST_FIRST!r}, lq_model={model!r})"
    )
    return {
        "issue": issue,
        "count": count,
        "filter": flt,
        "source": source,
        "sort": "lq_score",
        "order": WORST_FIRST,
        "lq_model": model,
        "code": code,
    }


def image_issue_view(dataset: str, entry: dict[str, Any]) -> dict[str, Any]:
    """One image-issue row from an image-quality summary entry: its count, the grid view of
    its members (filter, sort, order) and the ``ds.samples(...)`` call of that view."""
    sort = entry["score_field"]
    code = view_code.samples_code(dataset, parse_filter(entry["filter"]), sort, WORST_FIRST)
    return {
        "issue": entry["issue"],
        "count": entry["count"],
        "filter": entry["filter"],
        "sort": sort,
        "order": WORST_FIRST,
        "code": code,
    }


def quality_overview(catalog: Catalog, dataset: str, model: str | None = None) -> dict[str, Any]:
    """``{dataset, scored, model, label, image}``: the models with a stored label-quality run
    (newest first); the model shown (``model``, else the newest scored one, else null);
    ``label``: ``{model, created_at, thresholds, objects, issues: [row]}`` of that model's
    run or null; ``image``: ``{images, measured, issues: [row]}`` or null when image quality
    was never computed. NotFoundError for no such dataset."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        runs = cur.execute(
            "SELECT model, created_at, summary FROM label_quality_runs WHERE dataset_id = ? "
            "ORDER BY created_at DESC, model",
            [dataset_id],
        ).fetchall()
    scored = [str(r[0]) for r in runs]
    shown = model if model is not None else (scored[0] if scored else None)
    label = None
    for name, created, raw in runs:
        if name == shown:
            summary = json.loads(raw)
            label = {
                "model": name,
                "created_at": created.isoformat(),
                "thresholds": summary["thresholds"],
                "objects": summary["objects"],
                "issues": [
                    label_issue_view(dataset, name, issue, int(summary["flagged"].get(issue, 0)))
                    for issue in ISSUES
                ],
            }
    try:
        stored = image_summary(catalog, dataset)
    except NotFoundError:
        image = None
    else:
        image = {
            "images": stored["images"],
            "measured": stored["measured"],
            "issues": [image_issue_view(dataset, e) for e in stored["issues"]],
        }
    return {"dataset": dataset, "scored": scored, "model": shown, "label": label, "image": image}
