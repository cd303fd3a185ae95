"""``visionlens evaluate NAME --model MODEL``: evaluate predictions from the command line.

Object predictions are evaluated with the COCO (``--iou-type bbox|segm|keypoints``), VOC or
LVIS (federated, ``--iou-type bbox|segm``, on an LVIS-format dataset) protocol; a classification model (image-level labels, no objects) gets accuracy, top-5,
per-class precision/recall/F1, the confusion matrix and calibration; a model's semantic
masks (``semantic-predictions``) get pixel accuracy, mIoU, fwIoU, per-class IoU, the
confusion matrix and boundary IoU; panoptic results (``panoptic-predictions``) PQ, SQ, RQ. Like every command, it
goes through the running server's REST API when one owns the data directory, and opens the
catalog itself otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..records.label_kinds import IOU_KINDS
from .common import add_common_options


def add_parser(subparsers: Any) -> None:
    """Register the ``evaluate`` subcommand."""
    p = subparsers.add_parser(
        "evaluate",
        help="evaluate a model's predictions (COCO, VOC or LVIS protocol); stores per-box results",
    )
    p.add_argument("dataset", help="dataset name")
    p.add_argument("--model", required=True, help="prediction model name")
    p.add_argument(
        "--protocol",
        default="coco",
        choices=["coco", "voc", "lvis"],
        help="lvis: LVIS's federated evaluation (an LVIS-format dataset; 300 detections per "
        "image, APr/APc/APf)",
    )
    p.add_argument(
        "--iou",
        type=float,
        default=0.5,
        help="IoU threshold: VOC AP threshold; for COCO the threshold of per-box results "
        "(AP is always averaged over 0.50:0.95)",
    )
    p.add_argument(
        "--plus-one",
        action="store_true",
        help='VOC "+1 pixel" IoU convention (default: continuous coordinates)',
    )
    p.add_argument(
        "--difficult-as-normal",
        action="store_true",
        help="VOC: count 'difficult' ground truth as normal boxes (default: ignored)",
    )
    p.add_argument(
        "--iou-type",
        default="bbox",
        choices=list(IOU_KINDS),
        help="COCO: compare boxes (bbox), masks (segm, mask IoU) or keypoints (OKS)",
    )
    p.add_argument(
        "--sigmas",
        type=_sigmas,
        help="keypoints: the skeleton's per-keypoint OKS sigmas, comma-separated (default: "
        "the dataset's own, from a COCO category's sigmas or an Ultralytics data.yaml's "
        "kpt_oks_sigmas; else COCO's 17 person sigmas for 17-point skeletons, else 1/K "
        "per keypoint)",
    )
    p.add_argument(
        "--tracking",
        action="store_true",
        help="evaluate the model's tracks on the dataset's videos: CLEAR, Identity and HOTA "
        "as TrackEval (MOT Challenge classes: its pedestrian protocol; else class-agnostic)",
    )
    add_common_options(p, json_help="print one JSON object (the report)")
    p.set_defaults(func=cmd_evaluate)


def _sigmas(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("sigmas: comma-separated numbers") from None
    if not all(v > 0 for v in values):
        raise argparse.ArgumentTypeError("sigmas must be positive")
    return values


def _tracking(args: argparse.Namespace) -> dict[str, Any]:
    """``--tracking``: the tracking report, from the catalog or the server's route."""
    from ..evaluate.tracking.catalog_sequences import evaluate_dataset_tracking
    from .common import run_local_or_remote

    out = run_local_or_remote(
        args,
        lambda catalog: evaluate_dataset_tracking(catalog, args.dataset, args.model),
        lambda client: dict(
            client.post_json(f"datasets/{args.dataset}/tracking", {"model": args.model})
        ),
    )
    if args.json:
        out.pop("text", None)
    return out


BLAS_THREADS = "OPENBLAS_NUM_THREADS"
"""The variable numpy's OpenBLAS reads its thread count from, once, as numpy is imported."""


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy, if the block imports it first, with OpenBLAS on one thread: no evaluation
    calls BLAS (no matrix product anywhere in them), but the threads OpenBLAS starts on
    import spin on the CPU for a while (~65 ms of CPU of a ~0.4 s import on 2 cores,
    measured). A value the user set is kept; the variable is removed after the block, so
    the processes this one starts get the user's environment."""
    if "numpy" in sys.modules or BLAS_THREADS in os.environ:
        yield
        return
    os.environ[BLAS_THREADS] = "1"
    try:
        yield
    finally:
        os.environ.pop(BLAS_THREADS, None)


def cmd_evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """Run the evaluation locally or through the server and return the report dict."""
    with one_blas_thread():  # numpy is first imported here in a ``visionlens`` process
        from ..evaluate.api import evaluate_model, validate_params
    from ..evaluate.classification import (
        classification_text,
        evaluate_classification,
        is_classification_model,
    )
    from ..records.batches import without_pandas
    from ..semantic.mask_evaluation import evaluate_masks
    from .common import job_result, run_local_or_remote, usage_errors

    with usage_errors():
        validate_params(args.protocol, args.iou, args.iou_type, args.sigmas)
    if args.tracking:
        return _tracking(args)

    def local(catalog: Any) -> dict[str, Any]:
        masks = evaluate_masks(catalog, args.dataset, args.model)
        if masks is not None:
            return masks
        if is_classification_model(catalog, args.dataset, args.model):
            return evaluate_classification(catalog, args.dataset, args.model)
        report = evaluate_model(
            catalog,
            args.dataset,
            args.model,
            protocol=args.protocol,
            iou=args.iou,
            plus_one=args.plus_one,
            ignore_difficult=not args.difficult_as_normal,
            iou_type=args.iou_type,
            sigmas=args.sigmas,
        )
        return report.to_dict()

    def remote(client: Any) -> dict[str, Any]:
        body = {
            "model": args.model,
            "protocol": args.protocol,
            "iou": args.iou,
            "plus_one": args.plus_one,
            "ignore_difficult": not args.difficult_as_normal,
            "iou_type": args.iou_type,
        }
        if args.sigmas is not None:
            body["sigmas"] = args.sigmas
        result = job_result(client, client.post_json(f"datasets/{args.dataset}/evaluations", body))
        if result.get("kind") == "classification":  # the whole report: nothing is stored
            return dict(result)
        if "semantic" in result or "panoptic" in result:  # the whole report as well
            return dict(result)
        return dict(client.get_json(f"datasets/{args.dataset}/evaluations/{result['key']}"))

    with without_pandas():  # pyarrow would import it (~50 MB, ~0.4 s) for nothing here
        out = run_local_or_remote(args, local, remote)
    if not args.json:
        from ..evaluate.report import EvaluationReport
        from ..semantic.evaluate import semantic_text

        # The shared printer knows ingest results; an evaluation prints its own summary.
        if "semantic" in out:
            text = semantic_text(out["semantic"])
        elif "panoptic" in out:
            text = json.dumps(out["panoptic"], indent=1)
        elif out.get("kind") == "classification":
            text = classification_text(out)
        else:
            text = EvaluationReport.from_dict(out).summary_text()
        out = {"text": text, **out}
    return out
