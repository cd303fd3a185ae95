"""Similarity search (by sample, image or text) within any samples filter."""

from .encoders import (
    QueryEncoder,
    QueryEncoderError,
    encode_image,
    encode_text,
    query_encoder,
    register_query_encoder,
)
from .engine import DEFAULT_K, DEFAULT_PLAN, MAX_IMAGE_BYTES, Query, SearchPlan, search
from .spaces import NoVectorsError, choose_space, dataset_spaces, read_vectors

__all__ = [
    "DEFAULT_K",
    "DEFAULT_PLAN",
    "MAX_IMAGE_BYTES",
    "NoVectorsError",
    "Query",
    "QueryEncoder",
    "QueryEncoderError",
    "SearchPlan",
    "choose_space",
    "dataset_spaces",
    "encode_image",
    "encode_text",
    "query_encoder",
    "read_vectors",
    "register_query_encoder",
    "search",
]
