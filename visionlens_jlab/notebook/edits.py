"""Label edits and versions from a notebook: ``ds.edit([...])``, ``ds.undo()``,
``ds.edit_log()``, ``ds.snapshot(message)``, ``ds.versions()``, ``ds.version(v)`` (its
labels read-only), ``ds.diff(v1, v2)``, ``ds.restore(v)``, ``ds.delete_labels(filter,
source=...)``, ``ds.delete_samples(filter)``, and the Label Studio round trip: ``ds.send_to_label_studio(...)``,
``ds.pull_from_label_studio(...)``. Every call goes through the server's REST API, which
alone writes the catalog; the log records the Jupyter user."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import pandas as pd

from ..rest_client import RestClient, dataset_path
from .bodies import Filter, filter_body
from .version_view import VersionView

LOG_COLUMNS = [
    "seq", "batch", "kind", "op", "annotation_id", "sample_id", "source", "label_before",
    "label_after", "bbox_before", "bbox_after", "tags_before", "tags_after",
    "labels_before", "labels_after", "user", "created_at",
]  # fmt: skip


class EditsMixin:
    """The edit and version methods of :class:`~.dataset.Dataset`."""

    _client: RestClient
    name: str

    def edit(self, operations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Apply ``operations`` in one transaction (``{"op": "relabel", "annotation_id":
        12, "label": "cat"}``, ``add``, ``delete``, ``move``, ``accept``, ``tag``,
        ``untag``, and on a sample's image labels ``{"op": "classify", "sample_id": 3,
        "label": "cat"}``, ``unclassify``; see :mod:`visionlens_jlab.edits.operations`); returns ``{"applied",
        "annotations", "batch", "added"}``. An invalid operation or a conflict raises
        :class:`~.connection.VisionLensError` naming it, and nothing is written."""
        body = {"operations": [dict(op) for op in operations]}
        return dict(self._client.post_json(dataset_path(self.name, "edits"), body))

    def undo(self) -> dict[str, Any]:
        """Undo the last batch of edits (the undo is itself a batch of the log)."""
        return dict(self._client.post_json(dataset_path(self.name, "edits", "undo"), {}))

    def redo(self) -> dict[str, Any]:
        """Redo the last undo."""
        return dict(self._client.post_json(dataset_path(self.name, "edits", "redo"), {}))

    def delete_labels(self, filter: Filter | None = None, *, source: str) -> dict[str, Any]:
        """Delete every label of ``source`` (``'ground_truth'`` or a model's name) on the
        samples matching ``filter`` as one batch of the log: ``ds.undo()`` takes it back.
        Returns the batch's answer with ``deleted`` (how many objects)."""
        body = {"filter": filter_body(filter), "source": source}
        return dict(self._client.post_json(dataset_path(self.name, "edits", "delete_labels"), body))

    def delete_model(self, model: str, *, dry_run: bool = False) -> dict[str, Any]:
        """Delete ``model`` from this dataset: every prediction of it (objects, image labels,
        label maps), its evaluations and its row; not undoable (like an import). Returns
        ``{dataset, model, objects, image_labels, label_maps, evaluations}``: what went, or
        with ``dry_run`` what would go (nothing deleted)."""
        path = dataset_path(self.name, "models", quote(model, safe=""))
        return dict(self._client.delete(path + ("?dry_run=true" if dry_run else "")))

    def delete_samples(self, filter: Filter) -> dict[str, Any]:
        """Delete the samples matching ``filter`` with every label, field and vector of
        theirs as one batch of the log: ``ds.undo()`` puts them all back. Returns the
        batch's answer with ``samples``, ``labels`` and ``vectors`` (per space)."""
        body = {"filter": filter_body(filter)}
        return dict(
            self._client.post_json(dataset_path(self.name, "edits", "delete_samples"), body)
        )

    def edit_log(self, limit: int = 1000) -> pd.DataFrame:
        """The last ``limit`` operations, newest first: one row per object changed, one
        per sample whose tags a batch changed (op ``sample_tags``: ``annotation_id``,
        ``source``, labels and boxes empty; ``tags_before`` / ``tags_after``: the sample's),
        and one per sample whose image labels a batch changed (op ``image_labels``:
        ``labels_before`` / ``labels_after``, the sample's image labels of ``source``)."""
        answer = self._client.get_json(dataset_path(self.name, "edits"), limit=limit)
        rows = []
        for op in answer["operations"]:
            row = {k: op[k] for k in LOG_COLUMNS if k in op}
            for side in ("before", "after"):
                state = op[side] or {}
                row[f"label_{side}"] = state.get("label")
                row[f"bbox_{side}"] = state.get("bbox")
                row[f"tags_{side}"] = state.get("tags")
                row[f"labels_{side}"] = state.get("labels")
            rows.append(row)
        frame = pd.DataFrame(rows, columns=LOG_COLUMNS)
        frame["created_at"] = pd.to_datetime(frame["created_at"])
        # a sample-tag row has no object: integer ids with gaps, not floats
        frame["annotation_id"] = frame["annotation_id"].astype("Int64")
        return frame

    def snapshot(self, message: str = "") -> dict[str, Any]:
        """Name the labels as they are now as a version; returns it."""
        body = {"message": message}
        return dict(self._client.post_json(dataset_path(self.name, "versions"), body))

    def versions(self) -> pd.DataFrame:
        """The versions of this dataset's labels, oldest first."""
        listed = self._client.get_json(dataset_path(self.name, "versions"))["versions"]
        columns = ["version", "created_at", "message", "samples", "annotations", "user"]
        frame = pd.DataFrame(listed, columns=columns)
        frame["created_at"] = pd.to_datetime(frame["created_at"])
        return frame

    def diff(
        self,
        v1: int | str,
        v2: int | str = "current",
        model: str | None = None,
        protocol: str = "coco",
        iou: float = 0.5,
    ) -> dict[str, Any]:
        """Objects added, removed, relabelled and moved from ``v1`` to ``v2`` (a version or
        ``"current"``), in total and per class (``by_class``), and samples changed. With
        ``model``, also ``evaluation``: its predictions evaluated (``protocol``, ``iou``) on
        the labels at ``v1`` and at ``v2``, and the deltas, in total and per class
        (``evaluation["by_class"][CLASS]["delta"]["AP"]``)."""
        path = dataset_path(self.name, "versions", "diff")
        query: dict[str, Any] = {"from": str(v1), "to": str(v2)}
        if model is not None:
            query.update(model=model, protocol=protocol, iou=str(iou))
        return dict(self._client.get_json(path, **query))

    def version(self, version: int) -> VersionView:
        """A saved version's labels, read-only: ``count``, ``page``, ``facets`` and
        ``sample`` as the grid browses it (an unknown version raises)."""
        return VersionView(self._client, self.name, version)

    def restore(self, version: int) -> dict[str, Any]:
        """Make the labels what they were at ``version`` (undoable: ``ds.undo()``)."""
        path = dataset_path(self.name, "versions", str(int(version)), "restore")
        return dict(self._client.post_json(path, {}))

    def send_to_label_studio(
        self,
        url: str,
        token: str,
        filter: Mapping[str, Any] | None = None,
        model: str | None = None,
        min_score: float | None = None,
        title: str | None = None,
    ) -> dict[str, Any]:
        """A new Label Studio project of the samples matching ``filter`` (default: all):
        their ground truth as annotations, ``model``'s objects as a prediction; returns
        ``{"project", "url", "tasks", "objects"}`` (docs/labelstudio.md)."""
        body = {
            "label_studio": {"url": url, "token": token},
            "filter": dict(filter) if filter is not None else None,
            "model": model, "min_score": min_score, "title": title,
        }  # fmt: skip
        path = dataset_path(self.name, "labelstudio", "projects")
        return dict(self._client.post_json(path, body))

    def pull_from_label_studio(
        self, url: str, token: str, project: int, apply: bool = False
    ) -> dict[str, Any]:
        """The annotations of Label Studio ``project`` as label edits: ``{"edits",
        "operations", "skipped", ...}`` to read first; ``apply=True`` applies them as one
        undoable batch (an object edited here since the send is a conflict)."""
        body = {"label_studio": {"url": url, "token": token}, "apply": apply}
        path = dataset_path(self.name, "labelstudio", "projects", str(int(project)), "pull")
        return dict(self._client.post_json(path, body))
