"""``visionlens demo``: generate the demo dataset and ingest it (idempotent).

Without ``--force`` an existing dataset of that name is left alone (exit 0), so ``make run``
can call this every time. Files are generated under ``{data_dir}/demo-sources/{name}`` and
reused when a complete copy made with the same ``--images`` and ``--seed`` is already there.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ..catalog.store.catalog import validate_name
from ..config import resolve_data_dir
from ..demo.generator import DemoFiles, existing_demo, generate_demo
from ..demo.ingest import CLASSIFIER_NAME, dataset_counts
from ..demo.signatures import MODEL_NAME
from .common import add_common_options, job_result

DEMO_SOURCES = "demo-sources"
ENDED = "the server's job ended"
"""How a demo job that did not finish is named in the error (its status follows)."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``demo`` subcommand on the ``visionlens`` CLI."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="generate and ingest the demo dataset (shapes + a simulated model)",
        description="Generate the demo dataset (drawn shapes, COCO ground truth, predictions "
        "of a simulated model with known blind spots, see docs/demo.md) and ingest it. An "
        "existing dataset of that name is left alone unless --force.",
    )
    p.add_argument("--images", type=_positive, default=3000, help="number of images (3000)")
    p.add_argument("--name", default="demo", help="dataset name (demo)")
    p.add_argument("--seed", type=int, default=0, help="random seed (0)")
    p.add_argument(
        "--force", action="store_true", help="delete an existing dataset of that name first"
    )
    p.add_argument(
        "--no-embed",
        action="store_true",
        help="skip computing the built-in embeddings (done by default, incrementally)",
    )
    add_common_options(p)
    p.set_defaults(func=cmd_demo)
    return p


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of images, got {text!r}")
    return value


def demo_dir(data_dir: Path, name: str) -> Path:
    """Where the files of demo ``name`` are generated."""
    return data_dir / DEMO_SOURCES / validate_name(name)


def _say(args: argparse.Namespace, message: str) -> None:
    # stdout carries the single result (one JSON object with --json); chatter goes to stderr
    if not args.json:
        print(message, file=sys.stderr, flush=True)


def _files(args: argparse.Namespace, data_dir: Path) -> tuple[DemoFiles, float | None]:
    """The demo files, generated unless a matching complete copy exists (and no --force)."""
    out_dir = demo_dir(data_dir, args.name)
    if not args.force:
        files = existing_demo(out_dir, images=args.images, seed=args.seed)
        if files is not None:
            _say(args, f"reusing the demo files in {out_dir}")
            return files, None
    _say(args, f"generating {args.images} demo images in {out_dir} ...")
    start = time.perf_counter()
    files = generate_demo(out_dir, images=args.images, seed=args.seed)
    return files, round(time.perf_counter() - start, 2)


def _result(summary: dict[str, Any], files: DemoFiles | None, seconds: float | None,
            created: bool, message: str) -> dict[str, Any]:  # fmt: skip
    out = dict(summary)
    out.update(created=created, message=message)
    out.setdefault("warnings", [])
    out.setdefault("errors", [])
    if files is not None:
        out["files"] = {
            "annotations": str(files.annotations),
            "predictions": str(files.predictions),
            "images": str(files.images),
            "blind_spots": str(files.blind_spots),
            "image_labels": str(files.image_labels),
            "classifier": str(files.classifier),
        }
    if seconds is not None:
        out["generate_seconds"] = seconds
    return out


def _exists_message(args: argparse.Namespace, counts: dict[str, Any]) -> str:
    return (
        f"dataset {args.name!r} already exists ({counts['samples']} samples); nothing to do. "
        f"Use --force to regenerate it."
    )


def cmd_demo(args: argparse.Namespace) -> dict[str, Any]:
    """Generate (or reuse) the demo files and ingest them, locally or through the server."""
    from .common import run_local_or_remote

    data_dir = resolve_data_dir(args.data_dir)
    validate_name(args.name)

    def local(catalog: Any) -> dict[str, Any]:
        from ..demo.ingest import demo_counts, ingest_demo
        from ..vectors.lazy import delete_dataset_and_vectors

        counts = demo_counts(catalog, args.name)
        if counts is not None and not args.force:
            message = _exists_message(args, counts)
            _say(args, message)
            return _result(counts, None, None, False, message)
        files, seconds = _files(args, data_dir)
        if counts is not None:  # its vectors too: a new dataset may take its ids
            delete_dataset_and_vectors(catalog, args.name)
        _say(args, f"ingesting {files.annotations} as {args.name!r} ...")
        summary = ingest_demo(catalog, files, args.name)
        return _result(summary, files, seconds, True, f"demo dataset {args.name!r} is ready")

    def remote(client: Any) -> dict[str, Any]:
        counts = _remote_counts(client, args.name)
        if counts is not None and not args.force:
            message = _exists_message(args, counts)
            _say(args, message)
            return _result(counts, None, None, False, message)
        files, seconds = _files(args, data_dir)
        if counts is not None:
            client.delete(f"datasets/{args.name}")
        _say(args, f"ingesting {files.annotations} as {args.name!r} through the running server")
        body = {"source": str(files.annotations), "name": args.name, "format": "coco",
                "images": str(files.images), "image_labels": str(files.image_labels)}  # fmt: skip
        dataset = job_result(client, client.post_json("datasets", body), ENDED)
        try:
            body = {"source": str(files.predictions), "model": MODEL_NAME, "format": "coco"}
            preds = job_result(
                client, client.post_json(f"datasets/{args.name}/predictions", body), ENDED
            )
            body = {"source": str(files.classifier), "model": CLASSIFIER_NAME,
                    "format": "classification"}  # fmt: skip
            classifier = job_result(
                client, client.post_json(f"datasets/{args.name}/predictions", body), ENDED
            )
        except BaseException:
            client.delete(f"datasets/{args.name}")
            raise
        summary = dict(dataset)
        summary.update(
            predictions=preds.get("predictions", 0) + classifier.get("predictions", 0),
            model=f"{MODEL_NAME}, {CLASSIFIER_NAME}",
            warnings=[
                *dataset.get("warnings", []),
                *preds.get("warnings", []),
                *classifier.get("warnings", []),
            ],
            errors=[
                *dataset.get("errors", []),
                *preds.get("errors", []),
                *classifier.get("errors", []),
            ],
        )
        return _result(summary, files, seconds, True, f"demo dataset {args.name!r} is ready")

    result = run_local_or_remote(args, local, remote)
    if not args.no_embed:
        result["embeddings"] = _embed(args)
    return result


def _embed(args: argparse.Namespace) -> dict[str, Any]:
    """Weight-free built-in embeddings of the demo (only samples without one), so the
    offline demo has vectors for search and duplicates."""
    from ..embed.models import BUILTIN
    from .embed import add_parser as add_embed_parser
    from .embed import cmd_embed

    _say(args, "computing the built-in embeddings (--no-embed skips this) ...")
    # the embed command's own parser: every option it reads gets its default
    parser = argparse.ArgumentParser(prog="visionlens")
    add_embed_parser(parser.add_subparsers())
    argv = ["embed", args.name, "--model", BUILTIN.name, "--device", "cpu", "--json"]
    if args.data_dir is not None:
        argv += ["--data-dir", str(args.data_dir)]
    embed_args = parser.parse_args(argv)
    out = cmd_embed(embed_args)
    return {k: out[k] for k in ("model", "space", "dim", "embedded", "skipped", "failed")}


def _remote_counts(client: Any, name: str) -> dict[str, Any] | None:
    for ds in client.get_json("datasets")["datasets"]:
        if ds["name"] == name:
            return dataset_counts(ds)
    return None
