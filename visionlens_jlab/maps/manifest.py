"""What the maps add to the catalog: its manifest, installed when this module is imported
(:mod:`visionlens_jlab.features`): the tables ``maps`` and ``map_points`` (schema 1,
:mod:`.tables`), deleted with their dataset.
"""

from __future__ import annotations

from ..catalog.extensions.manifest import Manifest, Table, install
from .tables import MAP_POINTS_DDL, MAPS_DDL

MANIFEST = Manifest(
    "embedding_maps", tables=(Table("map_points", MAP_POINTS_DDL), Table("maps", MAPS_DDL))
)
"""The maps' catalog extension (see the module docstring)."""

install(MANIFEST)
