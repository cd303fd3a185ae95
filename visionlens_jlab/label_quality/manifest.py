"""What label quality adds to the catalog: its manifest, installed when this module is
imported (:mod:`visionlens_jlab.features` and the package import it).

Its tables (``label_quality``, ``label_quality_runs``: migration step 11, :mod:`.store`), the
reads the catalog makes of them (a patches page's label-quality scores and sort), the
``label_quality`` label condition (:mod:`.label_filter`) and the ``computed.lq_*`` sample
fields of object, classification and semantic-mask runs (:mod:`.store`,
:mod:`.classification`, :mod:`.semantic_masks`).
"""

from __future__ import annotations

from ..catalog.extensions.computed import NUMERIC
from ..catalog.extensions.manifest import (
    ComputedFieldKind,
    LabelConditionKind,
    Manifest,
    Table,
    install,
)
from ..catalog.store.feature_reads import LQ_OBJECT_SCORES, LQ_RUNS, columns_of
from ..catalog.store.registry import Step
from . import classification, semantic_masks, store
from .label_filter import label_quality_sql, parse_label_quality

MANIFEST = Manifest(
    "label_quality",
    tables=(Table("label_quality"), Table("label_quality_runs")),
    steps=(Step(11, "add the label-quality tables", store.create_tables),),
    reads={
        LQ_OBJECT_SCORES: columns_of(LQ_OBJECT_SCORES, "label_quality"),
        LQ_RUNS: columns_of(LQ_RUNS, "label_quality_runs"),
    },
    label_conditions=(LabelConditionKind("label_quality", label_quality_sql, parse_label_quality),),
    computed_fields=tuple(
        ComputedFieldKind(name, NUMERIC, description)
        for fields in (store.FIELDS, classification.FIELDS, semantic_masks.FIELDS)
        for name, description in fields.items()
    ),
)
"""Label quality's catalog extension (see the module docstring)."""

install(MANIFEST)
