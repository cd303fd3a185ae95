"""Read one dataset's ground truth and one model's predictions from the catalog as arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog import GROUND_TRUTH, CatalogError, NotFoundError
from ..catalog.tables.labels_at import objects_at
from ..records.label_kinds import IOU_KINDS, presence_sql
from .boxes import Boxes
from .labels import ObjectLabels, TextSource

if TYPE_CHECKING:
    from ..catalog import Catalog


@dataclass
class EvalInput:
    """Everything an evaluation needs, with classes matched by name."""

    dataset_id: int
    classes: list[str]  # dataset class order first, then labels only seen in boxes
    gt: Boxes
    dt: Boxes
    gt_sample: np.ndarray  # sample id of each ground-truth box
    dt_sample: np.ndarray
    missing_scores: int  # predictions without a score (evaluated as score 1.0)
    iou_type: str = "bbox"
    gt_labels: ObjectLabels | None = None  # masks / keypoints (segm and keypoints only)
    dt_labels: ObjectLabels | None = None


_LABEL_SQL = {
    "bbox": "",
    "segm": ", a.mask_area",  # the masks' texts: per side, by CatalogTexts
    "keypoints": ", a.keypoints, COALESCE(a.num_keypoints, 0) AS num_keypoints",
    "rotated": ", a.obb",
}
BATCH_ROWS = 65_536
"""Rows per Arrow batch streamed from DuckDB."""
_HAS_LABEL = {t: presence_sql(k, "") for t, k in IOU_KINDS.items() if k.presence}
_NAMES = {t: k.label_type for t, k in IOU_KINDS.items()}


def load_input(
    catalog: Catalog,
    dataset: str,
    model: str,
    iou_type: str = "bbox",
    position: int | None = None,
) -> EvalInput:
    """Ground truth and ``model``'s predictions of ``dataset``; :class:`NotFoundError` if absent.

    ``iou_type`` "segm" adds the masks, "keypoints" the keypoints (and keeps only the classes
    whose ground truth has keypoints: the others have no OKS); a :class:`CatalogError` when
    the model or the ground truth has none of them. ``position``: both sides' objects as
    they were at that position of the edit log (:func:`~..catalog.tables.labels_at.objects_at`,
    what a version names; boxes and keypoints only); None: as they are now.
    """
    if position is not None and iou_type == "segm":
        # the masks' texts are read from the current rows, chunk by chunk (CatalogTexts)
        raise CatalogError("masks are evaluated on the current labels only: use iou type bbox")
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        objects = "annotations" if position is None else objects_at(cur, dataset_id, position)
        known = cur.execute(
            "SELECT COUNT(*) FROM models WHERE dataset_id = ? AND name = ?", [dataset_id, model]
        ).fetchone()
        if not known or not known[0]:
            names = [
                r[0]
                for r in cur.execute(
                    "SELECT name FROM models WHERE dataset_id = ? ORDER BY name", [dataset_id]
                ).fetchall()
            ]
            hint = (
                f"; models of this dataset: {', '.join(names)}"
                if names
                else ("; it has no predictions yet (import some with `visionlens predictions`)")
            )
            raise NotFoundError(f"no model {model!r} on dataset {dataset!r}{hint}")
        class_order = [
            r[0]
            for r in cur.execute(
                "SELECT name FROM categories WHERE dataset_id = ? ORDER BY category_id",
                [dataset_id],
            ).fetchall()
        ]
        # Image order breaks ties between equal scores of different images. pycocotools
        # walks images by ascending id, so numeric source ids (COCO) give the order.
        samples = cur.execute(
            """
            SELECT sample_id FROM samples WHERE dataset_id = ?
            ORDER BY TRY_CAST(source_image_id AS BIGINT) NULLS LAST, sample_id
            """,
            [dataset_id],
        ).fetchnumpy()["sample_id"]
        if iou_type != "bbox":
            _check_labels(cur, dataset_id, model, iou_type)
        only = (
            f"AND a.label IN (SELECT DISTINCT label FROM {objects} WHERE dataset_id = ? "  # noqa: S608 - the catalog's own relation
            "AND source = ? AND keypoints IS NOT NULL)"
            if iou_type == "keypoints"
            else ""
        )
        # Streamed and put in annotation id order here rather than with ORDER BY: DuckDB's
        # sort materialises the rows a few times over (at 100K images, gigabytes with masks).
        reader = cur.sql(
            f"""
            SELECT a.ann_id, a.sample_id, a.source = ? AS is_gt, a.label, a.x, a.y, a.w, a.h,
                   a.score, COALESCE(a.area, a.w * a.h) AS area, a.iscrowd, a.difficult,
                   s.width, s.height {_LABEL_SQL[iou_type]}
            FROM {objects} a JOIN samples s USING (sample_id)
            WHERE a.dataset_id = ? AND a.source IN (?, ?) {only}
            """,  # noqa: S608 - fixed column lists, the catalog's own relation
            params=[GROUND_TRUTH, dataset_id, GROUND_TRUTH, model]
            + ([dataset_id, GROUND_TRUTH] if only else []),
        ).to_arrow_reader(BATCH_ROWS)
        table = _by_ann_id(reader.read_all())
    # The masks' texts (~200 MB at 100K images) are read a chunk of images at a time while
    # the masks are decoded, not all at once here.
    is_gt_col = table.column("is_gt").to_numpy(zero_copy_only=False)
    ann_ids = table.column("ann_id").to_numpy()
    texts = (
        [CatalogTexts(catalog, dataset_id, source, ann_ids[is_gt_col == gt_side])
         for source, gt_side in ((GROUND_TRUTH, True), (model, False))]
        if iou_type == "segm" else None
    )  # fmt: skip
    labels = table.column("label").combine_chunks()
    seen = pc.unique(labels).to_pylist()
    extra = sorted(set(seen) - set(class_order))
    classes = class_order + extra
    cat = (
        pc.index_in(labels, value_set=pa.array(classes, pa.string()))
        .to_numpy(zero_copy_only=False)
        .astype(np.int64)
    )
    cols = {
        name: table.column(name).to_numpy()
        for name in (
            "ann_id",
            "sample_id",
            "is_gt",
            "x",
            "y",
            "w",
            "h",
            "area",
            "iscrowd",
            "difficult",
        )
    }
    score_col = table.column("score")
    missing = int(
        pc.sum(pc.and_(pc.is_null(score_col), pc.invert(table.column("is_gt")))).as_py() or 0
    )
    score = score_col.fill_null(1.0).to_numpy()
    # samples[k] is the k-th image of the evaluation order; find k for each box's sample id.
    by_id = np.argsort(samples, kind="stable")
    image = by_id[np.searchsorted(samples[by_id], cols["sample_id"])]

    def boxes(mask: np.ndarray) -> Boxes:
        return Boxes(
            ann_id=cols["ann_id"][mask].astype(np.int64),
            image=image[mask].astype(np.int64),
            cat=cat[mask],
            x=cols["x"][mask].astype(float),
            y=cols["y"][mask].astype(float),
            w=cols["w"][mask].astype(float),
            h=cols["h"][mask].astype(float),
            area=cols["area"][mask].astype(float),
            score=score[mask].astype(float),
            crowd=cols["iscrowd"][mask].astype(bool),
            difficult=cols["difficult"][mask].astype(bool),
        )

    is_gt = cols["is_gt"].astype(bool)
    gt, dt = boxes(is_gt), boxes(~is_gt)
    labels = _labels(table, iou_type) if iou_type in ("keypoints", "rotated") else None
    # Predictions are never crowd regions or difficult, whatever their source file says.
    dt.crowd[:] = False
    dt.difficult[:] = False
    return EvalInput(
        dataset_id=dataset_id,
        classes=classes,
        gt=gt,
        dt=dt,
        gt_sample=cols["sample_id"][is_gt],
        dt_sample=cols["sample_id"][~is_gt],
        missing_scores=missing,
        iou_type=iou_type,
        gt_labels=_side_labels(table, labels, texts, is_gt, True),
        dt_labels=_side_labels(table, labels, texts, is_gt, False),
    )


def _by_ann_id(table: pa.Table) -> pa.Table:
    """``table`` in annotation id order (the source order that breaks ties)."""
    ann_id = table.column("ann_id").to_numpy()
    if len(ann_id) < 2 or bool(np.all(ann_id[1:] > ann_id[:-1])):
        return table
    return table.take(pa.array(np.argsort(ann_id, kind="stable")))


class CatalogTexts(TextSource):
    """One side's segmentation texts, read from the catalog for the objects asked for (a
    chunk of images' at a time: the masks are decoded chunk by chunk), so memory holds one
    chunk's texts instead of every mask's."""

    def __init__(self, catalog: Catalog, dataset_id: int, source: str, ann_id: np.ndarray):
        self.catalog, self.dataset_id, self.source = catalog, dataset_id, source
        self.ann_id = ann_id  # of the side's objects, ascending (they are in ann id order)

    def texts(self, index: np.ndarray) -> list[str | None]:
        """The texts of the side's objects at ``index``; :class:`CatalogError` when some
        object was deleted since the evaluation read it."""
        want = self.ann_id[index]
        if not len(want):
            return []
        with self.catalog.cursor() as cur:
            cur.register("_vl_mask_ids", pa.table({"ann_id": pa.array(want, pa.int64())}))
            try:
                # the range lets DuckDB skip the row groups of other images (zone maps)
                reader = cur.sql(
                    "SELECT ann_id, segmentation::VARCHAR AS segmentation FROM annotations "
                    "WHERE dataset_id = ? AND source = ? AND ann_id BETWEEN ? AND ? "
                    "AND ann_id IN (SELECT ann_id FROM _vl_mask_ids)",
                    params=[self.dataset_id, self.source, int(want.min()), int(want.max())],
                ).to_arrow_reader(BATCH_ROWS)
                got = reader.read_all()
            finally:
                cur.unregister("_vl_mask_ids")
        return _aligned(got, want).to_pylist()

    def all(self) -> pa.Array:
        """Every text of the side, in its order, in one Arrow array (for a worker process,
        which has no catalog)."""
        with self.catalog.cursor() as cur:
            got = (
                cur.sql(
                    "SELECT ann_id, segmentation::VARCHAR AS segmentation FROM annotations "
                    "WHERE dataset_id = ? AND source = ?",
                    params=[self.dataset_id, self.source],
                )
                .to_arrow_reader(BATCH_ROWS)
                .read_all()
            )
        return _aligned(got, self.ann_id)


def _aligned(got: pa.Table, want: np.ndarray) -> pa.Array:
    """The ``segmentation`` of ``got`` in the order of the ann ids ``want``."""
    got_id = got.column("ann_id").to_numpy()
    # one piece: taking from a chunked array would copy all its chunks on every take
    texts = got.column("segmentation").combine_chunks()
    del got
    if np.array_equal(got_id, want):
        return texts
    order = np.argsort(got_id, kind="stable")
    at = np.searchsorted(got_id[order], want)
    if len(got_id) < len(want) or np.any(got_id[order][np.minimum(at, len(got_id) - 1)] != want):
        raise CatalogError("objects were deleted while being evaluated: evaluate again")
    return texts.take(pa.array(order[at]))


def with_texts(inp: EvalInput) -> EvalInput:
    """``inp`` with the masks' texts read into memory (a worker process has no catalog)."""
    for labels in (inp.gt_labels, inp.dt_labels):
        if labels is not None and isinstance(labels.segmentation, CatalogTexts):
            labels.segmentation = labels.segmentation.all()
    return inp


def _check_labels(cur: Any, dataset_id: int, model: str, iou_type: str) -> None:
    """A clear error when the model or the ground truth has no masks / keypoints at all."""
    for source, who in ((model, f"model {model!r}"), (GROUND_TRUTH, "the ground truth")):
        (row,) = cur.execute(
            f"SELECT COUNT(*) FILTER ({_HAS_LABEL[iou_type]}), COUNT(*) FROM annotations "  # noqa: S608 - fixed text
            "WHERE dataset_id = ? AND source = ?",
            [dataset_id, source],
        ).fetchall()
        if not row[0]:
            raise CatalogError(
                f"{who} has no {_NAMES[iou_type]} ({row[1]} objects without): "
                f"iou type {iou_type!r} needs them; use --iou-type bbox"
            )


def _side_labels(
    table: pa.Table,
    labels: ObjectLabels | None,
    texts: list[CatalogTexts] | None,
    is_gt: np.ndarray,
    gt_side: bool,
) -> ObjectLabels | None:
    """One side's labels: keypoints taken from ``labels``, masks built from that side's
    texts (``texts``: ground truth's, predictions'); None for bbox."""
    mine = is_gt if gt_side else ~is_gt
    if labels is not None:
        return labels.take(mine)
    if texts is None:
        return None
    out = ObjectLabels.empty(int(mine.sum()))
    out.height = table.column("height").to_numpy()[mine].astype(np.int64)
    out.width = table.column("width").to_numpy()[mine].astype(np.int64)
    out.segmentation = texts[0 if gt_side else 1]
    mask_area = table.column("mask_area").to_numpy(zero_copy_only=False)[mine]
    out.mask_area = mask_area.astype(float)
    return out


def _labels(table: pa.Table, iou_type: str) -> ObjectLabels:
    """The keypoint or rotated-box columns of ``table`` (masks: :func:`_side_labels`)."""
    n = table.num_rows
    out = ObjectLabels.empty(n)
    out.height = table.column("height").to_numpy().astype(np.int64)
    out.width = table.column("width").to_numpy().astype(np.int64)
    if iou_type == "rotated":
        out.obb = _corners(table.column("obb").combine_chunks())
        return out
    points = table.column("keypoints").combine_chunks()
    lengths = pc.list_value_length(points).fill_null(0).to_numpy(zero_copy_only=False)
    out.offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    out.keypoints = pc.list_flatten(points).to_numpy(zero_copy_only=False).astype(float)
    out.num_keypoints = table.column("num_keypoints").to_numpy().astype(np.int64)
    return out


def _corners(obb: pa.Array) -> np.ndarray:
    """Rotated boxes' corners as ``(n, 8)``: NaN rows for objects without four corners."""
    out = np.full((len(obb), 8), np.nan)
    lengths = pc.list_value_length(obb).fill_null(0).to_numpy(zero_copy_only=False)
    whole = lengths == 8
    if whole.any():
        kept = pc.list_flatten(obb.filter(pa.array(whole))).to_numpy(zero_copy_only=False)
        out[whole] = kept.reshape(-1, 8)
    return out
