"""The ``visionlens`` command line: a stable, scriptable contract for other tools and tests.

Every command works whether or not JupyterLab is running on the same data directory: when a
live server owns the catalog (``server.json``), the work goes through its REST API; otherwise
the command opens the catalog itself.

Exit codes: 0 success (warnings allowed), 1 nothing usable / operation failed,
2 usage error, 3 the catalog is held by a process that cannot be reached.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..config import CATALOG_FILE, DATA_DIR_ENV, VIDEO_INDEX_DIR, resolve_data_dir
from ..formats import AUTO, DATASET_FORMATS, PREDICTION_FORMATS, names
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    absolute_path,
    add_common_options,
    job_result,
    run_local_or_remote,
    server_client,
)


def cmd_ingest(args: argparse.Namespace) -> dict[str, Any]:
    from ..catalog.writes.dataset_writer import write_dataset
    from ..ingest.open import open_dataset
    from ..records.batches import without_pandas

    def local(catalog: Any) -> dict[str, Any]:
        parsed = open_dataset(
            args.source,
            args.format,
            images=args.images,
            split=args.split,
            image_labels=args.image_labels,
            # the server's first view of a video reads the ingest's probe back
            video_index=str(catalog.data_dir / VIDEO_INDEX_DIR),
        )
        return write_dataset(catalog, args.name, parsed, split=args.split).to_dict()

    def remote(client: Any) -> dict[str, Any]:
        body = {
            "source": absolute_path(args.source),
            "name": args.name,
            "format": args.format,
            "images": absolute_path(args.images),
            "split": args.split,
        }
        if args.image_labels:
            body["image_labels"] = absolute_path(args.image_labels)
        return job_result(client, client.post_json("datasets", body))

    with without_pandas():  # ~50 MB and ~0.4 s that pyarrow would spend on it
        return run_local_or_remote(args, local, remote)


def cmd_predictions(args: argparse.Namespace) -> dict[str, Any]:
    from ..catalog.writes.dataset_writer import write_predictions
    from ..importing.jobs import prediction_maps
    from ..ingest.open import open_predictions
    from ..records.batches import without_pandas

    if args.model is None:  # the results' own name: a tracker's folder, a detector's file
        args.model = Path(args.source.rstrip("/\\")).stem

    def local(catalog: Any) -> dict[str, Any]:
        parsed = open_predictions(
            args.source, args.format, **prediction_maps(catalog, args.dataset)
        )
        return write_predictions(
            catalog, args.dataset, args.model, parsed, split=args.split
        ).to_dict()

    def remote(client: Any) -> dict[str, Any]:
        body = {"source": absolute_path(args.source), "model": args.model, "format": args.format}
        if args.split:
            body["split"] = args.split
        return job_result(client, client.post_json(f"datasets/{args.dataset}/predictions", body))

    with without_pandas():
        return run_local_or_remote(args, local, remote)


def cmd_datasets(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = resolve_data_dir(args.data_dir)
    if server_client(data_dir) is None and not (data_dir / CATALOG_FILE).exists():
        # a listing creates nothing: an empty catalog here would hide where the data is
        return {"datasets": [], "data_dir": str(data_dir)}
    listing = run_local_or_remote(
        args,
        lambda catalog: {"datasets": catalog.list_datasets()},
        lambda client: client.get_json("datasets"),
    )
    return {**listing, "data_dir": str(data_dir)}


def cmd_delete(args: argparse.Namespace) -> dict[str, Any]:
    from .bulk import cmd_delete_model, cmd_delete_view, names_a_view

    if args.model is not None:
        return cmd_delete_model(args)
    if names_a_view(args):
        return cmd_delete_view(args)

    def local(catalog: Any) -> dict[str, Any]:
        from ..vectors.lazy import delete_dataset_and_vectors

        delete_dataset_and_vectors(catalog, args.dataset)
        return {"deleted": args.dataset}

    def remote(client: Any) -> dict[str, Any]:
        client.delete(f"datasets/{args.dataset}")
        return {"deleted": args.dataset}

    return run_local_or_remote(args, local, remote)


def _print_human(result: dict[str, Any]) -> None:
    if "text" in result:  # commands that format their own summary (evaluate)
        print(result["text"])
        return
    if "datasets" in result:
        for ds in result["datasets"]:
            models = ", ".join(m["name"] for m in ds["models"]) or "-"
            print(
                f"{ds['name']:<24} {ds['format']:<5} {ds['num_samples']:>9} samples "
                f"{ds['num_annotations']:>10} labels  models: {models}"
            )
        if not result["datasets"]:
            print(
                f"no datasets in {result['data_dir']}: ingest one with `visionlens ingest "
                "SOURCE --name NAME`, or name the data folder a server uses with --data-dir "
                f"or {DATA_DIR_ENV}"
            )
        return
    if "deleted" in result:
        print(f"deleted {result['deleted']}")
        return
    counts = ", ".join(
        f"{result[k]} {k}"
        for k in ("samples", "annotations", "categories", "predictions")
        if result.get(k)
    )
    print(f"{result.get('dataset', '')}: {counts}")
    for w in result.get("warnings", []):
        examples = "; ".join(w.get("examples", [])[:3])
        print(
            f"  warning {w['code']} x{w['count']}: {w['message']}"
            + (f" (e.g. {examples})" if examples else "")
        )
    for e in result.get("errors", []):
        print(f"  error {e['code']} x{e['count']}: {e['message']}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of every subcommand (areas add theirs through ``add_parser``).

    With ``command`` one of :data:`CORE_COMMANDS`, the areas' modules are not imported: they
    pull in their engines (the vector-store clients, scipy: ~2 s of a CLI ingest's start);
    with a command its own module registers (``evaluate``: ``cli.evaluate``), only that
    module is."""
    parser = argparse.ArgumentParser(prog="visionlens", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "ingest", help="ingest a COCO / YOLO / VOC / ... dataset, MOT sequences or videos"
    )
    p.add_argument("source", help="annotation file or dataset folder")
    p.add_argument("--name", required=True)
    p.add_argument(
        "--format",
        default="auto",
        help=f"{AUTO} (default), {', '.join(names(DATASET_FORMATS))}, or a plugin's format "
        "(visionlens plugins)",
    )
    p.add_argument("--images", help="where the images are (folder or gs://bucket/prefix)")
    p.add_argument("--split", help="split name for every sample (e.g. train, val)")
    p.add_argument(
        "--image-labels",
        metavar="TABLE",
        help="a CSV or Parquet of (file, label) whose labels become the samples' "
        "ground-truth image labels, matched by file name, base name or stem (for COCO, YOLO "
        "and VOC, which have no place for them)",
    )
    add_common_options(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("predictions", help="import a model's predictions into a dataset")
    p.add_argument("dataset")
    p.add_argument(
        "source",
        help="COCO results JSON, a folder of YOLO / txt files (Ultralytics' predict "
        "--save-txt --save-conf: boxes, masks or keypoints; --format yolo-obb: rotated boxes), "
        "of DOTA Task1_<class>.txt results (rotated boxes), a classification CSV/Parquet, or "
        "a tracker's MOT results (--format mot: a folder of <sequence>.txt files, or one)",
    )
    p.add_argument(
        "--model",
        help="the prediction set's name (default: the results file's stem or folder's name)",
    )
    p.add_argument("--format", default=AUTO, choices=PREDICTION_FORMAT_CHOICES)
    p.add_argument(
        "--split",
        help="match the predictions' images among this split's samples only (train, val...), "
        "by bare image id too: a COCO results file made against one split's file",
    )
    add_common_options(p)
    p.set_defaults(func=cmd_predictions)

    p = sub.add_parser("datasets", help="list datasets")
    add_common_options(p)
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser(
        "delete",
        help="delete a dataset, with --labels SOURCE the labels of SOURCE on a view of it, "
        "or with --model M a model and every prediction of it",
    )
    p.add_argument("dataset")
    from .bulk import add_delete_view_options

    add_delete_view_options(p)
    add_common_options(p)
    p.set_defaults(func=cmd_delete)

    if command not in CORE_COMMANDS:
        # the command's own module first (``evaluate``: cli.evaluate): the other areas' are
        # imported only when it does not register the command (help, an unknown command)
        own = f"{__name__}.{command.replace('-', '_')}" if command else None
        first = [own] if own in EXTENSION_COMMAND_MODULES else []
        for module_name in first:
            importlib.import_module(module_name).add_parser(sub)
        if command not in (sub.choices or {}):
            for module_name in EXTENSION_COMMAND_MODULES:
                if module_name not in first:
                    importlib.import_module(module_name).add_parser(sub)
    return parser


PREDICTION_FORMAT_CHOICES = (AUTO, *names(PREDICTION_FORMATS))


CORE_COMMANDS = frozenset({"ingest", "predictions", "datasets", "delete"})
"""The subcommands defined in this module."""


EXTENSION_COMMAND_MODULES = [
    "visionlens_jlab.cli.demo",
    "visionlens_jlab.cli.evaluate",
    "visionlens_jlab.cli.evaluate_mot",
    "visionlens_jlab.cli.embed",
    "visionlens_jlab.cli.search",
    "visionlens_jlab.cli.dedup",
    "visionlens_jlab.cli.maps",
    "visionlens_jlab.cli.blindspots",
    "visionlens_jlab.cli.plugins",
    "visionlens_jlab.cli.export",
    "visionlens_jlab.cli.predict",
    "visionlens_jlab.cli.track",
    "visionlens_jlab.cli.segment",
    "visionlens_jlab.cli.image_quality",
    "visionlens_jlab.cli.edits",
    "visionlens_jlab.cli.label_quality",
    "visionlens_jlab.cli.labelstudio",
    "visionlens_jlab.cli.vlm",
    "visionlens_jlab.cli.select",
    "visionlens_jlab.cli.semantic",
    "visionlens_jlab.cli.bulk",
]
"""Modules whose ``add_parser(subparsers)`` adds a subcommand (demo, evaluate, ...)."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``visionlens``; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command).parse_args(argv)
    if getattr(args, "data_dir", None):
        # plugins (discovered here and in worker processes) find this data dir's folder
        os.environ[DATA_DIR_ENV] = str(resolve_data_dir(args.data_dir))
    try:
        result = args.func(args)
    except CliError as exc:
        return _fail(args, str(exc), exc.code)
    except Exception as exc:
        if not _reported_error(exc):
            raise
        return _fail(args, str(exc), EXIT_FAILED)
    try:
        if args.json:
            print(json.dumps(result, default=str))
        else:
            _print_human(result)
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_closed()
    return EXIT_OK


def _stdout_closed() -> None:
    """The reader closed stdout's pipe (``| head``): the rest goes unread. Stdout points at
    /dev/null from here, so that Python's flush at exit does not fail again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


REPORTED_ERRORS = (
    ("visionlens_jlab.catalog", "CatalogError"),
    ("visionlens_jlab.catalog", "FilterError"),
    ("visionlens_jlab.export.errors", "ExportError"),
    ("visionlens_jlab.records.report", "IngestError"),
    ("visionlens_jlab.jobs", "WorkerError"),
    ("visionlens_jlab.jobs.runners", "RunnerError"),
    ("visionlens_jlab.maps", "MapError"),
    ("visionlens_jlab.media.errors", "MediaError"),
    ("visionlens_jlab.media.errors", "MediaAccessError"),
    ("visionlens_jlab.vectors", "VectorStoreError"),
    ("visionlens_jlab.labelstudio.errors", "LabelStudioError"),
    ("visionlens_jlab.semantic.evaluate", "SemanticEvaluationError"),
    ("visionlens_jlab.semantic.panoptic_quality", "PanopticError"),
)
"""Errors reported as one line with exit code 1 (module, class), besides ``OSError``."""


def _reported_error(exc: Exception) -> bool:
    """Whether ``exc`` is one of :data:`REPORTED_ERRORS` or an ``OSError``. The classes are
    looked up among the modules already imported, not imported here: an error can only have
    been raised by a module that was loaded (and ``vectors`` alone costs ~1.5 s to import)."""
    if isinstance(exc, OSError):
        return True
    for module_name, class_name in REPORTED_ERRORS:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(exc, getattr(module, class_name)):
            return True
    return False


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    if getattr(args, "json", False):
        try:
            print(
                json.dumps(
                    {"errors": [{"code": "failed", "message": message, "count": 1, "examples": []}]}
                ),
                flush=True,
            )
        except BrokenPipeError:
            _stdout_closed()
    print(f"visionlens: error: {message}", file=sys.stderr)
    return code
