"""Small helpers shared by the Edge adapter and its index builder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import qdrant_edge as qe

from .base import VectorStoreError, VectorStoreLockedError


@contextmanager
def edge_errors(what: str) -> Iterator[None]:
    """Turn qdrant_edge's bare ``Exception`` into a :class:`VectorStoreError` with context."""
    try:
        yield
    except VectorStoreError:
        raise
    except Exception as exc:
        text = str(exc)
        if "WouldBlock" in text or "temporarily unavailable" in text:
            raise VectorStoreLockedError(
                f"{what}: the vector store is in use by another process (a running JupyterLab "
                "with VisionLens?). Use that server, or stop it first."
            ) from exc
        raise VectorStoreError(f"{what}: {text}") from exc


def dataset_filter(dataset_id: int | None, sample_ids: list[int] | None) -> qe.Filter | None:
    """The Edge filter for one dataset and/or a set of sample ids (``None``: no filter)."""
    must: list[Any] = []
    if dataset_id is not None:
        must.append(qe.FieldCondition("dataset_id", match=qe.MatchValue(int(dataset_id))))
    if sample_ids is not None:
        must.append(qe.HasIdCondition(set(sample_ids)))
    return qe.Filter(must=must) if must else None


def pids(ids: list[int]) -> list[Any]:
    """Sample ids as Edge point ids (the stubs type the list invariantly as int|UUID|str)."""
    return list(ids)
