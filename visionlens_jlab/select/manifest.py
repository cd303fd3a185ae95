"""What selection adds to the catalog: its manifest, installed when this module is imported
(:mod:`visionlens_jlab.features` imports it): the ``selections`` and ``selection_rows``
tables, created by migration step 19 (:mod:`.records`).
"""

from __future__ import annotations

from ..catalog.extensions.manifest import Manifest, Table, install
from ..catalog.store.registry import Step
from .records import TABLES, create_tables

MANIFEST = Manifest(
    "selection",
    tables=tuple(Table(name) for name in TABLES),
    steps=(Step(19, "add the tables of selections", create_tables),),
)
"""Selection's catalog extension (see the module docstring)."""

install(MANIFEST)
