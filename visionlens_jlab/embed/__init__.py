"""Embedding models: the interface, the weight-free built-in embedder, open_clip, the input
pipeline, and the stream a worker process or a kernel runs.

Importing this package never imports torch; :func:`load_embedder` does, for open_clip models.
Nor does it import the job machinery its modules run on (~25 ms with prometheus_client):
every command imports the package's manifest when it opens a catalog, and the names below
are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Embedder, EmbedderInfo, EmbedError, TextNotSupportedError
    from .models import BUILTIN, CHECKPOINT_ENV, DEFAULT_ARCH, DEFAULT_TAG, ModelSpec, parse_model
    from .registry import describe, list_models, load_embedder

__all__ = [
    "BUILTIN",
    "CHECKPOINT_ENV",
    "DEFAULT_ARCH",
    "DEFAULT_TAG",
    "EmbedError",
    "Embedder",
    "EmbedderInfo",
    "ModelSpec",
    "TextNotSupportedError",
    "describe",
    "list_models",
    "load_embedder",
    "parse_model",
]


def __getattr__(name: str) -> object:
    """The names of :data:`__all__`, from their modules on first use."""
    if name in ("Embedder", "EmbedderInfo", "EmbedError", "TextNotSupportedError"):
        from . import base

        return getattr(base, name)
    if name in (
        "BUILTIN",
        "CHECKPOINT_ENV",
        "DEFAULT_ARCH",
        "DEFAULT_TAG",
        "ModelSpec",
        "parse_model",
    ):
        from . import models

        return getattr(models, name)
    if name in ("describe", "list_models", "load_embedder"):
        from . import registry

        return getattr(registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
