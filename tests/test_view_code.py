"""Every view as code: the samples page's ``code``, run in a real kernel, gives the page's
rows (ids and order) for filters and sorts, box summaries included."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from tests.catalog_fixtures import PredictionRowsSource, RowsSource, prediction_rows, toy_rows
from tests.notebook_fixtures import running_kernel
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.query.sample_sort import SampleSort, parse_sample_sort
from visionlens_jlab.catalog.query.view_code import MAX_CODE_IDS, samples_code
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions

VIEWS: list[dict[str, Any]] = [
    {},
    {"sort": "box_max.score.m1", "order": "desc"},
    {"filter": {"sample": {"split": {"in": ["train", "val"]}}}, "sort": "fields.brightness"},
    {
        "filter": {"box_count": [{"source": "ground_truth", "min": 1}, {"source": "m1", "max": 1}]},
        "sort": "box_count.ground_truth",
        "order": "desc",
    },
    {"filter": {"labels": {"source": "m1", "score": {"min": 0.5}}}, "sort": "width"},
    {"filter": {"sample": {"file_name": {"contains": "DROP"}}}},
]


@pytest.fixture
def toy(vl_app: Any, http_server_client: Any) -> str:
    """The toy dataset and model 'm1', written through the server's catalog."""
    write_dataset(vl_app.catalog, "toy", RowsSource(*toy_rows()))
    write_predictions(vl_app.catalog, "toy", "m1", PredictionRowsSource(prediction_rows()))
    return "toy"


async def test_page_code_gives_the_page_rows_in_a_kernel(api: Any, toy: str) -> None:
    pages = []
    for view in VIEWS:
        status, raw = await api("POST", f"datasets/{toy}/samples/query", {**view, "limit": 1000})
        assert status == 200
        pages.append(raw)
    assert pages[1]["code"] == ("vl.dataset('toy').samples(sort='box_max.score.m1', order='desc')")
    async with running_kernel() as k:
        for view, page in zip(VIEWS, pages, strict=True):
            # exactly what the copy button copies: the import line, then the call
            out = await k.check(
                f"import visionlens_jlab as vl\ndf = {page['code']}\nprint(df.sample_id.tolist())"
            )
            got = json.loads(out)
            assert got == [s["sample_id"] for s in page["samples"]], view
            assert len(got) == page["total"]
    assert [len(p["samples"]) for p in pages] == [6, 6, 5, 2, 3, 1]  # views that differ


def test_code_text_is_the_grid_sidebar_text() -> None:
    by_id = SampleSort()
    assert samples_code("toy", parse_filter({}), by_id) == "vl.dataset('toy').samples()"
    assert samples_code("toy", parse_filter(None), by_id) == "vl.dataset('toy').samples()"
    spec = parse_filter({"sample": {"split": {"in": ["val"]}}, "tags": {"any": ["a"]}})
    assert samples_code("it's", spec, parse_sample_sort("box_max.score.m1", "desc")) == (
        "vl.dataset(\"it's\").samples(filter={'sample': {'split': {'in': ['val']}}, "
        "'tags': {'any': ['a']}}, sort='box_max.score.m1', order='desc')"
    )
    ids = parse_filter({"ids": list(range(MAX_CODE_IDS + 1))})
    assert samples_code("toy", ids, by_id) is None  # not a wall of numbers per page
    assert samples_code("toy", parse_filter({"ids": [1, 2]}), by_id) == (
        "vl.dataset('toy').samples(filter={'ids': [1, 2]})"
    )
    # the sample id descending is not the default: the code says so
    assert samples_code("toy", parse_filter({}), parse_sample_sort(None, "desc")) == (
        "vl.dataset('toy').samples(sort='sample_id', order='desc')"
    )


async def selection_code(api: Any, dataset: str, body: dict[str, Any]) -> str | None:
    """The grid's selection code: the server's answer to the grid's request."""
    status, answer = await api("POST", f"datasets/{dataset}/selection-code", body)
    assert status == 200, answer
    assert answer["max_ids"] == MAX_CODE_IDS
    code: str | None = answer["code"]
    return code


async def test_select_code_selects_exactly_those_samples_in_a_kernel(api: Any, toy: str) -> None:
    status, page = await api("POST", f"datasets/{toy}/samples/query", {"limit": 1000})
    assert status == 200
    every = [s["sample_id"] for s in page["samples"]]
    val = {"sample": {"split": {"in": ["val"]}}}
    status, page = await api(
        "POST", f"datasets/{toy}/samples/query", {"filter": val, "limit": 1000}
    )
    assert status == 200
    in_val = sorted(s["sample_id"] for s in page["samples"])
    assert 0 < len(in_val) < len(every)
    picked = [every[4], every[1], every[2]]  # in click order: the code sorts them
    cases = [
        (await selection_code(api, toy, {"ids": picked}), sorted(picked)),
        (await selection_code(api, toy, {"filter": val}), in_val),  # "all matching the filter"
        (await selection_code(api, toy, {"filter": {}}), sorted(every)),  # all, unfiltered
    ]
    async with running_kernel() as k:
        for code, expected in cases:
            assert code is not None
            # exactly what the copy button copies: the import line, then the calls
            out = await k.check(
                f"import json, visionlens_jlab as vl\n{code}\nprint(json.dumps(session.selected))"
            )
            assert json.loads(out) == expected, code
            select = await k.wait_comm_msg(lambda d: d["type"] == "select")
            got = np.frombuffer(bytes(select["buffers"][0]), dtype="<i8").tolist()
            assert got == expected, code  # what the panels are told to select


async def test_selection_code_route_gives_the_grid_text(api: Any) -> None:
    # the text of the grid's selection code (src/features/grid/SelectionCode.ts shows it)
    assert await selection_code(api, "toy", {"ids": [9, 2, 5]}) == (
        "session = vl.open('toy')\nsession.select([2, 5, 9])"
    )
    assert await selection_code(
        api, "it's", {"filter": {"sample": {"split": {"in": ["val"]}}}}
    ) == ("session = vl.open(\"it's\")\nsession.select({'sample': {'split': {'in': ['val']}}})")
    assert await selection_code(api, "toy", {"filter": {}}) == (
        "session = vl.open('toy')\nsession.select({})"
    )
    assert await selection_code(api, "toy", {"ids": []}) is None
    assert await selection_code(api, "toy", {"ids": list(range(MAX_CODE_IDS))}) is not None
    # the grid sends at most MAX_CODE_IDS + 1 ids of a larger selection: none past the limit
    assert await selection_code(api, "toy", {"ids": list(range(MAX_CODE_IDS + 1))}) is None
    for body in ({}, {"ids": [1], "filter": {}}, {"ids": [True]}, {"filter": {"bad": 1}}):
        status, answer = await api("POST", "datasets/toy/selection-code", body)
        assert status == 400, body
