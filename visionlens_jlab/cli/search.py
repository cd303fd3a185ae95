"""``visionlens search NAME (--like ID | --text T | --image PATH)``: similarity search.

Through the running server's REST API when one owns the data directory, else locally
(this process opens the catalog and the vector store).
"""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path
from typing import Any

from ..search.limits import DEFAULT_K, MAX_IMAGE_BYTES
from .common import add_common_options


def add_parser(subparsers: Any) -> None:
    """Register the ``search`` subcommand."""
    p = subparsers.add_parser(
        "search", help="samples most similar to a sample, an image or a text (within a filter)"
    )
    p.add_argument("dataset", help="dataset name")
    query = p.add_mutually_exclusive_group(required=True)
    query.add_argument("--like", type=int, metavar="ID", help="a sample id of the dataset")
    query.add_argument("--text", metavar="T", help="a text (needs a CLIP model's vectors)")
    query.add_argument("--image", metavar="PATH", help="an image file")
    p.add_argument("--k", type=int, default=DEFAULT_K, help=f"results (default {DEFAULT_K})")
    p.add_argument("--filter", metavar="JSON", help="samples filter, as in the REST API")
    p.add_argument("--model", help="embedding model (default: the dataset's newest vectors)")
    add_common_options(p)
    p.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace) -> dict[str, Any]:
    """Run the search locally or through the server; returns the REST answer."""
    from ..vectors import VectorStoreError
    from .common import EXIT_USAGE, CliError, run_local_or_remote

    flt = None
    if args.filter:
        try:
            flt = json.loads(args.filter)
        except ValueError as exc:
            raise CliError(f"--filter is not valid JSON: {exc}", EXIT_USAGE) from exc
    image = None
    if args.image:
        path = Path(args.image)
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise CliError(f"{path} is larger than {MAX_IMAGE_BYTES:,} bytes", EXIT_USAGE)
        image = path.read_bytes()

    def local(catalog: Any) -> dict[str, Any]:
        from ..search.captioned import text_search
        from ..search.engine import Query, search
        from ..vectors import open_vector_store

        query = Query(like=args.like, text=args.text, image=image)
        with open_vector_store(catalog.data_dir) as store:
            if args.text is not None:  # captions rank too, as through the server
                return text_search(
                    catalog, store, args.dataset, args.text, filter_spec=flt, k=args.k,
                    model=args.model,
                )  # fmt: skip
            return search(
                catalog, store, args.dataset, query, filter_spec=flt, k=args.k, model=args.model
            )

    def remote(client: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"k": args.k, "filter": flt, "model": args.model}
        if args.like is not None:
            body["like"] = args.like
        elif args.text is not None:
            body["text"] = args.text
        else:
            body["image"] = base64.b64encode(image or b"").decode()
        return dict(client.post_json(f"datasets/{args.dataset}/search", body))

    try:
        out = run_local_or_remote(args, local, remote)
    except VectorStoreError as exc:
        raise CliError(str(exc)) from exc
    if not args.json:
        lines = [f"{len(out['results'])} results ({out['model']}):"]
        lines += [
            f"{rank:>4}. {r['score']:.4f}  {r['sample_id']:>10}  {r['file_name']}"
            for rank, r in enumerate(out["results"], 1)
        ]
        out = {"text": "\n".join(lines), **out}
    return out
