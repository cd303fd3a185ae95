"""Every facet states where it filters and what it counts (``filter``, ``unit``), and that
place is one the filter parser takes: the lab filters a facet by its descriptor alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import visionlens_jlab
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.query.facet_places import KEYED_PATHS, PATHS, UNITS, FacetPlace
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.demo.generator import generate_demo
from visionlens_jlab.demo.ingest import ingest_demo


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("demo")
    files = generate_demo(root / "files", images=12, seed=5, workers=1)
    with Catalog(root / "data") as catalog:
        ingest_demo(catalog, files, "demo")
        yield catalog


def condition_at(facet: dict[str, Any]) -> dict[str, Any]:
    """A filter that conditions on ``facet`` at its declared place, built from the
    descriptor the way the lab's filters.ts does (never from the facet's name)."""
    path, key = facet["filter"]["path"], facet["filter"].get("key")
    source = {"source": facet["source"]} if "source" in facet else {}
    if facet["type"] == "categorical":
        first = next(v["value"] for v in facet["values"] if v["value"] is not None)
        cond: Any = {"in": [first]}
        values: Any = [first]
    else:
        cond = values = {"min": facet["min"], "max": facet["max"]}
    place, _, part = path.partition(".")
    if place == "sample":
        return {"sample": {key: cond}}
    if place == "tags":
        return {"tags": {"any": values}}
    if place == "box_count":
        return {"box_count": [{**source, **values}]}
    if part == "where":
        return {place: [{**source, "where": {key: cond}}]}
    if part == "type":  # "classification": the source's classifications entry, as the lab's
        if values == ["classification"]:
            return {"classifications": [source]}
        return {place: [{**source, "type": values}]}
    return {place: [{**source, part: values}]}


def test_every_demo_facet_names_a_place_the_filter_parser_takes(catalog: Catalog) -> None:
    answer = queries.facets(catalog, "demo", None)
    paths = set()
    for facet in answer["facets"]:
        assert facet["unit"] in UNITS, facet["name"]
        if facet["name"].startswith("eval."):  # the Evaluation panel's, not the filter's
            assert facet["filter"] is None
            continue
        assert facet["filter"]["path"] in PATHS, facet["name"]
        paths.add(facet["filter"]["path"])
        if facet["type"] == "numeric" and facet["min"] is None:
            continue  # nothing to pick
        if facet["type"] == "categorical" and all(v["value"] is None for v in facet["values"]):
            continue
        spec = condition_at(facet)
        parse_filter(spec)
        assert queries.facets(catalog, "demo", spec)["total"] > 0, (facet["name"], spec)
    # the demo has objects with masks and keypoints, image labels and a model
    assert {"labels.where", "labels.type", "classifications.classes", "labels.score"} <= paths


def test_units_are_the_counted_things(catalog: Catalog) -> None:
    answer = queries.facets(catalog, "demo", None)
    unit = {(f["name"], f.get("source")): f["unit"] for f in answer["facets"]}
    assert unit[("split", None)] == "samples"
    assert unit[("label", "ground_truth")] == "objects"
    assert unit[("label_type", "ground_truth")] == "labels"
    assert unit[("classification", "ground_truth")] == "image labels"


def test_a_place_outside_the_filter_is_refused() -> None:
    with pytest.raises(ValueError, match="not a filter place"):
        FacetPlace("rotation", "labels.angle", "objects")
    with pytest.raises(ValueError, match="not a facet unit"):
        FacetPlace("rotation", "labels.where", "boxes")


def test_the_document_states_the_same_places_and_units() -> None:
    doc = yaml.safe_load((Path(visionlens_jlab.__file__).parent / "openapi.yaml").read_text())
    schemas = doc["components"]["schemas"]
    keyed, single = (s["properties"]["path"]["enum"] for s in schemas["FacetFilter"]["oneOf"])
    assert set(keyed) == set(KEYED_PATHS)
    assert set(keyed) | set(single) == set(PATHS)
    for kind in schemas["Facet"]["oneOf"]:  # categorical, numeric
        assert tuple(kind["properties"]["unit"]["enum"]) == UNITS
