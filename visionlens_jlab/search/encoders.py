"""How a search query becomes a vector: the embedder's image and text towers.

This module only defines the small interface search needs; the embedders (``embed/``)
register theirs, e.g. at import::

    register_query_encoder("ViT-B-32", lambda space: QueryEncoder(
        encode_image=..., encode_text=...))

``encode_image(bytes) -> vector`` gets the encoded image file (the bytes a user uploads);
``encode_text(str) -> vector`` is ``None`` for embedders without a text tower (the
weight-free built-in one): text search is then refused with a clear message. A factory
gets the :class:`~visionlens_jlab.vectors.SpaceInfo` (model, version, dim) and may
raise :class:`~visionlens_jlab.vectors.VectorStoreError` when its weights are missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..vectors import SpaceInfo, VectorStoreError


class QueryEncoderError(VectorStoreError):
    """A query cannot be encoded in that space (no encoder, no text tower, bad image)."""


class QueryImageTooLargeError(QueryEncoderError):
    """An uploaded query image with more pixels than the decoder accepts (HTTP 413)."""


@dataclass(frozen=True)
class QueryEncoder:
    """The towers of one embedding model, as search uses them."""

    encode_image: Callable[[bytes], np.ndarray] | None
    encode_text: Callable[[str], np.ndarray] | None


EncoderFactory = Callable[[SpaceInfo], QueryEncoder]
_FACTORIES: dict[str, EncoderFactory] = {}
_DEFAULT: list[EncoderFactory] = []  # at most one: the server's embedders (embed/query.py)


def register_query_encoder(model: str, factory: EncoderFactory) -> None:
    """Make queries of spaces whose model is ``model`` encodable (replaces an earlier one)."""
    _FACTORIES[model] = factory


def set_default_query_encoder(factory: EncoderFactory | None) -> None:
    """The factory for spaces of models without their own (any open_clip architecture):
    the server sets its embedders' here at start and ``None`` when it stops."""
    _DEFAULT[:] = [factory] if factory is not None else []


def default_query_encoder() -> EncoderFactory | None:
    """The factory set by :func:`set_default_query_encoder`, if any."""
    return _DEFAULT[0] if _DEFAULT else None


def query_encoder(space: SpaceInfo) -> QueryEncoder:
    """The encoder of a space's model, or :class:`QueryEncoderError` saying what is missing."""
    factory = _FACTORIES.get(space.model) or default_query_encoder()
    if factory is None:
        raise QueryEncoderError(
            f"no query encoder is available for model {space.model!r} in this server: "
            "search by a sample (like=ID) instead, or embed with a model installed here"
        )
    return factory(space)


def encode_text(space: SpaceInfo, text: str) -> np.ndarray:
    """The text query as a vector of the space; refused for models without a text tower."""
    if not isinstance(text, str) or not text.strip():
        raise QueryEncoderError("'text' must be a non-empty string")
    encoder = query_encoder(space)
    if encoder.encode_text is None:
        raise QueryEncoderError(
            f"text search needs a model with a text tower (a CLIP model); "
            f"the vectors of this dataset come from {space.model!r}, which has none. "
            "Embed the dataset with a model marked 'text' by `visionlens models` (the models "
            "on this machine; a CLIP model is listed once its weights are in the open_clip "
            "cache or given as a checkpoint), or search by an example image or sample instead"
        )
    return _checked(encoder.encode_text(text.strip()), space, "text")


def encode_image(space: SpaceInfo, data: bytes) -> np.ndarray:
    """An uploaded image (encoded file bytes) as a vector of the space."""
    encoder = query_encoder(space)
    if encoder.encode_image is None:
        raise QueryEncoderError(f"model {space.model!r} cannot encode images in this server")
    try:
        vector = encoder.encode_image(data)
    except Image.DecompressionBombError as exc:  # Pillow's MAX_IMAGE_PIXELS guard
        raise QueryImageTooLargeError(f"the uploaded image has too many pixels: {exc}") from exc
    except (OSError, ValueError) as exc:
        raise QueryEncoderError(f"the uploaded image cannot be read: {exc}") from exc
    return _checked(vector, space, "image")


def _checked(vector: np.ndarray, space: SpaceInfo, what: str) -> np.ndarray:
    out = np.asarray(vector, dtype=np.float32).reshape(-1)
    if out.shape[0] != space.dim or not np.isfinite(out).all():
        raise QueryEncoderError(
            f"the {space.model!r} {what} encoder gave a vector of shape {out.shape}, "
            f"not the space's {space.dim}"
        )
    return out
