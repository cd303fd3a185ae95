"""The quality view: per issue type how many members it has, the view that shows them worst
first, and the notebook call that reproduces that view.

Label issues (overlooked, swapped, badly located, spurious) come from the stored
label-quality run of one model (``label_quality_runs``): their counts are the run's, as
``visionlens label-quality`` prints them, and their view is the patches view of the flagged
objects of that issue (the ``label_quality`` label condition), lowest score first; its
``example`` is that view's first object, with the object it disagrees with as its ``match``
(:mod:`.label_quality.conflicts`) and its tile's crop, or null for none. A
classification model (image-level labels only) has one issue type, ``mislabeled``
(:mod:`.label_quality.classification`), whose view is the grid of the flagged images, lowest
self-confidence first. A semantic-mask model has one too, ``mislabeled_region``
(:mod:`.label_quality.region_view`): its flagged regions, with their count per class, whose
view is the patches view of those regions (kind ``regions``), worst first. ``models`` says of every prediction set whether it can be scored and,
if not, why (a classification set with only a top label per image has no probabilities). Image
issues come from the image-quality fields: their counts are
:func:`~visionlens_jlab.image_quality.job.summary`'s, and their view is the grid filtered on
the issue's flag, sorted by its score, lowest first. Nothing here computes: a missing run is
``null`` and the panel offers the job.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .catalog import GROUND_TRUTH
from .catalog.query import view_code
from .catalog.query.filter_parser import parse_filter
from .catalog.query.object_sort import parse_object_sort
from .catalog.query.sample_sort import parse_sample_sort
from .catalog.reads.object_pages import PatchQuery, patches_page
from .catalog.reads.result_basis import staleness
from .catalog.store.catalog import NotFoundError
from .image_quality.job import summary as image_summary
from .label_quality import classification as class_lq
from .label_quality.conflicts import attach_conflicts
from .label_quality.region_view import region_issue_view, semantic_models, stored_semantic_run
from .label_quality.scores import ISSUES
from .media.crops import tile_regions

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


def label_issue_example(
    catalog: Catalog, dataset: str, row: dict[str, Any]
) -> dict[str, Any] | None:
    """The worst member of a label-issue row (its view's first patch, as the patches route
    gives it: its conflicting object as ``match``, its tile's ``crop``), or None."""
    if not row["count"]:
        return None
    query = PatchQuery(
        kind="objects", source=row["source"], lq_model=row["lq_model"],
        sort=parse_object_sort(row["sort"], row["order"]), limit=1,
    )  # fmt: skip
    page = patches_page(catalog, dataset, row["filter"], query)
    attach_conflicts(catalog, dataset, page)
    tile_regions(page["objects"])
    return page["objects"][0] if page["objects"] else None


def image_issue_view(dataset: str, entry: dict[str, Any]) -> dict[str, Any]:
    """One image-issue row from an image-quality summary entry: its count, the grid view of
    its members (filter, sort, order) and the ``ds.samples(...)`` call of that view."""
    sort = entry["score_field"]
    flt, typed = parse_filter(entry["filter"]), parse_sample_sort(sort, WORST_FIRST)
    code = view_code.samples_code(dataset, flt, typed)
    return {
        "issue": entry["issue"],
        "count": entry["count"],
        "filter": entry["filter"],
        "sort": sort,
        "order": WORST_FIRST,
        "code": code,
    }


TOP_LABEL_ONLY = (
    "only a top label per image, no per-class scores: label quality needs the model's "
    "probability of each class (import its predictions with per-class scores)"
)


def class_issue_view(dataset: str, run: dict[str, Any]) -> dict[str, Any]:
    """The one row of a classification run: the grid of its flagged images, worst first."""
    return {
        "issue": class_lq.ISSUE,
        "count": int(run["flagged"][class_lq.ISSUE]),
        "filter": class_lq.MEMBERS,
        "sort": f"computed.{class_lq.SCORE_FIELD}",
        "order": WORST_FIRST,
        "code": class_lq.members_code(dataset),
    }


def _prediction_sets(cur: Any, dataset_id: int) -> list[dict[str, Any]]:
    """Every prediction set: ``{name, kind, scorable, reason}`` (``kind``: ``objects`` when it
    has objects, ``semantic`` for semantic masks, else ``classification``), in name order."""
    rows = cur.execute(
        """
        SELECT source, SUM(objects), SUM(labels), SUM(with_scores) FROM (
            SELECT source, COUNT(*) AS objects, 0 AS labels, 0 AS with_scores
              FROM annotations WHERE dataset_id = ? GROUP BY source
            UNION ALL SELECT source, 0, COUNT(*), COUNT(scores)
              FROM classifications WHERE dataset_id = ? GROUP BY source
        ) WHERE source <> ? GROUP BY source ORDER BY source
        """,
        [dataset_id, dataset_id, GROUND_TRUTH],
    ).fetchall()
    out = []
    for name, objects, _, with_scores in rows:
        kind = "objects" if objects else "classification"
        scorable = kind == "objects" or bool(with_scores)
        out.append({"name": name, "kind": kind, "scorable": scorable,
                    "reason": None if scorable else TOP_LABEL_ONLY})  # fmt: skip
    listed = {o["name"] for o in out}
    out += [{"name": name, "kind": "semantic", "scorable": True, "reason": None}
            for name in semantic_models(cur, dataset_id) if name not in listed]  # fmt: skip
    return sorted(out, key=lambda o: o["name"])


def quality_overview(catalog: Catalog, dataset: str, model: str | None = None) -> dict[str, Any]:
    """``{dataset, models, scored, model, label, image}``: every prediction set and whether it
    can be scored (:func:`_prediction_sets`); the models with a stored label-quality run
    (newest first); the model shown (``model``, else the newest scored one, else null);
    ``label``: ``{model, kind, created_at, thresholds, objects, images, issues: [row]}`` of
    that model's run or null (an object model's rows with their ``example``); ``image``:
    ``{images, measured, issues: [row]}`` or null when image quality was never computed.
    NotFoundError for no such dataset."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        runs = cur.execute(
            "SELECT model, created_at, summary FROM label_quality_runs WHERE dataset_id = ? "
            "ORDER BY created_at DESC, model",
            [dataset_id],
        ).fetchall()
        models = _prediction_sets(cur, dataset_id)
    class_run = class_lq.stored_class_run(catalog, dataset_id)
    semantic_run = stored_semantic_run(catalog, dataset_id)
    scored = [str(r[0]) for r in runs]
    for run in (class_run, semantic_run):
        if run is not None and run["model"] not in scored:
            scored.append(run["model"])
    shown = model if model is not None else (scored[0] if scored else None)
    label = None
    computed_over: tuple[dict[str, Any] | None, datetime] | None = None
    if class_run is not None and class_run["model"] == shown:
        created_at = datetime.fromisoformat(class_run["created_at"])
        computed_over = (class_run.get("basis"), created_at)
        label = {
            "model": shown, "kind": "classification", "created_at": class_run["created_at"],
            "thresholds": {}, "objects": 0, "images": class_run["images"],
            "issues": [class_issue_view(dataset, class_run)],
        }  # fmt: skip
    if semantic_run is not None and semantic_run["model"] == shown and label is None:
        computed_over = (
            semantic_run.get("basis"),
            datetime.fromisoformat(semantic_run["created_at"]),
        )
        label = {
            "model": shown, "kind": "semantic", "created_at": semantic_run["created_at"],
            "thresholds": {}, "objects": 0, "images": semantic_run["images"],
            "issues": [region_issue_view(catalog, dataset_id, dataset, semantic_run["model"])],
        }  # fmt: skip
    for name, created, raw in runs:
        if name == shown and label is None:
            summary = json.loads(raw)
            computed_over = (summary.get("basis"), created)
            label = {
                "model": name,
                "kind": "objects",
                "created_at": created.isoformat(),
                "thresholds": summary["thresholds"],
                "objects": summary["objects"],
                "images": summary.get("images"),
                "issues": [
                    label_issue_view(dataset, name, issue, int(summary["flagged"].get(issue, 0)))
                    for issue in ISSUES
                ],
            }
            for row in label["issues"]:
                row["example"] = label_issue_example(catalog, dataset, row)
    if label is not None and computed_over is not None:
        with catalog.cursor() as cur:  # samples or labels changed since the run
            label.update(staleness(cur, dataset_id, *computed_over))
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
    return {
        "dataset": dataset, "models": models, "scored": scored, "model": shown,
        "label": label, "image": image,
    }  # fmt: skip
