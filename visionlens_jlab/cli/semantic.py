"""``visionlens semantic-ingest`` and ``semantic-predictions``: semantic segmentation
datasets (per-pixel class masks) and a model's predicted masks; ``panoptic-ingest`` and
``panoptic-predictions``: the same for COCO panoptic files.

These run on the catalog itself: while a server owns the data directory they say so
(the server has no route for them yet). ``visionlens evaluate NAME --model M`` evaluates a
model recorded here (:mod:`visionlens_jlab.semantic.evaluate`).
"""

from __future__ import annotations

import argparse
from typing import Any

from .common import CliError, add_common_options, run_local_or_remote, usage_errors

_LAYOUTS = ("auto", "voc", "cityscapes", "ade20k", "masks")


def add_parser(subparsers: Any) -> None:
    """Register the ``semantic-ingest`` and ``semantic-predictions`` subcommands."""
    p = subparsers.add_parser(
        "semantic-ingest",
        help="ingest a semantic segmentation dataset (VOC SegmentationClass, Cityscapes "
        "gtFine, ADE20K, images/ + masks/)",
    )
    p.add_argument("source", help="the dataset's folder")
    p.add_argument("--name", required=True)
    p.add_argument("--layout", default="auto", choices=_LAYOUTS)
    p.add_argument(
        "--classes",
        metavar="FILE",
        help="class names, one a line (line i: pixel value i); ADE20K's objectInfo150.csv",
    )
    p.add_argument(
        "--ignore-index",
        type=int,
        help="the pixel value left out of every metric (default 255; ADE20K's 0 maps to it)",
    )
    add_common_options(p)
    p.set_defaults(func=cmd_semantic_ingest)

    p = subparsers.add_parser(
        "semantic-predictions", help="record a model's predicted masks (PNGs named by image)"
    )
    p.add_argument("dataset")
    p.add_argument("source", help="folder of PNG masks named by their image's stem")
    p.add_argument("--model", required=True)
    p.add_argument(
        "--indices",
        action="store_true",
        help="the PNG values are class indices (default: encoded like the ground truth, "
        "e.g. Cityscapes label ids)",
    )
    add_common_options(p)
    p.set_defaults(func=cmd_semantic_predictions)

    p = subparsers.add_parser(
        "panoptic-ingest", help="ingest a COCO panoptic dataset (JSON + PNG folder)"
    )
    p.add_argument("source", help="the COCO panoptic JSON")
    p.add_argument("--name", required=True)
    p.add_argument("--masks", help="the PNG folder (default: the JSON's path without .json)")
    p.add_argument("--images", help="the images folder (default: images/ beside the PNG folder)")
    add_common_options(p)
    p.set_defaults(func=cmd_panoptic_ingest)

    p = subparsers.add_parser(
        "panoptic-predictions", help="record a model's COCO panoptic results (JSON + PNGs)"
    )
    p.add_argument("dataset")
    p.add_argument("source", help="the results' COCO panoptic JSON")
    p.add_argument("--model", required=True)
    p.add_argument("--masks", help="the PNG folder (default: the JSON's path without .json)")
    add_common_options(p)
    p.set_defaults(func=cmd_panoptic_predictions)


def _no_server(_client: Any) -> dict[str, Any]:
    raise CliError(
        "a VisionLens server owns this data directory and has no route for semantic masks: "
        "stop it, or run this with another --data-dir"
    )


def cmd_semantic_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """Find the layout's pairs, then write the dataset and its masks."""
    from ..semantic.ingest import ingest_semantic
    from ..semantic.layouts import open_semantic

    with usage_errors():
        found = open_semantic(args.source, args.layout, args.classes, args.ignore_index)
    return run_local_or_remote(args, lambda c: ingest_semantic(c, args.name, found), _no_server)


def cmd_semantic_predictions(args: argparse.Namespace) -> dict[str, Any]:
    """Record the model's masks."""
    from ..semantic.ingest import ingest_semantic_predictions

    def local(catalog: Any) -> dict[str, Any]:
        return ingest_semantic_predictions(
            catalog, args.dataset, args.model, args.source, indices=args.indices
        )

    return run_local_or_remote(args, local, _no_server)


def cmd_panoptic_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """Write the panoptic dataset and its PNGs' rows."""
    from ..semantic.panoptic import ingest_panoptic

    def local(catalog: Any) -> dict[str, Any]:
        return ingest_panoptic(catalog, args.name, args.source, args.masks, args.images)

    return run_local_or_remote(args, local, _no_server)


def cmd_panoptic_predictions(args: argparse.Namespace) -> dict[str, Any]:
    """Record the model's panoptic results."""
    from ..semantic.panoptic import ingest_panoptic_predictions

    def local(catalog: Any) -> dict[str, Any]:
        return ingest_panoptic_predictions(
            catalog, args.dataset, args.model, args.source, args.masks
        )

    return run_local_or_remote(args, local, _no_server)
