"""Sample fields and box attributes whose text is a non-finite number ("nan", "inf") or
whose range overflows a double (±1e308) are data like any other: the ingest keeps them and
every facet answers, filtered or not, in the SQL path and from the indexes alike. Until
session 6 the facets' histogram cast ``FLOOR(NaN)`` to an integer and the whole ingest was
rolled back."""

from __future__ import annotations

import json
from typing import Any

import pytest

import visionlens_jlab.catalog.plan.facets as facets_module
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset

from .catalog_fixtures import RowsSource
from .test_result_cache import plain

VALUES: list[dict[str, Any]] = [
    {"text_nan": "nan", "huge": 1e308, "mixed": 1, "tiny": -1e308},
    {"text_nan": 1, "huge": -1e308, "mixed": "inf", "tiny": 5},
    {"text_nan": 2, "huge": 0, "mixed": 2.5, "tiny": 1e308},
    {"text_nan": "NaN", "huge": 1e308, "mixed": "-inf", "tiny": 0},
]


def _dataset(cat: Catalog) -> None:
    samples = [
        {"file_name": f"{i}.jpg", "width": 10, "height": 10, "split": "train",
         "source_image_id": str(i + 1), "fields": json.dumps(VALUES[i % len(VALUES)])}
        for i in range(40)
    ]  # fmt: skip
    boxes = [
        {"sample_index": i, "label": "c", "x": 0.0, "y": 0.0, "w": 1.0, "h": 1.0, "area": 1.0,
         "iscrowd": False, "difficult": False,
         "attributes": json.dumps({"a": VALUES[i % len(VALUES)]["mixed"], "h": VALUES[i % 4]["huge"]})}
        for i in range(40)
    ]  # fmt: skip
    write_dataset(cat, "d", RowsSource(samples, boxes, ["c"]))


SPECS: list[dict[str, Any] | None] = [
    None,
    {"ids": list(range(1, 30))},
    {"sample": {"fields.text_nan": {"min": 0}}},
    {"sample": {"fields.mixed": {"in": ["inf", "1"]}}},
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_non_finite_values_are_kept_and_counted(
    tmp_path: Any, spec: dict[str, Any] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat = Catalog(tmp_path)
    _dataset(cat)  # raised a conversion error before
    with plain(cat):
        fast = queries.facets(cat, "d", spec)
    with plain(cat), monkeypatch.context() as m:
        m.setattr(facets_module, "box_index", lambda *a: None)
        slow = queries.facets(cat, "d", spec)
    assert fast == slow
    by_name = {f["name"]: f for f in fast["facets"]}
    # a text that is not a finite number makes the facet categorical, with that text
    text_nan = by_name["fields.text_nan"]
    if text_nan["type"] == "categorical":
        assert {"nan", "NaN"} & {v["value"] for v in text_nan["values"]}
    # finite numbers whose range overflows: a histogram whose counts are every value's
    huge = by_name["fields.huge"]
    assert huge["type"] == "numeric"
    assert sum(b["count"] for b in huge["histogram"]) == huge["count"] > 0
    json.dumps(fast, allow_nan=False)  # what the REST answer must be able to encode
    cat.close()
