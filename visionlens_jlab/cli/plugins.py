"""``visionlens plugins`` (the plugins list) and ``visionlens plugin-field NAME --plugin P``.

Through the running server's REST API when one owns the data directory (its list shows
failures seen since it started), else in this process.
"""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_common_options


def add_parser(subparsers: Any) -> None:
    """Register the ``plugins`` and ``plugin-field`` subcommands."""
    p = subparsers.add_parser("plugins", help="list plugins: versions, hooks, status, errors")
    add_common_options(p)
    p.set_defaults(func=cmd_plugins)

    p = subparsers.add_parser(
        "plugin-field", help="compute a plugin's sample field(s) for a dataset (computed.<f>)"
    )
    p.add_argument("dataset", help="dataset name")
    p.add_argument("--plugin", required=True, help="plugin name (see `visionlens plugins`)")
    p.add_argument("--field", help="one of the plugin's fields (default: all of them)")
    add_common_options(p)
    p.set_defaults(func=cmd_plugin_field)


def _local_registry() -> Any:
    """This process's registry (``visionlens`` exported ``--data-dir`` for it)."""
    from ..plugins.registry import default_registry

    return default_registry()


def cmd_plugins(args: argparse.Namespace) -> dict[str, Any]:
    """The plugins document (``GET plugins``); a table unless ``--json``."""
    from ..config import resolve_data_dir
    from ..rest_client import VisionLensError
    from .common import CliError, server_client

    client = server_client(resolve_data_dir(args.data_dir))
    if client is not None:
        try:
            document: dict[str, Any] = client.get_json("plugins")
        except VisionLensError as exc:
            raise CliError(f"the VisionLens server refused: {exc}") from exc
    else:
        document = _local_registry().document()
    return document if args.json else {"text": format_plugins(document)}


def format_plugins(document: dict[str, Any]) -> str:
    """The plugins list as text, one plugin a line (errors on the line below)."""
    lines = [f"plugin API {document['api_version']}"]
    for p in document["plugins"]:
        hooks = ", ".join(p["hooks"]) or "-"
        lines.append(
            f"{p['name']:<20} {p['version'] or '-':<10} api {p['api_version'] or '-':<5} "
            f"{p['status']:<8} {p['source']:<11} {hooks}"
        )
        if p["error"]:
            lines.append(f"  error: {p['error']}")
    if not document["plugins"]:
        lines.append("no plugins installed (entry point group 'visionlens.plugins')")
    return "\n".join(lines)


def cmd_plugin_field(args: argparse.Namespace) -> dict[str, Any]:
    """Compute a plugin's field(s) locally or as a server job; returns the counts."""
    from ..plugins.discovery import PluginError
    from .common import CliError, job_result, run_local_or_remote

    def local(catalog: Any) -> dict[str, Any]:
        from ..plugins.field_job import compute_plugin_fields, plugin_fields_to_compute
        from ..plugins.install import install_plugin_hooks

        registry = _local_registry()
        install_plugin_hooks(registry)
        fields = plugin_fields_to_compute(registry, args.plugin, args.field)
        return compute_plugin_fields(catalog, registry, args.dataset, args.plugin, fields)

    def remote(client: Any) -> dict[str, Any]:
        body = {"plugin": args.plugin, "field": args.field}
        return job_result(client, client.post_json(f"datasets/{args.dataset}/plugin-fields", body))

    try:
        result = run_local_or_remote(args, local, remote)
    except PluginError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        return result
    counts = ", ".join(f"computed.{f}: {n} samples" for f, n in result["fields"].items())
    return {"text": f"{result['dataset']}: plugin {result['plugin']}: {counts}"}
