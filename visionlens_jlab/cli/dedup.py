"""``visionlens duplicates NAME``: exact, perceptual and near duplicates, and leaks.

Through the running server's REST API (a job) when one owns the data directory, else in
this process (which then opens the catalog and the vector store itself).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..dedup.near import DEFAULT_THRESHOLD
from .common import add_common_options

LEAKS_PRINTED = 20


def add_parser(subparsers: Any) -> None:
    """Register the ``duplicates`` subcommand."""
    p = subparsers.add_parser(
        "duplicates", help="find duplicate images and train/val leaks; stores dup_* fields"
    )
    p.add_argument("dataset", help="dataset name")
    p.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"cosine similarity of near duplicates (default {DEFAULT_THRESHOLD})",
    )
    p.add_argument(
        "--exact",
        action="store_true",
        help="exact all-pairs near-duplicate search (default: the approximate IVF self-join, "
        "recall >= 0.95, much faster above ~10K vectors)",
    )
    p.add_argument(
        "--no-hashes", action="store_true", help="skip reading the images (content hash, pHash)"
    )
    p.add_argument("--model", help="embedding model (default: the dataset's newest vectors)")
    add_common_options(p)
    p.set_defaults(func=cmd_duplicates)


def cmd_duplicates(args: argparse.Namespace) -> dict[str, Any]:
    """Run the duplicates job locally or through the server; returns its result."""
    from ..dedup.job import check_threshold, run_duplicates
    from ..vectors import VectorStoreError
    from .common import EXIT_USAGE, CliError, job_result, run_local_or_remote

    try:
        threshold = check_threshold(args.threshold)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc

    def local(catalog: Any) -> dict[str, Any]:
        from ..vectors import open_vector_store

        with open_vector_store(catalog.data_dir) as store:
            result = run_duplicates(
                catalog, store, args.dataset, threshold=threshold, exact=args.exact,
                model=args.model, hashes=not args.no_hashes,
            )  # fmt: skip
        return {k: v for k, v in result.items() if k != "pair_list"}

    def remote(client: Any) -> dict[str, Any]:
        body = {
            "threshold": threshold,
            "exact": args.exact,
            "hashes": not args.no_hashes,
            "model": args.model,
        }
        return job_result(client, client.post_json(f"datasets/{args.dataset}/duplicates", body))

    try:
        out = run_local_or_remote(args, local, remote)
    except VectorStoreError as exc:
        raise CliError(str(exc)) from exc
    if not args.json:
        out = {"text": summary_text(out), **out}
    return out


def summary_text(result: dict[str, Any]) -> str:
    """A few lines for a terminal: pairs per kind, groups, leaks."""
    counts = ", ".join(f"{v['pairs']} {k}" for k, v in result["counts"].items()) or "none"
    lines = [
        f"{result['dataset']}: {result['pairs']} duplicate pairs ({counts}) in "
        f"{len(result['groups'])} groups; {len(result['leaks'])} leaks",
        *result.get("notes", []),
    ]
    for leak in result["leaks"][:LEAKS_PRINTED]:
        lines.append(
            f"  leak: {leak['split']} {leak['sample_id']} ~ {leak['duplicate_split']} "
            f"{leak['duplicate_id']} ({'/'.join(leak.get('kinds', [leak['kind']]))}, {leak['similarity']:.4f})"
        )
    if len(result["leaks"]) > LEAKS_PRINTED:
        lines.append(f"  ... {len(result['leaks']) - LEAKS_PRINTED} more (--json for all)")
    return "\n".join(lines)
