"""The vector side of a selection run: the space's vectors of the candidates, and the
strategies over them (:mod:`.vector_gains`).

The space is named as maps and duplicates take it (a space's name, or a model whose newest
space holds the dataset's vectors; default the newest such space), and the vectors are read
by sample id as maps read them. A candidate without a vector in the space is left out.

In the server, the vectors come from search's in-memory matrix of the dataset's space
(:class:`~visionlens_jlab.search.matrix_cache.VectorMatrixCache`) where it fits: reading
100,000 vectors back out of Qdrant Edge took 4.4 s of an 8 s selection
(``benchmarks/results/select.md``), a gather from the cached matrix takes milliseconds, and
a selection after a search (or a second selection) finds the matrix read already.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..catalog.reads import queries
from ..maps.params import MapError
from ..maps.store import choose_space, read_vectors
from ..search.spaces import dataset_spaces
from .greedy import Gain
from .request import VECTOR_WORDS, SelectionError, SelectionRequest
from .vector_gains import Coverage, Diversity, Representativeness, Similar, Typicality

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..search.matrix_cache import DatasetMatrix, VectorMatrixCache
    from ..vectors import VectorStore


_HOW_TO_EMBED = (
    "compute them with `visionlens embed {dataset}` (it embeds the samples without a "
    "vector) or import yours with `visionlens embeddings-import {dataset} FILE --space NAME`"
)
"""What a refusal for want of vectors tells the user to run (a selection never embeds)."""


def _sorted_vectors(
    store: VectorStore, space: str, ids: np.ndarray, cached: DatasetMatrix | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, vectors)`` of those of ``ids`` with a vector, in id order: gathered from
    ``cached`` (the space's whole matrix, ids sorted) when given, else read from the store."""
    if cached is not None:
        wanted = np.unique(np.asarray(ids, dtype=np.int64))
        rows = np.minimum(np.searchsorted(cached.ids, wanted), max(len(cached.ids) - 1, 0))
        hit = cached.ids[rows] == wanted if len(cached.ids) else np.zeros(len(wanted), bool)
        return wanted[hit], cached.matrix[rows[hit]]
    got, vectors = read_vectors(store, space, ids)
    got = np.asarray(got, dtype=np.int64)
    if bool(np.all(got[1:] > got[:-1])):  # read in id order already: no second copy
        return got, vectors
    order = np.argsort(got, kind="stable")
    return got[order], vectors[order]


@dataclass(frozen=True)
class VectorSide:
    """What the vector strategies read: ``ids``, the loop's rows (the candidates with a
    vector, then ``labelled`` more: samples of the view with ground truth, never chosen
    and counted as chosen already), the strategies by word, and ``left_out`` candidates
    without a vector."""

    space: str
    ids: np.ndarray
    gains: dict[str, Gain]
    left_out: int
    labelled: int


def vector_gains(
    catalog: Catalog,
    store: VectorStore,
    dataset: str,
    request: SelectionRequest,
    ids: np.ndarray,
    labelled_ids: np.ndarray,
    cache: VectorMatrixCache | None = None,
) -> VectorSide:
    """The request's vector strategies over the candidates ``ids`` that have a vector in
    its space, with the vectors of ``labelled_ids`` as what is labelled already; ``cache``:
    the server's matrices of the spaces, read from where they fit."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
    if request.space is None and not dataset_spaces(store, dataset_id):
        raise SelectionError(
            f"this dataset has no embeddings yet: {_HOW_TO_EMBED.format(dataset=dataset)}, "
            "or choose strategies that need no vectors (balance, uncertainty, random...)"
        )
    try:
        info = choose_space(store, dataset_id, request.space)
    except MapError as exc:
        raise SelectionError(str(exc)) from exc
    space = info.name
    cached = None
    if cache is not None:
        cached = cache.get(store, info, dataset_id, cache.count(store, space, dataset_id))
    kept, vectors = _sorted_vectors(store, space, ids, cached)
    if not len(kept):
        raise SelectionError(
            f"none of the {len(ids):,} candidates has a vector in space {space!r}: "
            f"{_HOW_TO_EMBED.format(dataset=dataset)}"
        )
    known, known_vectors = _sorted_vectors(store, space, labelled_ids, cached)
    rows = np.concatenate([kept, known])
    if len(known):
        vectors = np.concatenate([vectors, known_vectors.astype(vectors.dtype, copy=False)])
    mask = np.arange(len(rows)) >= len(kept)
    reference = np.empty((0, 0), dtype=np.float32)
    if request.reference_tag is not None:
        spec = {"tags": {"any": [request.reference_tag]}}
        tagged = queries.sample_ids(catalog, dataset, spec).to_numpy(zero_copy_only=False)
        tagged_ids = np.asarray(tagged, dtype=np.int64)
        reference = _sorted_vectors(store, space, tagged_ids, cached)[1]
    gains: dict[str, Gain] = {}
    for word, _ in request.strategies:
        if word not in VECTOR_WORDS:
            continue
        if word in ("similar", "unlike") and not len(reference):
            raise SelectionError(
                f"{word!r}: no sample tagged {request.reference_tag!r} has a vector in {space!r}"
            )
        gains[word] = _gain(word, vectors, reference, mask, request.count)
    return VectorSide(space, rows, gains, len(ids) - len(kept), len(known))


def _gain(
    word: str, vectors: np.ndarray, reference: np.ndarray, labelled: np.ndarray, count: int
) -> Gain:
    """Vector strategy ``word`` over the rows' ``vectors`` (``labelled``: their mask)."""
    mask = labelled if labelled.any() else None
    if word == "diversity":
        return Diversity(vectors, mask)
    if word == "typicality":
        return Typicality(vectors, count, mask)
    if word == "coverage":
        return Coverage(vectors, mask)
    if word == "representativeness":
        return Representativeness(vectors, mask)
    return Similar(vectors, reference, mask, unlike=word == "unlike")
