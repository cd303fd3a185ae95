"""``visionlens blindspots NAME --model MODEL``: where the model fails, and is that real."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_common_options


def add_parser(subparsers: Any) -> None:
    """Register the ``blindspots`` subcommand."""
    p = subparsers.add_parser(
        "blindspots",
        help="find slices where an evaluated model is worse (measured attributes, FDR-controlled)",
    )
    p.add_argument("dataset", help="dataset name")
    p.add_argument("--model", required=True, help="an evaluated prediction model")
    p.add_argument("--min-n", type=int, default=50, help="fewest units a claim needs (50)")
    p.add_argument("--fdr", type=float, default=0.05, help="false discovery rate (0.05)")
    p.add_argument("--agent", action="store_true", help="let the configured LLM agent explore")
    p.add_argument(
        "--space", help="cluster the images by their vectors in this space (a sliceable attribute)"
    )
    p.add_argument("--clusters", type=int, default=8, help="k-means clusters of --space (8)")
    add_common_options(p)
    p.set_defaults(func=cmd_blindspots)


def cmd_blindspots(args: argparse.Namespace) -> dict[str, Any]:
    """Run locally or through the server's REST job; returns the result dict."""
    from ..blindspots.api import validate_options
    from ..blindspots.job import blind_spots_run
    from .common import job_result, run_local_or_remote, usage_errors

    with usage_errors():
        validate_options(args.min_n, args.fdr)

    options = {"min_n": args.min_n, "fdr": args.fdr, "agent": args.agent}
    if args.space:
        options.update(space=args.space, clusters=args.clusters)

    def local(catalog: Any) -> dict[str, Any]:
        if not args.space:
            return blind_spots_run(catalog, args.dataset, args.model, **options)
        from ..vectors import open_vector_store

        with open_vector_store(catalog.data_dir) as store:
            return blind_spots_run(catalog, args.dataset, args.model, store=store, **options)

    def remote(client: Any) -> dict[str, Any]:
        body = {"model": args.model, **options}
        return dict(
            job_result(client, client.post_json(f"datasets/{args.dataset}/blindspots", body))
        )

    out = run_local_or_remote(args, local, remote)
    if not args.json:
        out = {"text": summary_text(out), **out}
    return out


def summary_text(result: dict[str, Any]) -> str:
    """Human-readable lines: one per finding, strongest first."""
    lines = [
        f"{result.get('dataset')} / {result.get('model')}: {len(result['findings'])} blind "
        f"spots among {result['tested']} tested slices"
    ]
    for f in result["findings"]:
        ci = f["ci"]
        lines.append(f"- {f['summary']}")
        lines.append(
            f"    effect {f['effect']:+.3f} [{ci[0]:+.3f}, {ci[1]:+.3f}], q {f['q']:.2g}, "
            f"id {f['id']}"
        )
    return "\n".join(lines)
