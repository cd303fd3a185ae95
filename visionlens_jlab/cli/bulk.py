"""``visionlens subset NAME (--filter JSON | --tag T | --selection ID) --to NEW``: a view of a
dataset becomes a new, independent dataset (its labels, predictions, evaluations' per-object
results, tags, fields and embeddings' vectors copied; media shared).

``visionlens delete-samples NAME (--filter JSON | --tag T | --selection ID) --yes`` (or
``visionlens delete NAME <view> --yes``): the view's samples deleted with every row and
vector of theirs as one undoable batch (visionlens_jlab/bulk/delete_samples.py; through
``POST /datasets/{name}/edits/delete_samples`` when a server owns the data directory).

``visionlens merge SRC --into DST --key file_name|image_id``: SRC's samples merged into DST
(visionlens_jlab/bulk/merge.py; through ``POST /datasets/{DST}/merge`` when a server owns
the data directory).

``visionlens delete NAME (--filter JSON | --tag T | --selection ID) --labels SOURCE --yes``:
the labels of SOURCE on the view's samples deleted as one undoable batch of the edit log
(visionlens_jlab/bulk/delete_labels.py; through ``POST /datasets/{name}/edits/delete_labels``
when a server owns the data directory).

With a server owning the data directory the copy is its job (``POST
/datasets/{name}/subset``); without one the command copies on the catalog and vector store
itself. All or nothing either way (visionlens_jlab/bulk/subset.py).
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import quote

from .common import add_common_options, add_view_options, view_filter


def add_parser(subparsers: Any) -> None:
    """Register the ``subset`` subcommand."""
    p = subparsers.add_parser(
        "subset", help="copy a view of a dataset (filter, tag, selection) into a new dataset"
    )
    p.add_argument("dataset", help="the dataset to copy from")
    p.add_argument("--to", required=True, metavar="NEW", help="the new dataset's name")
    add_tag_option(p)
    add_view_options(p)
    add_common_options(
        p, json_help='print {"dataset", "source", "samples", "annotations", "vectors", '
        '"evaluations"}'
    )  # fmt: skip
    p.set_defaults(func=cmd_subset)

    p = subparsers.add_parser(
        "delete-samples",
        help="delete the samples of a view (filter, tag, selection) with every label and "
        "vector of theirs, as one undoable edit (visionlens undo NAME)",
    )
    p.add_argument("dataset", help="the dataset to delete samples of")
    add_tag_option(p)
    add_view_options(p)
    p.add_argument("--yes", action="store_true", help="confirm deleting the view's samples")
    add_common_options(
        p, json_help='print {"samples", "labels", "vectors", "batch", "kind", "annotations"}'
    )
    p.set_defaults(func=cmd_delete_samples)

    p = subparsers.add_parser(
        "merge", help="merge one dataset's samples into another, matched by file name or image id"
    )
    p.add_argument("dataset", help="the dataset merged (it stays as it is)")
    p.add_argument("--into", required=True, metavar="DST", help="the dataset merged into")
    p.add_argument("--key", required=True, choices=("file_name", "image_id"))
    add_common_options(
        p, json_help='print {"source", "target", "key", "matched", "added", "labels", '
        '"size_conflicts", "missing_classes", "vectors", "label_maps"}'
    )  # fmt: skip
    p.set_defaults(func=cmd_merge)


def add_tag_option(parser: argparse.ArgumentParser) -> None:
    """``--tag T``: only the samples tagged T (with ``--filter`` / ``--selection``: both)."""
    parser.add_argument("--tag", metavar="T", help="only the samples carrying sample tag T")


def tagged_view(args: argparse.Namespace) -> dict[str, Any] | None:
    """The view of :func:`add_view_options` and ``--tag``: every sample they all select."""
    spec = view_filter(args)
    if args.tag is None:
        return spec
    spec = dict(spec or {})
    tags = dict(spec.get("tags") or {})
    tags["all"] = [*tags.get("all", []), args.tag]
    spec["tags"] = tags
    return spec


def cmd_subset(args: argparse.Namespace) -> dict[str, Any]:
    """Copy the view into ``--to``, here or through the server, and return the result."""
    from .common import job_result, run_local_or_remote

    spec = tagged_view(args)

    def local(catalog: Any) -> dict[str, Any]:
        from ..bulk.subset import subset_dataset
        from ..vectors import LazyVectorStore

        vectors = LazyVectorStore(catalog, catalog.data_dir)
        try:
            return subset_dataset(
                catalog, args.dataset, args.to, spec, vectors=vectors.get
            ).to_dict()
        finally:
            vectors.close()

    def remote(client: Any) -> dict[str, Any]:
        body = {"to": args.to, "filter": spec}
        return job_result(client, client.post_json(f"datasets/{args.dataset}/subset", body))

    result = run_local_or_remote(args, local, remote)
    if not args.json:
        copied = ", ".join(f"{n} vectors of {s}" for s, n in result["vectors"].items())
        result = {
            "text": f"{result['samples']} samples, {result['annotations']} labels of "
            f"{result['source']} -> new dataset {result['dataset']}"
            + (f" ({copied})" if copied else ""),
            **result,
        }
    return result


def add_delete_view_options(parser: argparse.ArgumentParser) -> None:
    """The ``delete`` command's view options (without them it deletes the whole dataset)."""
    add_tag_option(parser)
    add_view_options(parser)
    parser.add_argument(
        "--labels",
        metavar="SOURCE",
        help="delete the labels of SOURCE (ground_truth or a model) on the view's samples, "
        "as one undoable edit (visionlens undo NAME)",
    )
    parser.add_argument(
        "--model",
        metavar="MODEL",
        help="delete model MODEL from the dataset: every prediction of it (objects, image "
        "labels, label maps), its evaluations and its models row; not undoable",
    )
    parser.add_argument(
        "--yes", action="store_true", help="confirm deleting a view's labels or a model"
    )


def names_a_view(args: argparse.Namespace) -> bool:
    """Whether ``delete`` was given a view or ``--labels`` (not the whole dataset)."""
    return any(v is not None for v in (args.filter, args.selection, args.tag, args.labels))


def cmd_delete_view(args: argparse.Namespace) -> dict[str, Any]:
    """Delete the labels of ``--labels`` on the view's samples as one batch of the log."""
    from .common import EXIT_USAGE, CliError, run_local_or_remote

    if args.labels is None:
        return cmd_delete_samples(args)
    if not args.yes:
        raise CliError(
            "deleting labels needs --yes (it can be undone: visionlens undo)", EXIT_USAGE
        )
    spec = tagged_view(args)

    def local(catalog: Any) -> dict[str, Any]:
        from ..bulk.delete_labels import delete_view_labels
        from ..config import os_user

        return delete_view_labels(catalog, args.dataset, spec, args.labels, os_user())

    def remote(client: Any) -> dict[str, Any]:
        body = {"filter": spec, "source": args.labels}
        return dict(client.post_json(f"datasets/{args.dataset}/edits/delete_labels", body))

    result = run_local_or_remote(args, local, remote)
    if not args.json:
        result = {
            "text": f"deleted {result['deleted']} labels of {result['source']} from "
            f"{args.dataset} (batch {result['batch']}; undo: visionlens undo {args.dataset})",
            **result,
        }
    return result


def cmd_delete_model(args: argparse.Namespace) -> dict[str, Any]:
    """Delete ``--model`` from the dataset (visionlens_jlab/bulk/delete_model.py); without
    ``--yes`` nothing is written and the usage error says what would go."""
    from ..rest_client import dataset_path
    from .common import EXIT_USAGE, CliError, run_local_or_remote

    if names_a_view(args):
        raise CliError("--model deletes a whole model: it takes no view nor --labels", EXIT_USAGE)
    path = dataset_path(args.dataset, "models", quote(args.model, safe=""))

    def run(dry_run: bool) -> dict[str, Any]:
        def local(catalog: Any) -> dict[str, Any]:
            from ..bulk.delete_model import delete_model

            return delete_model(catalog, args.dataset, args.model, dry_run=dry_run)

        def remote(client: Any) -> dict[str, Any]:
            return dict(client.delete(path + ("?dry_run=true" if dry_run else "")))

        return run_local_or_remote(args, local, remote)

    if not args.yes:
        raise CliError(
            f"deleting model {args.model!r} from {args.dataset!r} would delete "
            f"{model_counts(run(True))}; it cannot be undone: add --yes",
            EXIT_USAGE,
        )
    result = run(False)
    if not args.json:
        result = {"text": f"deleted model {args.model} from {args.dataset}: "
                  f"{model_counts(result)}", **result}  # fmt: skip
    return result


def model_counts(result: dict[str, Any]) -> str:
    """What a model's delete took (or would take), in words."""
    words = ("objects", "image_labels", "label_maps", "evaluations")
    return ", ".join(f"{result[w]} {w.replace('_', ' ')}" for w in words)


def cmd_delete_samples(args: argparse.Namespace) -> dict[str, Any]:
    """Delete the view's samples (every row and vector of theirs) as one batch of the log."""
    from .common import EXIT_USAGE, CliError, run_local_or_remote

    if all(v is None for v in (args.filter, args.selection, args.tag)):
        raise CliError(
            "give the samples to delete: --filter JSON, --tag T or --selection ID "
            f"(the whole dataset: visionlens delete {args.dataset})",
            EXIT_USAGE,
        )
    if not args.yes:
        raise CliError(
            "deleting samples needs --yes (it can be undone: visionlens undo)", EXIT_USAGE
        )
    spec = tagged_view(args)

    def local(catalog: Any) -> dict[str, Any]:
        from ..bulk.delete_samples import delete_view_samples
        from ..config import os_user
        from ..vectors import LazyVectorStore

        vectors = LazyVectorStore(catalog, catalog.data_dir)
        try:
            return delete_view_samples(catalog, args.dataset, spec, os_user(), vectors=vectors.get)
        finally:
            vectors.close()

    def remote(client: Any) -> dict[str, Any]:
        body = {"filter": spec}
        return dict(client.post_json(f"datasets/{args.dataset}/edits/delete_samples", body))

    result = run_local_or_remote(args, local, remote)
    if not args.json:
        spaces = ", ".join(f"{n} vectors of {s}" for s, n in result["vectors"].items())
        result = {
            "text": f"deleted {result['samples']} samples and {result['labels']} labels"
            + (f" ({spaces})" if spaces else "")
            + f" from {args.dataset} (batch {result['batch']}; undo: visionlens undo "
            f"{args.dataset})",
            **result,
        }
    return result


def cmd_merge(args: argparse.Namespace) -> dict[str, Any]:
    """Merge ``dataset`` into ``--into``, here or through the server (its job), and return
    what it did and refused."""
    from .common import job_result, run_local_or_remote

    def local(catalog: Any) -> dict[str, Any]:
        from ..bulk.merge import merge_datasets
        from ..vectors import LazyVectorStore

        vectors = LazyVectorStore(catalog, catalog.data_dir)
        try:
            return merge_datasets(
                catalog, args.dataset, args.into, args.key, vectors=vectors.get
            ).to_dict()
        finally:
            vectors.close()

    def remote(client: Any) -> dict[str, Any]:
        body = {"from": args.dataset, "key": args.key}
        return job_result(client, client.post_json(f"datasets/{args.into}/merge", body))

    result = run_local_or_remote(args, local, remote)
    if not args.json:
        text = (
            f"{args.dataset} -> {args.into}: {result['matched']} samples matched, "
            f"{result['added']} added, {result['labels']} labels appended"
        )
        if result["size_conflicts"]:
            text += f"; {len(result['size_conflicts'])} left out (image size differs)"
        if result["missing_classes"]:
            text += f"; classes added: {', '.join(result['missing_classes'])}"
        if result["label_maps"]:
            text += "; label maps: " + ", ".join(
                f"{name} {n['copied']} copied"
                + (f", {n['kept']} kept (the target's)" if n["kept"] else "")
                for name, n in result["label_maps"].items()
            )
        result = {"text": text, **result}
    return result
