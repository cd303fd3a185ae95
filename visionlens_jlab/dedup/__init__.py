"""Duplicates and train/val leaks: exact (content hash), perceptual (pHash) and near
(cosine on embeddings) duplicates, grouped, written back as computed sample fields.

Importing this package registers its computed fields (``dup_group``, ``dup_count``,
``nearest_similarity``, ``uniqueness``) and its results table with the catalog.
"""

from .results import install, last_result

install()

__all__ = ["last_result"]
