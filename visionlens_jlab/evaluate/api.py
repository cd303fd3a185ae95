"""``evaluate_model``: load, evaluate with a protocol, explain every box, store, report."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..catalog import CatalogError
from .analysis import (
    FN,
    FP,
    IGNORED,
    TP,
    BoxOutcomes,
    confusion_matrix,
    outcomes_from_coco,
    outcomes_from_voc,
)
from .coco import (
    IOU_THRESHOLDS,
    RECALL_THRESHOLDS,
    accumulate_coco,
    match_coco,
    per_class_coco,
    summarize_coco,
    summary_cells,
)
from .heap import trim_heap
from .iou_types import coco_params
from .load import EvalInput, load_input, with_texts
from .lvis import LVIS_MAX_DETS, LvisSets, evaluate_lvis, tide_ignored
from .lvis_load import load_lvis_sets
from .outcome_rows import outcome_table
from .report import EvaluationReport
from .similarity import IOU_TYPES
from .store import write_evaluation
from .tide import MAX_DETS as TIDE_MAX_DETS
from .tide import TIDE_IOU_TYPES, tide_errors
from .voc import match_voc, voc_per_class

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..jobs import JobContext

Progress = Callable[[float, str], None]
WORKER_MIN_BOXES = 200_000
"""From this many boxes a server job evaluates in a worker process (start-up ~1 s)."""
PROTOCOLS = ("coco", "voc", "lvis")


def eval_key(
    model: str,
    protocol: str,
    iou: float,
    plus_one: bool,
    ignore_difficult: bool,
    iou_type: str = "bbox",
) -> str:
    """The stable key of an evaluation's parameters (URL-safe: model names are ``[\\w.-]``).

    A bbox evaluation's key names no iou type, so the keys of evaluations stored before
    segm and keypoints existed stay what they were (``m1--coco-iou0.5``); the others name
    theirs (``m1--coco-segm-iou0.5``).
    """
    kind = "" if iou_type == "bbox" else f"{iou_type}-"
    key = f"{model}--{protocol}-{kind}iou{iou:g}"
    if plus_one:
        key += "-plus1"
    if protocol == "voc" and not ignore_difficult:
        key += "-difficult"
    return key


def validate_params(
    protocol: str, iou: float, iou_type: str = "bbox", sigmas: Sequence[float] | None = None
) -> None:
    """Raise :class:`CatalogError` with a clear message for bad evaluation parameters."""
    if protocol not in PROTOCOLS:
        raise CatalogError(f"unknown protocol {protocol!r}: use 'coco', 'voc' or 'lvis'")
    if iou_type not in IOU_TYPES:
        raise CatalogError(f"unknown iou type {iou_type!r}: use one of {', '.join(IOU_TYPES)}")
    if iou_type != "bbox" and protocol != "coco" and (protocol, iou_type) != ("lvis", "segm"):
        raise CatalogError(f"iou type {iou_type!r} is evaluated with the COCO protocol only")
    if sigmas is not None and (
        iou_type != "keypoints"
        or not sigmas
        or not all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in sigmas)
    ):
        raise CatalogError("sigmas: positive numbers, one per keypoint, for iou type keypoints")
    if isinstance(iou, bool) or not isinstance(iou, int | float) or not 0.0 < float(iou) < 1.0:
        raise CatalogError(f"iou must be a number between 0 and 1 (exclusive), got {iou!r}")


def evaluate_model(
    catalog: Catalog,
    dataset: str,
    model: str,
    protocol: str = "coco",
    iou: float = 0.5,
    plus_one: bool = False,
    progress: Progress | None = None,
    *,
    ignore_difficult: bool = True,
    store: bool = True,
    job: JobContext | None = None,
    worker_min_boxes: int = WORKER_MIN_BOXES,
    iou_type: str = "bbox",
    sigmas: Sequence[float] | None = None,
) -> EvaluationReport:
    """Evaluate ``model``'s predictions against the ground truth of ``dataset``.

    ``protocol="coco"``: pycocotools' protocol (AP@[.5:.95], area ranges, maxDets) of
    ``iou_type``: "bbox" (box IoU), "segm" (mask IoU) or "keypoints" (OKS with ``sigmas``,
    one per keypoint, where they fit the skeleton, else the sigmas the dataset's keypoint
    classes brought at ingest, :func:`dataset_sigmas`; see :mod:`.keypoints`);
    ``iou`` only picks the threshold of the per-box results, the confusion matrix and the
    PR curves. ``protocol="voc"``: AP at ``iou`` (all-point and 11-point), difficult boxes
    ignored unless ``ignore_difficult=False``. ``plus_one`` selects the VOC "+1 pixel" IoU
    (default: continuous coordinates, as COCO). With ``store`` the report and the per-box
    results are written to the catalog (replacing an evaluation with the same parameters).

    With ``job`` (a background job of the server), datasets of at least ``worker_min_boxes``
    boxes are evaluated in a worker process, so the server's GIL stays free and cancelling
    the job stops the computation; the catalog is only read and written here.
    """
    validate_params(protocol, iou, iou_type, sigmas)
    iou = float(iou)
    sigmas_from = "caller"
    load_warnings: list[str] = []
    if iou_type == "keypoints" and sigmas is None:
        sigmas, load_warnings = dataset_sigmas(catalog, dataset)
        sigmas_from = "dataset"
    report_progress = progress or (lambda fraction, message: None)
    report_progress(0.0, "loading boxes")
    inp = load_input(catalog, dataset, model, iou_type)
    release_freed_memory(catalog)
    report_progress(0.2, f"matching {len(inp.dt)} predictions to {len(inp.gt)} objects")
    key = eval_key(model, protocol, iou, plus_one, ignore_difficult, iou_type)
    params: dict[str, Any] = {
        "protocol": protocol,
        "iou": iou,
        "plus_one": plus_one,
        "ignore_difficult": ignore_difficult,
        "iou_type": iou_type,
    }
    if sigmas is not None:
        params["sigmas"] = [float(v) for v in sigmas]
        params["sigmas_from"] = sigmas_from
    options: dict[str, Any] = {
        "plus_one": plus_one,
        "ignore_difficult": ignore_difficult,
        "sigmas": sigmas,
    }
    if protocol == "lvis":
        options["lvis"], lvis_warnings = load_lvis_sets(catalog, dataset, inp)
        load_warnings.extend(lvis_warnings)
    if job is not None and len(inp.gt) + len(inp.dt) >= worker_min_boxes:
        from ..jobs import stream_from_worker

        inp = with_texts(inp)  # read here: the worker process has no catalog
        report, boxes = next(iter(stream_from_worker(job, _worker, inp, protocol, iou, options)))
    else:
        report, outcomes = evaluate_arrays(inp, protocol, iou, **options)
        boxes = outcome_table(inp, outcomes)
        del outcomes
    dataset_id, missing_scores = inp.dataset_id, inp.missing_scores
    # The objects' arrays, masks' texts and keypoints are done with: let them go before the
    # catalog write needs its own memory (hundreds of MB at 100K images).
    del inp
    release_freed_memory(catalog)
    report.key, report.dataset, report.model, report.params = key, dataset, model, params
    report.warnings.extend(load_warnings)
    if missing_scores:
        report.warnings.append(
            f"{missing_scores} predictions have no score; they were ranked as score 1.0"
        )
    report_progress(0.7, "storing per-box results")
    if store:
        if report.tide is not None:  # the per-box rows carry each object's TIDE error
            report.tide["objects"] = True
        report.created_at = write_evaluation(
            catalog, dataset_id, key, model, protocol, iou, params, report.to_dict(), boxes
        )
    report_progress(1.0, "done")
    return report


def release_freed_memory(catalog: Catalog) -> None:
    """Hand the memory Arrow's and DuckDB's allocators keep from freed tables back to the
    system: after reading the objects they keep ~320 MB at 100K segm images (of a 0.72 GB
    RSS), which the matching and the write would otherwise add to."""
    pa.default_memory_pool().release_unused()
    catalog.release_freed_memory()
    trim_heap()


def dataset_sigmas(catalog: Catalog, dataset: str) -> tuple[list[float] | None, list[str]]:
    """The OKS sigmas the keypoint classes of ``dataset`` carry (a COCO category's
    ``sigmas``, an Ultralytics ``kpt_oks_sigmas``, stored at ingest), and warnings.

    The engine takes one list (used for the skeletons of its length, as pycocotools'
    ``kpt_oks_sigmas``): the classes' list when they agree; when they carry different ones,
    none of them (the defaults apply) and a warning that says to pass them."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            "SELECT DISTINCT keypoint_sigmas FROM categories "
            "WHERE dataset_id = ? AND keypoint_sigmas IS NOT NULL",
            [dataset_id],
        ).fetchall()
    if len(rows) == 1:
        return [float(v) for v in rows[0][0]], []
    if not rows:
        return None, []
    return None, [
        f"the dataset's keypoint classes carry {len(rows)} different sigma lists: none was "
        "used (pass the ones to use with --sigmas)"
    ]


def _worker(
    inp: EvalInput, protocol: str, iou: float, options: dict[str, Any]
) -> Iterator[tuple[EvaluationReport, pa.Table]]:
    """Worker-process side: the evaluation and the per-box table (both pickle cheaply)."""
    report, outcomes = evaluate_arrays(inp, protocol, iou, **options)
    yield report, outcome_table(inp, outcomes)


def evaluate_arrays(
    inp: EvalInput,
    protocol: str,
    iou: float,
    *,
    plus_one: bool = False,
    ignore_difficult: bool = True,
    sigmas: Sequence[float] | None = None,
    lvis: LvisSets | None = None,
) -> tuple[EvaluationReport, BoxOutcomes]:
    """The engine without the catalog: evaluate arrays, return the report and per-box outcomes
    (the COCO protocol of ``inp.iou_type``; protocol "lvis" needs the dataset's ``lvis``
    sets, :func:`~.lvis_load.load_lvis_sets`)."""
    gt, dt, n_cats = inp.gt, inp.dt, len(inp.classes)
    extra: dict[str, np.ndarray] = {}
    warnings: list[str] = []
    tide = None
    if protocol == "lvis":
        if lvis is None:
            raise ValueError("protocol 'lvis' needs the dataset's LVIS sets")
        gt.crowd = np.zeros(len(gt), dtype=bool)  # LVIS scores every object as a plain one
    if protocol in ("coco", "lvis"):
        thresholds = IOU_THRESHOLDS
        if not np.any(np.isclose(thresholds, iou, rtol=0, atol=1e-12)):
            thresholds = np.append(IOU_THRESHOLDS, iou)
        t_index = int(np.argmin(np.abs(thresholds - iou)))
        cp = coco_params(inp, plus_one=plus_one, sigmas=sigmas)
        warnings = cp.warnings
        trim_heap()  # the masks' decoding
        if lvis is not None:
            run = evaluate_lvis(gt, dt, n_cats, lvis, cp.similarity, thresholds, gt_at=t_index)
            match, precision, recall, stats = run.match, run.precision, run.recall, run.stats
            max_det = LVIS_MAX_DETS
        else:
            match = match_coco(
                gt, dt, n_cats, thresholds, area_ranges=cp.area_ranges,
                max_det=cp.max_dets[-1], similarity=cp.similarity, gt_at=t_index,
            )  # fmt: skip
            trim_heap()  # the matching's candidate pairs
            areas = tuple(cp.area_ranges)
            # only the cells the summary, the per-class table and the curves read
            precision, recall = accumulate_coco(
                gt, dt, match, n_cats, cp.max_dets,
                cells=summary_cells(cp.stats, areas, cp.max_dets),
            )  # fmt: skip
            stats = summarize_coco(
                precision, recall, thresholds, specs=cp.stats,
                area_names=areas, max_dets=cp.max_dets,
            )  # fmt: skip
            max_det = cp.max_dets[-1]
        ap_cols = per_class_coco(precision, recall, thresholds, max_det)
        out = outcomes_from_coco(gt, dt, match, t_index, similarity=cp.similarity)
        if inp.iou_type in TIDE_IOU_TYPES:  # equal scores: images in ingest order, as tidecv
            tide = tide_errors(
                gt, dt, cp.similarity, image_order=inp.dt_sample,
                max_dets=TIDE_MAX_DETS if lvis is None else LVIS_MAX_DETS,
                image_wide_ignored=None if lvis is None else tide_ignored(gt, dt, n_cats, lvis),
                coco=match,  # its matches at 0.5 where they are TIDE's: no second match
                pairs=out.fp_pairs,  # the false positives' IoUs: not computed again
            )  # fmt: skip
            out.tide = tide.objects if tide is not None else None
        ap = ap_cols.pop("AP")
        extra = ap_cols
        curves = precision[t_index, :, :, 0, -1]  # (R, K)
        pr = {k: curves[:, k] for k in range(n_cats) if curves[0, k] > -1}
    else:
        vm = match_voc(gt, dt, n_cats, iou, plus_one=plus_one, ignore_difficult=ignore_difficult)
        per = voc_per_class(gt, dt, vm, n_cats)
        ap = np.array([r.ap if r else np.nan for r in per])
        extra = {"AP_11point": np.array([r.ap11 if r else np.nan for r in per])}
        defined = ap[~np.isnan(ap)]
        stats = {
            "mAP": float(defined.mean()) if defined.size else float("nan"),
            "mAP_11point": float(np.nanmean(extra["AP_11point"])) if defined.size else float("nan"),
        }
        out = outcomes_from_voc(gt, dt, vm, iou, plus_one=plus_one)
        pr = {k: _interpolated(r.recall, r.precision) for k, r in enumerate(per) if r}
    per_class = _per_class_table(inp, out, ap, extra)
    conf = confusion_matrix(gt, dt, out, n_cats)
    labels = [*inp.classes, "background"]
    # tp = matched pairs, fp = predictions, fn = ground truth, ignored = boxes of both sides.
    counts = {
        "tp": int((out.dt_status == TP).sum()),
        "fp": int((out.dt_status == FP).sum()),
        "fn": int((out.gt_status == FN).sum()),
        "ignored": int((out.dt_status == IGNORED).sum() + (out.gt_status == IGNORED).sum()),
    }
    report = EvaluationReport(
        key="",
        dataset="",
        model="",
        protocol=protocol,
        iou=iou,
        params={},
        stats=stats,
        per_class_data=per_class,
        confusion_labels=labels,
        confusion_matrix=conf,
        pr_curves={
            inp.classes[k]: {
                "recall": RECALL_THRESHOLDS.round(2).tolist(),
                "precision": [round(float(p), 6) for p in v],
            }
            for k, v in pr.items()
        },
        counts=counts,
        warnings=warnings,
        iou_type=inp.iou_type,
        tide=tide.to_dict() if tide is not None else None,
    )
    return report, out


def _interpolated(recall: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """Interpolated precision (max precision at recall >= r) at the 101 COCO recall points."""
    if not len(recall):
        return np.zeros(len(RECALL_THRESHOLDS))
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    idx = np.searchsorted(recall, RECALL_THRESHOLDS, side="left")
    out = np.zeros(len(RECALL_THRESHOLDS))
    valid = idx < len(recall)
    out[valid] = envelope[idx[valid]]
    return out


def _per_class_table(
    inp: EvalInput, out: BoxOutcomes, ap: np.ndarray, extra: dict[str, np.ndarray]
) -> dict[str, Any]:
    """The per-class table's columns (classes neither labelled nor predicted left out)."""
    n_cats = len(inp.classes)
    tp = np.bincount(inp.dt.cat[out.dt_status == TP], minlength=n_cats)
    fp = np.bincount(inp.dt.cat[out.dt_status == FP], minlength=n_cats)
    fn = np.bincount(inp.gt.cat[out.gt_status == FN], minlength=n_cats)
    num_gt = np.bincount(inp.gt.cat[out.gt_status != IGNORED], minlength=n_cats)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), np.nan)
        recall = np.where(num_gt > 0, tp / np.maximum(num_gt, 1), np.nan)
    columns = {
        "class": np.asarray(inp.classes, dtype=object),
        "AP": ap,
        "precision": precision,
        "recall": recall,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "num_gt": num_gt,
        **extra,
    }
    # Classes that appear nowhere (declared but unused) only clutter the table.
    used = (num_gt > 0) | (tp + fp > 0)
    return {name: np.asarray(column)[used] for name, column in columns.items()}


def report_for(catalog: Catalog, dataset: str, key: str) -> EvaluationReport:
    """A stored evaluation as an :class:`EvaluationReport`."""
    from .store import get_evaluation

    return EvaluationReport.from_dict(get_evaluation(catalog, dataset, key))
