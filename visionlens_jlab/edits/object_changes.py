"""What one operation does to an existing object's state (:func:`changed_state`), with the
checks of the new box, mask or keypoints against the object's image and classes.

``mask`` keeps the object's box (a box drawn first, then given its mask); ``reshape`` moves
the box to the new mask's extent (a polygon whose vertices were dragged, added or deleted, a
brushed or erased mask), or to the new points' extent of a rotated box or a polyline;
``keypoints`` replaces the points, one for one, of an object that has keypoints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..catalog.base.errors import CatalogError
from ..catalog.writes.sample_labels import box_columns
from ..ingest.coco.mask_geometry import self_intersecting
from ..ingest.dota import quad_area
from .errors import EditError
from .mask_ops import mask_columns
from .operations import Operation
from .states import State, held_kinds

VISIBILITIES = (0, 1, 2)
"""COCO's keypoint flags: 0 not labelled, 1 labelled but hidden, 2 labelled and visible."""


def checked_box(index: int, box: dict[str, Any], source: str, classes: set[str],
                size: tuple[Any, Any], *, flat: bool = False) -> list[Any]:  # fmt: skip
    """The sample writer's checks of a box (class, numbers, the image's bounds): its
    columns ``label, x, y, w, h, score, area, iscrowd, difficult, attributes``; ``flat``:
    a line's extent, which may have no height or no width."""
    try:
        return box_columns(index, box, source, classes, size[0], size[1], flat=flat)
    except CatalogError as exc:
        raise EditError(str(exc).removeprefix(f"box {index}: "), index) from exc


def changed_state(
    op: Operation,
    state: State,
    size: tuple[Any, Any],
    classes_of: Callable[[str, int], set[str]],
    skeletons: Callable[[], Mapping[str, int]],
) -> State | None:
    """The object's state after ``op`` (None: deleted); ``size``: its image's;
    ``skeletons()``: the classes naming keypoints and how many each names."""
    if op.op == "delete":
        return None
    after = dict(state)
    if op.op == "tag":
        after["tags"] = sorted({*state["tags"], op.tag})
    elif op.op == "untag":
        after["tags"] = [t for t in state["tags"] if t != op.tag]
    elif op.op == "relabel":
        if op.label not in classes_of(state["source"], op.index):
            shown = ", ".join(sorted(classes_of(state["source"], op.index))[:10])
            raise EditError(f"relabel: {op.label!r} is not a class of the dataset ({shown})",
                            op.index)  # fmt: skip
        if state.get("keypoints") is not None:
            _check_skeleton(op, state, skeletons())
        after["label"] = op.label
    elif op.op == "reshape" and op.points is not None:
        after.update(_points_of(op, state, size, classes_of))
    elif op.op in ("mask", "reshape"):
        text, mask_area, extent = mask_columns(op.segmentation, size, op.index)
        if op.op == "reshape":
            after.update(_box_of(op, state, extent, size, classes_of))
        # COCO's area of an object with a mask is the mask's (evaluation's area ranges)
        after.update(segmentation=text, mask_area=mask_area, area=mask_area)
    elif op.op == "keypoints":
        after.update(_keypoints(op, state, size))
    elif op.op == "move":
        held = held_kinds(state)
        if held:
            kinds = ", ".join(k.name for k in held)
            raise EditError(
                f"move: object {state['ann_id']} has labels beyond its box ({kinds}), which "
                "a new box would not follow: reshape its mask or drag its keypoints instead",
                op.index,
            )
        after.update(_box_of(op, state, op.bbox or (), size, classes_of))
    if after == state:
        raise EditError(f"{op.op}: object {state['ann_id']} would not change", op.index)
    return after


def _check_skeleton(op: Operation, state: State, skeletons: Mapping[str, int]) -> None:
    """A relabelled object keeps its keypoints: the new class must name as many (before, a
    pose relabelled to a class of another skeleton, or of none, kept points its class does
    not name). Points no class names (a file's keypoints without names) stay unchecked."""
    have = len(state["keypoints"]) // 3
    count = skeletons.get(op.label or "")
    if count == have or (count is None and state["label"] not in skeletons):
        return
    raise EditError(
        f"relabel: object {state['ann_id']} has {have} keypoints, class {op.label!r} names "
        f"{count if count is not None else 'none'}",
        op.index,
    )


def _box_of(
    op: Operation,
    state: State,
    bbox: Sequence[float],
    size: tuple[Any, Any],
    classes_of: Callable[[str, int], set[str]],
    *,
    flat: bool = False,
) -> dict[str, Any]:
    box = dict(zip(("x", "y", "w", "h"), bbox, strict=True))
    fields = {"label": state["label"], **box, "score": state["score"]}
    columns = checked_box(op.index, fields, state["source"],
                          classes_of(state["source"], op.index), size, flat=flat)  # fmt: skip
    return {"x": columns[1], "y": columns[2], "w": columns[3], "h": columns[4],
            "area": columns[6]}  # fmt: skip


def _points_of(
    op: Operation,
    state: State,
    size: tuple[Any, Any],
    classes_of: Callable[[str, int], set[str]],
) -> dict[str, Any]:
    """A reshaped rotated box or polyline: its points (a rotated box: exactly four corners),
    the box their extent (inside the image), and a rotated box's area its quadrilateral's."""
    assert op.points is not None
    column, points = op.points
    if state.get(column) is None:
        raise EditError(
            f"reshape: object {state['ann_id']} has no {column} to reshape "
            f"(its labels: {', '.join(k.name for k in held_kinds(state)) or 'a box only'})",
            op.index,
        )
    shape = new_points(op)
    flat = column == "polyline"  # a level or upright line has an extent without height or width
    box = _box_of(op, state, points_extent(shape), size, classes_of, flat=flat)
    if column == "obb":
        box["area"] = quad_area(list(points))
    return {**box, **shape}


def new_points(op: Operation) -> dict[str, list[float]]:
    """``{column: points}`` of an ``add`` or ``reshape`` giving a rotated box's corners or a
    polyline's points; a rotated box has exactly four corners."""
    assert op.points is not None
    column, points = op.points
    if column == "obb" and len(points) != 8:
        raise EditError(
            f"{op.op}: a rotated box has 4 corners [x1, y1, ..., x4, y4], got {len(points) // 2}",
            op.index,
        )
    if column == "obb" and self_intersecting([[list(points)]])[0]:
        # a bow-tie: its quadrilateral's area is 0 (or less than its extent's share), as
        # a polygon mask that crosses itself, which is refused too
        raise EditError(
            f"{op.op}: the rotated box's corners cross: give them in order around the box",
            op.index,
        )
    return {column: list(points)}


def points_extent(shape: dict[str, list[float]]) -> tuple[float, float, float, float]:
    """The box ``[x, y, w, h]`` around the points of :func:`new_points`' answer."""
    (points,) = shape.values()
    xs, ys = points[0::2], points[1::2]
    return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _keypoints(op: Operation, state: State, size: tuple[Any, Any]) -> dict[str, Any]:
    """The ``keypoints`` and ``num_keypoints`` columns of ``op``'s points: as many as the
    object has (its class's skeleton), each ``[x, y, v]``, a labelled one inside the image."""
    if state.get("keypoints") is None:
        raise EditError(
            f"keypoints: object {state['ann_id']} has no keypoints (its class has no skeleton "
            "here): add them with the object",
            op.index,
        )
    whose = f"object {state['ann_id']}"
    count = len(state["keypoints"]) // 3
    return keypoint_columns(op.keypoints or (), count, size, op.op, whose, op.index)


def keypoint_columns(
    points: Sequence[float],
    count: int,
    size: tuple[Any, Any],
    op_name: str,
    whose: str,
    index: int,
) -> dict[str, Any]:
    """The ``keypoints`` and ``num_keypoints`` columns of ``points`` (COCO's flat
    ``[x, y, v, ...]``): exactly ``count`` points (``whose`` count, for the refusal of
    operation ``op_name``), each visibility 0, 1 or 2, a labelled one inside the ``size``
    image."""
    new = list(points)
    if len(new) != 3 * count:
        raise EditError(
            f"{op_name}: {whose} has {count} keypoints, the operation gives {len(new) // 3}: "
            "a point past its skeleton, or one missing",
            index,
        )
    width, height = size
    for k in range(0, len(new), 3):
        x, y, v = new[k : k + 3]
        if v not in VISIBILITIES:
            raise EditError(f"{op_name}: point {k // 3} has visibility {v!r}, not 0, 1 or 2",
                            index)  # fmt: skip
        outside = width and height and not (0 <= x <= width and 0 <= y <= height)
        if v and outside:
            raise EditError(
                f"{op_name}: point {k // 3} ({x:g}, {y:g}) lies outside the {width}x{height} image",
                index,
            )
    return {"keypoints": new, "num_keypoints": sum(1 for v in new[2::3] if v)}


def keypoints_extent(points: Sequence[float], index: int) -> tuple[float, float, float, float]:
    """The box ``[x, y, w, h]`` around the labelled points of COCO's flat ``[x, y, v, ...]``
    (an added keypoint object without a box)."""
    xs = [points[k] for k in range(0, len(points), 3) if points[k + 2]]
    ys = [points[k + 1] for k in range(0, len(points), 3) if points[k + 2]]
    if not xs:
        raise EditError("add: no labelled keypoint to take the box from: give a 'bbox'", index)
    if max(xs) == min(xs) or max(ys) == min(ys):
        raise EditError("add: the labelled keypoints span no area to take the box from: give a "
                        "'bbox'", index)  # fmt: skip
    return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
