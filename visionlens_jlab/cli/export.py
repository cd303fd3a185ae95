"""``visionlens export NAME --format coco|yolo|voc|dota|classification|parquet|mot|cvat-video
--out DIR [--frames labelled|all|every:K]``: write a view of a dataset (a filter, a stored selection, one source's labels, a class subset) as files
other tools read.

The export reads the catalog and writes files only, so it opens the catalog itself when no
server owns the data directory; when one does, it asks that server for the export
(``POST /datasets/{name}/exports``, a job) and waits for it: the same files, the same result.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..formats import EXPORT_FORMATS, names
from .common import add_common_options, add_view_options, view_filter

FORMAT_CHOICES = names(EXPORT_FORMATS)


def add_parser(subparsers: Any) -> None:
    """Register the ``export`` subcommand."""
    p = subparsers.add_parser(
        "export",
        help="export a view of a dataset to COCO, YOLO, VOC, DOTA, a class tree, Parquet, "
        "MOT or CVAT for video",
    )
    p.add_argument("dataset", help="dataset name")
    p.add_argument("--format", required=True, choices=FORMAT_CHOICES)
    p.add_argument("--out", required=True, help="output folder (created; must be empty)")
    add_view_options(p)
    p.add_argument(
        "--source",
        default="ground_truth",
        help="ground_truth (default) or a model's name: whose labels are written",
    )
    p.add_argument("--min-score", type=float, help="a model's labels: keep those at S or above")
    p.add_argument("--classes", help="only these classes, comma-separated (class ids stay)")
    p.add_argument(
        "--splits",
        help="re-draw the splits, stratified by class: name=ratio pairs (train=0.8,val=0.2); "
        "default: the catalog's splits",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the --splits draw (default 0)")
    p.add_argument("--images", default="copy", choices=("copy", "symlink", "none"))
    p.add_argument(
        "--frames",
        help="a dataset of videos: which frames, labelled (default: those with labels), all "
        "(every frame of the view's videos) or every:K (frames 1, 1+K, ...); each written as "
        "<video>/<frame number>.jpg, decoded on demand",
    )
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    p.add_argument(
        "--version",
        type=int,
        help="the labels as they were at this version (see `visionlens versions`); "
        "default: as they are now",
    )
    add_common_options(
        p,
        json_help='print {"out", "format", "samples", "annotations", "files", "refused", '
        '"bad_names", "skipped"}',
    )
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> dict[str, Any]:
    """Run the export on the catalog, or through the server owning it, and return its
    result."""
    from .common import job_result, run_local_or_remote

    spec = view_filter(args)
    classes = [c.strip() for c in args.classes.split(",")] if args.classes else None
    out = os.path.abspath(os.path.expanduser(args.out))  # the server's cwd is not ours

    def local(catalog: Any) -> dict[str, Any]:
        from ..export import export_view

        return export_view(
            catalog,
            args.dataset,
            args.format,
            out,
            spec=spec,
            source=args.source,
            min_score=args.min_score,
            classes=classes,
            splits=args.splits,
            seed=args.seed,
            images=args.images,
            overwrite=args.overwrite,
            version=args.version,
            frames=args.frames,
        ).to_dict()

    def remote(client: Any) -> dict[str, Any]:
        body = {
            "format": args.format, "out": out, "filter": spec, "source": args.source,
            "min_score": args.min_score, "classes": classes, "splits": args.splits,
            "seed": args.seed, "images": args.images, "overwrite": args.overwrite,
            "version": args.version, "frames": args.frames,
        }  # fmt: skip
        return job_result(client, client.post_json(f"datasets/{args.dataset}/exports", body))

    from ..records.batches import without_pandas

    with without_pandas():  # pyarrow would import pandas (~0.4 s) for nothing
        result = run_local_or_remote(args, local, remote)
    if not args.json:
        left_out = result.get("refused", 0) + result.get("bad_names", 0)
        text = (
            f"{result['samples']} samples, {result['annotations']} labels, "
            f"{result['files']} files -> {result['out']} ({result['format']})"
        )
        if left_out:
            text += (
                f"; {left_out} samples left out: their images lie outside the dataset's "
                "media root or their names cannot exist (see --json's skipped)"
            )
        result = {"text": text, **result}
    return result
