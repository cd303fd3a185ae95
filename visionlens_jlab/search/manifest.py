"""What captions add to the catalog: their manifest, installed when this module is imported
(:mod:`visionlens_jlab.features`): the computed field ``caption`` (:mod:`.captions`), which
a caption job writes and the text search reads.
"""

from __future__ import annotations

from ..catalog.extensions.computed import CATEGORICAL
from ..catalog.extensions.manifest import ComputedFieldKind, Manifest, install
from .captions import CAPTION

MANIFEST = Manifest(
    "captions",
    computed_fields=(
        ComputedFieldKind(CAPTION, CATEGORICAL, "a caption written by an image-to-text model"),
    ),
)
"""The captions' catalog extension (see the module docstring)."""

install(MANIFEST)
