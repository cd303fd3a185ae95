"""Load generated demo files into a catalog (in-process; the CLI's local path)."""

from __future__ import annotations

from typing import Any

from ..catalog.store.catalog import Catalog, NotFoundError
from .generator import DemoFiles
from .signatures import MODEL_NAME

CLASSIFIER_NAME = "simulated-shape-classifier"
"""The demo's image classifier (image labels only), beside the detector ``MODEL_NAME``."""


def demo_counts(catalog: Catalog, name: str) -> dict[str, Any] | None:
    """Counts of dataset ``name`` in the CLI's summary shape, or None if it does not exist."""
    try:
        ds = catalog.get_dataset(name)
    except NotFoundError:
        return None
    return dataset_counts(ds)


def dataset_counts(ds: dict[str, Any]) -> dict[str, Any]:
    """A dataset's row (from the catalog or the REST API) in the CLI's summary shape."""
    return {
        "dataset": ds["name"],
        "samples": ds["num_samples"],
        "annotations": ds["num_annotations"],
        "categories": ds["num_categories"],
        "predictions": sum(m["num_predictions"] for m in ds["models"]),
        "model": ", ".join(m["name"] for m in ds["models"]) or None,
    }


def ingest_demo(
    catalog: Catalog, files: DemoFiles, name: str, *, model: str = MODEL_NAME
) -> dict[str, Any]:
    """Ingest the demo's ground truth (objects and image labels) as dataset ``name``, its
    detections as ``model`` and its classifier's image labels as :data:`CLASSIFIER_NAME`.

    The two writes are separate transactions; if the predictions fail, the dataset is removed
    again so that a rerun starts clean instead of finding a demo without predictions.
    """
    from ..catalog.writes.dataset_writer import write_dataset, write_predictions
    from ..ingest.open import coco_category_map, open_dataset, open_predictions

    parsed = open_dataset(
        str(files.annotations),
        "coco",
        images=str(files.images),
        image_labels=str(files.image_labels),
    )
    dataset = write_dataset(catalog, name, parsed)
    try:
        # the results list names classes by the ground truth's COCO ids: map them from the
        # demo's own file rather than trusting ids stored in the catalog
        categories = coco_category_map(str(files.annotations))
        parsed_preds = open_predictions(str(files.predictions), "coco", categories=categories)
        preds = write_predictions(catalog, name, model, parsed_preds)
        classifier = write_predictions(
            catalog,
            name,
            CLASSIFIER_NAME,
            open_predictions(str(files.classifier), "classification"),
        )
    except BaseException:
        catalog.delete_dataset(name)
        raise
    out = dataset.to_dict()
    out["predictions"] = preds.predictions + classifier.predictions
    out["model"] = f"{model}, {CLASSIFIER_NAME}"
    out["warnings"] = dataset.warnings + preds.warnings + classifier.warnings
    out["errors"] = dataset.errors + preds.errors + classifier.errors
    return out
