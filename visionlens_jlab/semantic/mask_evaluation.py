"""Which evaluation a model's masks take: panoptic quality for COCO panoptic results
(:mod:`.panoptic`), the semantic metrics for per-pixel class masks (:mod:`.evaluate`). The
CLI (on the catalog) and the server's evaluation job (while a server owns it) share it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .evaluate import evaluate_semantic
from .panoptic import LAYOUT as PANOPTIC
from .panoptic import evaluate_panoptic
from .records import mask_layout

if TYPE_CHECKING:
    from ..catalog import Catalog


def has_masks(catalog: Catalog, dataset: str, model: str) -> bool:
    """Whether ``model`` recorded semantic or panoptic masks on ``dataset``."""
    return mask_layout(catalog, dataset, model) is not None


def evaluate_masks(catalog: Catalog, dataset: str, model: str) -> dict[str, Any] | None:
    """``{"panoptic": ...}`` or ``{"semantic": ...}``, the whole report (each image's
    figures stored as computed fields); None where ``model`` has no masks."""
    layout = mask_layout(catalog, dataset, model)
    if layout is None:
        return None
    if layout == PANOPTIC:
        return evaluate_panoptic(catalog, dataset, model)
    return evaluate_semantic(catalog, dataset, model)
