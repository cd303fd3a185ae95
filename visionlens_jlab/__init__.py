"""VisionLens for JupyterLab: computer-vision dataset introspection inside JupyterLab.

In a notebook: ``import visionlens_jlab as vl`` then ``vl.datasets()``, ``vl.dataset(name)``,
``vl.open(ds)`` (see :mod:`visionlens_jlab.notebook`). The notebook API is imported on first
use, so the server extension and the CLI never pay for pandas.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_NOTEBOOK_API = {"datasets", "dataset", "open", "connect", "Dataset", "Session", "VisionLensError"}


def __getattr__(name: str) -> Any:
    if name in _NOTEBOOK_API:
        from . import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'visionlens_jlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_NOTEBOOK_API])


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "visionlens_jlab"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import VisionLensApp

    return [{"module": "visionlens_jlab", "app": VisionLensApp}]
