"""The duplicates job on real photos with planted copies: exact counts per kind, leaks, and
the computed sample fields in filters, facets, sorting and pages (real DuckDB, real
Qdrant Edge, hashes computed in a real worker process)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from visionlens_jlab.catalog import Catalog, FilterError, NotFoundError
from visionlens_jlab.catalog.reads.queries import facets, sample_ids, samples_page
from visionlens_jlab.dedup import last_result
from visionlens_jlab.dedup.job import run_duplicates
from visionlens_jlab.search import NoVectorsError
from visionlens_jlab.vectors import EdgeVectorStore

from .dedup_fixtures import EXPECTED, EXPECTED_LEAKS, MODEL, THRESHOLD, add_planted_dataset


@pytest.fixture
def planted(tmp_path: Path) -> Iterator[tuple[Catalog, EdgeVectorStore, dict[str, int]]]:
    catalog = Catalog(tmp_path / "data")
    store = EdgeVectorStore(tmp_path / "data" / "vectors" / "edge")
    ids = add_planted_dataset(catalog, store, tmp_path / "images")
    yield catalog, store, ids
    store.close()
    catalog.close()


def test_planted_duplicates_found_with_exact_counts(planted: tuple) -> None:
    catalog, store, ids = planted
    result = run_duplicates(catalog, store, "planted", threshold=THRESHOLD)
    assert {k: v["pairs"] for k, v in result["counts"].items()} == EXPECTED
    assert result["pairs"] == 7 and result["model"] == MODEL and result["method"] == "exact"
    expected_groups = sorted(
        sorted([ids[a], ids[b]])
        for a, b in [
            ("train/t0.jpg", "val/copy0.jpg"),
            ("train/t1.jpg", "val/copy1.jpg"),
            ("train/t2.jpg", "val/q60_2.jpg"),
            ("train/t3.jpg", "val/q60_3.jpg"),
            ("train/t4.jpg", "val/small_4.jpg"),
            ("train/t5.jpg", "val/small_5.jpg"),
            ("train/t6.jpg", "train/t6_copy.jpg"),
        ]
    )
    assert sorted(result["groups"]) == expected_groups
    assert Counter(leak["kind"] for leak in result["leaks"]) == EXPECTED_LEAKS
    # one row per pair, whichever kinds found it (each leak is also a near duplicate)
    pairs = {(leak["sample_id"], leak["duplicate_id"]) for leak in result["leaks"]}
    assert len(pairs) == len(result["leaks"])
    assert all("near" in leak["kinds"] for leak in result["leaks"])
    leaked = {leak["sample_id"] for leak in result["leaks"]}
    by_id = {v: k for k, v in ids.items()}
    assert sorted(by_id[i] for i in leaked) == [
        "val/copy0.jpg", "val/copy1.jpg", "val/q60_2.jpg", "val/q60_3.jpg",
        "val/small_4.jpg", "val/small_5.jpg",
    ]  # fmt: skip
    for leak in result["leaks"]:
        assert (leak["split"], leak["duplicate_split"]) == ("val", "train")
        assert by_id[leak["duplicate_id"]].startswith("train/t")
        assert leak["similarity"] >= (THRESHOLD if leak["kind"] == "near" else 0.9)
    assert result["code"] == "vl.dataset('planted').duplicates(threshold=0.98)"
    stored = last_result(catalog, "planted")
    assert stored is not None and stored["groups"] == result["groups"]


def test_computed_fields_filter_facet_sort_and_page(planted: tuple) -> None:
    catalog, store, ids = planted
    run_duplicates(catalog, store, "planted", threshold=THRESHOLD)
    dup = {"sample": {"computed.dup_count": {"min": 1}}}
    assert len(sample_ids(catalog, "planted", dup)) == 14
    val_leaks = {"sample": {"split": {"in": ["val"]}, "computed.dup_count": {"min": 1}}}
    assert len(sample_ids(catalog, "planted", val_leaks)) == 6
    group = {"sample": {"computed.dup_group": {"in": [str(ids["train/t6.jpg"])]}}}
    assert sorted(sample_ids(catalog, "planted", group).to_pylist()) == sorted(
        [ids["train/t6.jpg"], ids["train/t6_copy.jpg"]]
    )
    no_group = {"sample": {"computed.dup_group": {"is_null": True}}}
    assert len(sample_ids(catalog, "planted", no_group)) == len(ids) - 14
    near = {"sample": {"computed.nearest_similarity": {"min": 0.999}}}
    assert len(sample_ids(catalog, "planted", near)) == 14

    out = {f["name"]: f for f in facets(catalog, "planted", None)["facets"]}
    assert out["computed.dup_count"]["count"] == len(ids)
    assert out["computed.dup_count"]["max"] == 1
    assert sum(b["count"] for b in out["computed.dup_count"]["histogram"]) == len(ids)
    assert len(out["computed.dup_group"]["values"]) == 7
    assert {v["count"] for v in out["computed.dup_group"]["values"]} == {2}
    assert out["computed.uniqueness"]["count"] == len(ids)
    filtered = {f["name"]: f for f in facets(catalog, "planted", val_leaks)["facets"]}
    assert sum(v["count"] for v in filtered["computed.dup_group"]["values"]) == 6
    whole, part = out["computed.nearest_similarity"], filtered["computed.nearest_similarity"]
    assert part["count"] == 6 and part["min"] > 0.999 > whole["min"]  # filtered range...
    assert part["histogram"][0]["lo"] == whole["min"]  # ...binned over the dataset's range
    assert sum(b["count"] for b in part["histogram"]) == 6
    assert part["histogram"][-1]["count"] == 6 and part["max"] == whole["max"]

    page = samples_page(catalog, "planted", None, sort="computed.uniqueness", order="desc", limit=5)
    uniq = [s["computed"]["uniqueness"] for s in page["samples"]]
    assert uniq == sorted(uniq, reverse=True) and uniq[0] > 0.1
    assert all("dup_count" in s["computed"] for s in page["samples"])

    with pytest.raises(FilterError, match="unknown computed field 'computed.nope'"):
        sample_ids(catalog, "planted", {"sample": {"computed.nope": {"min": 1}}})


def test_rerun_replaces_and_delete_removes(planted: tuple) -> None:
    catalog, store, ids = planted
    run_duplicates(catalog, store, "planted", threshold=THRESHOLD)
    # without hashes, and with the copy of t6 gone from the store: one pair less, and the
    # stored fields are replaced (not added to)
    store.delete([ids["train/t6_copy.jpg"]])
    result = run_duplicates(catalog, store, "planted", threshold=THRESHOLD, hashes=False)
    assert result["counts"] == {"near": {"pairs": 6, "groups": 6}} and result["pairs"] == 6
    assert len(sample_ids(catalog, "planted", {"sample": {"computed.dup_count": {"min": 1}}})) == 12
    unset = {"sample": {"computed.nearest_similarity": {"is_null": True}}}
    assert sample_ids(catalog, "planted", unset).to_pylist() == [ids["train/t6_copy.jpg"]]
    catalog.delete_dataset("planted")
    with catalog.cursor() as cur:
        left = cur.execute("SELECT COUNT(*) FROM computed_values").fetchone()
    assert left == (0,)


def test_without_vectors_hashes_still_work(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog, EdgeVectorStore(tmp_path / "edge") as store:
        add_planted_dataset(catalog, None, tmp_path / "images", name="novec")
        assert last_result(catalog, "novec") is None  # none computed yet
        result = run_duplicates(catalog, store, "novec")
        assert {k: v["pairs"] for k, v in result["counts"].items()} == {
            "exact": 3,
            "perceptual": 7,
        }
        assert result["notes"] == [
            "near duplicates skipped: dataset 'novec' has no vectors yet: run "
            "`visionlens embed novec` (or ds.embed()) first"
        ]
        assert "nearest_similarity" not in result["fields"]
        assert run_duplicates(catalog, None, "novec")["pairs"] == 7  # no store at all
        with pytest.raises(NoVectorsError, match="no vectors of model 'ViT-B-32'"):
            run_duplicates(catalog, store, "novec", model="ViT-B-32")
        with pytest.raises(ValueError, match="in \\(0, 1\\]"):
            run_duplicates(catalog, store, "novec", threshold=1.5)
        with pytest.raises(NotFoundError):
            last_result(catalog, "nothing")
