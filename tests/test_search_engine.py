"""Search within filters: every strategy against a brute-force numpy reference.

Real DuckDB catalog, real vector stores (Qdrant Edge and qdrant-client's local mode);
vectors are synthetic clustered ones written straight into the store. The matched set of
each random filter is computed here in Python from the rows, independently of the SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visionlens_jlab.catalog import Catalog, FilterError
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.search import (
    NoVectorsError,
    Query,
    QueryEncoder,
    QueryEncoderError,
    SearchPlan,
    register_query_encoder,
    search,
)
from visionlens_jlab.search.matrix_cache import VectorMatrixCache
from visionlens_jlab.vectors import VectorStore

from .catalog_fixtures import RowsSource
from .vectors_fixtures import open_store_fixture, store_fixture  # noqa: F401 - fixtures

N = 240
DIM = 16
SPLITS = ["train", "val", "test", None]
TAGS = ["a", "b", "c"]
# Every strategy, forced
PLANS = {
    "exact-ids": SearchPlan(postfilter_min=2.0),
    "post-filter": SearchPlan(postfilter_min=0.0),
}


def _rows(rng: np.random.Generator) -> list[dict[str, Any]]:
    return [
        {
            "file_name": f"img_{i}.jpg",
            "width": int(rng.integers(10, 1000)),
            "height": 100,
            "split": SPLITS[int(rng.integers(0, 4))],
            "source_image_id": str(i),
            "tags": [t for t in TAGS if rng.random() < 0.3],
            "fields": None,
        }
        for i in range(N)
    ]


class Indexed:
    """A dataset in the catalog with one vector per sample (but the last 10) in the store."""

    def __init__(self, tmp: Path, store: VectorStore) -> None:
        rng = np.random.default_rng(7)
        self.catalog = Catalog(tmp / "data")
        self.rows = _rows(rng)
        tags = [r.pop("tags") for r in self.rows]
        write_dataset(self.catalog, "ds", RowsSource(self.rows, [], ["cat"]))
        with self.catalog.cursor() as cur:
            self.dataset_id = self.catalog.dataset_id(cur, "ds")
            self.ids = np.array(
                [
                    r[0]
                    for r in cur.execute(
                        "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id",
                        [self.dataset_id],
                    ).fetchall()
                ],
                dtype=np.int64,
            )
        with self.catalog.write() as cur:
            for sid, t in zip(self.ids.tolist(), tags, strict=True):
                cur.execute("UPDATE samples SET tags = ? WHERE sample_id = ?", [t, sid])
        for row, t in zip(self.rows, tags, strict=True):
            row["tags"] = t
        centers = rng.normal(size=(12, DIM))
        vectors = centers[rng.integers(0, 12, N)] + 0.5 * rng.normal(size=(N, DIM))
        self.vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        self.store = store
        self.space = store.ensure_space("test-model", "v1", DIM).name
        self.with_vector = np.ones(N, dtype=bool)
        self.with_vector[-10:] = False
        store.upsert(
            self.space, self.ids[self.with_vector], self.vectors[self.with_vector], self.dataset_id
        )

    def matches(self, spec: dict[str, Any]) -> np.ndarray:
        """Row mask of the samples ``spec`` selects, evaluated in Python."""
        mask = np.ones(N, dtype=bool)
        sample = spec.get("sample", {})
        if "split" in sample:
            mask &= np.array([r["split"] in sample["split"]["in"] for r in self.rows])
        if "width" in sample:
            lo, hi = sample["width"].get("min", -1), sample["width"].get("max", 10**9)
            mask &= np.array([lo <= r["width"] <= hi for r in self.rows])
        if "tags" in spec:
            mask &= np.array([bool(set(r["tags"]) & set(spec["tags"]["any"])) for r in self.rows])
        if "ids" in spec:
            mask &= np.isin(self.ids, spec["ids"])
        return mask

    def reference(
        self, query: np.ndarray, mask: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Brute force: cosine of every matching sample with a vector, top k."""
        rows = np.flatnonzero(mask & self.with_vector)
        scores = self.vectors[rows] @ (query / np.linalg.norm(query))
        order = np.argsort(-scores, kind="stable")[:k]
        return self.ids[rows[order]], scores[order]


@pytest.fixture
def indexed(tmp_path: Path, store: VectorStore) -> Iterator[Indexed]:
    data = Indexed(tmp_path, store)
    yield data
    data.catalog.close()


filters = st.fixed_dictionaries(
    {},
    optional={
        "sample": st.fixed_dictionaries(
            {},
            optional={
                "split": st.fixed_dictionaries(
                    {"in": st.lists(st.sampled_from(["train", "val", "test"]), min_size=1)}
                ),
                "width": st.fixed_dictionaries(
                    {}, optional={"min": st.integers(0, 1000), "max": st.integers(0, 1000)}
                ).filter(bool),
            },
        ),
        "tags": st.fixed_dictionaries({"any": st.lists(st.sampled_from(TAGS), min_size=1)}),
        "ids_rows": st.lists(st.integers(0, N - 1), max_size=60),
    },
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    spec=filters,
    k=st.integers(1, 60),
    plan=st.sampled_from([*sorted(PLANS), "memory"]),
    query_row=st.integers(0, N - 1),
)
def test_search_within_random_filters_equals_brute_force(
    indexed: Indexed, spec: dict[str, Any], k: int, plan: str, query_row: int
) -> None:
    spec = dict(spec)
    if "ids_rows" in spec:
        spec["ids"] = [int(indexed.ids[r]) for r in spec.pop("ids_rows")]
    query = indexed.vectors[query_row]
    mask = indexed.matches(spec)
    want_ids, want_scores = indexed.reference(query, mask, k)
    # the query as a stored sample vector (like) when it has one, else as a text
    register_query_encoder("test-model", lambda space: QueryEncoder(None, lambda t: query))
    q = (
        Query(like=int(indexed.ids[query_row]))
        if indexed.with_vector[query_row]
        else Query(text="x")
    )
    # "memory": the server's matrix cache (an Edge store only; the default plan otherwise)
    cache = VectorMatrixCache(2**20) if plan == "memory" else None
    out = search(
        indexed.catalog,
        indexed.store,
        "ds",
        q,
        filter_spec=spec or None,
        k=k,
        plan=PLANS.get(plan, SearchPlan()),
        cache=cache,
    )
    got_ids = np.array([r["sample_id"] for r in out["results"]], dtype=np.int64)
    got_scores = np.array([r["score"] for r in out["results"]])
    assert len(got_ids) == min(k, int((mask & indexed.with_vector).sum()))
    np.testing.assert_allclose(got_scores, want_scores, atol=1e-5)
    assert np.array_equal(got_ids, want_ids)
    assert all(
        r["file_name"] == f"img_{np.searchsorted(indexed.ids, r['sample_id'])}.jpg"
        for r in out["results"]
    )
    if cache is not None:
        assert (out["strategy"] == "memory") == (indexed.store.kind == "edge")
    elif out["matched"]:  # a filter that selects part of the dataset, and some samples
        # post-filter falls back to the exact id scan when too few survive
        assert out["strategy"] in {plan, "exact-ids"}
        assert out["matched"] == mask.sum()


def test_every_strategy_is_taken_and_counted(indexed: Indexed) -> None:
    like = Query(like=int(indexed.ids[0]))
    for name, plan in PLANS.items():
        out = search(
            indexed.catalog,
            indexed.store,
            "ds",
            like,
            filter_spec={"sample": {"split": {"in": ["train", "val", "test"]}}},
            k=5,
            plan=plan,
        )
        assert out["strategy"] == name
        assert out["matched"] == sum(r["split"] is not None for r in indexed.rows)
    out = search(indexed.catalog, indexed.store, "ds", like, k=3)
    assert out["strategy"] == "dataset" and out["matched"] is None
    assert out["results"][0]["sample_id"] == int(indexed.ids[0])  # itself first
    assert out["code"] == f"vl.dataset('ds').search(like={int(indexed.ids[0])}, k=3)"
    out = search(indexed.catalog, indexed.store, "ds", like, filter_spec={"ids": []})
    assert out["results"] == [] and out["strategy"] == "empty"


def test_clear_errors(indexed: Indexed, tmp_path: Path) -> None:
    like = Query(like=int(indexed.ids[0]))
    with pytest.raises(FilterError, match="no sample 999999"):
        search(indexed.catalog, indexed.store, "ds", Query(like=999999))
    with pytest.raises(QueryEncoderError, match="has no 'test-model' vector yet"):
        search(indexed.catalog, indexed.store, "ds", Query(like=int(indexed.ids[-1])))
    with pytest.raises(NoVectorsError, match="no vectors of model 'other'"):
        search(indexed.catalog, indexed.store, "ds", like, model="other")
    with pytest.raises(QueryEncoderError, match="exactly one"):
        Query(like=1, text="cat")
    register_query_encoder("test-model", lambda space: QueryEncoder(lambda b: np.ones(DIM), None))
    with pytest.raises(QueryEncoderError, match="text search needs a model with a text tower"):
        search(indexed.catalog, indexed.store, "ds", Query(text="a red car"))
    register_query_encoder("test-model", lambda space: QueryEncoder(lambda b: np.ones(3), None))
    with pytest.raises(QueryEncoderError, match="not the space's 16"):
        search(indexed.catalog, indexed.store, "ds", Query(image=b"\xff\xd8"))
    with pytest.raises(FilterError, match="unknown sample field"):
        search(
            indexed.catalog, indexed.store, "ds", like, filter_spec={"sample": {"nope": {"eq": 1}}}
        )
    write_dataset(
        indexed.catalog,
        "empty",
        RowsSource(
            [
                {
                    "file_name": "x.jpg",
                    "width": 1,
                    "height": 1,
                    "split": None,
                    "source_image_id": "1",
                    "fields": None,
                }
            ],
            [],
            [],
        ),
    )
    with pytest.raises(NoVectorsError, match="run `visionlens embed empty`"):
        search(indexed.catalog, indexed.store, "empty", Query(text="x"))


def test_text_goes_to_the_newest_space_that_can_encode_it(indexed: Indexed) -> None:
    """A dataset embedded with a CLIP-like model and then with an image-only one: text is
    answered in the CLIP-like space; with no text-capable space the text-tower refusal."""
    register_query_encoder("test-model", lambda space: QueryEncoder(None, lambda t: np.ones(DIM)))
    # Named to sort last: it is the newest space even when both were made in the same second.
    image_only = indexed.store.ensure_space("zz-image-only", "v1", DIM)
    rows = np.flatnonzero(indexed.with_vector)
    indexed.store.upsert(
        image_only.name, indexed.ids[rows], indexed.vectors[rows], indexed.dataset_id
    )
    register_query_encoder(
        "zz-image-only", lambda space: QueryEncoder(lambda b: np.ones(DIM), None)
    )
    newest = max(
        (image_only, indexed.store.space(indexed.space)), key=lambda i: (i.created_at, i.name)
    )
    assert newest.name == image_only.name  # so the text query must fall through to the next
    got = search(indexed.catalog, indexed.store, "ds", Query(text="a red car"), k=5)
    assert got["space"] == indexed.space  # text-capable, whichever is newer
    ids, _ = indexed.reference(np.ones(DIM), np.ones(N, dtype=bool), 5)
    assert [r["sample_id"] for r in got["results"]] == ids.tolist()
    like = search(indexed.catalog, indexed.store, "ds", Query(like=int(indexed.ids[0])), k=5)
    assert like["space"] == newest.name  # a sample query takes the newest space
    register_query_encoder("test-model", lambda space: QueryEncoder(lambda b: np.ones(DIM), None))
    with pytest.raises(QueryEncoderError, match="text search needs a model with a text tower"):
        search(indexed.catalog, indexed.store, "ds", Query(text="a red car"))
