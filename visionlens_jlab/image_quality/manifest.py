"""What image quality adds to the catalog: its manifest, installed when this module is
imported (:mod:`visionlens_jlab.features` does; the package's own import stays light): the
computed fields ``quality_<issue>_score`` and ``is_<issue>_issue`` (:mod:`.fields`).
"""

from __future__ import annotations

from ..catalog.extensions.manifest import ComputedFieldKind, Manifest, install
from .fields import FIELDS

MANIFEST = Manifest(
    "image_quality",
    computed_fields=tuple(
        ComputedFieldKind(name, kind, description) for name, (kind, description) in FIELDS.items()
    ),
)
"""Image quality's catalog extension (see the module docstring)."""

install(MANIFEST)
