"""``POST /datasets/<name>/position``: where a selection's first sample stands in a view.

Every expectation is read from the samples pages of the same filter and sort, so the
position agrees with what the grid shows at that index."""

from __future__ import annotations

from typing import Any

import pytest

from visionlens_jlab.catalog.plan.planner import Strategy, plan_position
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset

from .catalog_fixtures import RowsSource, toy_rows

VIEWS = [
    ({}, None, None),
    ({}, "width", "desc"),
    ({"sample": {"split": {"in": ["train", "val"]}}}, "fields.brightness", "asc"),
    ({"sample": {"split": {"in": ["val", "test"]}}}, "height", "desc"),
]


@pytest.fixture
def toy(vl_app: Any) -> str:
    samples, boxes, classes = toy_rows()
    write_dataset(vl_app.catalog, "toy", RowsSource(samples, boxes, classes))
    return "toy"


async def _order(api: Any, spec: dict[str, Any], sort: str | None, order: str | None) -> list[int]:
    """The sample ids of the view, in the order of its pages."""
    body: dict[str, Any] = {"filter": spec, "offset": 0, "limit": 100}
    if sort:
        body.update(sort=sort, order=order)
    status, page = await api("POST", "datasets/toy/samples/query", body)
    assert status == 200
    return [s["sample_id"] for s in page["samples"]]


@pytest.mark.parametrize(("spec", "sort", "order"), VIEWS)
async def test_the_position_is_the_pages_position_of_the_first_selected(
    api: Any, toy: str, spec: dict[str, Any], sort: str | None, order: str | None
) -> None:
    status, body = await api("POST", "datasets/toy/ids", {"filter": {}})
    assert status == 200
    every = body["ids"]
    shown = await _order(api, spec, sort, order)
    # every pair of samples, and one id of no sample (not counted)
    for a in every:
        for b in every:
            ids = sorted({a, b, max(every) + 1000})
            status, answer = await api(
                "POST",
                "datasets/toy/position",
                {"filter": spec, "ids": ids, "sort": sort, "order": order},
            )
            assert status == 200, answer
            kept = [i for i, sid in enumerate(shown) if sid in ids]
            assert answer["shown"] == len(kept)
            assert answer["hidden"] == len({a, b}) - len(kept)
            if kept:
                assert answer["index"] == kept[0]
                assert answer["sample_id"] == shown[kept[0]]
            else:
                assert answer["index"] is None and answer["sample_id"] is None


async def test_position_requests_are_checked(api: Any, toy: str) -> None:
    status, _ = await api("POST", "datasets/toy/position", {"filter": {}})
    assert status == 400  # no ids
    status, _ = await api("POST", "datasets/toy/position", {"ids": ["1; DROP TABLE samples"]})
    assert status == 400
    status, _ = await api("POST", "datasets/toy/position", {"ids": [1], "sort": 3})
    assert status == 400
    status, _ = await api("POST", "datasets/nothing/position", {"ids": [1]})
    assert status == 404
    status, answer = await api("POST", "datasets/toy/position", {"ids": []})
    assert status == 200
    assert answer == {"index": None, "sample_id": None, "shown": 0, "hidden": 0}


def test_positions_are_planned_as_one_sql_route() -> None:
    plan = plan_position(parse_filter({"tags": {"any": ["x"]}}), "width", "DESC")
    assert plan.request == "position" and plan.strategies == (Strategy.SQL,)
