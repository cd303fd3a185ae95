"""What the media area adds to the catalog: its manifest, installed when this module is
imported (:mod:`visionlens_jlab.features` does): the ``media_status`` table of bad media
(schema 1, :mod:`.status_table`; read and written by :mod:`.lookup`), whose rows go with
their dataset.
"""

from __future__ import annotations

from ..catalog.extensions.manifest import Manifest, Table, install
from .status_table import MEDIA_STATUS_DDL

MANIFEST = Manifest("media", tables=(Table("media_status", MEDIA_STATUS_DDL),))
"""The media's catalog extension (see the module docstring)."""

install(MANIFEST)
