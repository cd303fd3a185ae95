"""Embedding models: the interface, the weight-free built-in embedder, open_clip, the input
pipeline, and the stream a worker process or a kernel runs.

Importing this package never imports torch; :func:`load_embedder` does, for open_clip models.
"""

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
