"""What duplicates add to the catalog: its manifest, installed when this module is imported
(:mod:`visionlens_jlab.features` and the package import it): the ``duplicate_results`` table
(schema 1) and the computed fields ``dup_group``, ``dup_count``, ``nearest_similarity`` and
``uniqueness`` (:mod:`.results`).
"""

from __future__ import annotations

from ..catalog.extensions.manifest import ComputedFieldKind, Manifest, Table, install
from .results import FIELDS, RESULTS_DDL

MANIFEST = Manifest(
    "dedup",
    tables=(Table("duplicate_results", RESULTS_DDL),),
    computed_fields=tuple(
        ComputedFieldKind(name, kind, description) for name, (kind, description) in FIELDS.items()
    ),
)
"""The duplicates' catalog extension (see the module docstring)."""

install(MANIFEST)
