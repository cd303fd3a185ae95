"""A model's class names mapped onto the dataset's categories.

A COCO-trained DETR says ``potted plant`` where a VOC dataset says ``pottedplant`` and
another ``Potted_Plant``: names match when they are equal after lower-casing and dropping
spaces, ``_`` and ``-``. A model class with no match keeps its own name, as an imported prediction set's
unknown class would, and the run reports it (``prediction_unknown_class``), so evaluation
counts its boxes as false positives rather than silently dropping them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MAX_EXAMPLES = 5


def normalize(name: str) -> str:
    """The form names are compared in."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def class_map(model_labels: Iterable[str], dataset_classes: Iterable[str]) -> dict[str, str]:
    """``{model name: dataset name}`` for every model name that matches a dataset class."""
    by_norm: dict[str, str] = {}
    for name in dataset_classes:
        by_norm.setdefault(normalize(name), name)
    return {m: by_norm[normalize(m)] for m in model_labels if normalize(m) in by_norm}


def unknown_class_warning(counts: dict[str, int]) -> dict[str, Any]:
    """The report entry for predictions of classes the dataset does not have."""
    names = sorted(counts, key=lambda n: (-counts[n], n))
    return {
        "code": "prediction_unknown_class",
        "message": "predictions of classes the dataset does not have were kept under the "
        "model's class name",
        "count": int(sum(counts.values())),
        "examples": names[:MAX_EXAMPLES],
    }
