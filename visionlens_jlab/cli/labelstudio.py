"""A Label Studio round trip from the command line (issue #28).

* ``visionlens labelstudio-send NAME [--filter JSON] [--selection ID] [--model M [--min-score S]]
  [--title T] --url LS_URL --server-url JUPYTER_URL``: a project of the view's samples,
  pre-annotated with their ground truth (and the model's objects as a prediction); prints
  ``{"project", "url", "tasks", "objects"}``.
* ``visionlens labelstudio-pull NAME --project ID --url LS_URL [--apply]``: the edits that
  bring the ground truth to the annotators' work, ``{"project", "tasks", "annotated",
  "edits": {"added", "deleted", "relabelled", "moved"}, "operations", "skipped", "applied",
  "batch"}``; ``--apply`` applies them as one undoable batch.

The Label Studio token comes from ``--token`` or ``LABEL_STUDIO_API_KEY`` (the SDK's
variable; an environment variable keeps it out of the process list), the URL from ``--url``
or ``LABEL_STUDIO_URL``. Through a running server, the server calls Label Studio and uses
its own URL for the images; without one, ``--server-url`` is the JupyterLab URL the
annotators' browsers open (images need their Jupyter login).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..config import os_user
from .common import (
    CliError,
    add_common_options,
    add_view_options,
    run_local_or_remote,
    view_filter,
)

URL_ENV = "LABEL_STUDIO_URL"
TOKEN_ENV = "LABEL_STUDIO_API_KEY"


def add_parser(subparsers: Any) -> None:
    """Register ``labelstudio-send`` and ``labelstudio-pull``."""
    p = subparsers.add_parser(
        "labelstudio-send", help="send a view to a new Label Studio project, pre-annotated"
    )
    p.add_argument("dataset", help="dataset name")
    add_view_options(p)
    p.add_argument("--model", help="also send this model's objects as a prediction")
    p.add_argument("--min-score", type=float, help="the model's objects at S or above")
    p.add_argument("--title", help="the project's title (default: 'VisionLens: NAME')")
    p.add_argument(
        "--server-url",
        help="without a running server: the JupyterLab URL whose images the annotators open",
    )
    _connection(p)
    add_common_options(p, json_help='print {"project", "url", "tasks", "objects"}')
    p.set_defaults(func=cmd_send)
    p = subparsers.add_parser(
        "labelstudio-pull", help="the annotations of a Label Studio project as label edits"
    )
    p.add_argument("dataset", help="dataset name")
    p.add_argument("--project", type=int, required=True, help="the Label Studio project id")
    p.add_argument("--apply", action="store_true", help="apply the edits (one undoable batch)")
    _connection(p)
    add_common_options(p, json_help='print {"project", "tasks", "annotated", "edits", '
                       '"operations", "skipped", "applied", "batch"}')  # fmt: skip
    p.set_defaults(func=cmd_pull)


def _connection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help=f"Label Studio's URL (default: ${URL_ENV})")
    p.add_argument("--token", help=f"Label Studio's API token (default: ${TOKEN_ENV})")


def _label_studio(args: argparse.Namespace) -> dict[str, str]:
    url = args.url or os.environ.get(URL_ENV)
    token = args.token or os.environ.get(TOKEN_ENV, "")
    if not url:
        raise CliError(f"where is Label Studio? --url or {URL_ENV}", 2)
    return {"url": url, "token": token}


def cmd_send(args: argparse.Namespace) -> dict[str, Any]:
    """Make the project."""
    spec = view_filter(args)
    ls = _label_studio(args)
    options = {"title": args.title, "model": args.model, "min_score": args.min_score}

    def local(catalog: Any) -> dict[str, Any]:
        from ..labelstudio import LabelStudioClient, send_view

        if not args.server_url:
            raise CliError(
                "no VisionLens server runs on this data directory: --server-url is the "
                "JupyterLab URL the annotators open (Label Studio shows the images from it)",
                2,
            )
        client = LabelStudioClient(ls["url"], ls["token"])
        return send_view(catalog, args.dataset, spec, client, args.server_url, **options)

    def remote(client: Any) -> dict[str, Any]:
        body = {"label_studio": ls, "filter": spec, **options}
        return dict(client.post_json(f"datasets/{args.dataset}/labelstudio/projects", body))

    result = run_local_or_remote(args, local, remote)
    if not args.json:
        result["text"] = f"{result['tasks']} tasks, {result['objects']} objects -> {result['url']}"
    return result


def cmd_pull(args: argparse.Namespace) -> dict[str, Any]:
    """Read the project's annotations as edits (and apply them with ``--apply``)."""
    ls = _label_studio(args)

    def local(catalog: Any) -> dict[str, Any]:
        from ..labelstudio import LabelStudioClient, pull_changes

        client = LabelStudioClient(ls["url"], ls["token"])
        return pull_changes(
            catalog, args.dataset, client, args.project, apply=args.apply, user=os_user()
        )

    def remote(client: Any) -> dict[str, Any]:
        body = {"label_studio": ls, "apply": args.apply}
        path = f"datasets/{args.dataset}/labelstudio/projects/{args.project}/pull"
        return dict(client.post_json(path, body))

    result = run_local_or_remote(args, local, remote)
    if not args.json:
        edits = ", ".join(f"{n} {kind}" for kind, n in result["edits"].items())
        done = f"applied as batch {result['batch']}" if result["applied"] else "not applied"
        result["text"] = (
            f"project {result['project']}: {result['annotated']} of {result['tasks']} tasks "
            f"annotated; {edits} ({done}); {len(result['skipped'])} regions skipped"
        )
    return result
