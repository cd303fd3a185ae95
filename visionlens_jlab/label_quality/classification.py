"""Label quality of image-level labels (classification) against a classification model.

An image's score is cleanlab's self-confidence: the model's predicted probability of the
image's given (ground-truth) label, read from the per-class ``scores`` of the model's row
for the image (``cleanlab.rank.get_label_quality_scores(labels, pred_probs,
method="self_confidence")`` on the same inputs gives the same numbers; a class the scores
leave out has probability 0). Lower = more likely mislabelled, as for objects.

An image is flagged ``mislabeled`` when the model gives another class a higher probability
than the given label (cleanlab's ``find_label_issues(filter_by="predicted_neq_given")``):
no threshold to tune, and the rule a reviewer reads off a tile ("labelled cat, the model
says dog").

Which images count is the classification evaluation's rule (:mod:`..evaluate.classification`):
images with exactly one ground-truth label and a prediction; the prediction is the model's
highest-scoring row. A model whose rows have no per-class scores (only a top label) cannot be
scored: its error says so. Results are two computed sample fields of the last classification
run (``params`` names the model), so the grid filters, facets and sorts by them:
``computed.lq_class_score`` and ``computed.lq_class_mislabeled`` (1 or 0).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from ..catalog import GROUND_TRUTH, CatalogError, NotFoundError
from ..catalog.extensions.computed import last_run, write_computed
from ..catalog.query import view_code
from ..catalog.query.filter_parser import parse_filter
from ..catalog.query.sample_sort import parse_sample_sort
from ..catalog.reads.result_basis import basis

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..jobs import JobContext

PRODUCER = "class_label_quality"
SCORE_FIELD, FLAG_FIELD = "lq_class_score", "lq_class_mislabeled"
ISSUE = "mislabeled"
MEMBERS = {"sample": {f"computed.{FLAG_FIELD}": {"min": 1}}}
"""The filter of the flagged images (their view is the grid, worst first)."""
FIELDS = {
    SCORE_FIELD: "label quality of the image's class: the model's probability of the given "
    "label (cleanlab's self-confidence; lower: worse)",
    FLAG_FIELD: "1 if the model gives another class a higher probability",
}
"""The computed sample fields of a classification run (declared in :mod:`.manifest`)."""


def top_label_only(catalog: Catalog, dataset: str, model: str) -> bool:
    """Whether ``model``'s image labels on ``dataset`` have no per-class scores at all."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        ((rows, with_scores),) = cur.execute(
            "SELECT COUNT(*), COUNT(scores) FROM classifications "
            "WHERE dataset_id = ? AND source = ?",
            [dataset_id, model],
        ).fetchall()
    return bool(rows) and not with_scores


def self_confidence(
    given: list[str], scores: list[dict[str, Any]]
) -> tuple[np.ndarray, np.ndarray]:
    """Per image: the probability of its ``given`` label in its ``scores`` (0 if absent), and
    whether another class scores higher (the flag)."""
    conf = np.array([_prob(s.get(g)) for g, s in zip(given, scores, strict=True)], dtype=float)
    top = np.array([max((_prob(v) for v in s.values()), default=0.0) for s in scores], dtype=float)
    return conf, top > conf


def _prob(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def run_class_label_quality(
    catalog: Catalog, dataset: str, model: str, *, ctx: JobContext | None = None
) -> dict[str, Any]:
    """Score the image labels of ``dataset`` against ``model`` and store the fields; returns
    ``{"model", "kind", "images": [{"sample_id", "score", "flagged"}], "summary", "code"}``,
    worst first. NotFoundError: no image labels of that model; CatalogError: no per-class
    scores to score with."""
    started = time.monotonic()
    # the job machinery when a run starts: the package's manifest, which every command
    # imports to open a catalog, needs none of it (~25 ms with prometheus_client)
    from ..jobs import job_progress

    progress = job_progress(ctx)
    progress(0.0, f"reading the image labels of {dataset!r} and {model!r}")
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        computed_over = basis(cur, dataset_id, [GROUND_TRUTH, model])
        truth = cur.execute(
            "SELECT sample_id, any_value(label) FROM classifications "
            "WHERE dataset_id = ? AND source = ? GROUP BY sample_id HAVING COUNT(*) = 1",
            [dataset_id, GROUND_TRUTH],
        ).fetchall()
        predicted = cur.execute(
            """
            SELECT sample_id, scores::VARCHAR FROM classifications
            WHERE dataset_id = ? AND source = ?
            QUALIFY row_number() OVER (
                PARTITION BY sample_id ORDER BY score DESC NULLS LAST, label) = 1
            """,
            [dataset_id, model],
        ).fetchall()
    if not predicted:
        raise NotFoundError(f"model {model!r} has no image-level labels on dataset {dataset!r}")
    given = dict(truth)
    rows = sorted((int(s), raw) for s, raw in predicted if s in given and raw)
    if not rows:
        raise CatalogError(
            f"model {model!r} has only a top label per image (no per-class scores) on the "
            f"labelled images of {dataset!r}: label quality needs each class's predicted "
            "probability; import its predictions with per-class scores"
        )
    progress(0.3, f"scoring {len(rows):,} images")
    ids = np.array([s for s, _ in rows], dtype=np.int64)
    conf, flagged = self_confidence(
        [given[s] for s, _ in rows], [orjson.loads(raw) for _, raw in rows]
    )
    summary = {
        "model": model,
        "kind": "classification",
        "images": len(ids),
        "flagged": {ISSUE: int(flagged.sum())},
        "rule": "predicted_neq_given",
    }
    progress(0.8, "storing the scores")
    write_computed(
        catalog, dataset_id,
        {SCORE_FIELD: (ids, conf), FLAG_FIELD: (ids, flagged.astype(float))},
        producer=PRODUCER, params=json.dumps({**summary, "basis": computed_over}),
    )  # fmt: skip
    order = np.lexsort((ids, conf))
    summary["seconds"] = round(time.monotonic() - started, 3)
    progress(1.0, "done")
    return {
        "model": model,
        "kind": "classification",
        "images": [
            {"sample_id": int(ids[i]), "score": float(conf[i]), "flagged": bool(flagged[i])}
            for i in order
        ],
        "summary": summary,
        "code": members_code(dataset),
    }


def members_code(dataset: str) -> str | None:
    """The notebook call that reads the flagged images, worst first."""
    worst_first = parse_sample_sort(f"computed.{SCORE_FIELD}", "asc")
    return view_code.samples_code(dataset, parse_filter(MEMBERS), worst_first)


def stored_class_run(catalog: Catalog, dataset_id: int) -> dict[str, Any] | None:
    """The summary of the dataset's last classification run, with ``created_at``; or None."""
    with catalog.cursor() as cur:
        return last_run(cur, dataset_id, SCORE_FIELD)
