"""What the blind-spot finder adds to the catalog: its manifest, installed when this module is
imported (:mod:`visionlens_jlab.features`): the computed field ``embedding_cluster``
(:mod:`.clusters`). Its results and reviews are still tables of the catalog's measured
fields (:mod:`visionlens_jlab.catalog.extensions.measured`).
"""

from __future__ import annotations

from ..catalog.extensions.computed import CATEGORICAL
from ..catalog.extensions.manifest import ComputedFieldKind, Manifest, install
from .clusters import FIELD

MANIFEST = Manifest(
    "blindspots",
    computed_fields=(
        ComputedFieldKind(FIELD, CATEGORICAL, "k-means cluster of the image's embedding"),
    ),
)
"""The blind-spot finder's catalog extension (see the module docstring)."""

install(MANIFEST)
