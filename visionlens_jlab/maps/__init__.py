"""Embedding maps: 2-D reductions (PCA, UMAP, t-SNE) of a dataset's vectors, and lassos.

The engine only: no tornado. Stored coordinates live in the maps' own tables
(:mod:`visionlens_jlab.maps.tables`, declared by :mod:`visionlens_jlab.maps.manifest`), jobs in :mod:`visionlens_jlab.maps.jobs`, the
REST routes in :mod:`visionlens_jlab.handlers.maps`.
"""

from .params import METHODS, MapError, normalize_params

__all__ = ["METHODS", "MapError", "normalize_params"]
