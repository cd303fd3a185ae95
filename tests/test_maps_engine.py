"""The map engine against a real catalog and a real Qdrant Edge store (no server).

PCA against numpy's SVD, the lasso against a plain ray-casting loop, the binary frames
decoded back to the catalog rows, cache hits, staleness and placement of new samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog, FilterError
from visionlens_jlab.maps import MapError, normalize_params
from visionlens_jlab.maps.answers import points_frame, select_ids, values_frame
from visionlens_jlab.maps.jobs import plan_map, run_map
from visionlens_jlab.maps.lasso import points_in_polygon
from visionlens_jlab.maps.pca import PcaBasis, fit_pca, pca_coordinates
from visionlens_jlab.maps.store import list_descriptors, resolve
from visionlens_jlab.maps.tables import read_points
from visionlens_jlab.maps.wire import (
    POINTS_MAGIC,
    VALUES_MAGIC,
    decode_frame,
    id_ranges,
    ids_from_ranges,
)
from visionlens_jlab.vectors import SpaceNotFoundError, VectorStore

from .map_fixtures import (
    MapDataset,
    clustered_vectors,
    open_edge_store,
    ray_casting_inside,
    star_polygon,
    write_map_dataset,
)


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with Catalog(tmp_path / "data") as cat:
        yield cat


@pytest.fixture
def store(tmp_path: Path) -> Iterator[VectorStore]:
    with open_edge_store(tmp_path / "edge") as st:
        yield st


@pytest.fixture
def ds(catalog: Catalog, store: VectorStore) -> MapDataset:
    return write_map_dataset(catalog, store, "blobs", 600, dim=32)


def _pca_map(catalog: Catalog, store: VectorStore, name: str) -> dict:
    key = resolve(catalog, store, name, None, "pca", None)
    return run_map(catalog, store, key)


def test_pca_matches_numpy_svd_up_to_sign() -> None:
    # Real-shaped: 3,000 x 512 clustered unit vectors (Gram path), and 300 x 512 (n < d:
    # the SVD path).
    for n in (3000, 300):
        x, _ = clustered_vectors(n, dim=512, clusters=12, seed=n)
        coords, basis = pca_coordinates(x, 2)
        centred = x.astype(np.float64) - x.astype(np.float64).mean(axis=0)
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        assert s[1] > s[2] * 1.01, "the reference's top-2 plane must be well defined"
        for k in range(2):
            ref = centred @ vt[k]
            sign = np.sign(np.dot(coords[:, k], ref))
            np.testing.assert_allclose(coords[:, k] * sign, ref, atol=2e-4 * np.abs(ref).max())
            assert abs(abs(np.dot(basis.components[k], vt[k])) - 1) < 1e-5


def test_pca_basis_roundtrip_and_sign_convention() -> None:
    x, _ = clustered_vectors(500, dim=16, seed=3)
    basis = fit_pca(x, 2)
    again = PcaBasis.from_bytes(basis.to_bytes())
    np.testing.assert_array_equal(again.project(x), basis.project(x))
    for row in basis.components:
        assert row[np.argmax(np.abs(row))] > 0
    # The sign is a property of the data, not of the run: the same picture every time.
    reordered = fit_pca(x[::-1].copy(), 2).components
    np.testing.assert_allclose(reordered, basis.components, atol=1e-6)


def test_params_normalized_and_validated() -> None:
    assert normalize_params("umap", None) == normalize_params("umap", {"n_neighbors": 15})
    assert normalize_params("pca", {}) == {}
    for method, params, word in [
        ("umap", {"n_neighbors": 1}, "n_neighbors"),
        ("umap", {"min_dist": "x"}, "min_dist"),
        ("umap", {"bogus": 1}, "bogus"),
        ("tsne", {"perplexity": float("nan")}, "perplexity"),
        ("tsne", {"seed": 1.5}, "seed"),
        ("kmeans", {}, "kmeans"),
        ("umap", [1], "object"),
    ]:
        with pytest.raises(MapError, match=word):
            normalize_params(method, params)


def test_lasso_equals_ray_casting_loop() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=20_000).astype(np.float32)
    y = rng.normal(size=20_000).astype(np.float32)
    # Points exactly on vertices and on horizontal edges: the boundary cases.
    square = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]
    x[:4] = [-1, 1, 0, 1]
    y[:4] = [-1, -1, 1, 0.5]
    triangle = [[0.0, 0.0], [2.0, 0.5], [0.3, 2.0]]
    polygons: list[list[list[float]]] = [star_polygon(0.2, -0.1, 1.8), square, triangle]
    for polygon in polygons:
        got = points_in_polygon(x, y, np.array(polygon))
        want = np.array(
            [ray_casting_inside(float(a), float(b), polygon) for a, b in zip(x, y, strict=True)]
        )
        np.testing.assert_array_equal(got, want)
        assert 0 < got.sum() < len(x)


def test_map_cached_points_frame_and_select(
    catalog: Catalog, store: VectorStore, ds: MapDataset
) -> None:
    first = _pca_map(catalog, store, ds.name)
    assert first["cached"] is False and first["points"] == 600 and first["stale"] is False
    assert first["id"].startswith("pca-")
    frame = points_frame(catalog, ds.name, first["id"])
    key = resolve(catalog, store, ds.name, None, "pca", {})
    action, again = plan_map(catalog, store, key)
    assert action == "cached" and again is not None and again["cached"] is True
    assert again["id"] == first["id"]
    assert points_frame(catalog, ds.name, first["id"]) == frame  # same bytes, no recompute

    magic, header, arrays = decode_frame(frame)
    assert magic == POINTS_MAGIC and header["points"] == 600
    assert len(frame) == 8 + len(header_bytes(frame)) + 12 * 600
    ids = ids_from_ranges(header["id_ranges"])
    np.testing.assert_array_equal(ids, ds.sample_ids)
    stored = read_points(catalog, ds.dataset_id, first["id"])
    np.testing.assert_array_equal(ids[arrays["index"]], stored.sample_ids)
    np.testing.assert_array_equal(arrays["x"], stored.x)
    np.testing.assert_array_equal(arrays["y"], stored.y)
    assert header["bounds"] == pytest.approx(
        [stored.x.min(), stored.y.min(), stored.x.max(), stored.y.max()]
    )

    cx, cy = float(np.median(stored.x)), float(np.median(stored.y))
    radius = float(np.std(stored.x))
    polygon = star_polygon(cx, cy, radius)
    want = [
        int(s)
        for s, a, b in zip(stored.sample_ids, stored.x, stored.y, strict=True)
        if ray_casting_inside(float(a), float(b), polygon)
    ]
    got = select_ids(catalog, ds.name, first["id"], polygon=polygon)
    assert got.tolist() == want and len(want) > 20

    flt = {"sample": {"split": {"in": ["val"]}}}
    val_ids = set(ds.sample_ids[1::3].tolist())
    filtered = select_ids(catalog, ds.name, first["id"], polygon=polygon, spec=flt)
    assert filtered.tolist() == [i for i in want if i in val_ids]

    rect = [cx - radius, cy - radius, cx, cy]
    in_rect = [
        int(s)
        for s, a, b in zip(stored.sample_ids, stored.x, stored.y, strict=True)
        if rect[0] <= a <= rect[2] and rect[1] <= b <= rect[3]
    ]
    assert select_ids(catalog, ds.name, first["id"], rect=rect).tolist() == in_rect
    both = select_ids(catalog, ds.name, first["id"], rect=rect, mode="add", ids_in=want).tolist()
    assert both == sorted(set(want) | set(in_rect))
    less = select_ids(
        catalog, ds.name, first["id"], rect=rect, mode="subtract", ids_in=want
    ).tolist()
    assert less == sorted(set(want) - set(in_rect))

    with pytest.raises(MapError, match="exactly one"):
        select_ids(catalog, ds.name, first["id"])
    with pytest.raises(MapError, match="polygon"):
        select_ids(catalog, ds.name, first["id"], polygon=[[0, 0], [1, 1]])
    with pytest.raises(MapError, match="mode"):
        select_ids(catalog, ds.name, first["id"], rect=rect, mode="xor")


def header_bytes(frame: bytes) -> bytes:
    return frame[8 : 8 + int.from_bytes(frame[4:8], "little")]


def test_pca_map_places_new_samples_and_drops_removed(catalog: Catalog, store: VectorStore) -> None:
    ds = write_map_dataset(catalog, store, "grow", 400, dim=32, embed=300)
    first = _pca_map(catalog, store, ds.name)
    assert first["points"] == 300
    everything = [-1e9, -1e9, 1e9, 1e9]
    assert len(select_ids(catalog, ds.name, first["id"], rect=everything)) == 300
    # The rest of the samples get embedded; two lose their vector.
    store.upsert(ds.space.name, ds.sample_ids[300:], ds.vectors[300:], ds.dataset_id)
    store.delete(ds.sample_ids[:2], ds.space.name)
    [listed] = list_descriptors(catalog, store, ds.name)
    assert listed["stale"] is True and listed["missing"] == 100 and listed["removed"] == 2

    key = resolve(catalog, store, ds.name, None, "pca", None)
    assert plan_map(catalog, store, key)[0] == "place"
    placed = run_map(catalog, store, key)
    assert placed["placed"] == 100 and placed["points"] == 398 and placed["stale"] is False
    stored = read_points(catalog, ds.dataset_id, first["id"])
    np.testing.assert_array_equal(stored.sample_ids, ds.sample_ids[2:])
    # A lasso sees the placed points (its in-memory copy follows the map's updates).
    got = select_ids(catalog, ds.name, first["id"], rect=everything)
    np.testing.assert_array_equal(got, ds.sample_ids[2:])
    # New samples sit where the stored basis projects them (and old points did not move).
    basis = fit_pca(ds.vectors[:300], 2)
    want = basis.project(ds.vectors[300:])
    np.testing.assert_allclose(stored.x[-100:], want[:, 0], atol=1e-5)
    np.testing.assert_allclose(stored.y[-100:], want[:, 1], atol=1e-5)


def test_values_follow_point_order(catalog: Catalog, store: VectorStore, ds: MapDataset) -> None:
    map_id = _pca_map(catalog, store, ds.name)["id"]
    n = len(ds.sample_ids)

    def decode(field: str) -> tuple[dict, np.ndarray]:
        magic, header, arrays = decode_frame(values_frame(catalog, ds.name, map_id, field))
        assert magic == VALUES_MAGIC and header["points"] == n
        return header, arrays["values"]

    header, codes = decode("split")
    assert header["type"] == "categorical"
    names = [header["legend"][c]["value"] for c in codes]
    assert names == [("train", "val", "test")[i % 3] for i in range(n)]
    assert sum(e["count"] for e in header["legend"]) == n

    header, values = decode("fields.score")
    assert header["type"] == "numeric"
    np.testing.assert_allclose(values, np.arange(n) / n, rtol=1e-6)

    header, codes = decode("fields.weather")
    assert [header["legend"][c]["value"] for c in codes] == [
        "rain" if i % 4 == 0 else "sun" for i in range(n)
    ]
    header, codes = decode("top_class")
    assert [header["legend"][c]["value"] for c in codes] == [f"class{c}" for c in ds.labels]
    header, values = decode("class.class2")
    np.testing.assert_array_equal(values, (ds.labels == 2).astype(np.float32))
    header, values = decode("width")
    np.testing.assert_array_equal(values, [100 + i % 7 for i in range(n)])
    header, codes = decode("fields.missing_key")
    assert header["nulls"] == n and set(codes.tolist()) == {header["null_code"]}

    with pytest.raises(FilterError, match="unknown sample field"):
        values_frame(catalog, ds.name, map_id, "nope")
    with pytest.raises(FilterError, match="evaluate first"):
        values_frame(catalog, ds.name, map_id, "eval.fp")


def test_id_ranges_roundtrip() -> None:
    ids = np.array([3, 4, 5, 9, 10, 42], dtype=np.int64)
    assert id_ranges(ids) == [[3, 3], [9, 2], [42, 1]]
    np.testing.assert_array_equal(ids_from_ranges(id_ranges(ids) or []), ids)
    assert id_ranges(np.empty(0, dtype=np.int64)) == []


def test_space_choice(catalog: Catalog, store: VectorStore, ds: MapDataset) -> None:
    write_map_dataset(catalog, store, "bare", 10, dim=32, embed=0)
    with pytest.raises(MapError, match="no embeddings"):
        resolve(catalog, store, "bare", None, "pca", None)
    other = store.ensure_space("other-model", "v2", 8, "euclid")
    store.upsert(other.name, ds.sample_ids[:5], np.ones((5, 8), np.float32), ds.dataset_id)
    # Several spaces and none named: the newest one holding the dataset, as search does.
    newest = max((ds.space, other), key=lambda i: (i.created_at, i.name))
    assert resolve(catalog, store, ds.name, None, "pca", None).space.name == newest.name
    key = resolve(catalog, store, ds.name, other.name, "pca", None)
    assert key.space.name == other.name
    with pytest.raises(SpaceNotFoundError, match="no vector space"):
        resolve(catalog, store, ds.name, "missing-space", "pca", None)


def test_maps_go_with_their_dataset(catalog: Catalog, store: VectorStore, ds: MapDataset) -> None:
    map_id = _pca_map(catalog, store, ds.name)["id"]
    catalog.delete_dataset(ds.name)
    with catalog.cursor() as cur:
        left = cur.execute(
            "SELECT (SELECT COUNT(*) FROM maps), (SELECT COUNT(*) FROM map_points)"
        ).fetchall()[0]
    assert left == (0, 0), map_id


def test_eval_values_count_boxes_per_point(catalog: Catalog, store: VectorStore) -> None:
    from visionlens_jlab.evaluate import evaluate_model

    from .evaluate_fixtures import write_scene

    write_scene(catalog)
    evaluate_model(catalog, "scene", "m1")
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, "scene")
        ids = [r[0] for r in cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id", [dataset_id]
        ).fetchall()]  # fmt: skip
        per_status = cur.execute(
            "SELECT sample_id, status, COUNT(*) FROM box_evaluations GROUP BY ALL"
        ).fetchall()
    space = store.ensure_space("test-embedder", "v1", 4, "cosine")
    vectors = np.random.default_rng(0).normal(size=(len(ids), 4)).astype(np.float32)
    store.upsert(space.name, ids, vectors, dataset_id)
    map_id = _pca_map(catalog, store, "scene")["id"]
    for status in ("tp", "fp", "fn"):
        _, header, arrays = decode_frame(values_frame(catalog, "scene", map_id, f"eval.{status}"))
        want = {s: n for s, st, n in per_status if st == status}
        assert arrays["values"].tolist() == [float(want.get(i, 0)) for i in ids]
        assert header["evaluation"] == "m1--coco-iou0.5"
    assert sum(n for _, st, n in per_status if st == "fp") == 4  # the scene's known count


def test_select_reads_the_filter_at_a_browsed_version(
    catalog: Catalog, store: VectorStore, ds: MapDataset
) -> None:
    """The map's filter dimming and shape selection at a saved version: the class and tag
    conditions read the labels and sample tags as they were then, like the grid's."""
    from visionlens_jlab import edits
    from visionlens_jlab.catalog.reads import queries
    from visionlens_jlab.catalog.writes.sample_tags import update_tags

    map_id = _pca_map(catalog, store, ds.name)["id"]
    stored = read_points(catalog, ds.dataset_id, map_id)
    everything = [float(stored.x.min()), float(stored.y.min())]
    rect = [*everything, float(stored.x.max()), float(stored.y.max())]
    label = "class0"
    flt = {"labels": {"source": "ground_truth", "classes": [label]}, "tags": {"none": ["gone"]}}
    version = edits.snapshot(catalog, ds.name, "before", "u")["version"]
    before = select_ids(catalog, ds.name, map_id, rect=rect, spec=flt).tolist()
    assert before == queries.sample_ids(catalog, ds.name, flt).to_pylist() and before
    with catalog.cursor() as cur:
        boxes = cur.execute(
            "SELECT ann_id FROM annotations WHERE dataset_id = ? AND label = ? ORDER BY ann_id",
            [ds.dataset_id, label],
        ).fetchall()
    gone = [a for (a,) in boxes[: len(boxes) // 2]]
    edits.apply_edits(catalog, ds.name, [{"op": "delete", "annotation_ids": gone}], "u")
    update_tags(catalog, ds.name, {"ids": before[-3:]}, add=["gone"])
    now = select_ids(catalog, ds.name, map_id, rect=rect, spec=flt).tolist()
    assert len(now) < len(before)
    at = select_ids(catalog, ds.name, map_id, rect=rect, spec=flt, version=version).tolist()
    assert at == before == queries.sample_ids(catalog, ds.name, flt, version).to_pylist()
