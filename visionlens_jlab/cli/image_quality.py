"""``visionlens image-quality NAME``: cleanvision's image issues, stored as computed fields.

Through the running server's REST API (a job) when one owns the data directory, else in
this process. Prints, per issue type, how many images are flagged and the thresholds used.
"""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_common_options


def add_parser(subparsers: Any) -> None:
    """Register the ``image-quality`` subcommand."""
    p = subparsers.add_parser(
        "image-quality",
        help="score images for dark, light, blurry, low information, odd aspect ratio, "
        "odd size and grayscale (cleanvision's issue types); stores quality fields",
    )
    p.add_argument("dataset", help="dataset name")
    p.add_argument(
        "--workers",
        type=int,
        help="worker processes measuring thumbnails (default: one per core, at most 4)",
    )
    add_common_options(p)
    p.set_defaults(func=cmd_image_quality)


def cmd_image_quality(args: argparse.Namespace) -> dict[str, Any]:
    """Run the image-quality job locally or through the server; returns its summary."""
    from .common import EXIT_USAGE, CliError, job_result, run_local_or_remote

    if args.workers is not None and args.workers < 1:
        raise CliError("--workers must be at least 1", EXIT_USAGE)

    def local(catalog: Any) -> dict[str, Any]:
        from ..image_quality.job import run_image_quality

        return run_image_quality(catalog, args.dataset, workers=args.workers)

    def remote(client: Any) -> dict[str, Any]:
        body = {} if args.workers is None else {"workers": args.workers}
        return job_result(client, client.post_json(f"datasets/{args.dataset}/image-quality", body))

    out = run_local_or_remote(args, local, remote)
    if not args.json:
        out = {"text": summary_text(out), **out}
    return out


def summary_text(result: dict[str, Any]) -> str:
    """One line per issue type: flagged count and thresholds."""
    lines = [f"{result['dataset']}: {result['measured']:,} of {result['images']:,} images measured"]
    for entry in result["issues"]:
        params = ", ".join(f"{k}={v}" for k, v in entry["thresholds"].items())
        lines.append(f"  {entry['issue']:<17} {entry['count']:>8,}  ({params})")
    lines.append("  fields: computed.quality_<issue>_score, computed.is_<issue>_issue")
    return "\n".join(lines)
