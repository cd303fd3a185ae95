"""A semantic-mask run in the quality view: its one issue type, the flagged regions.

The row's count is the stored flagged regions of the run (:mod:`.semantic_regions`), with
their count per ground-truth class, and its view is the patches view of kind ``regions`` of
those regions (the ``semantic_regions`` sample condition with ``flagged``), worst score
first, as an object run's rows open the patches of its flagged objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..catalog.extensions.computed import last_run
from ..semantic.records import SOURCES
from .semantic_masks import SCORE_FIELD
from .semantic_regions import KEY, REGIONS

if TYPE_CHECKING:
    from ..catalog import Catalog

ISSUE = "mislabeled_region"
"""The issue type of a semantic run: a region most of whose pixels the model gives another class."""


def semantic_models(cur: Any, dataset_id: int) -> list[str]:
    """The dataset's semantic (not panoptic) prediction sets, in name order, when its ground
    truth has semantic masks (what a semantic run scores)."""
    rows = cur.execute(
        f"SELECT source FROM {SOURCES} WHERE dataset_id = ? "  # noqa: S608 - fixed identifiers
        "AND COALESCE(layout, '') <> 'coco-panoptic' ORDER BY source",
        [dataset_id],
    ).fetchall()
    names = [str(r[0]) for r in rows]
    return [n for n in names if n != "ground_truth"] if "ground_truth" in names else []


def stored_semantic_run(catalog: Catalog, dataset_id: int) -> dict[str, Any] | None:
    """The summary of the dataset's last semantic run, with ``created_at``; or None."""
    with catalog.cursor() as cur:
        return last_run(cur, dataset_id, SCORE_FIELD)


def region_issue_view(
    catalog: Catalog, dataset_id: int, dataset: str, model: str
) -> dict[str, Any]:
    """The row of a semantic run: its flagged regions' count (and per class, most first),
    the patches view of kind ``regions`` of them, worst first, and its notebook call."""
    flt = {"sample": {KEY: {"model": model, "flagged": True}}}
    with catalog.cursor() as cur:
        rows = cur.execute(
            f"SELECT class, COUNT(*) AS n FROM {REGIONS} WHERE dataset_id = ? AND model = ? "  # noqa: S608 - fixed name
            "AND flagged GROUP BY class ORDER BY n DESC, class",
            [dataset_id, model],
        ).fetchall()
    classes = [{"class": str(c), "count": int(n)} for c, n in rows]
    code = (
        f"vl.dataset({dataset!r}).patches({flt!r}, kind='regions', model={model!r}, "
        "sort='score', order='asc')"
    )
    return {
        "issue": ISSUE, "count": sum(c["count"] for c in classes), "classes": classes,
        "filter": flt, "kind": "regions", "model": model, "sort": "score", "order": "asc",
        "code": code,
    }  # fmt: skip
