"""Catalog writer, filters, facets and tags on real DuckDB with known rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from visionlens_jlab.catalog import Catalog, ConflictError, FilterError, NotFoundError
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.records.report import IngestError

from .catalog_fixtures import PredictionRowsSource, RowsSource, prediction_rows, toy_rows


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    cat = Catalog(tmp_path)
    samples, boxes, classes = toy_rows()
    write_dataset(cat, "toy", RowsSource(samples, boxes, classes, batch_size=4))
    write_predictions(cat, "toy", "m1", PredictionRowsSource(prediction_rows()))
    return cat


def names(catalog: Catalog, spec: dict | None, **kw: object) -> list[str]:
    page = queries.samples_page(catalog, "toy", spec, **kw)  # type: ignore[arg-type]
    return [s["file_name"] for s in page["samples"]]


def test_write_counts_and_listing(catalog: Catalog) -> None:
    (ds,) = catalog.list_datasets()
    assert (ds["name"], ds["num_samples"], ds["num_annotations"], ds["num_categories"]) == (
        "toy",
        6,
        7,
        4,
    )
    assert ds["models"][0]["name"] == "m1"
    assert ds["models"][0]["num_predictions"] == 5  # image "999" is not in the dataset
    detail = catalog.get_dataset("toy")
    report = detail["models"][0]["report"]
    (warning,) = report["warnings"]
    assert warning["code"] == "prediction_unknown_image" and warning["count"] == 1
    assert warning["examples"] == ["999"]
    assert detail["categories"] == ["cat", "dog", "person", 'o\'brien "x"']


def test_sample_field_filters(catalog: Catalog) -> None:
    assert names(catalog, {"sample": {"split": {"in": ["val"]}}}) == ["c.jpg", "d.jpg"]
    assert names(catalog, {"sample": {"width": {"min": 600, "max": 700}}}) == [
        "a.jpg",
        "b.jpg",
        "f.jpg",
    ]
    assert names(catalog, {"sample": {"fields.weather": {"in": ["rain"]}}}) == ["a.jpg", "c.jpg"]
    assert names(catalog, {"sample": {"fields.brightness": {"min": 0.4}}}) == ["b.jpg", "c.jpg"]
    assert names(catalog, {"sample": {'fields.it\'s "odd"': {"eq": 1}}}) == ["d.jpg"]
    assert names(catalog, {"sample": {"file_name": {"contains": "DROP"}}}) == [
        "e'; DROP TABLE samples; --.jpg"
    ]


def test_label_filters_and_box_count(catalog: Catalog) -> None:
    assert names(catalog, {"labels": {"source": "ground_truth", "classes": ["dog"]}}) == ["a.jpg"]
    assert names(catalog, {"labels": {"classes": ['o\'brien "x"']}}) == ["d.jpg"]
    assert names(catalog, {"labels": {"source": "m1", "score": {"min": 0.9}}}) == [
        "a.jpg",
        "f.jpg",
    ]
    assert names(
        catalog, {"labels": {"source": "predictions", "classes": ["dog"], "score": {"max": 0.5}}}
    ) == ["a.jpg"]
    assert names(catalog, {"labels": {"where": {"attributes.truncated": {"eq": True}}}}) == [
        "a.jpg"
    ]
    both = {"labels": [{"classes": ["person"]}, {"source": "m1", "classes": ["cat"]}]}
    assert names(catalog, both) == ["c.jpg"]
    assert names(catalog, {"box_count": {"source": "ground_truth", "min": 2}}) == [
        "a.jpg",
        "c.jpg",
    ]
    assert names(catalog, {"box_count": {"source": "ground_truth", "max": 0}}) == [
        "e'; DROP TABLE samples; --.jpg",
        "f.jpg",
    ]


def test_box_count_between_two_bounds_with_label_conditions(catalog: Catalog) -> None:
    # min and max together with a label condition used to bind too few values
    spec = {
        "box_count": {"source": "ground_truth", "classes": ["cat", "person"], "min": 1, "max": 2}
    }
    assert names(catalog, spec) == ["a.jpg", "b.jpg"]
    spec = {"box_count": {"source": "m1", "score": {"min": 0.5}, "min": 1, "max": 1}}
    assert names(catalog, spec) == ["a.jpg", "f.jpg"]
    assert names(catalog, {"box_count": {"min": None}}) == names(catalog, None)


def test_page_total_with_filter_sort_and_empty_pages(catalog: Catalog) -> None:
    spec = {"sample": {"split": {"in": ["train", "val"]}}}
    # the sort key's bound JSON pointer and the filter's values share one statement
    assert names(catalog, spec, sort="fields.brightness", order="desc") == [
        "b.jpg",
        "c.jpg",
        "a.jpg",
        "d.jpg",
        "f.jpg",
    ]
    for kw in ({"offset": 50}, {"limit": 0}):
        page = queries.samples_page(catalog, "toy", spec, **kw)  # type: ignore[arg-type]
        assert (page["total"], page["samples"]) == (5, [])
    assert queries.samples_page(catalog, "toy", {"ids": []})["total"] == 0
    with pytest.raises(FilterError, match="cannot sort"):
        queries.samples_page(catalog, "toy", spec, sort="fields.")


def test_ids_sort_and_paging(catalog: Catalog) -> None:
    page = queries.samples_page(catalog, "toy", None, limit=2, offset=1, sort="width", order="desc")
    assert page["total"] == 6
    assert [s["file_name"] for s in page["samples"]] == ["a.jpg", "b.jpg"]
    ids = queries.sample_ids(catalog, "toy", {"sample": {"split": {"in": ["train"]}}})
    assert len(ids) == 3
    assert names(catalog, {"ids": ids.to_pylist()[:2]}) == ["a.jpg", "b.jpg"]
    assert names(catalog, {"ids": []}) == []


def test_page_carries_boxes(catalog: Catalog) -> None:
    page = queries.samples_page(catalog, "toy", {"sample": {"file_name": {"in": ["a.jpg"]}}})
    boxes = page["samples"][0]["annotations"]
    assert sorted((b["source"], b["label"]) for b in boxes) == [
        ("ground_truth", "cat"),
        ("ground_truth", "dog"),
        ("m1", "cat"),
        ("m1", "dog"),
    ]


def test_tags_round_trip(catalog: Catalog) -> None:
    n = update_tags(catalog, "toy", {"sample": {"split": {"in": ["val"]}}}, add=["review", "x'y"])
    assert n == 2
    assert names(catalog, {"tags": {"any": ["x'y"]}}) == ["c.jpg", "d.jpg"]
    update_tags(catalog, "toy", {"sample": {"file_name": {"in": ["c.jpg"]}}}, remove=["review"])
    assert names(catalog, {"tags": {"all": ["review", "x'y"]}}) == ["d.jpg"]
    assert len(names(catalog, {"tags": {"none": ["review"]}})) == 5


def test_facets(catalog: Catalog) -> None:
    result = queries.facets(catalog, "toy", {"sample": {"split": {"in": ["train", "val"]}}})
    assert result["total"] == 5
    by_key = {(f["name"], f.get("source")): f for f in result["facets"]}
    split = {v["value"]: v["count"] for v in by_key[("split", None)]["values"]}
    assert split == {"train": 3, "val": 2, "test": 1}  # its own condition left out
    weather = {v["value"]: v["count"] for v in by_key[("fields.weather", None)]["values"]}
    assert weather == {"rain": 2, "sun": 2, "fog": 1}
    brightness = by_key[("fields.brightness", None)]
    assert brightness["type"] == "numeric" and brightness["count"] == 3
    assert sum(b["count"] for b in brightness["histogram"]) == 3
    gt_labels = {v["value"]: v["count"] for v in by_key[("label", "ground_truth")]["values"]}
    assert gt_labels == {"cat": 3, "person": 2, "dog": 1, 'o\'brien "x"': 1}
    score = by_key[("score", "m1")]
    assert (score["min"], score["max"], score["count"]) == (0.3, 0.95, 5)
    width = by_key[("width", None)]
    assert sum(b["count"] for b in width["histogram"]) == 5


@pytest.mark.parametrize(
    "spec",
    [
        {"nope": 1},
        {"sample": {"password": {"in": ["x"]}}},
        {"sample": {"width": {"min": "1; DROP TABLE samples"}}},
        {"sample": {"width": {"like": "x"}}},
        {"labels": {"where": {"x); DROP TABLE samples; --": {"eq": 1}}}},
        {"ids": ["1"]},
        {"tags": {"some": ["a"]}},
        [],
    ],
)
def test_bad_filters_are_clear_errors(catalog: Catalog, spec: object) -> None:
    with pytest.raises(FilterError):
        queries.samples_page(catalog, "toy", spec)  # type: ignore[arg-type]
    assert catalog.list_datasets()[0]["num_samples"] == 6


def test_duplicate_name_unknown_dataset_and_delete(catalog: Catalog) -> None:
    samples, boxes, classes = toy_rows()
    with pytest.raises(ConflictError):
        write_dataset(catalog, "toy", RowsSource(samples, boxes, classes))
    with pytest.raises(NotFoundError):
        queries.samples_page(catalog, "nope", None)
    catalog.delete_dataset("toy")
    assert catalog.list_datasets() == []
    with catalog.cursor() as cur:
        for table in ("samples", "annotations", "categories", "models"):
            assert cur.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,)  # noqa: S608


def test_failed_ingest_leaves_nothing(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    samples, boxes, classes = toy_rows()
    with pytest.raises(RuntimeError, match="simulated"):
        write_dataset(
            catalog, "half", RowsSource(samples, boxes, classes, batch_size=2, fail_after_batches=2)
        )
    with catalog.cursor() as cur:
        assert cur.execute("SELECT COUNT(*) FROM samples").fetchone() == (0,)
    assert catalog.list_datasets() == []
    write_dataset(catalog, "half", RowsSource(samples, boxes, classes, batch_size=2))
    assert catalog.list_datasets()[0]["num_samples"] == 6


def test_empty_source_is_an_ingest_error(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    with pytest.raises(IngestError, match="nothing usable"):
        write_dataset(catalog, "empty", RowsSource([], [], []))
    assert catalog.list_datasets() == []


def test_reimporting_a_model_replaces_it(catalog: Catalog) -> None:
    rows = prediction_rows()[:2]
    write_predictions(catalog, "toy", "m1", PredictionRowsSource(rows))
    assert catalog.list_datasets()[0]["models"][0]["num_predictions"] == 2
    with catalog.cursor() as cur:
        assert cur.execute("SELECT COUNT(*) FROM annotations WHERE source = 'm1'").fetchone() == (
            2,
        )
