"""Measured per-image attributes as computed fields: facets, filters, sort and grid values.

The attributes job writes ``computed.measured_<name>`` beside the engine's table; the
``measured.<name>`` filters keep working and select the same samples.
"""

from __future__ import annotations

import pytest

from visionlens_jlab.blindspots import compute_attributes
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.plan.facets import facets
from visionlens_jlab.catalog.reads.queries import samples_page
from visionlens_jlab.demo import generate_demo
from visionlens_jlab.demo.ingest import ingest_demo

IMAGES = 60


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    tmp = tmp_path_factory.mktemp("measured")
    files = generate_demo(tmp / "src", images=IMAGES, seed=3, workers=1)
    cat = Catalog(tmp / "data")
    ingest_demo(cat, files, "demo")
    compute_attributes(cat, "demo", str(tmp / "thumbs"), in_process=True)
    return cat


def _brightness(catalog: Catalog) -> list[float]:
    with catalog.cursor() as cur:
        rows = cur.execute("SELECT brightness FROM sample_attributes ORDER BY sample_id").fetchall()
    return [r[0] for r in rows]


def test_measured_attributes_are_facets(catalog: Catalog) -> None:
    entries = {f["name"]: f for f in facets(catalog, "demo", None)["facets"]}
    bright = entries["computed.measured_brightness"]
    values = _brightness(catalog)
    assert bright["type"] == "numeric" and bright["count"] == IMAGES
    assert bright["min"] == pytest.approx(min(values)) and bright["max"] == pytest.approx(
        max(values)
    )
    assert sum(b["count"] for b in bright["histogram"]) == IMAGES
    gray = entries["computed.measured_grayscale"]
    assert gray["type"] == "categorical"
    assert sum(v["count"] for v in gray["values"]) == IMAGES
    assert {v["value"] for v in gray["values"]} <= {"true", "false"}


def test_computed_and_measured_filters_select_the_same_samples(catalog: Catalog) -> None:
    median = sorted(_brightness(catalog))[IMAGES // 2]
    old = samples_page(catalog, "demo", {"sample": {"measured.brightness": {"max": median}}})
    new = samples_page(
        catalog, "demo", {"sample": {"computed.measured_brightness": {"max": median}}}
    )
    assert 0 < new["total"] < IMAGES
    assert new["total"] == old["total"]
    assert [s["sample_id"] for s in new["samples"]] == [s["sample_id"] for s in old["samples"]]


def test_sort_by_a_measured_field_and_values_on_the_grid(catalog: Catalog) -> None:
    page = samples_page(
        catalog, "demo", None, sort="computed.measured_sharpness", order="desc", limit=IMAGES
    )
    shown = [s["computed"]["measured_sharpness"] for s in page["samples"]]
    assert len(shown) == IMAGES
    assert shown == sorted(shown, reverse=True)
    with catalog.cursor() as cur:
        truth = dict(cur.execute("SELECT sample_id, sharpness FROM sample_attributes").fetchall())
    for s in page["samples"]:
        assert s["computed"]["measured_sharpness"] == pytest.approx(truth[s["sample_id"]])
