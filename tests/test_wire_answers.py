"""The document describes the real answers (issue #48 item 5): the JSON a real Jupyter server
sends for the datasets list, one dataset, samples pages, one sample, facets, jobs and maps
is valid against the response schemas of ``visionlens_jlab/openapi.yaml``, the schemas the
lab's types are generated from. Dataset, Sample (its objects and image labels) and
MapDescriptor refuse keys they do not name, so a field the server starts sending without the
document (and so without the lab's type) fails here."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema.exceptions import best_match

from visionlens_jlab.handlers import contract
from visionlens_jlab.records.label_kinds import LABEL_TYPES

from .map_fixtures import write_map_dataset
from .test_label_reads import labelled  # noqa: F401 - the fixture

DATASET = "/datasets/{name}"
SAMPLES = "/datasets/{name}/samples"


def assert_answers(path: str, method: str, answer: Any, status: str = "200") -> None:
    """``answer`` is valid against the document's schema of that answer (which it has)."""
    validator = contract.answer_validator(path, method, status)
    assert validator is not None, f"{method} {path} {status}: the document states no schema"
    error = best_match(validator.iter_errors(answer))
    assert error is None, f"{method} {path}: {list(error.absolute_path)}: {error.message}"


def test_an_answer_with_an_unnamed_or_mistyped_field_is_refused() -> None:
    """The check bites: a key the Sample schema does not name, or a wrong type, fails."""
    sample = {
        "sample_id": 1, "file_name": "a.jpg", "width": None, "height": 3, "split": None,
        "source_image_id": None, "tags": [], "fields": {}, "annotations": [],
        "classifications": [], "computed": {},
    }  # fmt: skip
    page = {"total": 1, "offset": 0, "limit": 1, "samples": [sample]}
    assert_answers(SAMPLES, "get", page)
    for broken in ({**sample, "colour": "red"}, {**sample, "width": "3"}):
        with pytest.raises(AssertionError, match="samples"):
            assert_answers(SAMPLES, "get", {**page, "samples": [broken]})


FACETS = "/datasets/{name}/facets"


def test_a_facet_with_an_unnamed_key_is_refused() -> None:
    """The Facet schema is strict (#48 item 5): a facet, a value count or a histogram bin
    with a key the document does not name fails, and so does a facet missing one."""
    place = {"path": "sample", "key": "split"}
    split = {
        "name": "split",
        "type": "categorical",
        "filter": place,
        "unit": "samples",
        "values": [{"value": "val", "count": 2}, {"value": None, "count": 1}],
    }
    area = {
        "name": "area",
        "type": "numeric",
        "source": "ground_truth",
        "min": 1.0,
        "max": 9.0,
        "count": 3,
        "histogram": [{"lo": 1.0, "hi": 9.0, "count": 3}],
        "filter": {"path": "labels.where", "key": "area"},
        "unit": "objects",
    }
    status = {
        "name": "eval.status",
        "type": "categorical",
        "source": "m",
        "key": "m--coco",
        "values": [{"value": "tp", "count": 4}],
        "filter": None,
        "unit": "objects",
    }
    empty = {**area, "min": None, "max": None, "count": 0, "histogram": []}
    answer = {"total": 3, "facets": [split, area, status, empty]}
    assert_answers(FACETS, "get", answer)
    broken = [
        {**split, "colour": "red"},
        {**split, "values": [{"value": "val", "count": 2, "share": 0.5}]},
        {**area, "histogram": [{"lo": 1.0, "hi": 9.0, "count": 3, "mid": 5.0}]},
        {**area, "key": "m--coco"},  # an evaluation's key on a numeric facet
        {k: v for k, v in split.items() if k != "unit"},
        {k: v for k, v in area.items() if k != "histogram"},
    ]  # fmt: skip
    for facet in broken:
        with pytest.raises(AssertionError, match="facets"):
            assert_answers(FACETS, "get", {**answer, "facets": [facet]})


def test_a_models_label_types_are_the_declared_ones() -> None:
    """A model's ``label_types`` in the document are the label kinds' types."""
    model = contract.document()["components"]["schemas"]["Model"]
    label_types = model["properties"]["label_types"]
    assert tuple(label_types["properties"]) == LABEL_TYPES
    assert tuple(label_types["required"]) == LABEL_TYPES


async def test_datasets_samples_and_facets_answer_as_documented(
    api: Any,
    labelled: str,  # noqa: F811 - the fixture
) -> None:
    status, listing = await api("GET", "datasets")
    assert status == 200 and [d["name"] for d in listing["datasets"]] == [labelled]
    assert_answers("/datasets", "get", listing)

    status, one = await api("GET", f"datasets/{labelled}")
    assert status == 200 and one["category_keypoints"] and one["models"], one
    assert_answers(DATASET, "get", one)

    flt = {"labels": [{"classes": ["person"]}]}  # objects then carry `match`
    status, page = await api("GET", f"datasets/{labelled}/samples", params={"limit": 10})
    assert status == 200 and page["samples"], page
    assert_answers(SAMPLES, "get", page)
    query = {"filter": flt, "sort": "width", "order": "desc"}
    status, matched = await api("POST", f"datasets/{labelled}/samples/query", query)
    assert status == 200 and any("match" in a for a in matched["samples"][0]["annotations"])
    assert_answers(SAMPLES, "get", matched)  # "As GET samples"
    status, refused = await api("POST", f"datasets/{labelled}/samples/query", {"sort": "colour"})
    assert status == 400 and "cannot sort by 'colour'" in refused["message"], refused

    sample_id = page["samples"][0]["sample_id"]
    status, sample = await api("GET", f"datasets/{labelled}/samples/{sample_id}")
    assert status == 200 and sample["annotations"] and sample["classifications"], sample
    assert_answers(f"{SAMPLES}/{{sample_id}}", "get", sample)
    body = {"ids": [sample_id]}
    status, details = await api("POST", f"datasets/{labelled}/samples/details", body)
    assert status == 200 and details == {"samples": [sample]}, details
    assert_answers(f"{SAMPLES}/details", "post", details)

    for params in (None, {"filter": json.dumps(flt)}):
        status, facets = await api("GET", f"datasets/{labelled}/facets", params=params)
        assert status == 200 and facets["facets"], facets
        assert_answers(FACETS, "get", facets)


async def test_a_map_and_its_job_answer_as_documented(api: Any, wait_job: Any, vl_app: Any) -> None:
    write_map_dataset(vl_app.catalog, vl_app.vector_store(), "tiny", 24, dim=8, clusters=2)
    maps = "/datasets/{name}/maps"
    status, queued = await api("POST", "datasets/tiny/maps", {"method": "pca"})
    assert status == 202, queued
    assert_answers(maps, "post", queued, "202")
    job = await wait_job(queued["job"], timeout=120)
    assert job["status"] == "done", job
    assert_answers("/jobs/{job_id}", "get", job)
    assert_answers("/jobs", "get", (await api("GET", "jobs"))[1])
    assert_answers(f"{maps}/{{map_id}}", "get", job["result"])  # the MapDescriptor

    status, stored = await api("POST", "datasets/tiny/maps", {"method": "pca"})
    assert status == 200 and stored["map"]["cached"] is True, stored
    assert_answers(maps, "post", stored)
    status, listed = await api("GET", "datasets/tiny/maps")
    assert status == 200 and len(listed["maps"]) == 1, listed
    assert_answers(maps, "get", listed)
    status, one = await api("GET", f"datasets/tiny/maps/{stored['map']['id']}")
    assert status == 200, one
    assert_answers(f"{maps}/{{map_id}}", "get", one)
