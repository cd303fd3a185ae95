"""``visionlens embed``, ``visionlens models`` and ``visionlens reconcile``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..embed.base import EmbedError
from ..jobs.accelerator import DEVICES, DTYPES, PRECISION_ALIASES, dtype_option
from ..jobs.stages import summary as stage_summary
from .common import (
    EXIT_USAGE,
    CliError,
    absolute_path,
    add_common_options,
    add_frames_option,
    batch_size_option,
    job_result,
    run_local_or_remote,
    run_model_job,
)


def add_parser(subparsers: Any) -> None:
    """Register the embedding subcommands on the ``visionlens`` CLI."""
    p = subparsers.add_parser(
        "embed",
        help="compute image embeddings of a dataset (only samples without one)",
        description="Embed a dataset's images with a model (default: open_clip ViT-B-32 "
        "laion2b when its weights are on this machine, else the weight-free built-in "
        "embedder). Only samples without a vector in that model's space are embedded.",
    )
    p.add_argument("dataset")
    p.add_argument("--model", help="builtin-color-gradient, ARCH or ARCH:TAG (see `models`)")
    p.add_argument("--checkpoint", help="local open_clip weights file or exported folder")
    p.add_argument("--device", default="auto", choices=DEVICES)
    p.add_argument(
        "--batch-size",
        type=batch_size_option,
        help="images per forward pass, or auto (the default: grown from the device's default "
        "on the first batches while images/s improves)",
    )
    p.add_argument(
        "--runner",
        default="process",
        help="process (default), kernel[:KERNELSPEC] (server) or ray[:ADDRESS] (a Ray cluster)",
    )
    p.add_argument(
        "--dtype",
        choices=DTYPES,
        help="auto (default: bf16 where the CPU or GPU has it and it matches float32 on the "
        "first batch), float32, bfloat16 or float16",
    )
    p.add_argument(
        "--precision",
        choices=sorted(PRECISION_ALIASES),
        help="deprecated spelling of --dtype: fp32 = float32, bf16 = bfloat16",
    )
    add_frames_option(p)
    _common(p)
    p.set_defaults(func=cmd_embed)

    p = subparsers.add_parser("models", help="list the embedding models usable here")
    p.add_argument("--checkpoint", help="also describe this local checkpoint")
    _common(p)
    p.set_defaults(func=cmd_models)

    p = subparsers.add_parser(
        "embeddings-import",
        help="import embeddings computed elsewhere into a vector space of a dataset",
        description="Import vectors from a Parquet or Arrow file or a folder of Parquet files "
        "(a 'vector' column, or 'embedding' or 'embeddings', beside a sample_id, image_id or "
        "file_name column, or the columns --vector-column and --id-column name), Lightly's "
        "embeddings.csv, or a .npy array with an ids file, into the "
        "space SPACE: searched, mapped and de-duplicated like computed ones. File names match "
        "as written elsewhere too (./x.jpg, train\\x.jpg, absolute paths, URLs). Bad rows "
        "(unknown or ambiguous key, null, wrong dimension, NaN or all-zero vector, duplicate "
        "key) are reported, not imported.",
    )
    p.add_argument("dataset")
    p.add_argument(
        "file",
        help="Parquet, Arrow IPC, Lightly CSV or .npy file of vectors, or a folder of Parquet "
        "files",
    )
    p.add_argument("--space", required=True, help="the space's name (e.g. my-clip)")
    p.add_argument(
        "--ids", help="the keys of a .npy file's rows: text, CSV, a JSON list or a 1-D .npy"
    )
    p.add_argument(
        "--key",
        choices=["sample_id", "image_id", "file_name"],
        help="what the keys are (default: the file's key column; for --ids integers are "
        "sample ids, other keys file names)",
    )
    p.add_argument(
        "--vector-column", metavar="NAME", help="the column of vectors (default: vector)"
    )
    p.add_argument(
        "--id-column",
        metavar="NAME",
        help="the column of keys when it is not named sample_id, image_id or file_name "
        "(e.g. filepath); text is file names, numbers need --key",
    )
    _common(p)
    p.set_defaults(func=cmd_embeddings_import)

    p = subparsers.add_parser(
        "reconcile", help="repair drift between the catalog and the vector store"
    )
    _common(p)
    p.set_defaults(func=cmd_reconcile)


def _common(p: argparse.ArgumentParser) -> None:
    add_common_options(p)


def cmd_embed(args: argparse.Namespace) -> dict[str, Any]:
    from ..embed.job import EmbedOptions, run_embedding
    from ..embed.models import parse_model
    from ..embed.ray_runner import ray_embed_stream
    from ..embed.registry import describe
    from ..embed.stream import embed_stream
    from ..jobs.ray_pipeline import RayRunnerError
    from ..jobs.ray_pool import run_once
    from ..jobs.runners import RunnerError, local_runner
    from ..vectors import open_vector_store

    precision = getattr(args, "precision", None)
    try:
        dtype, _ = dtype_option(args.dtype, precision)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if precision is not None:
        print(f"visionlens: --precision is deprecated: use --dtype {dtype}", file=sys.stderr)
    try:
        spec = parse_model(args.model, args.checkpoint)
        options = EmbedOptions(
            args.dataset, spec, args.device, args.batch_size, args.runner, dtype, args.frames
        )
    except EmbedError as exc:
        raise CliError(str(exc)) from exc
    print(f"visionlens: {describe(spec)}", file=sys.stderr)

    def local(catalog: Any) -> dict[str, Any]:
        try:
            runner = local_runner(args.runner)
        except RunnerError as exc:
            raise CliError(str(exc), EXIT_USAGE) from exc

        def source(items: Any) -> Any:
            if runner.address is not None:  # ray: this process is the driver (and the writer)
                return run_once(
                    runner.address,
                    ray_embed_stream,
                    spec.to_json(),
                    list(items),
                    args.device,
                    args.batch_size,
                    dtype,
                )
            return embed_stream(spec.to_json(), list(items), args.device, args.batch_size, dtype)

        with open_vector_store(catalog.data_dir) as store:
            try:
                result = run_embedding(None, catalog, store, options, source)
            except RayRunnerError as exc:
                raise CliError(str(exc)) from exc
        result["runner"] = f"ray:{runner.address}" if runner.address else "local"
        return result

    def remote(client: Any) -> dict[str, Any]:
        body = {
            "model": args.model,
            "checkpoint": absolute_path(args.checkpoint),
            "device": args.device,
            "batch_size": args.batch_size,
            "runner": args.runner,
            "dtype": dtype,
            "frames": args.frames,
        }
        answer = client.post_json(f"datasets/{args.dataset}/embed", body)
        return job_result(client, answer, "the embedding job was")

    result = run_model_job(args, local, remote)
    if result.get("notice"):
        print(f"visionlens: {result['notice']}", file=sys.stderr)
    if not args.json and result["device"] is None:
        result["text"] = (
            f"{result['dataset']}: nothing to embed, {result['skipped']} samples already have "
            f"a vector in {result['space']}"
        )
    elif not args.json:
        result["text"] = (
            f"{result['dataset']}: embedded {result['embedded']}, skipped {result['skipped']}, "
            f"failed {result['failed']} with {result['model']} ({result['version']}) -> space "
            f"{result['space']} ({result['dim']}-d) on {result['device']} {result['dtype']}, "
            f"{result['images_per_second']} images/s, {result['seconds']} s"
        )
        if result.get("stages"):
            result["text"] += "\n" + stage_summary(result["stages"])
    return result


def cmd_embeddings_import(args: argparse.Namespace) -> dict[str, Any]:
    from ..embed.imported import import_embeddings
    from ..vectors import open_vector_store

    source, ids = absolute_path(args.file), absolute_path(args.ids)

    def local(catalog: Any) -> dict[str, Any]:
        with open_vector_store(catalog.data_dir) as store:
            return import_embeddings(
                None, catalog, store, args.dataset, args.space, str(source), ids=ids,
                key=args.key, vector_column=args.vector_column, id_column=args.id_column,
            )  # fmt: skip

    def remote(client: Any) -> dict[str, Any]:
        body = {"source": source, "space": args.space, "ids": ids, "key": args.key,
                "vector_column": args.vector_column, "id_column": args.id_column}  # fmt: skip
        answer = client.post_json(
            f"datasets/{args.dataset}/embeddings/import",
            {k: v for k, v in body.items() if v is not None},
        )
        return job_result(client, answer, "the embeddings import was")

    result = run_model_job(args, local, remote)
    if not args.json:
        bad = ", ".join(
            f"{r['count']} {code} (e.g. {', '.join(r['examples'][:3])})"
            for code, r in result["rejected"].items()
            if r["count"]
        )
        result["text"] = (
            f"{result['dataset']}: imported {result['imported']} of {result['rows']} vectors "
            f"({result['dim']}-d) into space {result['space']}, {result['seconds']} s"
            # a second import replaces the vectors of the samples it names, keeps the rest
            + (
                f"; replaced the vectors of {result['replaced']} samples, the space holds "
                f"{result['count']}"
                if result.get("replaced")
                else ""
            )  # fmt: skip
            + (f"; rejected {bad}" if bad else "")
        )
    return result


def cmd_models(args: argparse.Namespace) -> dict[str, Any]:
    from ..embed.registry import list_models

    try:
        models = list_models(absolute_path(args.checkpoint))
    except EmbedError as exc:
        raise CliError(str(exc)) from exc
    lines = [
        f"{'*' if m['default'] else ' '} {m['name']:<24} {str(m['pretrained'] or '-'):<28} "
        f"{m['dim'] or '?':>5}-d  {'offline' if m['available_offline'] else 'MISSING':<8} "
        f"{'text' if m['text'] else 'no text':<8} {m['source']}"
        for m in models
    ]
    return {"models": models, "text": "\n".join(lines)} if not args.json else {"models": models}


def cmd_reconcile(args: argparse.Namespace) -> dict[str, Any]:
    from ..embed.spaces import reconcile_all
    from ..vectors import open_vector_store

    def local(catalog: Any) -> dict[str, Any]:
        with open_vector_store(catalog.data_dir) as store:
            return reconcile_all(catalog, store)

    result = run_local_or_remote(args, local, lambda client: client.post_json("vectors/reconcile"))
    if not args.json:
        removed = sum(s["removed"] for s in result["spaces"].values())
        missing = {name: s["missing"] for name, s in result["spaces"].items() if s["missing"]}
        rows = result["space_rows"]
        result["text"] = (
            f"removed {removed} orphan vectors; dropped {len(rows['rows_dropped'])} space "
            f"records, refreshed {rows['rows_refreshed']}; samples without a vector: "
            + (", ".join(f"{k}: {v}" for k, v in missing.items()) or "none")
        )
    return result
