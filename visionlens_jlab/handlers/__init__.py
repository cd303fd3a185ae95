"""Thin tornado handlers for the VisionLens REST API, mounted at ``{base_url}visionlens/api``."""

from __future__ import annotations

import importlib
from typing import Any

from jupyter_server.utils import url_path_join

API_PREFIX = "visionlens/api"

HANDLER_MODULES = [
    "datasets",
    "jobs",
    "samples",
    "export",
    "export_jobs",
    "media",
    "evaluate",
    "embeddings",
    "similarity",
    "maps",
    "blindspots",
    "plugins",
    "debug",
    "predict",
    "image_quality",
    "edits",
    "label_quality",
    "quality",
    "labelstudio",
    "patches",
    "vlm",
    "selections",
    "segment",
    "bulk",
    "videos",
    "semantic",
]
"""Modules of this package exporting ``ROUTES``; each feature adds its own module here."""


def routes() -> list[tuple[str, Any]]:
    """Every route, prefixed with ``visionlens/api`` (the ExtensionApp adds ``base_url``)."""
    out: list[tuple[str, Any]] = []
    for module_name in HANDLER_MODULES:
        module = importlib.import_module(f"{__name__}.{module_name}")
        for pattern, handler in module.ROUTES:
            out.append((url_path_join(API_PREFIX, pattern.lstrip("/")), handler))
    return out
