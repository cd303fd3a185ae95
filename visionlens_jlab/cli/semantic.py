"""``visionlens semantic-ingest`` and ``semantic-predictions``: semantic segmentation
datasets (per-pixel class masks) and a model's predicted masks; ``panoptic-ingest`` and
``panoptic-predictions``: the same for COCO panoptic files.

While a server owns the data directory each goes through its route (a job in the server,
:mod:`visionlens_jlab.handlers.semantic`), else it writes the catalog itself. ``visionlens
evaluate NAME --model M`` evaluates a model recorded here
(:mod:`visionlens_jlab.semantic.evaluate`).
"""

from __future__ import annotations

import argparse
from typing import Any

from .common import (
    absolute_path,
    add_common_options,
    job_result,
    run_local_or_remote,
    usage_errors,
)

_LAYOUTS = ("auto", "voc", "cvat", "cityscapes", "ade20k", "masks")


def add_parser(subparsers: Any) -> None:
    """Register the ``semantic-ingest`` and ``semantic-predictions`` subcommands."""
    p = subparsers.add_parser(
        "semantic-ingest",
        help="ingest a semantic segmentation dataset (VOC SegmentationClass, CVAT / Datumaro "
        "'Segmentation mask' export: labelmap.txt + SegmentationClass RGB PNGs, Cityscapes "
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
        help="the pixel value left out of every metric (default 255; ADE20K's 0 and "
        "Cityscapes' unevaluated ids map to it)",
    )
    p.add_argument(
        "--images",
        metavar="DIR",
        help="the images' folder, where they are apart from the masks (Cityscapes' "
        "leftImg8bit, ADE20K's images, masks exported without them): an image is the file "
        "below DIR at its mask's path without the extension; SOURCE may then be the masks' "
        "folder itself",
    )
    add_common_options(p)
    p.set_defaults(func=cmd_semantic_ingest)

    p = subparsers.add_parser(
        "semantic-predictions", help="record a model's predicted masks (PNGs named by image)"
    )
    p.add_argument("dataset")
    p.add_argument(
        "source",
        help="folder of PNG masks named by their image's stem (for a VOC or CVAT dataset, "
        "RGB masks painted in its class colours too)",
    )
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


def _through(route: str, body: dict[str, Any], dataset: str | None = None) -> Any:
    """What posts ``body`` to the server's ``route`` (under ``dataset``'s path when given)
    and waits for its job's result."""

    def remote(client: Any) -> dict[str, Any]:
        from ..rest_client import dataset_path  # requests: only with a server to call

        path = route if dataset is None else dataset_path(dataset, route)
        return job_result(client, client.post_json(path, body))

    return remote


def cmd_semantic_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """Find the layout's pairs, then write the dataset and its masks."""
    from ..semantic.ingest import ingest_semantic
    from ..semantic.layouts import open_semantic

    def local(catalog: Any) -> dict[str, Any]:
        with usage_errors():
            found = open_semantic(
                args.source, args.layout, args.classes, args.ignore_index, args.images
            )
        return ingest_semantic(catalog, args.name, found)

    body = {"source": absolute_path(args.source), "name": args.name, "layout": args.layout,
            "classes": absolute_path(args.classes), "ignore_index": args.ignore_index,
            "images": absolute_path(args.images)}  # fmt: skip
    return run_local_or_remote(args, local, _through("semantic-datasets", body))


def cmd_semantic_predictions(args: argparse.Namespace) -> dict[str, Any]:
    """Record the model's masks."""
    from ..semantic.ingest import ingest_semantic_predictions

    def local(catalog: Any) -> dict[str, Any]:
        return ingest_semantic_predictions(
            catalog, args.dataset, args.model, args.source, indices=args.indices
        )

    body = {"source": absolute_path(args.source), "model": args.model, "indices": args.indices}
    remote = _through("semantic-predictions", body, args.dataset)
    return run_local_or_remote(args, local, remote)


def cmd_panoptic_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """Write the panoptic dataset and its PNGs' rows."""
    from ..semantic.panoptic import ingest_panoptic

    def local(catalog: Any) -> dict[str, Any]:
        return ingest_panoptic(catalog, args.name, args.source, args.masks, args.images)

    body = {"source": absolute_path(args.source), "name": args.name,
            "masks": absolute_path(args.masks), "images": absolute_path(args.images)}  # fmt: skip
    return run_local_or_remote(args, local, _through("panoptic-datasets", body))


def cmd_panoptic_predictions(args: argparse.Namespace) -> dict[str, Any]:
    """Record the model's panoptic results."""
    from ..semantic.panoptic import ingest_panoptic_predictions

    def local(catalog: Any) -> dict[str, Any]:
        return ingest_panoptic_predictions(
            catalog, args.dataset, args.model, args.source, args.masks
        )

    body = {"source": absolute_path(args.source), "model": args.model,
            "masks": absolute_path(args.masks)}  # fmt: skip
    remote = _through("panoptic-predictions", body, args.dataset)
    return run_local_or_remote(args, local, remote)
