"""What embeddings add to the catalog: their manifest, installed when this module is imported
(:mod:`visionlens_jlab.features` does): the ``vector_spaces`` table (schema 1,
:mod:`.spaces`), whose rows go with their dataset.
"""

from __future__ import annotations

from ..catalog.extensions.manifest import Manifest, Table, install
from .spaces import SPACES_DDL

MANIFEST = Manifest("embed", tables=(Table("vector_spaces", SPACES_DDL),))
"""The embeddings' catalog extension (see the module docstring)."""

install(MANIFEST)
