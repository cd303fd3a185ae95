"""Browsing: sorts by box summaries, per-source box counts, multi-pick facets (real DuckDB).

Every expected value derives from ``toy_rows`` / ``prediction_rows``: ground-truth boxes per
sample a..f = 2, 1, 3, 1, 0, 0; model m1 = 2 (0.9, 0.3), 0, 2 (0.8, 0.55), 0, 0, 1 (0.95).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog, FilterError
from visionlens_jlab.catalog.query.filter_model import Filter
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.sql.facet_exclusion import own_conditions
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags

from .catalog_fixtures import PredictionRowsSource, RowsSource, prediction_rows, toy_rows


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    cat = Catalog(tmp_path)
    write_dataset(cat, "toy", RowsSource(*toy_rows()))
    write_predictions(cat, "toy", "m1", PredictionRowsSource(prediction_rows()))
    return cat


def names(catalog: Catalog, spec: dict | None, **kw: Any) -> list[str]:
    page = queries.samples_page(catalog, "toy", spec, **kw)
    return [s["file_name"][0] for s in page["samples"]]


def test_sort_by_box_summaries(catalog: Catalog) -> None:
    # ties by sample id, NULLs (no box of the source) last in both directions
    assert names(catalog, None, sort="box_count.ground_truth", order="desc") == list("cabdef")
    assert names(catalog, None, sort="box_count.m1") == list("bdefac")
    assert names(catalog, None, sort="box_max.score.m1", order="desc") == list("facbde")
    assert names(catalog, None, sort="box_max.score.m1") == list("cafbde")
    assert names(catalog, None, sort="box_min.score.predictions") == list("acfbde")
    assert names(catalog, None, sort="box_max.area.ground_truth", order="desc") == list("cabdef")
    spec = {"sample": {"split": {"in": ["train"]}}}  # the key's and the filter's values
    assert names(catalog, spec, sort="box_max.score.m1", order="desc") == list("fab")
    for bad in ("box_max.bogus.m1", "box_max.score", "box_min."):
        with pytest.raises(FilterError, match="cannot sort"):
            queries.samples_page(catalog, "toy", None, sort=bad)


def test_box_summaries_as_sample_conditions(catalog: Catalog) -> None:
    assert names(catalog, {"sample": {"box_count.m1": {"min": 1}}}) == list("acf")
    assert names(catalog, {"sample": {"box_max.score.m1": {"min": 0.85}}}) == list("af")
    assert names(catalog, {"sample": {"box_count.predictions": {"eq": 2}}}) == list("ac")


def test_box_count_per_source(catalog: Catalog) -> None:
    both = [{"source": "ground_truth", "min": 2}, {"source": "m1", "min": 2}]
    assert names(catalog, {"box_count": both}) == list("ac")
    none_gt = [{"source": "ground_truth", "max": 0}, {"source": "m1", "min": 1}]
    assert names(catalog, {"box_count": none_gt}) == ["f"]
    assert queries.facets(catalog, "toy", {"box_count": none_gt})["total"] == 1
    with pytest.raises(FilterError, match="box_count"):
        names(catalog, {"box_count": [{"source": "m1", "min": 1}, 3]})


def by_key(result: dict[str, Any]) -> dict[tuple[str, Any], dict[str, Any]]:
    return {(f["name"], f.get("source")): f for f in result["facets"]}


def counts(facet: dict[str, Any]) -> dict[str, int]:
    return {v["value"]: v["count"] for v in facet["values"]}


def test_facets_exclude_their_own_condition(catalog: Catalog) -> None:
    result = queries.facets(catalog, "toy", {"sample": {"split": {"in": ["val"]}}})
    assert result["total"] == 2
    facets = by_key(result)
    # the split facet keeps every value: what picking another split would add
    assert counts(facets[("split", None)]) == {"train": 3, "val": 2, "test": 1}
    # every other facet counts the filtered samples (c, d)
    assert facets[("width", None)]["count"] == 2
    assert counts(facets[("label", "ground_truth")]) == {"person": 2, "cat": 1, 'o\'brien "x"': 1}

    spec = {
        "sample": {"split": {"in": ["val", "train"]}},
        "labels": [{"source": "ground_truth", "classes": ["cat"]}],
    }
    facets = by_key(queries.facets(catalog, "toy", spec))
    # classes of ground truth over the split condition only (a, b, c, d, f)
    assert counts(facets[("label", "ground_truth")]) == {
        "cat": 3,
        "person": 2,
        "dog": 1,
        'o\'brien "x"': 1,
    }
    # splits over the class condition only (a, b, c)
    assert counts(facets[("split", None)]) == {"train": 2, "val": 1}
    # the model's classes over both (a, b, c)
    assert counts(facets[("label", "m1")]) == {"cat": 2, "dog": 1, "person": 1}


def test_score_box_count_and_tag_facets_exclude_their_own_condition(catalog: Catalog) -> None:
    spec: dict[str, Any] = {"labels": [{"source": "m1", "score": {"min": 0.85}}]}
    facets = by_key(queries.facets(catalog, "toy", spec))
    assert facets[("score", "m1")]["count"] == 5  # every m1 box, not only a's and f's
    assert facets[("label", "m1")]["values"] and counts(facets[("label", "m1")]) == {
        "cat": 1,
        "dog": 2,
    }
    spec = {"box_count": [{"source": "ground_truth", "min": 2}]}
    facets = by_key(queries.facets(catalog, "toy", spec))
    assert facets[("box_count", "ground_truth")]["count"] == 6
    assert facets[("box_count", "m1")]["count"] == 2
    update_tags(catalog, "toy", {"sample": {"split": {"in": ["val"]}}}, add=["review"])
    update_tags(catalog, "toy", {"sample": {"file_name": {"eq": "a.jpg"}}}, add=["x"])
    facets = by_key(queries.facets(catalog, "toy", {"tags": {"any": ["review"]}}))
    assert counts(facets[("tags", None)]) == {"review": 2, "x": 1}  # the write shows at once
    assert counts(facets[("split", None)]) == {"val": 2}


def test_own_conditions_leave_the_rest_of_the_filter() -> None:
    spec: dict[str, Any] = {
        "ids": [1, 2],
        "sample": {"split": {"in": ["val"]}},
        "tags": {"any": ["a"], "none": ["b"]},
        "labels": [{"source": "m1", "classes": ["cat"], "score": {"min": 0.5}}, {"classes": ["x"]}],
        "box_count": [
            {"source": "ground_truth", "min": 1},
            {"source": "m1", "classes": ["x"], "max": 3},
        ],
    }
    rest = {k: v for k, v in spec.items() if k != "ids"}

    def without(key: str, value: Any) -> Filter:
        """The filter with ``key`` replaced by ``value`` (left out when None)."""
        kept = {k: v for k, v in spec.items() if k != key}
        return parse_filter(kept if value is None else {**kept, key: value})

    got = {(o.name, o.source): o.reduced for o in own_conditions(parse_filter(spec))}
    assert got == {
        ("split", None): without("sample", None),
        ("tags", None): without("tags", {"none": ["b"]}),
        ("label", "m1"): without(
            "labels", [{"source": "m1", "score": {"min": 0.5}}, {"classes": ["x"]}]
        ),
        ("score", "m1"): without(
            "labels", [{"source": "m1", "classes": ["cat"]}, {"classes": ["x"]}]
        ),
        ("box_count", "ground_truth"): without(
            "box_count", [{"source": "m1", "classes": ["x"], "max": 3}]
        ),
    }
    assert all(o.reduced.ids_list == [1, 2] for o in own_conditions(parse_filter(spec)))
    assert all(not o.reduced.raw for o in own_conditions(parse_filter(spec)))
    assert spec == {"ids": [1, 2], **rest}  # the request's object is left as it was
    # a source's classes alone: the source-only rest is no condition of its own
    only_classes = parse_filter({"labels": {"source": "m1", "classes": ["cat"]}})
    assert [o.reduced for o in own_conditions(only_classes)] == [parse_filter({})]
    assert list(own_conditions(parse_filter({"tags": {"none": ["b"]}}))) == []
    reduced = next(own_conditions(parse_filter({"tags": {"any": ["a"]}}))).reduced
    assert reduced.tags is None
    assert (
        list(own_conditions(parse_filter({"labels": {"source": "predictions", "classes": ["x"]}})))
        == []
    )
