"""Read one dataset's ground truth and one model's predictions from the catalog as arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..catalog import GROUND_TRUTH, NotFoundError
from .boxes import Boxes

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


def load_input(catalog: Catalog, dataset: str, model: str) -> EvalInput:
    """Ground truth and ``model``'s predictions of ``dataset``; :class:`NotFoundError` if absent."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
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
        table = cur.sql(
            """
            SELECT ann_id, sample_id, source = ? AS is_gt, label, x, y, w, h,
                   score, COALESCE(area, w * h) AS area, iscrowd, difficult
            FROM annotations WHERE dataset_id = ? AND source IN (?, ?)
            ORDER BY ann_id
            """,
            params=[GROUND_TRUTH, dataset_id, GROUND_TRUTH, model],
        ).to_arrow_table()
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
    )
