"""Label edits and versions from the command line (issue #28).

* ``visionlens edit NAME --ops OPS.json``: a JSON list of operations (``add``, ``delete``,
  ``relabel``, ``move``, ``mask``, ``accept``, ``tag``, ``untag``, and on image-level labels
  ``classify``, ``unclassify``: :mod:`visionlens_jlab.edits.operations`)
  applied in one transaction; prints ``{"applied": N, "annotations": N}`` (operations
  applied, ground-truth objects after). An invalid operation rejects the whole list with
  its index and the reason (exit 1); nothing is written.
* ``visionlens undo NAME`` / ``visionlens redo NAME``: invert the last batch / the last undo.
* ``visionlens snapshot NAME [--message M]``: ``{"version", "created_at", "message",
  "samples", "annotations"}``; ``visionlens versions NAME``: the list;
  ``visionlens diff NAME V1 V2`` (V may be ``current``): ``{"added", "removed",
  "relabelled", "moved", "samples_changed", "sample_tags", "image_labels", "by_class"}``,
  with ``--model M`` also
  ``evaluation`` (M evaluated on the labels at V1 and at V2, the deltas per class);
  ``visionlens restore NAME V``.

Like every command, each goes through the running server's REST API when one owns the data
directory (the log then records the server's user), and opens the catalog itself otherwise
(the log records the OS user).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..config import os_user
from .common import (
    EXIT_USAGE,
    CliError,
    add_common_options,
    run_local_or_remote,
    usage_errors,
)

DIFF_KEYS = (
    "added", "removed", "relabelled", "moved", "samples_changed", "sample_tags",
    "image_labels", "by_class",
)  # fmt: skip
VERSION_KEYS = ("version", "created_at", "message", "samples", "annotations")


def add_parser(subparsers: Any) -> None:
    """Register ``edit``, ``undo``, ``redo``, ``snapshot``, ``versions``, ``diff`` and
    ``restore``."""
    p = subparsers.add_parser("edit", help="apply a JSON list of label edits in one transaction")
    p.add_argument("dataset", help="dataset name")
    p.add_argument("--ops", required=True, help="a JSON file holding the list of operations")
    add_common_options(p, json_help='print {"applied", "annotations"}')
    p.set_defaults(func=cmd_edit)
    for name, what in (("undo", "the last batch of edits"), ("redo", "the last undo")):
        p = subparsers.add_parser(name, help=f"{name} {what} (itself written to the log)")
        p.add_argument("dataset", help="dataset name")
        add_common_options(p, json_help='print {"applied", "annotations"}')
        p.set_defaults(func=cmd_undo, action=name)
    p = subparsers.add_parser("snapshot", help="name the dataset's labels now as a version")
    p.add_argument("dataset", help="dataset name")
    p.add_argument("--message", default="", help="what this version is")
    add_common_options(p, json_help='print {"version", "created_at", "message", "samples", '
                       '"annotations"}')  # fmt: skip
    p.set_defaults(func=cmd_snapshot)
    p = subparsers.add_parser("versions", help="list the versions of a dataset's labels")
    p.add_argument("dataset", help="dataset name")
    add_common_options(p, json_help='print {"versions": [...]}')
    p.set_defaults(func=cmd_versions)
    p = subparsers.add_parser("diff", help="what changed between two versions")
    p.add_argument("dataset", help="dataset name")
    p.add_argument("v1", help="a version number or 'current'")
    p.add_argument("v2", help="a version number or 'current'")
    p.add_argument("--model", help="also evaluate this model's predictions on the labels at "
                   "V1 and at V2: the evaluation deltas, in total and per class")  # fmt: skip
    p.add_argument("--protocol", default="coco", choices=["coco", "voc"],
                   help="with --model: the evaluation protocol (bbox)")  # fmt: skip
    p.add_argument("--iou", type=float, default=0.5,
                   help="with --model: the IoU threshold (VOC's AP; COCO's counts)")  # fmt: skip
    add_common_options(p, json_help='print {"added", "removed", "relabelled", "moved", '
                       '"samples_changed", "sample_tags", "by_class"} (and "evaluation" with --model)')  # fmt: skip
    p.set_defaults(func=cmd_diff)
    p = subparsers.add_parser("restore", help="make the labels what they were at a version")
    p.add_argument("dataset", help="dataset name")
    p.add_argument("version", type=int, help="a version number")
    add_common_options(p, json_help='print {"applied", "annotations"}')
    p.set_defaults(func=cmd_restore)


def cmd_edit(args: argparse.Namespace) -> dict[str, Any]:
    """Apply the operations of ``--ops``."""
    with usage_errors():
        with open(args.ops, encoding="utf-8") as f:
            ops = json.load(f)

    def local(catalog: Any) -> dict[str, Any]:
        from ..edits import apply_edits

        return apply_edits(catalog, args.dataset, ops, os_user())

    def remote(client: Any) -> dict[str, Any]:
        return dict(client.post_json(f"datasets/{args.dataset}/edits", {"operations": ops}))

    return _applied(args, run_local_or_remote(args, local, remote))


def cmd_undo(args: argparse.Namespace) -> dict[str, Any]:
    """Undo or redo (``args.action``)."""

    def local(catalog: Any) -> dict[str, Any]:
        from .. import edits
        from ..vectors import LazyVectorStore

        # opened only for a batch that deleted samples with vectors (put back or taken)
        vectors = LazyVectorStore(catalog, catalog.data_dir)
        try:
            return dict(getattr(edits, args.action)(catalog, args.dataset, os_user(), vectors.get))
        finally:
            vectors.close()

    def remote(client: Any) -> dict[str, Any]:
        return dict(client.post_json(f"datasets/{args.dataset}/edits/{args.action}"))

    return _applied(args, run_local_or_remote(args, local, remote))


def cmd_restore(args: argparse.Namespace) -> dict[str, Any]:
    """Restore version ``args.version``."""

    def local(catalog: Any) -> dict[str, Any]:
        from ..edits import restore_version

        return restore_version(catalog, args.dataset, args.version, os_user())

    def remote(client: Any) -> dict[str, Any]:
        return dict(client.post_json(f"datasets/{args.dataset}/versions/{args.version}/restore"))

    return _applied(args, run_local_or_remote(args, local, remote))


def _applied(args: argparse.Namespace, result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "applied": int(result["applied"]),
        "annotations": int(result["annotations"]),
    }
    if not args.json:
        out["text"] = (
            f"{args.dataset}: {out['applied']} operations applied (batch {result['batch']}); "
            f"{out['annotations']} ground-truth objects"
        )
    return out


def cmd_snapshot(args: argparse.Namespace) -> dict[str, Any]:
    """Create a version."""

    def local(catalog: Any) -> dict[str, Any]:
        from ..edits import snapshot

        return snapshot(catalog, args.dataset, args.message, os_user())

    def remote(client: Any) -> dict[str, Any]:
        return dict(
            client.post_json(f"datasets/{args.dataset}/versions", {"message": args.message})
        )

    version = run_local_or_remote(args, local, remote)
    out = {k: version[k] for k in VERSION_KEYS}
    if not args.json:
        out["text"] = _version_line(version)
    return out


def _version_line(v: dict[str, Any]) -> str:
    return (
        f"v{v['version']}  {v['created_at'][:19]}  {v['samples']} samples  "
        f"{v['annotations']} objects  {v['message']}"
    )


def cmd_versions(args: argparse.Namespace) -> dict[str, Any]:
    """List the versions."""

    def local(catalog: Any) -> dict[str, Any]:
        from ..edits import list_versions

        return {"versions": list_versions(catalog, args.dataset)}

    def remote(client: Any) -> dict[str, Any]:
        return dict(client.get_json(f"datasets/{args.dataset}/versions"))

    listed = run_local_or_remote(args, local, remote)
    out: dict[str, Any] = {
        "versions": [{k: v[k] for k in VERSION_KEYS} for v in listed["versions"]]
    }
    if not args.json:
        lines = [_version_line(v) for v in listed["versions"]]
        out["text"] = (
            "\n".join(lines) or f"{args.dataset} has no versions yet: `visionlens snapshot`"
        )
    return out


def cmd_diff(args: argparse.Namespace) -> dict[str, Any]:
    """The diff of two versions (with ``--model``, its evaluation deltas). A bad version,
    model or parameter is a usage error (exit 2), locally or through the server."""
    for v in (args.v1, args.v2):
        if v != "current" and not v.isdigit():
            raise CliError(f"a version is a number or 'current', got {v!r}", EXIT_USAGE)
    evaluated: dict[str, Any] = (
        {} if args.model is None
        else {"model": args.model, "protocol": args.protocol, "iou": args.iou}
    )  # fmt: skip

    def local(catalog: Any) -> dict[str, Any]:
        from ..catalog import CatalogError
        from ..edits import diff_versions

        try:
            return diff_versions(catalog, args.dataset, args.v1, args.v2, **evaluated)
        except CatalogError as exc:
            raise CliError(str(exc), EXIT_USAGE) from exc

    def remote(client: Any) -> dict[str, Any]:
        from ..rest_client import VisionLensError

        params = {"from": args.v1, "to": args.v2, **evaluated}
        try:
            return dict(client.get_json(f"datasets/{args.dataset}/versions/diff", **params))
        except VisionLensError as exc:
            if exc.status in (400, 404):
                raise CliError(f"the VisionLens server refused: {exc}", EXIT_USAGE) from exc
            raise

    diff = run_local_or_remote(args, local, remote)
    out = {k: diff[k] for k in DIFF_KEYS}
    if args.model is not None:
        out["evaluation"] = diff["evaluation"]
    if not args.json:
        lines = [f"{args.v1} -> {args.v2}: " + ", ".join(f"{diff[k]} {k}" for k in DIFF_KEYS[:5])]
        tags = diff["sample_tags"]
        if tags["added"] or tags["removed"]:
            lines.append(f"  sample tags: {tags['added']} added, {tags['removed']} removed")
        image = diff["image_labels"]
        if image["added"] or image["removed"]:
            lines.append(f"  image labels: {image['added']} added, {image['removed']} removed")
        for label, counts in diff["by_class"].items():
            shown = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
            lines.append(f"  {label}: {shown}")
        if args.model is not None:
            lines.extend(evaluation_lines(diff["evaluation"]))
        out["text"] = "\n".join(lines)
    return out


def evaluation_lines(evaluation: dict[str, Any]) -> list[str]:
    """The evaluation deltas as text: the headline numbers, then each class whose numbers
    changed (AP and the counts)."""
    head = "AP" if evaluation["method"] == "coco" else "mAP"
    lines = [
        f"{evaluation['method'].upper()} evaluation of {evaluation['model']!r} "
        f"(IoU {evaluation['iou']:g}): {head} {_change(evaluation, head)}, "
        + ", ".join(f"{k.upper()} {_change(evaluation, k)}" for k in ("tp", "fp", "fn"))
    ]
    for label, sides in evaluation["by_class"].items():
        if any(v not in (0, None) for v in sides["delta"].values()):
            shown = ", ".join(f"{k} {_change(sides, k)}" for k in ("AP", "tp", "fp", "fn"))
            lines.append(f"  {label}: {shown}")
    return lines


def _change(sides: dict[str, Any], key: str) -> str:
    """``from -> to`` of one number (``n/a`` where undefined)."""

    def shown(value: Any) -> str:
        if value is None:
            return "n/a"
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    return f"{shown(sides['from'][key])} -> {shown(sides['to'][key])}"
