"""VisionLens for JupyterLab: computer-vision dataset introspection inside JupyterLab."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "visionlens_jlab"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import VisionLensApp

    return [{"module": "visionlens_jlab", "app": VisionLensApp}]
