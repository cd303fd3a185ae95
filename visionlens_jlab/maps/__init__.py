"""Embedding maps: 2-D reductions (PCA, UMAP, t-SNE) of a dataset's vectors, and lassos.

The engine only: no tornado. Stored coordinates live in the catalog
(:mod:`visionlens_jlab.catalog.extensions.maps`), jobs in :mod:`visionlens_jlab.maps.jobs`, the
REST routes in :mod:`visionlens_jlab.handlers.maps`.
"""

from .params import METHODS, MapError, normalize_params

__all__ = ["METHODS", "MapError", "normalize_params"]
