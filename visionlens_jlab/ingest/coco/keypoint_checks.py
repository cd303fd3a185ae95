"""The keypoint checks of a COCO annotation table (see :mod:`.label_checks`), vectorised over
every object's points: the point count against the category's keypoint names, keypoints on a
category that names none, visibility flags outside 0-2, labelled points outside the image, and
a ``num_keypoints`` that disagrees with the labelled points. A missing ``num_keypoints`` is
the count of labelled points (v > 0), as COCO defines it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Warn = Callable[[str, str, int, str | None], None]
"""Reports ``(code, message, row, detail)`` for one object of the table."""

KEYPOINT_CODES = (
    "coco_keypoint_count_mismatch",
    "coco_keypoints_without_names",
    "coco_bad_keypoint_visibility",
    "coco_keypoint_outside_image",
    "coco_num_keypoints_mismatch",
)
"""The warnings of these checks, in the order the report lists them."""


def check_keypoints(
    table: pa.Table,
    kp: pa.Array,
    keypoint_counts: dict[str, int],
    sizes: tuple[np.ndarray, np.ndarray] | None,
    warn: Warn,
    predicted: bool = False,
) -> pa.Table:
    """``table`` with ``num_keypoints`` completed; its bad keypoints passed to ``warn``.
    ``keypoint_counts``: class name -> number of keypoint names (empty: not checked);
    ``sizes``: each row's image (width, height), -1 where unknown (None: no images);
    ``predicted``: a model's points, whose third values are its confidences (detectron2,
    mmpose and Ultralytics write them there; COCO's evaluation reads only x and y), not
    visibility flags to check."""
    lengths = pc.fill_null(pc.list_value_length(kp), 0).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(kp).to_numpy(zero_copy_only=False)
    parent = pc.list_parent_indices(kp).to_numpy(zero_copy_only=False)
    xs, ys, flags, owner = flat[0::3], flat[1::3], flat[2::3], parent[2::3]
    has_points = kp.is_valid().to_numpy(zero_copy_only=False) & (lengths > 0)
    if keypoint_counts:
        labels = table.column("label").to_pylist()
        expected = np.array([keypoint_counts.get(v, -1) for v in labels])
        for i in np.flatnonzero(has_points & (expected >= 0) & (lengths // 3 != expected)):
            warn(
                "coco_keypoint_count_mismatch",
                "an object's keypoint count differs from its category's keypoint names (kept)",
                int(i),
                f"{lengths[i] // 3} points, category has {expected[i]}",
            )
        for i in np.flatnonzero(has_points & (expected < 0)):
            warn(
                "coco_keypoints_without_names",
                "an object has keypoints but its category names none (kept)",
                int(i),
                f"label {labels[i]!r}",
            )
    bad = np.zeros(len(flags), dtype=bool) if predicted else ~np.isin(flags, (0.0, 1.0, 2.0))
    for i in np.unique(owner[bad]):
        warn(
            "coco_bad_keypoint_visibility",
            "keypoint visibility flags outside 0-2 (kept as given)",
            int(i),
            None,
        )
    if sizes is not None:
        w, h = sizes[0][owner], sizes[1][owner]
        outside = (flags > 0) & (w > 0) & ((xs < 0) | (ys < 0) | (xs > w) | (ys > h))
        for i in np.unique(owner[outside]):
            warn(
                "coco_keypoint_outside_image",
                "labelled keypoints outside the image (kept)",
                int(i),
                None,
            )
    labelled = np.bincount(owner[flags > 0], minlength=len(kp)).astype(np.int32)
    count = table.column("num_keypoints").combine_chunks()
    given = pc.fill_null(count, -1).to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(has_points & (given >= 0) & (given != labelled)):
        warn(
            "coco_num_keypoints_mismatch",
            "an object's 'num_keypoints' differs from its labelled points (kept as given)",
            int(i),
            f"num_keypoints={given[i]}, labelled points={labelled[i]}",
        )
    if count.null_count > kp.null_count:
        fill = pa.array(labelled, pa.int32(), mask=~kp.is_valid().to_numpy(zero_copy_only=False))
        i = table.schema.get_field_index("num_keypoints")
        table = table.set_column(i, "num_keypoints", pc.coalesce(count, fill))
    return table
