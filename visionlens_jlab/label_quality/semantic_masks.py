"""Label quality of semantic masks: per image a score, per region (a connected component of
one class in the label map) an issue flag, from one model's predicted masks.

The semantic predictions are stored as hard label maps (PNGs of class indices,
:mod:`~visionlens_jlab.semantic.records`), not per-class probabilities, so the model's
probability of a pixel's given label is read as one-hot: 1 where the model predicts the
label, 0 elsewhere. On those probabilities:

* the **image score** is cleanlab's (``cleanlab.segmentation.rank.get_label_quality_scores``,
  ``method="softmin"``, temperature ``t`` = 0.1): ``Σ s·e^((1-s)/t) / Σ e^((1-s)/t)`` over
  the pixels' self-confidences ``s``, which for ``s`` in {0, 1} is
  ``agree / (agree + disagree·e^(1/t))``: a function of the image's counts alone, lower
  as more of its labelled pixels disagree with the model;
* a **region** is flagged when most of its pixels (a fraction at or above
  :data:`REGION_DISAGREEMENT`) are predicted as another class; its score is the fraction the
  model agrees with. ``cleanlab.segmentation.filter.find_label_issues`` on one-hot
  probabilities flags exactly the disagreeing pixels, so a region is flagged when at least
  that fraction of its pixels are cleanlab's pixel issues.

Pixels of the ignore index and ground-truth values past the classes are left out, as the
evaluation leaves them out (:func:`~visionlens_jlab.semantic.confusion.confusion`; cleanlab
has none); a predicted value that is not a class counts as a disagreement. Regions are 8-connected; regions smaller than
:data:`MIN_REGION_PIXELS` are scored but never flagged (a few pixels at a boundary are
the model's jitter, not a label error). The image score and the flagged-region count are
the computed sample fields ``lq_seg_score`` and ``lq_seg_regions``, so the grid filters,
facets and sorts by them; the flagged regions are in the run's result, and every region
of at least :data:`MIN_REGION_PIXELS` pixels is stored as a row (:mod:`.semantic_regions`:
the same transaction as the fields), which a filter and the patches view read.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from ..catalog import GROUND_TRUTH, CatalogError
from ..catalog.extensions.computed import write_computed
from ..catalog.reads.result_basis import basis, staleness
from ..semantic.label_maps import LabelMapError, read_label_map
from ..semantic.records import SOURCES, masks_basis, read_classes, read_masks, value_lut
from .semantic_regions import flagged_regions, region_rows, replace_regions

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..jobs import JobContext

TEMPERATURE = 0.1
"""cleanlab's softmin temperature for segmentation (its default)."""
REGION_DISAGREEMENT = 0.5
"""A region is flagged when at least this fraction of its pixels is predicted otherwise."""
MIN_REGION_PIXELS = 16
SCORE_FIELD, REGIONS_FIELD = "lq_seg_score", "lq_seg_regions"
FIELDS = {
    SCORE_FIELD: "label quality of the image's semantic mask against the last scored model "
    "(cleanlab's softmin of one-hot pixel self-confidences; lower: worse)",
    REGIONS_FIELD: "regions of the image's semantic mask that the last scored model mostly "
    "predicts as another class",
}
EIGHT = np.ones((3, 3), dtype=bool)
"""8-connectivity: the neighbours a region's pixel joins it by."""


def is_semantic_model(catalog: Catalog, dataset: str, model: str) -> bool:
    """Whether ``model`` has semantic (not panoptic) masks on ``dataset``, and its ground
    truth has semantic masks too."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            f"SELECT source FROM {SOURCES} WHERE dataset_id = ? AND source IN (?, ?) "  # noqa: S608 - fixed identifiers
            "AND COALESCE(layout, '') <> 'coco-panoptic'",
            [dataset_id, GROUND_TRUTH, model],
        ).fetchall()
    return {r[0] for r in rows} == {GROUND_TRUTH, model}


def image_score(
    agree: np.ndarray, disagree: np.ndarray, temperature: float = TEMPERATURE
) -> np.ndarray:
    """cleanlab's softmin of one-hot self-confidences from the counts (1.0 for no pixel)."""
    weight = np.exp(1.0 / temperature)
    total = agree + disagree * weight
    return np.where(total > 0, agree / np.where(total > 0, total, 1.0), 1.0)


def image_regions(
    truth: np.ndarray, predicted: np.ndarray, num_classes: int, ignore_index: int
) -> tuple[int, int, list[dict[str, Any]]]:
    """An image's agreeing and disagreeing labelled pixels (ground truth a class other than
    ``ignore_index``) and their regions: ``{"class",
    "pixels", "x", "y", "w", "h", "score", "predicted", "flagged"}`` (``predicted``: the class
    the model gives most of the region's pixels; -1 for values that are no class)."""
    from scipy import ndimage  # here: importing the catalog's manifests must not load scipy

    if truth.shape != predicted.shape:
        raise ValueError(f"a {predicted.shape} prediction for a {truth.shape} label map")
    pred = predicted.astype(np.int64)  # before -1 is put in: a uint8 map would wrap it
    pred[pred >= num_classes] = -1
    # as the evaluation counts: a ground-truth value that is no class (VOC's 255 border
    # under --ignore-index 0) is not a label, and has no name to report a region by
    labelled = (truth >= 0) & (truth < num_classes) & (truth != ignore_index)
    agree_px = labelled & (pred == truth)
    regions: list[dict[str, Any]] = []
    for cls in np.unique(truth[labelled]).tolist():
        comp, n = ndimage.label(truth == cls, structure=EIGHT)
        if not n:
            continue
        flat = comp.ravel()
        pixels = np.bincount(flat, minlength=n + 1)[1:]
        agree = np.bincount(flat, weights=agree_px.ravel(), minlength=n + 1)[1:]
        # the most predicted class of each region: one bincount over (region, class + 1)
        inside = flat > 0
        joint = np.bincount(
            (flat[inside] - 1) * (num_classes + 1) + pred.ravel()[inside] + 1,
            minlength=n * (num_classes + 1),
        ).reshape(n, num_classes + 1)
        top = np.argmax(joint, axis=1) - 1
        for k, box in enumerate(ndimage.find_objects(comp)):
            score = float(agree[k] / pixels[k])
            regions.append({
                "class": int(cls), "pixels": int(pixels[k]),
                "x": int(box[1].start), "y": int(box[0].start),
                "w": int(box[1].stop - box[1].start), "h": int(box[0].stop - box[0].start),
                "score": score, "predicted": int(top[k]),
                "flagged": bool(1.0 - score >= REGION_DISAGREEMENT
                                and pixels[k] >= MIN_REGION_PIXELS),
            })  # fmt: skip
    agree_n = int(agree_px.sum())
    return agree_n, int(labelled.sum()) - agree_n, regions


def run_semantic_label_quality(
    catalog: Catalog,
    dataset: str,
    model: str,
    *,
    ctx: JobContext | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Score every labelled image of ``dataset`` whose ``model`` mask exists (see the module
    docstring), store the fields and return ``{"model", "kind": "semantic", "boxes": [],
    "images": [{"sample_id", "score"}], "regions": [flagged regions, with "sample_id" and
    the class names], "summary"}``, worst first."""
    started = time.monotonic()
    # the job machinery when a run starts: the package's manifest, which every command
    # imports to open a catalog, needs none of it (~25 ms with prometheus_client)
    from ..jobs import job_progress

    progress = job_progress(ctx)
    progress(0.0, f"reading the semantic masks of {dataset!r} and {model!r}")
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        computed_over = {**basis(cur, dataset_id, [GROUND_TRUTH, model]),
                         **masks_basis(cur, dataset_id, [GROUND_TRUTH, model])}  # fmt: skip
        names = read_classes(cur, dataset_id)
        truth = read_masks(cur, dataset_id, GROUND_TRUTH)
        predicted = read_masks(cur, dataset_id, model)
    pred_at = dict(zip(predicted.sample_ids, predicted.locations, strict=True))
    pairs = [(s, loc, pred_at[s]) for s, loc in zip(truth.sample_ids, truth.locations,
                                                    strict=True) if s in pred_at]  # fmt: skip
    if not pairs:
        raise CatalogError(f"model {model!r} has no semantic mask of a labelled image")
    gt_lut = value_lut(truth.ignore_index, truth.value_map)
    pred_lut = value_lut(predicted.ignore_index, predicted.value_map)

    def one(pair: tuple[int, str, str]) -> tuple[int, int, list[dict[str, Any]]]:
        try:
            gt = read_label_map(pair[1], gt_lut, truth.colors)
            pred = read_label_map(pair[2], pred_lut, predicted.colors)
            return image_regions(gt, pred, len(names), truth.ignore_index)
        except (LabelMapError, ValueError) as exc:
            raise CatalogError(f"{pair[2]}: {exc}") from None

    counts = np.zeros((len(pairs), 2), np.int64)
    flagged: list[dict[str, Any]] = []
    stored: list[dict[str, Any]] = []
    n_regions = np.zeros(len(pairs))
    with ThreadPoolExecutor(workers or min(8, (os.cpu_count() or 1) + 1)) as pool:
        for i, (agree, disagree, regions) in enumerate(pool.map(one, pairs)):
            counts[i] = agree, disagree
            kept = [r for r in regions if r["pixels"] >= MIN_REGION_PIXELS]
            for number, r in enumerate(kept):
                named = {"sample_id": int(pairs[i][0]), **r, "class": names[r["class"]],
                         "predicted": names[r["predicted"]] if r["predicted"] >= 0 else None}  # fmt: skip
                stored.append({**named, "region": number})
                if r["flagged"]:
                    flagged.append(named)
            n_regions[i] = sum(r["flagged"] for r in kept)
            if i % 64 == 63:
                progress(0.9 * (i + 1) / len(pairs), f"scored {i + 1:,} of {len(pairs):,} images")
    ids = np.array([p[0] for p in pairs], dtype=np.int64)
    scores = image_score(counts[:, 0].astype(float), counts[:, 1].astype(float))
    summary = {
        "model": model,
        "kind": "semantic",
        "images": len(ids),
        "missing": len(truth.sample_ids) - len(ids),
        "flagged": {"regions": len(flagged)},
        "images_flagged": int(np.sum(n_regions > 0)),
        "rule": f"region: >= {REGION_DISAGREEMENT} of its pixels predicted otherwise, "
        f">= {MIN_REGION_PIXELS} pixels; image: cleanlab softmin, t = {TEMPERATURE}",
    }
    progress(0.9, "storing the scores")
    write_computed(
        catalog, dataset_id, {SCORE_FIELD: (ids, scores), REGIONS_FIELD: (ids, n_regions)},
        producer="label_quality", params=json.dumps({**summary, "basis": computed_over}),
        rows=replace_regions(dataset_id, model, region_rows(stored)),
    )  # fmt: skip
    order = np.lexsort((ids, scores))
    summary["seconds"] = round(time.monotonic() - started, 3)
    progress(1.0, "done")
    flagged.sort(key=lambda r: (r["score"], r["sample_id"], r["y"], r["x"]))
    return {
        "model": model,
        "kind": "semantic",
        "boxes": [],
        "images": [{"sample_id": int(ids[i]), "score": float(scores[i])} for i in order],
        "regions": flagged,
        "summary": summary,
        "code": f"vl.dataset({dataset!r}).label_quality({model!r})",
    }


def stored_semantic(catalog: Catalog, dataset_id: int, model: str) -> dict[str, Any] | None:
    """The last semantic-mask run in :func:`~.store.stored`'s shape (no boxes; the images'
    scores and the stored flagged ``regions``, worst first, as the run's result lists them;
    whether it is ``stale``), when it was ``model``'s; else None."""
    with catalog.cursor() as cur:
        run = cur.execute(
            "SELECT params, updated_at FROM computed_fields WHERE dataset_id = ? AND field = ?",
            [dataset_id, SCORE_FIELD],
        ).fetchall()
        summary = json.loads(run[0][0]) if run else {}
        if summary.get("model") != model:
            return None
        images = cur.sql(
            "SELECT sample_id, num AS score FROM computed_values WHERE dataset_id = ? "
            "AND field = ? ORDER BY num, sample_id",
            params=[dataset_id, SCORE_FIELD],
        ).to_arrow_table()
        regions = flagged_regions(cur, dataset_id, model)
        over = summary.pop("basis", None)
        # a run stored before masks were fingerprinted is judged without them
        masks = masks_basis(cur, dataset_id, [GROUND_TRUTH, model])
        moved = (
            over is not None
            and over.get("masks_imported", masks["masks_imported"]) != masks["masks_imported"]
        )
        stale = staleness(cur, dataset_id, over, run[0][1], other_labels_changed=moved)
    return {"model": model, "boxes": [], "images": images.to_pylist(), "regions": regions,
            "summary": summary, "created_at": run[0][1].isoformat(), **stale}  # fmt: skip
