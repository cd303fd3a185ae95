"""The label-quality job: read a dataset and one model's predictions, score, store.

Runs on a job thread of the server (or in the CLI's process when no server runs). The
reading is DuckDB streaming Arrow (the evaluation's :func:`~visionlens_jlab.evaluate.load.load_input`)
and the scoring is numpy over all images at once; only this process writes the catalog.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..catalog import GROUND_TRUTH, CatalogError
from ..catalog.reads.result_basis import basis
from ..evaluate.classification import is_classification_model
from ..evaluate.load import EvalInput, load_input
from ..evaluate.masks import mask_similarity
from ..jobs import job_progress
from ..records.label_kinds import IOU_KINDS, presence_sql
from .classification import run_class_label_quality
from .scores import ISSUES, LabelQuality, PairIou, check_thresholds, score_labels
from .semantic_masks import is_semantic_model, run_semantic_label_quality
from .store import save

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..jobs import JobContext


def reproduce_code(dataset: str, model: str) -> str:
    """The notebook call that gives the same result as DataFrames."""
    return f"vl.dataset({dataset!r}).label_quality({model!r})"


def run_label_quality(
    catalog: Catalog,
    dataset: str,
    model: str,
    *,
    thresholds: dict[str, float] | None = None,
    iou: str = "auto",
    ctx: JobContext | None = None,
) -> dict[str, Any]:
    """Score every object and image of ``dataset`` against ``model``, store the result and
    return it: ``{"model", "boxes": [{"annotation_id", "sample_id", "source", "issue",
    "score"}], "images": [{"sample_id", "score"}], "summary"}``, worst first. A classification
    model (image-level labels only) scores the images' labels instead
    (:mod:`.classification`; no objects, no thresholds, no ``iou``); a model with semantic
    masks scores the images' masks and their regions (:mod:`.semantic_masks`; the same
    refusals, and a ``regions`` list).

    ``iou``: how a prediction overlaps a label, ``box`` (box IoU), ``mask`` (mask IoU; a
    :class:`CatalogError` when either side has no masks at all) or ``auto`` (mask when both
    sides have masks, else box); the summary names the one used."""
    check_iou(iou)
    if is_semantic_model(catalog, dataset, model):
        for given, what in ((thresholds, "thresholds"), (iou != "auto", "iou")):
            if given:
                raise CatalogError(
                    f"{model!r} has semantic masks: it takes no {what} (regions are flagged "
                    "where most of their pixels are predicted otherwise)"
                )
        return run_semantic_label_quality(catalog, dataset, model, ctx=ctx)
    if is_classification_model(catalog, dataset, model):
        if thresholds:
            raise CatalogError(f"{model!r} is a classification model: it takes no thresholds")
        if iou == "mask":
            raise CatalogError(f"{model!r} is a classification model: it has no masks")
        out = run_class_label_quality(catalog, dataset, model, ctx=ctx)
        images = [{"sample_id": i["sample_id"], "score": i["score"]} for i in out["images"]]
        return {**out, "boxes": [], "images": images}
    started = time.monotonic()
    limits = check_thresholds(thresholds)

    progress = job_progress(ctx)
    progress(0.0, f"reading the boxes of {dataset!r} and {model!r}")
    with catalog.cursor() as cur:  # what the run reads, taken first: see store.stored
        computed_over = basis(cur, catalog.dataset_id(cur, dataset), [GROUND_TRUTH, model])
    used = resolve_iou(catalog, dataset, model, iou)
    inp = load_input(catalog, dataset, model, "segm" if used == "mask" else "bbox")
    pairs, warnings = mask_pairs(inp) if used == "mask" else (None, [])
    with catalog.cursor() as cur:
        sample_ids = np.asarray(
            cur.execute(
                "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id",
                [inp.dataset_id],
            ).fetchnumpy()["sample_id"],
            np.int64,
        )
    # the evaluation's image index of every sample that has a box, as a sample id
    image = np.r_[inp.gt.image, inp.dt.image]
    n_images = int(image.max()) + 1 if len(image) else 0
    sample_of = np.full(n_images, -1, np.int64)
    sample_of[image] = np.r_[inp.gt_sample, inp.dt_sample]
    progress(0.1, f"scoring {len(inp.gt):,} labels and {len(inp.dt):,} predictions")
    result = score_labels(
        inp.gt, inp.dt, n_images, thresholds=limits,
        progress=lambda f, m: progress(0.1 + 0.6 * f, m), pairs=pairs,
    )  # fmt: skip
    progress(0.7, "storing the scores")
    objects = _objects(inp.gt.ann_id, inp.gt_sample, inp.dt.ann_id, inp.dt_sample, model, result)
    # images without any box score 1 (nothing to doubt) and count no issue
    image_score = np.ones(len(sample_ids))
    image_counts = np.zeros((len(sample_ids), len(ISSUES)), np.int64)
    has = sample_of >= 0
    at = np.searchsorted(sample_ids, sample_of[has])
    image_score[at] = result.image_score[has]
    image_counts[at] = result.image_counts[has]
    flagged = objects.column("flagged").to_numpy(zero_copy_only=False)
    issue = objects.column("issue").to_numpy(zero_copy_only=False)
    summary = {
        "model": model,
        "thresholds": limits,
        "iou": used,
        "warnings": warnings,
        "objects": objects.num_rows,
        "images": len(sample_ids),
        "flagged": {name: int(np.sum(flagged & (issue == name))) for name in ISSUES},
        "images_flagged": int(np.sum(image_counts.sum(axis=1) > 0)),
    }
    stored_summary = {**summary, "basis": computed_over}
    save(catalog, inp.dataset_id, model, objects, sample_ids, image_score, image_counts,
         stored_summary)  # fmt: skip
    order = np.lexsort((sample_ids, image_score))
    summary["seconds"] = round(time.monotonic() - started, 3)
    progress(1.0, "done")
    return {
        "model": model,
        "boxes": objects.select(["annotation_id", "sample_id", "source", "issue", "score"])
        .sort_by([("score", "ascending"), ("annotation_id", "ascending")])
        .to_pylist(),
        "images": pa.table({"sample_id": sample_ids[order], "score": image_score[order]})
        .to_pylist(),
        "summary": summary,
        "code": reproduce_code(dataset, model),
    }  # fmt: skip


IOU_CHOICES = ("auto", "mask", "box")
"""How predictions overlap labels: ``auto`` is mask IoU when both sides have masks."""


def check_iou(iou: str) -> None:
    """ValueError unless ``iou`` is one of :data:`IOU_CHOICES`."""
    if iou not in IOU_CHOICES:
        raise ValueError(f"iou must be one of {', '.join(IOU_CHOICES)}, not {iou!r}")


def resolve_iou(catalog: Catalog, dataset: str, model: str, iou: str) -> str:
    """``box`` or ``mask``: ``auto`` is mask when the ground truth and ``model`` both have
    an object with a mask; ``mask`` asked of a side without any is a :class:`CatalogError`
    naming it."""
    if iou == "box":
        return "box"
    has_mask = presence_sql(IOU_KINDS["segm"], "")
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        counts = dict(
            cur.execute(
                f"SELECT source, COUNT(*) FILTER ({has_mask}) FROM annotations "  # noqa: S608 - fixed text
                "WHERE dataset_id = ? AND source IN (?, ?) GROUP BY source",
                [dataset_id, GROUND_TRUTH, model],
            ).fetchall()
        )
    missing = [who for who in (GROUND_TRUTH, model) if not counts.get(who)]
    if iou == "auto":
        return "box" if missing else "mask"
    if missing:
        raise CatalogError(
            f"--iou mask needs masks on both sides; {' and '.join(map(repr, missing))} "
            "has none: use --iou box"
        )
    return "mask"


def mask_pairs(inp: EvalInput) -> tuple[PairIou, list[str]]:
    """The mask IoU of (prediction, ground truth) pairs as the COCO ``segm`` evaluation
    computes it (``pycocotools.mask.iou``, every pair a plain one: crowd regions are labels
    like the others here) and the warnings about objects without a usable mask."""
    if inp.gt_labels is None or inp.dt_labels is None:
        raise CatalogError("the masks were not read: load the input with iou type 'segm'")
    sim, warnings = mask_similarity(inp.gt, inp.dt, inp.gt_labels, inp.dt_labels)
    return (lambda d, g: sim.pairs(d, g, False)), warnings


def _objects(
    gt_ann: np.ndarray,
    gt_sample: np.ndarray,
    dt_ann: np.ndarray,
    dt_sample: np.ndarray,
    model: str,
    result: LabelQuality,
) -> pa.Table:
    """One row per object: ids, source, most likely issue, its score, flagged, type scores."""
    n_gt, n_dt = len(gt_ann), len(dt_ann)
    issue_idx = np.r_[result.gt_issue, result.dt_issue].astype(np.int64)
    score = np.r_[result.gt_score, result.dt_score]
    limit = np.array([result.thresholds[name] for name in ISSUES])
    types = np.concatenate([result.gt_types, result.dt_types])
    source = pa.DictionaryArray.from_arrays(
        pa.array(np.r_[np.zeros(n_gt, np.int8), np.ones(n_dt, np.int8)]),
        pa.array([GROUND_TRUTH, model]),
    )
    issue = pa.DictionaryArray.from_arrays(pa.array(issue_idx.astype(np.int8)), pa.array(ISSUES))
    columns: dict[str, Any] = {
        "annotation_id": np.r_[gt_ann, dt_ann].astype(np.int64),
        "sample_id": np.r_[gt_sample, dt_sample].astype(np.int64),
        "source": source.cast(pa.string()),
        "issue": issue.cast(pa.string()),
        "score": score,
        "flagged": score < limit[issue_idx] if len(score) else np.zeros(0, bool),
    }
    for k, name in enumerate(ISSUES):
        columns[name] = pa.array(types[:, k], from_pandas=True)  # NaN: not this side's type
    return pa.table(columns)
