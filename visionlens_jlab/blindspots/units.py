"""Read what slice statistics need from the catalog: images, objects and predictions.

Three kinds of units, each tied to its image (the cluster of the statistics):

* images: stored fields, split, measured attributes, number of ground-truth objects;
* ground-truth objects of one evaluation: outcome (found / missed), class confusion, IoU
  of the match (or of the best badly placed box of their class), geometry attributes and
  the annotations' own ``attributes`` keys;
* predictions of the model: outcome (TP / FP), score, class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..catalog import GROUND_TRUTH, CatalogError, NotFoundError
from ..catalog.extensions.measured import OBJECT_ATTRIBUTES, SAMPLE_ATTRIBUTES
from ..catalog.query.filters import json_pointer
from ..catalog.sql.facet_keys import facet_keys
from .clusters import COLUMN as CLUSTER_COLUMN
from .clusters import FIELD as CLUSTER_FIELD

if TYPE_CHECKING:
    from ..catalog import Catalog

FP_SCORE = 0.5
"""Score from which an unmatched prediction counts as a confident false positive (the
operating point of precision and FPs per image; background noise below it is left out)."""


@dataclass
class Units:
    """Arrays of one (dataset, evaluation); ``*_img`` index into the image arrays."""

    dataset: str
    model: str
    eval_key: str
    sample_id: np.ndarray  # [m]
    image_columns: dict[str, pa.ChunkedArray]  # split, fields.<key>, measured.<name>
    gt_count: np.ndarray  # [m] ground-truth objects per image (evaluated ones)
    gt_img: np.ndarray
    gt_ann: np.ndarray
    gt_found: np.ndarray  # bool
    gt_confused: np.ndarray  # bool: a box of another class took its place
    gt_confused_with: np.ndarray  # object: the class it was taken for, or None
    gt_located: np.ndarray  # bool: some box of its class is near it (confusion's universe)
    gt_iou: np.ndarray  # float: IoU of its match, else of the best badly placed box; NaN
    object_columns: dict[str, pa.ChunkedArray]  # object.class, object.<measured>, attributes.<key>
    pr_img: np.ndarray
    pr_ann: np.ndarray
    pr_tp: np.ndarray  # bool
    pr_score: np.ndarray
    pr_class: pa.ChunkedArray
    vlm_kappas: dict[str, float] = field(default_factory=dict)
    """``{image column: kappa}`` of the VLM attributes among the image columns."""


def latest_eval_key(catalog: Catalog, dataset: str, model: str) -> str:
    """The key of ``model``'s latest evaluation on ``dataset``; a clear error if none."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            "SELECT eval_key FROM evaluations WHERE dataset_id = ? AND model = ? AND latest",
            [dataset_id, model],
        ).fetchall()
    if not rows:
        raise NotFoundError(
            f"model {model!r} has no evaluation on dataset {dataset!r}: evaluate it first "
            f"(visionlens evaluate {dataset} --model {model})"
        )
    return str(rows[0][0])


def load_units(
    catalog: Catalog, dataset: str, model: str, *, vlm_threshold: float | None = None
) -> Units:
    """Every unit of ``model``'s latest evaluation on ``dataset``; with ``vlm_threshold``,
    the VLM attributes calibrated usable at that kappa are image columns too."""
    key = latest_eval_key(catalog, dataset, model)
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        keys = facet_keys(cur, dataset_id)
        field_sql, field_params = [], []
        for i, name in enumerate(keys.fields):
            field_sql.append(f", json_extract_string(s.fields, ?) AS f{i}")
            field_params.append(json_pointer(name))
        measured = ", ".join(f"m.{c} AS m_{c}" for c in SAMPLE_ATTRIBUTES)
        images = cur.sql(
            f"""
            SELECT s.sample_id, s.split {"".join(field_sql)}, {measured}, k.text AS cluster
            FROM samples s LEFT JOIN sample_attributes m ON m.sample_id = s.sample_id
            LEFT JOIN computed_values k ON k.dataset_id = s.dataset_id
                 AND k.sample_id = s.sample_id AND k.field = ?
            WHERE s.dataset_id = ? ORDER BY s.sample_id
            """,  # noqa: S608 - fixed names, bound values
            params=[*field_params, CLUSTER_FIELD, dataset_id],
        ).to_arrow_table()
        attr_sql, attr_params = [], []
        for i, name in enumerate(keys.attributes):
            attr_sql.append(f", json_extract_string(a.attributes, ?) AS t{i}")
            attr_params.append(json_pointer(name))
        objects = ", ".join(f"o.{c} AS o_{c}" for c in OBJECT_ATTRIBUTES)
        gt = cur.sql(
            f"""
            SELECT a.ann_id, a.sample_id, a.label, e.status = 'tp' AS found,
                   e.confused_with, COALESCE(e.iou, l.iou) AS iou, l.iou IS NOT NULL AS near,
                   {objects} {"".join(attr_sql)}
            FROM annotations a
            JOIN box_evaluations e ON e.ann_id = a.ann_id AND e.eval_key = ?
            LEFT JOIN object_attributes o ON o.ann_id = a.ann_id
            LEFT JOIN (SELECT matched_ann_id, MAX(iou) AS iou FROM box_evaluations
                       WHERE dataset_id = ? AND eval_key = ? AND error_type = 'localization'
                       GROUP BY matched_ann_id) l ON l.matched_ann_id = a.ann_id
            WHERE a.dataset_id = ? AND a.source = ? AND e.dataset_id = ?
              AND e.status IN ('tp', 'fn')
            ORDER BY a.ann_id
            """,  # noqa: S608 - fixed names, bound values
            params=[*attr_params, key, dataset_id, key, dataset_id, GROUND_TRUTH, dataset_id],
        ).to_arrow_table()
        preds = cur.sql(
            """
            SELECT a.ann_id, a.sample_id, a.label, a.score, e.status = 'tp' AS tp
            FROM annotations a JOIN box_evaluations e ON e.ann_id = a.ann_id AND e.eval_key = ?
            WHERE a.dataset_id = ? AND a.source = ? AND e.dataset_id = ?
              AND e.status IN ('tp', 'fp')
            ORDER BY a.ann_id
            """,
            params=[key, dataset_id, model, dataset_id],
        ).to_arrow_table()
    sample_id = images["sample_id"].to_numpy()
    if not len(gt):
        raise CatalogError(f"dataset {dataset!r} has no evaluated ground-truth boxes")
    image_columns: dict[str, Any] = {"split": images["split"]}
    for i, name in enumerate(keys.fields):
        if name != "split":  # the split key of a COCO image became the sample's split
            image_columns[f"fields.{name}"] = images[f"f{i}"]
    for c in SAMPLE_ATTRIBUTES:
        image_columns[f"measured.{c}"] = images[f"m_{c}"]
    image_columns.update(plugin_attribute_columns(catalog, dataset_id, sample_id))
    vlm_kappas: dict[str, float] = {}
    if vlm_threshold is not None:
        from ..predict.calibration import usable_kappas

        kappas = usable_kappas(catalog, dataset_id, vlm_threshold)
        image_columns.update(computed_columns(catalog, dataset_id, sample_id, set(kappas)))
        vlm_kappas = {f"computed.{name}": kappa for name, kappa in kappas.items()}
    if images["cluster"].null_count < len(images):  # the dataset was clustered
        image_columns[CLUSTER_COLUMN] = images["cluster"]
    object_columns: dict[str, Any] = {"object.class": gt["label"]}
    for c in OBJECT_ATTRIBUTES:
        object_columns[f"object.{c}"] = gt[f"o_{c}"]
    for i, name in enumerate(keys.attributes):
        object_columns[f"attributes.{name}"] = gt[f"t{i}"]
    gt_img = np.searchsorted(sample_id, gt["sample_id"].to_numpy())
    confused_with = np.asarray(gt["confused_with"].to_pylist(), dtype=object)
    found = gt["found"].to_numpy(zero_copy_only=False).astype(bool)
    iou = np.asarray(gt["iou"].cast(pa.float64()).fill_null(np.nan).to_numpy(), dtype=float)
    return Units(
        dataset=dataset,
        model=model,
        eval_key=key,
        sample_id=sample_id,
        image_columns=image_columns,
        gt_count=np.bincount(gt_img, minlength=len(sample_id)),
        gt_img=gt_img,
        gt_ann=gt["ann_id"].to_numpy(),
        gt_found=found,
        gt_confused=np.array([c is not None for c in confused_with], dtype=bool) & ~found,
        gt_confused_with=confused_with,
        gt_located=found | (confused_with != None),  # noqa: E711 - elementwise on objects
        gt_iou=iou,
        object_columns=object_columns,
        pr_img=np.searchsorted(sample_id, preds["sample_id"].to_numpy()),
        pr_ann=preds["ann_id"].to_numpy(),
        pr_tp=preds["tp"].to_numpy(zero_copy_only=False).astype(bool),
        pr_score=np.asarray(preds["score"].cast(pa.float64()).fill_null(1.0).to_numpy()),
        pr_class=preds["label"],
        vlm_kappas=vlm_kappas,
    )


def plugin_attribute_columns(
    catalog: Catalog, dataset_id: int, sample_id: np.ndarray
) -> dict[str, Any]:
    """``computed.<name>`` image columns of the attributes plugins registered
    (:mod:`.extensions`) that this dataset has values for, aligned with ``sample_id``."""
    from .extensions import image_attribute_fields

    return computed_columns(catalog, dataset_id, sample_id, set(image_attribute_fields()))


def computed_columns(
    catalog: Catalog, dataset_id: int, sample_id: np.ndarray, names: set[str]
) -> dict[str, Any]:
    """``computed.<name>`` image columns of those of ``names`` the dataset has values for,
    aligned with ``sample_id``."""
    from ..catalog.extensions.computed import computed_values_for, dataset_computed_fields

    with catalog.cursor() as cur:
        wanted = names & set(dataset_computed_fields(cur, dataset_id))
        values = computed_values_for(cur, dataset_id, [int(i) for i in sample_id]) if wanted else {}
    return {
        f"computed.{name}": pa.chunked_array(
            [pa.array([values.get(int(i), {}).get(name) for i in sample_id])]
        )
        for name in sorted(wanted)
    }
