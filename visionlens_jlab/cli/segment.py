"""``visionlens segment-boxes``: a mask for every box of a dataset or a view, as a new
prediction set (the box-to-mask job, :mod:`visionlens_jlab.segment.box_job`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..catalog import CatalogError
from ..embed.base import EmbedError
from ..jobs.accelerator import DTYPES
from .common import (
    EXIT_USAGE,
    CliError,
    add_common_options,
    add_view_options,
    batch_size_option,
    job_result,
    run_model_job,
    view_filter,
)

JSON_KEYS = (
    *("dataset", "model", "name", "source", "processed", "skipped", "failed", "boxes"),
    *("predictions", "batch_size", "dtype", "reduced_mask_iou", "images_per_second", "seconds"),
)
"""What ``--json`` prints: a stable contract."""


def add_parser(subparsers: Any) -> None:
    """Register ``segment-boxes`` on the ``visionlens`` CLI."""
    p = subparsers.add_parser(
        "segment-boxes",
        help="a mask for every box (ground truth or a model's) with SAM, as a new prediction set",
        description="Prompt a promptable segmentation model (SAM, SAM-HQ, SAM 2 through "
        "transformers, offline) with every box of the dataset or a view: each image embedded "
        "once, its boxes in one decoder call. The masks are written as a new prediction set "
        "(the source's class and box, the mask as RLE, score = the predicted IoU) to review "
        "before it replaces anything. A rerun with the same model and source does only the "
        "images not done yet.",
    )
    p.add_argument("dataset")
    p.add_argument("--model", required=True, help="a SAM checkpoint folder or a cached hub id")
    p.add_argument(
        "--source", default="ground_truth", help="whose boxes: ground_truth or a model's name"
    )
    add_view_options(p)
    p.add_argument("--name", help="the new set's name (default: <the model's last part>-masks)")
    p.add_argument(
        "--batch-size",
        type=batch_size_option,
        help="images per encoder pass, or auto (the default): found on the first batches "
        "(doubled from 1 on a CPU, 8 on CUDA, while images/s improves by 10%% and memory "
        "allows); halved on out-of-memory either way",
    )
    p.add_argument(
        "--dtype",
        default="auto",
        choices=DTYPES,
        help="the image encoder's precision; auto (the default): bfloat16 on a CPU that "
        "multiplies it natively when the first images' masks agree with float32's (mean "
        "IoU >= 0.98), else the model's own; the decoder always runs in the model's own",
    )
    add_common_options(p)
    p.set_defaults(func=cmd_segment_boxes)


def cmd_segment_boxes(args: argparse.Namespace) -> dict[str, Any]:
    """Run the box-to-mask job on the catalog, or through the server owning it."""
    from ..segment.box_job import BoxMaskOptions

    model = args.model
    if Path(model).expanduser().exists():  # the server may run elsewhere: paths absolute
        model = str(Path(model).expanduser().resolve())
    view = view_filter(args)
    body = {
        "model": model,
        "source": args.source,
        "filter": view,
        "name": args.name,
        "batch_size": args.batch_size,
        "dtype": args.dtype,
    }
    try:
        options = BoxMaskOptions(args.dataset, **body)
    except (EmbedError, CatalogError) as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc

    def local(catalog: Any) -> dict[str, Any]:
        from ..predict.loading import load_segmenter
        from ..segment.box_job import run_box_masks
        from ..segment.engine import Segmenter

        return run_box_masks(None, catalog, options, lambda m: Segmenter(load_segmenter(m)))

    def remote(client: Any) -> dict[str, Any]:
        answer = client.post_json(
            f"datasets/{args.dataset}/segment/boxes",
            {k: v for k, v in body.items() if v is not None},
        )
        return job_result(client, answer, "the box-to-mask job was")

    result = run_model_job(args, local, remote)
    if args.json:
        return {key: result.get(key) for key in JSON_KEYS}
    result["text"] = (
        f"{result['dataset']}: {result['processed']} images done, {result['skipped']} skipped, "
        f"{result['failed']} unreadable; {result['boxes']} masks of {result['source']} boxes, "
        f"{result['predictions']} objects in {result['name']} "
        f"({result['images_per_second']} images/s, {result['seconds']} s)"
    )
    return result
