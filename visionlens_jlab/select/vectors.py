"""The vector side of a selection run: the space's vectors of the candidates, and the
strategies over them (:mod:`.vector_gains`).

The space is named as maps and duplicates take it (a space's name, or a model whose newest
space holds the dataset's vectors; default the newest such space), and the vectors are read
by sample id as maps read them. A candidate without a vector in the space is left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..catalog.reads import queries
from ..maps.params import MapError
from ..maps.store import choose_space, read_vectors
from .greedy import Gain
from .request import VECTOR_WORDS, SelectionError, SelectionRequest
from .vector_gains import Coverage, Diversity, Representativeness, Similar, Typicality

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..vectors import VectorStore


def _sorted_vectors(
    store: VectorStore, space: str, ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, vectors)`` of those of ``ids`` with a vector, in id order."""
    got, vectors = read_vectors(store, space, ids)
    order = np.argsort(got, kind="stable")
    return np.asarray(got, dtype=np.int64)[order], vectors[order]


def vector_gains(
    catalog: Catalog,
    store: VectorStore,
    dataset: str,
    request: SelectionRequest,
    ids: np.ndarray,
) -> tuple[str, np.ndarray, dict[str, Gain], int]:
    """The space read, the candidates that have a vector there (sorted), the request's
    vector strategies over them by word, and how many candidates were left out."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
    try:
        space = choose_space(store, dataset_id, request.space).name
    except MapError as exc:
        raise SelectionError(str(exc)) from exc
    kept, vectors = _sorted_vectors(store, space, ids)
    reference = np.empty((0, 0), dtype=np.float32)
    if request.reference_tag is not None:
        spec = {"tags": {"any": [request.reference_tag]}}
        tagged = queries.sample_ids(catalog, dataset, spec).to_numpy(zero_copy_only=False)
        reference = _sorted_vectors(store, space, np.asarray(tagged, dtype=np.int64))[1]
    gains: dict[str, Gain] = {}
    for word, _ in request.strategies:
        if word not in VECTOR_WORDS:
            continue
        if word in ("similar", "unlike") and not len(reference):
            raise SelectionError(
                f"{word!r}: no sample tagged {request.reference_tag!r} has a vector in {space!r}"
            )
        if not len(kept):
            raise SelectionError(f"no candidate has a vector in space {space!r}: embed them first")
        gains[word] = _gain(word, vectors, reference, request.count)
    return space, kept, gains, len(ids) - len(kept)


def _gain(word: str, vectors: np.ndarray, reference: np.ndarray, count: int) -> Gain:
    """Vector strategy ``word`` over the candidates' ``vectors``."""
    if word == "diversity":
        return Diversity(vectors)
    if word == "typicality":
        return Typicality(vectors, count)
    if word == "coverage":
        return Coverage(vectors)
    if word == "representativeness":
        return Representativeness(vectors)
    return Similar(vectors, reference, unlike=word == "unlike")
