"""Similarity search within any samples filter: the top ``k`` of the samples that match.

A query is a vector: a sample's stored vector (``like``), an uploaded image or a text
through the space's encoders (:mod:`.encoders`). The filter is the JSON filter of
:mod:`~visionlens_jlab.catalog.query.filters`; the answer holds ``k`` results whenever at least
``k`` matching samples have a vector, whatever the filter's selectivity. How depends on how
many samples match (measured in ``benchmarks/results/search.md``):

* no filter: a search restricted to the dataset's payload (exact scan up to
  :attr:`SearchPlan.exact_dataset_max` points, the HNSW index above);
* most of the dataset (>= :attr:`SearchPlan.postfilter_min`): over-fetch from the
  dataset's search and keep the matches; if too few survive, as below;
* otherwise: an exact scan of just the matching samples' vectors (an id-set filter with
  ``exact``). Qdrant's HNSW search under the same id-set filter was measured too: no
  faster, and far from exact (it is not used).

In the server, every search of an Edge store goes through a :class:`.VectorMatrixCache`
instead: the dataset's vectors as one float32 matrix, scanned exactly in numpy whatever the
filter (strategy ``memory``), falling back to the plans above when the matrix would not
fit the cache's cap.

A space whose embedding run did not finish, or that lacks vectors of samples added since,
is still searched (the vectors it has are valid) and the answer carries a ``warning``
saying how many samples are covered and how to embed the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..catalog.query.filters import FilterError, compile_filter
from ..vectors import Hit, SpaceInfo, VectorStore
from ..vectors.adapter_io import check_k
from .coverage import coverage_warning, read_dataset_state
from .encoders import QueryEncoderError, encode_image, encode_text
from .limits import DEFAULT_K, MAX_IMAGE_BYTES
from .matrix_cache import DatasetMatrix, VectorMatrixCache
from .spaces import Counter, NoVectorsError, choose_space, dataset_spaces, store_count

if TYPE_CHECKING:
    from ..catalog import Catalog

MAX_FETCH = 10_000


@dataclass(frozen=True)
class SearchPlan:
    """Where the strategies switch (see the module doc); tests force each one."""

    postfilter_min: float = 0.2
    exact_dataset_max: int = 200_000
    hnsw_ef: int = 128


DEFAULT_PLAN = SearchPlan()


@dataclass(frozen=True)
class Query:
    """Exactly one of ``like`` (sample id), ``text`` or ``image`` (encoded file bytes)."""

    like: int | None = None
    text: str | None = None
    image: bytes | None = None

    def __post_init__(self) -> None:
        given = [x for x in (self.like, self.text, self.image) if x is not None]
        if len(given) != 1:
            raise QueryEncoderError("give exactly one of 'like' (a sample id), 'text' or 'image'")
        if self.like is not None and (
            isinstance(self.like, bool) or not isinstance(self.like, int)
        ):
            raise QueryEncoderError("'like' must be an integer sample id")
        if self.image is not None and len(self.image) > MAX_IMAGE_BYTES:
            raise QueryEncoderError(
                f"the query image is {len(self.image):,} bytes; the limit is {MAX_IMAGE_BYTES:,}"
            )


def search(
    catalog: Catalog,
    store: VectorStore | None,
    dataset: str,
    query: Query,
    *,
    filter_spec: dict[str, Any] | None = None,
    k: int = DEFAULT_K,
    model: str | None = None,
    plan: SearchPlan = DEFAULT_PLAN,
    cache: VectorMatrixCache | None = None,
) -> dict[str, Any]:
    """``{"model", "space", "strategy", "matched", "results": [{"sample_id", "score",
    "file_name"}], "warning", "code"}``, best first (``warning``: None, or why the results
    may miss samples). ``cache``: the server's matrices (see the module doc)."""
    k = check_k(k)
    count: Counter = store_count if cache is None else cache.count
    with catalog.cursor() as cur:  # one cursor for the request (each costs ~1 ms)
        state = read_dataset_state(cur, dataset)
        dataset_id = state.dataset_id
        flt = compile_filter(dataset_id, filter_spec)
        ids = None
        if not flt.whole_dataset:
            ids = (
                cur.sql(
                    f"SELECT s.sample_id FROM samples s WHERE {flt.where} ORDER BY 1",  # noqa: S608 - compiled, parameterized
                    params=flt.params,
                )
                .to_arrow_table()
                .column(0)
                .to_numpy()
                .astype(np.int64, copy=False)
            )
        try:
            space, n_points = choose_space(store, dataset, dataset_id, model, count)
        except NoVectorsError:
            _check_like(cur, dataset, dataset_id, query)  # a wrong id is the first error
            raise
        assert store is not None  # choose_space raised otherwise
        matrix = None if cache is None else cache.get(store, space, dataset_id, n_points)
        # the matrix holds only this dataset's samples: a vector found there is the check
        if matrix is None or query.like is None or matrix.vector(query.like) is None:
            _check_like(cur, dataset, dataset_id, query)
        vector, encoded_in, n_encoded = _encoded_query(
            store, space, n_points, query, dataset, dataset_id, model, matrix, count
        )
        if encoded_in.name != space.name:  # a text or image query went to another space
            space, n_points = encoded_in, n_encoded
            matrix = None if cache is None else cache.get(store, space, dataset_id, n_points)
        if matrix is not None:
            rows = None if ids is None else matrix.rows_of(ids)
            hits, strategy = matrix.top_k(vector, k, rows), "memory"
        else:
            hits, strategy = _top_k(store, space.name, vector, k, dataset_id, n_points, ids, plan)
        hit_ids = [h.sample_id for h in hits]
        if matrix is not None:
            names = matrix.names_of(hit_ids, lambda: _all_file_names(cur, dataset_id))
        else:
            names = file_names(cur, dataset_id, hit_ids)
        warning = coverage_warning(state, dataset, space, n_points)
    return {
        "model": space.model,
        "space": space.name,
        "strategy": strategy,
        "matched": None if ids is None else len(ids),
        "results": [
            {"sample_id": h.sample_id, "score": h.score, "file_name": names.get(h.sample_id)}
            for h in hits
        ],
        "warning": warning,
        "code": reproduce_code(dataset, query, filter_spec, k, model),
    }


def _check_like(cur: Any, dataset: str, dataset_id: int, query: Query) -> None:
    """A ``like`` id must be a sample of the dataset."""
    if query.like is None:
        return
    found = cur.execute(
        "SELECT 1 FROM samples WHERE dataset_id = ? AND sample_id = ?", [dataset_id, query.like]
    ).fetchall()
    if not found:
        raise FilterError(f"no sample {query.like} in dataset {dataset!r}")


def _encoded_query(
    store: VectorStore,
    space: SpaceInfo,
    n_points: int,
    query: Query,
    dataset: str,
    dataset_id: int,
    model: str | None,
    matrix: DatasetMatrix | None,
    count: Counter,
) -> tuple[np.ndarray, SpaceInfo, int]:
    """The query vector and the space it belongs to.

    With no ``model`` named, a text or image query goes to the newest space whose model can
    encode it: a dataset embedded with the built-in embedder and then with CLIP answers text
    in the CLIP space whichever is newer. When no space can, the newest space's reason is
    given, except that "needs a text tower" wins (it says what to do)."""
    try:
        return _query_vector(store, space, query, dataset, matrix), space, n_points
    except QueryEncoderError as first:
        if model is not None or query.like is not None:
            raise
        reasons = [first]
        for other, n_other in dataset_spaces(store, dataset_id, count):
            if other.name == space.name:
                continue
            try:
                return _query_vector(store, other, query, dataset, None), other, n_other
            except QueryEncoderError as exc:
                reasons.append(exc)
        raise next((r for r in reasons if "text tower" in str(r)), first) from None


def _query_vector(
    store: VectorStore,
    space: SpaceInfo,
    query: Query,
    dataset: str,
    matrix: DatasetMatrix | None,
) -> np.ndarray:
    if query.text is not None:
        return encode_text(space, query.text)
    if query.image is not None:
        return encode_image(space, query.image)
    assert query.like is not None
    if matrix is not None:
        vector = matrix.vector(query.like)
        if vector is not None:
            return vector
    got, vectors = store.get_vectors(space.name, [query.like])
    if len(got) == 0:
        raise QueryEncoderError(
            f"sample {query.like} has no {space.model!r} vector yet: run "
            f"`visionlens embed {dataset}` to embed the samples added since"
        )
    return vectors[0]


def _top_k(
    store: VectorStore,
    space: str,
    vector: np.ndarray,
    k: int,
    dataset_id: int,
    n_points: int,
    ids: np.ndarray | None,
    plan: SearchPlan,
) -> tuple[list[Hit], str]:
    """The hits and the name of the strategy that found them (``n_points``: how many
    vectors the dataset has in the space)."""
    if ids is not None and len(ids) == 0:
        return [], "empty"
    whole_exact = n_points <= plan.exact_dataset_max
    ef = None if whole_exact else plan.hnsw_ef
    if ids is None:
        hits = store.search(space, vector, k, dataset_id=dataset_id, exact=whole_exact, hnsw_ef=ef)
        return hits, "dataset"
    share = len(ids) / max(1, n_points)
    if share >= plan.postfilter_min:
        fetch = min(MAX_FETCH, max(k, math.ceil(k / share * 1.5) + k))
        over = store.search(
            space, vector, fetch, dataset_id=dataset_id, exact=whole_exact, hnsw_ef=ef
        )
        hit_ids = np.array([h.sample_id for h in over], dtype=np.int64)
        pos = np.searchsorted(ids, hit_ids)
        keep = (pos < len(ids)) & (ids[np.minimum(pos, len(ids) - 1)] == hit_ids)
        kept = [h for h, ok in zip(over, keep.tolist(), strict=True) if ok]
        # enough survivors, or the over-fetch saw every point: the answer is complete
        if len(kept) >= k or len(over) < fetch:
            return kept[:k], "post-filter"
    # An exact scan of the matching ids' vectors. Measured at 100K: as fast as Qdrant's
    # HNSW search with the same id-set filter at every share up to 50 %, which found only
    # 12 % of the true top 50 at a 5 % filter (benchmarks/results/search.md).
    return store.search(space, vector, k, sample_ids=ids, exact=True), "exact-ids"


def _all_file_names(cur: Any, dataset_id: int) -> tuple[np.ndarray, pa.Array]:
    """Every sample's ``(ids sorted, file names)``: read once per cached matrix."""
    table = cur.sql(
        "SELECT sample_id, file_name FROM samples WHERE dataset_id = ? ORDER BY sample_id",
        params=[dataset_id],
    ).to_arrow_table()
    ids = table.column(0).to_numpy().astype(np.int64, copy=False)
    return ids, table.column(1).combine_chunks()


def file_names(cur: Any, dataset_id: int, sample_ids: list[int]) -> dict[int, str | None]:
    """The file names of these samples of the dataset, by sample id."""
    if not sample_ids:
        return {}
    rows = cur.execute(
        "SELECT sample_id, file_name FROM samples "
        "WHERE dataset_id = ? AND sample_id IN (SELECT unnest(?::BIGINT[]))",
        [dataset_id, sample_ids],
    ).fetchall()
    return {int(r[0]): str(r[1]) for r in rows}


def reproduce_code(
    dataset: str,
    query: Query,
    filter_spec: dict[str, Any] | None,
    k: int,
    model: str | None,
) -> str:
    """The notebook call that reproduces a search (an uploaded image becomes a path)."""
    if query.like is not None:
        args = [f"like={query.like}"]
    elif query.text is not None:
        args = [f"text={query.text!r}"]
    else:
        args = ["like='path/to/query.jpg'"]
    if filter_spec:
        args.append(f"filter={filter_spec!r}")
    if k != DEFAULT_K:
        args.append(f"k={k}")
    if model:
        args.append(f"model={model!r}")
    return f"vl.dataset({dataset!r}).search({', '.join(args)})"
