"""``visionlens select NAME --count K``: choose what to label next and tag it (#49).

Through the running server's REST API (a job) when one owns the data directory, else in
this process (which then opens the catalog, and the vector store for vector strategies).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import add_common_options


def add_parser(subparsers: Any) -> None:
    """Register the ``select`` subcommand."""
    p = subparsers.add_parser(
        "select", help="choose samples to label next (strategies, weights) and tag them"
    )
    p.add_argument("dataset", help="dataset name")
    p.add_argument("--count", type=int, required=True, help="how many samples to choose")
    p.add_argument(
        "--strategy",
        default=None,
        help="strategies as name[:weight],... (default diversity): diversity, typicality, "
        "coverage, representativeness, similar, unlike, balance, uncertainty, entropy, margin, "
        "disagreement, label_quality, image_quality, random",
    )
    p.add_argument("--filter", help="the candidates: a JSON filter as the samples pages take")
    p.add_argument("--space", help="embedding space or model of the vector strategies")
    p.add_argument(
        "--exclude-tag", action="append", default=[], help="leave out samples with this tag"
    )
    p.add_argument(
        "--exclude-labelled",
        action="store_true",
        help="leave out samples with ground truth (objects, image labels or label maps)",
    )
    p.add_argument(
        "--tag",
        help="the tag written on the chosen (default selected-<id>); one already on samples "
        "is added to them (a tag for every round of labelling)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--version", help="choose among the samples as they were at this version")
    p.add_argument("--balance-field", help="balance over this field (default: class)")
    p.add_argument(
        "--model", action="append", default=[], help="the model(s) of uncertainty / disagreement"
    )
    p.add_argument("--reference-tag", help="similar / unlike: the tag of the reference set")
    add_common_options(p)
    p.set_defaults(func=cmd_select)


def _body(args: argparse.Namespace) -> dict[str, Any]:
    """The REST request body of the arguments (checked locally before anything runs)."""
    from .common import EXIT_USAGE, CliError

    try:
        flt = json.loads(args.filter) if args.filter else None
    except ValueError as exc:
        raise CliError(f"--filter is not valid JSON: {exc}", EXIT_USAGE) from exc
    body = {
        "count": args.count, "filter": flt, "space": args.space, "tag": args.tag,
        "seed": args.seed, "version": args.version, "balance_field": args.balance_field,
        "reference_tag": args.reference_tag,
        "strategies": args.strategy.split(",") if args.strategy else None,
        "exclude_tags": args.exclude_tag or None, "models": args.model or None,
        "exclude_labelled": args.exclude_labelled or None,
    }  # fmt: skip
    return {k: v for k, v in body.items() if v is not None}


def cmd_select(args: argparse.Namespace) -> dict[str, Any]:
    """Run the selection locally or through the server; returns the ``--json`` object."""
    from ..catalog import FilterError
    from ..select.request import parse_request
    from ..select.service import run_selection
    from .common import EXIT_USAGE, CliError, job_result, run_local_or_remote

    body = _body(args)
    try:
        request = parse_request(body)
    except FilterError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc

    def local(catalog: Any) -> dict[str, Any]:
        if not request.needs_vectors:
            return run_selection(catalog, None, args.dataset, request)
        from ..vectors import open_vector_store

        with open_vector_store(catalog.data_dir) as store:
            return run_selection(catalog, store, args.dataset, request)

    def remote(client: Any) -> dict[str, Any]:
        answer = client.post_json(f"datasets/{args.dataset}/selections", body)
        return job_result(client, answer, "the selection was")

    out = run_local_or_remote(args, local, remote)
    options = out["options"]
    # fewer chosen than asked must say why: candidates without a vector in the space (a
    # space imported for part of the view) are left out, and were otherwise not reported
    result = {
        "dataset": args.dataset, "id": out["id"], "count": len(out["sample_ids"]),
        "tag": out["tag"], "strategies": request.words(), "sample_ids": out["sample_ids"],
        "seconds": out["seconds"], "asked": request.count, "candidates": options["candidates"],
        "space": out["space"], "without_vectors": options.get("without_vectors", 0),
    }  # fmt: skip
    if not args.json:
        missing = result["without_vectors"]
        result["text"] = (
            f"{args.dataset}: chose {result['count']} of {options['candidates']} "
            f"candidates by {', '.join(result['strategies'])}; tagged {out['tag']!r} "
            f"(selection {out['id']}), {out['seconds']} s"
            + (f"; {missing} candidates without a vector in space {out['space']} were left "
               "out (embed or import theirs, or name another --space)" if missing else "")
        )  # fmt: skip
    return result
