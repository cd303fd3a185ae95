"""What label quality adds to the catalog: its manifest, installed when this module is
imported (:mod:`visionlens_jlab.features` and the package import it).

Its tables (``label_quality``, ``label_quality_runs``: migration step 11, :mod:`.store`;
``semantic_regions``: step 29, :mod:`.semantic_regions`), the reads the catalog makes of
them (a patches page's label-quality scores and sort), the ``label_quality`` label
condition (:mod:`.label_filter`), the ``semantic_regions`` sample condition and the ``computed.lq_*`` sample
fields of object, classification and semantic-mask runs (:mod:`.store`,
:mod:`.classification`, :mod:`.semantic_masks`).
"""

from __future__ import annotations

from ..catalog.extensions.computed import NUMERIC
from ..catalog.extensions.manifest import (
    ComputedFieldKind,
    LabelConditionKind,
    Manifest,
    SampleConditionKind,
    Table,
    install,
)
from ..catalog.store.feature_reads import LQ_OBJECT_SCORES, LQ_RUNS, columns_of
from ..catalog.store.registry import Step
from . import classification, semantic_masks, semantic_regions, store
from .label_filter import label_quality_sql, parse_label_quality

MANIFEST = Manifest(
    "label_quality",
    tables=(
        Table("label_quality"),
        Table("label_quality_runs"),
        Table(semantic_regions.REGIONS),
    ),
    steps=(
        Step(11, "add the label-quality tables", store.create_tables),
        Step(29, "add the regions of semantic label quality", semantic_regions.create_table),
    ),
    reads={
        LQ_OBJECT_SCORES: columns_of(LQ_OBJECT_SCORES, "label_quality"),
        LQ_RUNS: columns_of(LQ_RUNS, "label_quality_runs"),
    },
    label_conditions=(LabelConditionKind("label_quality", label_quality_sql, parse_label_quality),),
    sample_conditions=(
        SampleConditionKind(
            semantic_regions.KEY, semantic_regions.regions_sql, semantic_regions.parse_regions
        ),
    ),
    computed_fields=tuple(
        ComputedFieldKind(name, NUMERIC, description)
        for fields in (store.FIELDS, classification.FIELDS, semantic_masks.FIELDS)
        for name, description in fields.items()
    ),
)
"""Label quality's catalog extension (see the module docstring)."""

install(MANIFEST)
