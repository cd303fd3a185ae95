"""What the blind-spot finder adds to the catalog: its manifest, installed when this module is
imported (:mod:`visionlens_jlab.features`): its tables ``blindspot_results`` and
``blindspot_reviews`` (schema 1, :mod:`.results`) and the computed field
``embedding_cluster`` (:mod:`.clusters`). The measured attributes it slices by are the
catalog's (:mod:`visionlens_jlab.catalog.extensions.measured`).
"""

from __future__ import annotations

from ..catalog.extensions.computed import CATEGORICAL
from ..catalog.extensions.manifest import ComputedFieldKind, Manifest, Table, install
from .clusters import FIELD
from .results import RESULTS_DDL, REVIEWS_DDL

MANIFEST = Manifest(
    "blindspots",
    tables=(Table("blindspot_results", RESULTS_DDL), Table("blindspot_reviews", REVIEWS_DDL)),
    computed_fields=(
        ComputedFieldKind(FIELD, CATEGORICAL, "k-means cluster of the image's embedding"),
    ),
)
"""The blind-spot finder's catalog extension (see the module docstring)."""

install(MANIFEST)
