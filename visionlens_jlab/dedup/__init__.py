"""Duplicates and train/val leaks: exact (content hash), perceptual (pHash) and near
(cosine on embeddings) duplicates, grouped, written back as computed sample fields.

Importing this package installs its catalog manifest (:mod:`.manifest`): its computed fields
(``dup_group``, ``dup_count``, ``nearest_similarity``, ``uniqueness``) and its results table.
"""

from .manifest import MANIFEST
from .results import last_result

__all__ = ["MANIFEST", "last_result"]
