"""Similarity search (by sample, image or text) within any samples filter.

The names below load their module on first use, so that the command line's parser (which
imports :mod:`.cli`) does not pay for the vector-store clients.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "QueryEncoder": "encoders",
    "QueryEncoderError": "encoders",
    "encode_image": "encoders",
    "encode_text": "encoders",
    "query_encoder": "encoders",
    "register_query_encoder": "encoders",
    "DEFAULT_PLAN": "engine",
    "Query": "engine",
    "SearchPlan": "engine",
    "search": "engine",
    "DEFAULT_K": "limits",
    "MAX_IMAGE_BYTES": "limits",
    "NoVectorsError": "spaces",
    "choose_space": "spaces",
    "dataset_spaces": "spaces",
    "read_vectors": "spaces",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
