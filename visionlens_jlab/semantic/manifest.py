"""What semantic segmentation adds to the catalog: its manifest, installed when this module
is imported (:mod:`visionlens_jlab.features` imports it): the tables of :mod:`.records`,
created by migration step 22 (a model's masks are replaced by its next semantic-predictions;
step 30 adds their import time, step 31 the ``models`` rows of those imported before), the
per-image mean IoU and the per-image panoptic quality as computed sample fields."""

from __future__ import annotations

from ..catalog.extensions.manifest import ComputedFieldKind, Manifest, Table, install
from ..catalog.store.registry import Step
from .records import (
    CLASSES,
    IMAGE_IOU_FIELD,
    MASKS,
    PANOPTIC_IMAGE_FIELDS,
    SOURCES,
    add_import_time,
    create_tables,
    register_models,
)

MANIFEST = Manifest(
    "semantic",
    tables=(Table(MASKS), Table(SOURCES), Table(CLASSES)),
    steps=(
        Step(22, "add the tables of semantic masks", create_tables),
        Step(30, "record when each source's semantic masks were imported", add_import_time),
        Step(31, "list the models of semantic and panoptic masks imported before", register_models),
    ),
    computed_fields=(
        ComputedFieldKind(
            IMAGE_IOU_FIELD,
            "numeric",
            "an image's mean IoU over its classes, of the last evaluated semantic model",
        ),
        *(
            ComputedFieldKind(
                name,
                "numeric",
                f"an image's panoptic {name[-2:].upper()} (its categories' mean), of the "
                "last evaluated panoptic model",
            )
            for name in PANOPTIC_IMAGE_FIELDS
        ),
    ),
)
"""Semantic segmentation's catalog extension (see the module docstring)."""

install(MANIFEST)
