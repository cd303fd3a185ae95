"""Which evaluation a model's masks take: panoptic quality for COCO panoptic results
(:mod:`.panoptic`), the semantic metrics for per-pixel class masks (:mod:`.evaluate`). The
CLI (on the catalog) and the server's evaluation job (while a server owns it) share it.

A model holding objects or image labels as well as masks (a catalog written before one name
was kept to one kind: :mod:`~visionlens_jlab.catalog.reads.model_kinds`) is refused here,
for both: evaluating its masks would silently leave the rest unevaluated."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..catalog.reads.model_kinds import check_single_kind
from .records import PANOPTIC_LAYOUT, mask_layout

if TYPE_CHECKING:
    from ..catalog import Catalog


def _layout(catalog: Catalog, dataset: str, model: str) -> str | None:
    """``model``'s mask layout, None without masks; refused when it holds both kinds."""
    layout = mask_layout(catalog, dataset, model)
    if layout is not None:
        with catalog.cursor() as cur:
            check_single_kind(cur, catalog.dataset_id(cur, dataset), model)
    return layout


def has_masks(catalog: Catalog, dataset: str, model: str) -> bool:
    """Whether ``model`` recorded semantic or panoptic masks on ``dataset``
    (:class:`~visionlens_jlab.catalog.CatalogError` where it holds objects or image labels
    too: which to evaluate cannot be told)."""
    return _layout(catalog, dataset, model) is not None


def evaluate_masks(catalog: Catalog, dataset: str, model: str) -> dict[str, Any] | None:
    """``{"panoptic": ...}`` or ``{"semantic": ...}``, the whole report (each image's
    figures stored as computed fields); None where ``model`` has no masks; refused as
    :func:`has_masks` refuses."""
    layout = _layout(catalog, dataset, model)
    if layout is None:
        return None
    # the two evaluations are imported for masks only: a box model's evaluation (the CLI's
    # usual one) asks here first and would pay for their modules on every run
    if layout == PANOPTIC_LAYOUT:
        from .panoptic import evaluate_panoptic

        return evaluate_panoptic(catalog, dataset, model)
    from .evaluate import evaluate_semantic

    return evaluate_semantic(catalog, dataset, model)
