"""What the ingest adds to the catalog: its manifest, installed when this module is imported
(:mod:`visionlens_jlab.features`): migration step 16, which gives the masks of objects
stored before ingest measured them their area (:mod:`.mask_areas`).
"""

from __future__ import annotations

from ..catalog.extensions.manifest import Manifest, install
from ..catalog.store.registry import Step
from .mask_areas import measure_old_masks

MANIFEST = Manifest(
    "mask_areas",
    steps=(Step(16, "measure the masks of objects stored before mask areas", measure_old_masks),),
)
"""The mask areas' catalog extension (see the module docstring)."""

install(MANIFEST)
