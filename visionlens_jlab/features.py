"""The modules that extend the catalog, imported by every entry point before a catalog opens.

Importing one of these registers, with the catalog's store, the tables it owns (created by
the migrations, deleted with their dataset), its migration steps, and its filters and facets;
a feature's ``manifest`` module declares all of them in one value and installs it
(:mod:`visionlens_jlab.catalog.extensions.manifest`).
The catalog imports none of them (nothing in it imports upward); the server, the CLI and the
tests' fixtures call :func:`load` first, and :class:`~visionlens_jlab.catalog.Catalog`
refuses to open before the schema's tables are all registered.
"""

from __future__ import annotations

import importlib

CATALOG_MODULES = (
    "visionlens_jlab.catalog.sql.facet_keys",
    "visionlens_jlab.catalog.sql.box_ranges",
    "visionlens_jlab.catalog.tables.box_summaries",
    "visionlens_jlab.catalog.tables.field_index",
    "visionlens_jlab.catalog.extensions.computed",
    "visionlens_jlab.maps.manifest",
    "visionlens_jlab.catalog.extensions.measured",
    "visionlens_jlab.catalog.extensions.label_facets",
    "visionlens_jlab.evaluate.manifest",
    "visionlens_jlab.media.manifest",
    "visionlens_jlab.embed.manifest",
    "visionlens_jlab.dedup.manifest",
    "visionlens_jlab.search.manifest",
    "visionlens_jlab.image_quality.manifest",
    "visionlens_jlab.label_quality.manifest",
    "visionlens_jlab.edits.manifest",
    "visionlens_jlab.predict.manifest",
    "visionlens_jlab.importing.manifest",
    "visionlens_jlab.importing.video_tables",
    "visionlens_jlab.blindspots.manifest",
    "visionlens_jlab.select.manifest",
    "visionlens_jlab.semantic.manifest",
)
"""Modules that add tables, migration steps, filters or facets to the catalog when imported."""


def load() -> None:
    """Import every module of :data:`CATALOG_MODULES` (idempotent, cheap after the first)."""
    for module in CATALOG_MODULES:
        importlib.import_module(module)
