"""VisionLens example plugin: how sharp each image is (see ``plugin.py``)."""

from .plugin import BlurPlugin, laplacian_variance

__all__ = ["BlurPlugin", "laplacian_variance"]
