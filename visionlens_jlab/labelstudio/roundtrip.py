"""Send a view to Label Studio, and take the annotators' work back as label edits."""

from __future__ import annotations

import json
from typing import Any

from ..catalog import GROUND_TRUTH, Catalog
from ..catalog.writes.classification_edits import labels_of, read_classifications
from ..edits import apply_edits
from ..edits.operations import IMAGE_LABEL_OPS
from ..edits.states import read_states
from ..export.errors import ExportError
from ..export.view import read_view
from .changes import Changes, read_changes
from .client import LabelStudioClient
from .errors import LabelStudioError
from .image_labels import offered_choices
from .shapes import single_ring
from .tasks import build_tasks, label_config, offered_point_names


def send_view(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    client: LabelStudioClient,
    server_url: str,
    *,
    title: str | None = None,
    model: str | None = None,
    min_score: float | None = None,
) -> dict[str, Any]:
    """Make a Label Studio project of the samples matching ``spec``: their ground truth as
    each task's annotation and, with ``model``, its objects (at ``min_score`` or above) as a
    prediction. Returns ``{"project", "url", "tasks", "objects"}``. A project whose tasks
    could not all be imported is deleted again."""
    try:
        truth = read_view(catalog, dataset, spec)
        predictions = (
            read_view(catalog, dataset, spec, source=model, min_score=min_score) if model else None
        )
    except ExportError as exc:
        raise LabelStudioError(str(exc)) from exc
    names = list(truth.class_names)
    if predictions is not None:
        names += [n for n in predictions.class_names if n not in names]
    image_classes, multiple = image_label_classes(catalog, dataset)
    tasks = build_tasks(server_url, truth, predictions, image_labels=bool(image_classes))
    skeletons = catalog.get_dataset(dataset)["category_keypoints"]
    points = offered_point_names(tasks, skeletons, names)
    config = label_config(names, points, image_classes, multiple)
    client.whoami()  # a wrong URL or token is said before a project is made
    project = client.create_project(title or f"VisionLens: {dataset}", config)
    try:
        imported = client.import_tasks(project["id"], tasks)
    except LabelStudioError:
        client.delete_project(project["id"])
        raise
    return {
        "project": int(project["id"]),
        "url": f"{client.url}/projects/{int(project['id'])}",
        "tasks": imported,
        "objects": sum(len(t["data"]["visionlens"]["sent"]) for t in tasks),
    }


def pull_changes(
    catalog: Catalog,
    dataset: str,
    client: LabelStudioClient,
    project_id: int,
    *,
    apply: bool = False,
    user: str = "",
) -> dict[str, Any]:
    """The edits that bring ``dataset``'s ground truth to what the annotators left in
    project ``project_id``: ``{"project", "tasks", "annotated", "edits": {"added",
    "deleted", "relabelled", "moved", "reshaped", "keypoints_changed", "classified",
    "unclassified"}, "operations", "skipped", "applied", "batch"}``. With
    ``apply`` they are applied as one batch (undoable; a conflict writes nothing) and
    ``sample_ids`` says which samples it touched."""
    image_classes, _ = image_label_classes(catalog, dataset)
    offered = offered_choices(str(client.project(project_id).get("label_config") or ""))
    skeletons = catalog.get_dataset(dataset)["category_keypoints"]
    points = {c: k["keypoint_names"] for c, k in skeletons.items() if k["keypoint_names"]}
    changes = read_changes(dataset, client.tasks(project_id), set(image_classes) | offered, points)
    if changes.tasks == 0:
        raise LabelStudioError(
            f"project {project_id} holds no task sent from {dataset!r}: nothing to take back"
        )
    changes.operations = _not_yet_applied(catalog, dataset, changes)
    out: dict[str, Any] = {
        "project": int(project_id),
        "tasks": changes.tasks,
        "annotated": changes.annotated,
        "edits": changes.counts(),
        "operations": changes.operations,
        "skipped": changes.skipped,
        "applied": 0,
        "batch": None,
    }
    if apply and changes.operations:
        result = apply_edits(catalog, dataset, changes.operations, user)
        out["applied"], out["batch"] = int(result["applied"]), result["batch"]
        out["sample_ids"] = result["sample_ids"]
    return out


def image_label_classes(catalog: Catalog, dataset: str) -> tuple[list[str], bool]:
    """The classes ``dataset``'s image labels use (any source; the dataset's class order,
    then the others sorted), and whether a sample has several ground-truth image labels."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            "SELECT c.label, min(k.category_id) FROM classifications c LEFT JOIN categories k "
            "ON k.dataset_id = c.dataset_id AND k.name = c.label WHERE c.dataset_id = ? "
            "GROUP BY c.label ORDER BY min(k.category_id) NULLS LAST, c.label",
            [dataset_id],
        ).fetchall()
        most = cur.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM classifications WHERE dataset_id = ? "
            "AND source = 'ground_truth' GROUP BY sample_id)",
            [dataset_id],
        ).fetchone()
    return [str(r[0]) for r in rows], bool(most and most[0] and most[0] > 1)


def _not_yet_applied(catalog: Catalog, dataset: str, changes: Changes) -> list[dict[str, Any]]:
    """The operations whose result the ground truth does not show yet: a second pull of
    the same project (after an ``--apply``) proposes nothing."""
    ops = changes.operations
    labelled = sorted({op["sample_id"] for op in ops if op["op"] in IMAGE_LABEL_OPS})
    add_samples = sorted({op["sample_id"] for op in ops if op["op"] == "add"})
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        now = read_states(
            cur, dataset_id, [op["annotation_id"] for op in ops if "annotation_id" in op]
        )
        rows = cur.execute(
            "SELECT ann_id, sample_id, label, x, y, w, h, obb, segmentation FROM annotations "
            "WHERE dataset_id = ? AND source = 'ground_truth' AND sample_id IN (SELECT UNNEST(?))",
            [dataset_id, add_samples],
        ).fetchall()
        image_labels = read_classifications(cur, dataset_id,
                                            ((s, GROUND_TRUTH) for s in labelled))  # fmt: skip
    labels_now = {s: labels_of(rows) or [] for (s, _), rows in image_labels.items()}
    added = {(r[1], r[2], shape) for r in rows if r[0] not in changes.sent
             for shape in _shapes(r[3:7], r[7], r[8])}  # fmt: skip
    return [
        op for op in ops
        if not (op["op"] in IMAGE_LABEL_OPS and labels_now[op["sample_id"]] == op.get("labels", []))
        and not (op["op"] not in IMAGE_LABEL_OPS
                 and _shown(op, now.get(op.get("annotation_id", -1)), added))
    ]  # fmt: skip


def _shapes(box: Any, obb: Any, segmentation: Any) -> list[tuple[Any, ...]]:
    """An object's shapes as an ``add`` or ``reshape`` names them: its box, and its rotated
    box's corners, its mask's one ring or its compressed RLE's counts."""
    out = [("bbox", *box)]
    if obb is not None:
        out.append(("obb", *obb))
    mask = json.loads(segmentation) if isinstance(segmentation, str) else segmentation
    ring = single_ring(mask)
    if ring is not None:
        out.append(("segmentation", *ring))
    elif isinstance(mask, dict) and isinstance(mask.get("counts"), str):
        out.append(("mask", mask["counts"]))
    return out


def _shape(op: dict[str, Any]) -> tuple[Any, ...]:
    """The shape an ``add`` or ``reshape`` gives, as :func:`_shapes` names it."""
    key = next(k for k in ("obb", "segmentation", "bbox") if k in op)
    if key != "segmentation":
        return (key, *op[key])
    if isinstance(op[key], dict):  # a brush region's mask (:mod:`.changes`)
        return ("mask", op[key]["counts"])
    return (key, *op[key][0])


def _shown(op: dict[str, Any], state: dict[str, Any] | None, added: set[Any]) -> bool:
    """Whether the ground truth shows ``op``'s result (``state``: its object now)."""
    if op["op"] == "add":
        return (op["sample_id"], op["label"], _shape(op)) in added
    if op["op"] == "delete":
        return state is None
    if state is None:
        return False
    if op["op"] == "relabel":
        return bool(state["label"] == op["label"])
    if op["op"] == "keypoints":
        return list(state.get("keypoints") or []) == op["keypoints"]
    now = _shapes([state["x"], state["y"], state["w"], state["h"]], state.get("obb"),
                  state.get("segmentation"))  # fmt: skip
    if op["op"] == "reshape":
        return _shape(op) in now
    return ("bbox", *op["bbox"]) in now
