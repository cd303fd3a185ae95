"""Apply a batch of edits, undo and redo: one transaction each, through the single writer.

:func:`apply_edits` reads the objects the operations name, applies the operations in order
to their states in memory (so later operations see earlier ones), and only when every one
is valid writes the net change of each object, the log rows and the derived structures of
the touched samples (:func:`~visionlens_jlab.catalog.derived.apply_change`: summaries,
facet parts, the held box index patched, not rebuilt) in one transaction. An undo writes the
inverse steps of the last batch as a new batch, so it is itself in the log; a redo inverts
that undo. Every batch checks, per object, that the object is still in the state the batch
starts from (an edit's ``expected``, an undo's batch's result): otherwise it is refused as a
:class:`~.errors.EditConflict` naming the object and its state now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

import duckdb
import pyarrow as pa

from ..catalog import GROUND_TRUTH, Catalog
from ..catalog.base.errors import CatalogError
from ..catalog.derived import Change, Kind, apply_change
from ..catalog.reads.model_kinds import check_edit_sources
from ..catalog.tables.classification_log import CLASSIFICATION_LOG
from ..catalog.tables.sample_tag_log import TAG_LOG, next_batch
from ..catalog.writes.classification_edits import changed_classifications, write_classifications
from ..catalog.writes.sample_labels import dataset_classes
from ..catalog.writes.sample_tags import changed_sample_tags, write_sample_tags
from ..evaluate.rematch import rematch_samples
from ..ingest.dota import quad_area
from .classification_ops import classification_changes
from .errors import EditConflict, EditError, ImageLabelConflict, SampleTagConflict
from .log_stacks import stacks
from .mask_ops import mask_columns
from .object_changes import (
    changed_state,
    checked_box,
    keypoint_columns,
    keypoints_extent,
    new_points,
    points_extent,
)
from .operations import IMAGE_LABEL_OPS, Operation, parse_operations
from .sample_deletes import Vectors
from .sample_undo import invert_sample_batch
from .states import (
    WITHOUT_LABELS,
    State,
    Step,
    log_steps,
    logged_state,
    net_changes,
    read_states,
    write_states,
)

MAX_TOLD_SAMPLES = 1000
"""Most touched sample ids an answer lists (``sample_ids``; null past it: any may have)."""

Resolve = Callable[
    [duckdb.DuckDBPyConnection, int],
    tuple[list[Step], pa.Table | None, pa.Table | None, dict[str, Any]],
]
"""What a batch writes, learnt in its transaction: the steps of its objects, the change of
sample tags (:data:`~..catalog.tables.sample_tag_log.TAG_CHANGES`; None: none), the change
of image labels (:data:`~..catalog.tables.classification_log.CLASSIFICATION_CHANGES`; None:
none), the answer."""


def apply_edits(catalog: Catalog, dataset: str, raw_ops: Any, user: str) -> dict[str, Any]:
    """Apply the operations ``raw_ops`` (a list, :mod:`.operations`) to ``dataset`` as one
    batch by ``user``; return ``{"applied", "annotations", "batch", "added"}`` (the
    ground-truth count after, the ids of the objects added, in the order of their
    operations). Nothing is written if any operation is invalid or conflicts."""
    ops = parse_operations(raw_ops)

    def resolve(
        cur: duckdb.DuckDBPyConnection, dataset_id: int
    ) -> tuple[list[Step], None, pa.Table, dict]:
        objects = [op for op in ops if op.op not in IMAGE_LABEL_OPS]
        steps, added = _steps(catalog, cur, dataset_id, objects)
        labels = classification_changes(cur, dataset_id, ops)
        return steps, None, labels, {"applied": len(ops), "added": added}

    return commit_batch(catalog, dataset, "edit", None, user, resolve)


def commit_batch(
    catalog: Catalog,
    dataset: str,
    kind: str,
    target: int | None,
    user: str,
    resolve: Resolve,
) -> dict[str, Any]:
    """One transaction: ``resolve`` gives the steps, the change of sample tags and of image
    labels, each object and sample is checked against its state now, the net change is
    written, logged as one batch and told to the registry."""
    with catalog.cursor() as read:
        dataset_id = catalog.dataset_id(read, dataset)
    when = datetime.now(timezone.utc).replace(tzinfo=None)
    with catalog.write(dataset_id) as cur:
        steps, tags, labels, answer = resolve(cur, dataset_id)
        tags = tags if tags is not None and tags.num_rows else None
        labels = labels if labels is not None and labels.num_rows else None
        if not steps and tags is None and labels is None:
            raise EditError("the batch changes nothing")
        net = net_changes(steps)
        _check_sources(cur, dataset_id, net, labels)
        current = read_states(cur, dataset_id, net)
        for ann_id, (before, _) in net.items():
            if current.get(ann_id) != before:
                raise EditConflict(ann_id, current.get(ann_id), what=f"the {kind} was prepared")
        moved = None if tags is None else changed_sample_tags(cur, dataset_id, tags)
        if moved is not None:
            raise SampleTagConflict(*moved, what=f"the {kind} was prepared")
        relabelled = None if labels is None else changed_classifications(cur, dataset_id, labels)
        if relabelled is not None:
            raise ImageLabelConflict(*relabelled, what=f"the {kind} was prepared")
        samples, sources = write_states(cur, dataset_id, net)
        batch_id = next_batch(cur, dataset_id)
        target = answer.get("inverted", target)  # an undo or redo learns it in ``resolve``
        log_steps(cur, dataset_id, (batch_id, kind, target), steps, when, user, tags, labels)
        if labels is not None:  # no index holds image labels: the write keeps them all
            write_classifications(catalog, cur, dataset_id, labels)
        if tags is not None:  # first: a box change after it sets the write's (wider) scope
            write_sample_tags(catalog, cur, dataset_id, tags)
        if samples:  # the boxes' derived structures, for the touched samples only
            rematch_samples(cur, dataset_id, sorted(samples), sources)
            change = Change(dataset_id, Kind.LABELS, tuple(sorted(samples)), tuple(sorted(sources)))
            apply_change(catalog, cur, change)
        elif tags is None and labels is None:  # object tags alone: nothing derived from them
            catalog.scope_write(dataset_id, keeps_derived=True, keeps_indexes=True)
        ((annotations,),) = cur.execute(
            "SELECT num_annotations FROM datasets WHERE dataset_id = ?", [dataset_id]
        ).fetchall()
    objects = {s["sample_id"] for pair in net.values() for s in pair if s is not None}
    for changed in (tags, labels):
        if changed is not None:
            objects.update(changed.column("sample_id").to_pylist())
    touched = sorted(objects) if len(objects) <= MAX_TOLD_SAMPLES else None
    return {**answer, "annotations": int(annotations), "batch": batch_id, "kind": kind,
            "sample_ids": touched}  # fmt: skip


def _check_sources(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    net: dict[int, tuple[State | None, State | None]],
    labels: pa.Table | None,
) -> None:
    """Refuse the batch (:class:`~.errors.EditError`) when it writes objects or image labels
    under a model holding label maps: an edit bypasses the importers' kind rule otherwise
    (an added object's ``source``, an undo putting a model's rows back)."""
    sources = {after["source"] for _, after in net.values() if after is not None}
    if labels is not None:
        after_rows = labels.column("rows_after").to_pylist()
        sources.update(
            s
            for s, rows in zip(labels.column("source").to_pylist(), after_rows, strict=True)
            if rows
        )
    try:
        check_edit_sources(cur, dataset_id, sources)
    except CatalogError as exc:
        raise EditError(str(exc)) from exc


def _steps(
    catalog: Catalog, cur: duckdb.DuckDBPyConnection, dataset_id: int, ops: Sequence[Operation]
) -> tuple[list[Step], list[int]]:
    """The steps of ``ops`` over the objects' states (the first problem raises)."""
    states: dict[int, State | None] = dict(
        read_states(cur, dataset_id, (a for op in ops for a in op.ann_ids))
    )
    sizes = _sample_sizes(cur, dataset_id, ops, states)
    classes: dict[str, set[str]] = {}

    def classes_of(source: str, index: int) -> set[str]:
        if source not in classes:
            try:
                classes[source] = dataset_classes(cur, dataset_id, source)
            except CatalogError as exc:
                raise EditError(str(exc), index) from exc
        return classes[source]

    skeletons: dict[str, int] | None = None

    def skeleton_sizes() -> dict[str, int]:
        """The classes naming keypoints, and how many each names (read once)."""
        nonlocal skeletons
        if skeletons is None:
            skeletons = dict(
                cur.execute(
                    "SELECT name, len(keypoint_names) FROM categories WHERE dataset_id = ? "
                    "AND keypoint_names IS NOT NULL ORDER BY category_id",
                    [dataset_id],
                ).fetchall()
            )
        return skeletons

    def points_of(label: str, index: int) -> int:
        """How many keypoints an object of class ``label`` has: its skeleton's names."""
        skeletons = skeleton_sizes()
        if label not in skeletons:
            shown = ", ".join(list(skeletons)[:10]) or "none"
            raise EditError(f"add: class {label!r} has no keypoint names here (the classes "
                            f"with keypoints: {shown})", index)  # fmt: skip
        return int(skeletons[label])

    next_id = catalog.next_annotation_id(cur)
    steps: list[Step] = []
    added: list[int] = []
    for op in ops:
        if op.op == "add":
            # the points are checked before the box taken from them: a refusal names a point
            size = None if op.sample_id is None else sizes.get(op.sample_id)
            points = _added_keypoints(op, size, points_of)
            new = {**_new_state(op, next_id, op.source, op.sample_id, sizes, classes_of), **points}
            steps.append(Step("add", next_id, None, new))
            states[next_id], next_id = new, next_id + 1
            added.append(next_id - 1)
            continue
        for ann_id in op.ann_ids:
            state = states.get(ann_id)
            if state is None:
                if op.expected is not None:
                    raise EditConflict(ann_id, None, op.index)
                raise EditError(f"{op.op}: no object {ann_id} in this dataset", op.index)
            _check_expected(op, state)
            if op.op == "accept":
                if state["source"] == GROUND_TRUTH:
                    raise EditError(f"accept: object {ann_id} is ground truth already", op.index)
                accepted = _AcceptedBox(op, state, sizes[state["sample_id"]])
                new = _new_state(accepted, next_id, GROUND_TRUTH, state["sample_id"], sizes,
                                 classes_of)  # fmt: skip
                steps.append(Step("accept", next_id, None, new))
                states[next_id], next_id = new, next_id + 1
                added.append(next_id - 1)
                continue
            after = changed_state(op, state, sizes[state["sample_id"]], classes_of, skeleton_sizes)
            steps.append(Step(op.op, ann_id, state, after))
            states[ann_id] = after
    return steps, added


class _AcceptedBox:
    """The fields of an ``add`` built from the accepted prediction."""

    def __init__(self, op: Operation, state: State, size: tuple[Any, Any]) -> None:
        self.index = op.index
        self.label = op.label or state["label"]
        # a prediction may reach past the image, a ground-truth box may not: clamped
        width, height = (float("inf") if v is None else v for v in size)
        x, y = max(state["x"], 0.0), max(state["y"], 0.0)
        right = min(state["x"] + state["w"], width)
        bottom = min(state["y"] + state["h"], height)
        if right <= x or bottom <= y:
            raise EditError(f"accept: prediction {state['ann_id']} lies outside its image",
                            op.index)  # fmt: skip
        self.bbox = (x, y, right - x, bottom - y)
        self.score = None
        self.attributes = None
        self.keypoints = None


def _new_state(
    op: Any,
    ann_id: int,
    source: str,
    sample_id: int | None,
    sizes: dict[int, tuple[Any, Any]],
    classes_of: Callable[[str, int], set[str]],
) -> State:
    if sample_id not in sizes:
        raise EditError(f"add: no sample {sample_id} in this dataset", op.index)
    mask: dict[str, Any] = {}
    bbox = op.bbox
    if getattr(op, "segmentation", None) is not None:  # an accepted prediction has none
        text, mask_area, extent = mask_columns(op.segmentation, sizes[sample_id], op.index)
        mask = {"segmentation": text, "mask_area": mask_area}
        bbox = bbox or extent
    if getattr(op, "points", None) is not None:
        shape = new_points(op)
        mask, bbox = shape, bbox or points_extent(shape)
    if getattr(op, "keypoints", None) is not None:
        bbox = bbox or keypoints_extent(op.keypoints, op.index)
    box = dict(zip(("x", "y", "w", "h"), bbox, strict=True))
    columns = checked_box(op.index, {"label": op.label, **box, "score": op.score,
                                     "attributes": op.attributes}, source,
                          classes_of(source, op.index), sizes[sample_id],
                          flat=mask.get("polyline") is not None)  # fmt: skip
    label, x, y, w, h, score, area, iscrowd, difficult, attributes = columns
    area = mask.get("mask_area", area)  # COCO's area of a masked object is the mask's
    if mask.get("obb") is not None:  # a rotated box's is its quadrilateral's, as ingest's
        area = quad_area(mask["obb"])
    return {
        "ann_id": ann_id, "sample_id": sample_id, "source": source, "label": label,
        "x": x, "y": y, "w": w, "h": h, "score": score, "area": area, "iscrowd": iscrowd,
        "difficult": difficult, "source_ann_id": None, "attributes": attributes,
        "track_id": None, **WITHOUT_LABELS, **mask, "tags": [],
    }  # fmt: skip


def _added_keypoints(
    op: Operation, size: tuple[Any, Any] | None, points_of: Callable[[str, int], int]
) -> dict[str, Any]:
    """The keypoint columns of an added object (none without ``keypoints``): as many points
    as its class names; ``size``: its image's (None: no such sample, refused after)."""
    if op.keypoints is None or op.label is None:
        return {}
    count = points_of(op.label, op.index)
    whose = f"class {op.label!r}"
    return keypoint_columns(op.keypoints, count, size or (None, None), "add", whose, op.index)


def _check_expected(op: Operation, state: State) -> None:
    if op.expected is None:
        return
    keypoints = state.get("keypoints")
    now = {"label": state["label"], "bbox": [state["x"], state["y"], state["w"], state["h"]],
           "tags": state["tags"],
           "keypoints": None if keypoints is None else [float(v) for v in keypoints]}  # fmt: skip
    if any(now[key] != value for key, value in op.expected.items()):
        raise EditConflict(state["ann_id"], state, op.index, "the state the operation expected")


def _sample_sizes(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    ops: Sequence[Operation],
    states: dict[int, State | None],
) -> dict[int, tuple[Any, Any]]:
    """Width and height of every sample an ``add`` names or an object lives on."""
    ids = {op.sample_id for op in ops if op.sample_id is not None}
    ids |= {s["sample_id"] for s in states.values() if s is not None}
    rows = cur.execute(
        "SELECT sample_id, width, height FROM samples WHERE dataset_id = ? "
        "AND sample_id IN (SELECT unnest(?::BIGINT[]))",
        [dataset_id, sorted(ids)],
    ).fetchall()
    return {int(r[0]): (r[1], r[2]) for r in rows}


def undo(catalog: Catalog, dataset: str, user: str, vectors: Vectors = None) -> dict[str, Any]:
    """Invert the dataset's last batch not undone yet (a new batch of kind ``undo``).
    ``vectors`` opens the vector store, for a batch that deleted samples with vectors."""
    return _invert(catalog, dataset, user, "undo", vectors)


def redo(catalog: Catalog, dataset: str, user: str, vectors: Vectors = None) -> dict[str, Any]:
    """Invert the last undo, if no edit came after it (a new batch of kind ``redo``)."""
    return _invert(catalog, dataset, user, "redo", vectors)


def _invert(
    catalog: Catalog, dataset: str, user: str, kind: str, vectors: Vectors
) -> dict[str, Any]:
    samples = invert_sample_batch(catalog, dataset, user, kind, vectors)
    if samples is not None:
        return samples
    chosen: list[int] = []

    def resolve(
        cur: duckdb.DuckDBPyConnection, dataset_id: int
    ) -> tuple[list[Step], pa.Table, pa.Table, dict]:
        undoable, redoable = stacks(cur, dataset_id)
        pile = undoable if kind == "undo" else redoable
        if not pile:
            raise EditError(f"nothing to {kind}")
        chosen.append(pile[-1])
        steps = [s.inverse() for s in reversed(batch_steps(cur, dataset_id, pile[-1]))]
        tags = TAG_LOG.inverse(TAG_LOG.batch(cur, dataset_id, pile[-1]))
        labels = CLASSIFICATION_LOG.inverse(CLASSIFICATION_LOG.batch(cur, dataset_id, pile[-1]))
        applied = len(steps) + tags.num_rows + labels.num_rows
        return steps, tags, labels, {"applied": applied, "inverted": pile[-1]}

    try:
        return commit_batch(catalog, dataset, kind, None, user, resolve)
    except ImageLabelConflict as exc:
        raise ImageLabelConflict(exc.sample_id, exc.source, exc.labels,
                                 what=f"batch {chosen[-1]}") from exc  # fmt: skip
    except SampleTagConflict as exc:
        raise SampleTagConflict(exc.sample_id, exc.tags, what=f"batch {chosen[-1]}") from exc
    except EditConflict as exc:
        raise EditConflict(exc.annotation_id, exc.current, what=f"batch {chosen[-1]}") from exc


def batch_steps(cur: duckdb.DuckDBPyConnection, dataset_id: int, batch_id: int) -> list[Step]:
    """The steps of one logged batch, in the order applied."""
    rows = cur.execute(
        "SELECT op, ann_id, before, after FROM edit_ops WHERE dataset_id = ? AND batch_id = ? "
        "ORDER BY seq",
        [dataset_id, batch_id],
    ).fetchall()
    return [Step(op, int(a), logged_state(b), logged_state(c)) for op, a, b, c in rows]
