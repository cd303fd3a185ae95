"""The samples' sort parsed once (issue #48 item 4): every word the grid sends round-trips
through :class:`SampleSort`, bad ones are refused naming the sort (a 400 at the handlers)."""

from __future__ import annotations

import pytest

import visionlens_jlab.features  # noqa: F401 - declares the computed fields (dup_count)
from visionlens_jlab.catalog.plan.planner import Strategy, plan_page, plan_position
from visionlens_jlab.catalog.query.filter_conditions import FilterError, Params
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.query.sample_sort import SampleSort, parse_sample_sort, sort_key_sql

WORDS = {
    "width": ("column", "width", ""),
    "file_name": ("column", "file_name", ""),
    "source_image_id": ("column", "source_image_id", ""),
    "fields.weather": ("json", "weather", ""),
    "fields.a.b": ("json", "a.b", ""),
    "computed.dup_count": ("prefixed", "dup_count", ""),
    "box_count.ground_truth": ("box_count", "n", "ground_truth"),
    "box_count.predictions": ("box_count", "n", "predictions"),
    "box_count.my.model": ("box_count", "n", "my.model"),
    "box_max.score.yolo": ("box_max", "score", "yolo"),
    "box_min.area.ground_truth": ("box_min", "area", "ground_truth"),
    "box_max.w.m.v2": ("box_max", "w", "m.v2"),
}


@pytest.mark.parametrize("word", sorted(WORDS))
@pytest.mark.parametrize("order", ["asc", "desc", "DESC", None])
def test_every_word_round_trips(word: str, order: str | None) -> None:
    sort = parse_sample_sort(word, order)
    assert (sort.kind, sort.name, sort.source) == WORDS[word]
    assert sort.field == word
    assert sort.direction == ("DESC" if order and order.lower() == "desc" else "ASC")
    assert sort.words == (word, (order or "asc").lower())
    assert parse_sample_sort(*sort.words) == sort  # the words parse back to the same value
    assert sort_key_sql(sort, Params())  # compiles without the word


def test_the_sample_id_is_the_default() -> None:
    assert parse_sample_sort() == parse_sample_sort("", "asc") == SampleSort()
    assert parse_sample_sort("sample_id", "asc") == SampleSort()
    by_id = parse_sample_sort(None, "desc")
    assert by_id.by_id and by_id.direction == "DESC" and not by_id.held
    assert by_id.words == ("sample_id", "desc")
    assert SampleSort().words == (None, "asc")
    assert sort_key_sql(by_id, Params()) == "s.sample_id"


@pytest.mark.parametrize(
    ("sort", "order", "says"),
    [
        ("nope", None, "cannot sort by 'nope'"),
        ("fields.", None, "cannot sort by 'fields.'"),
        ("box_count.", None, "cannot sort by 'box_count.'"),
        ("box_max.score", None, "cannot sort by 'box_max.score'"),
        ("box_max.label.gt", None, "cannot sort by 'box_max.label.gt'"),
        ("computed.never_written", None, "cannot sort by 'computed.never_written'"),
        (3, None, "'sort' must be a sample field's name"),
        ("width", "up", "'order' must be 'asc' or 'desc'"),
    ],
)
def test_bad_sorts_are_refused_naming_them(sort: object, order: str | None, says: str) -> None:
    with pytest.raises(FilterError, match=says.replace("(", r"\(")):
        parse_sample_sort(sort, order)


def test_the_planner_reads_the_typed_sort() -> None:
    whole = parse_filter({})
    held = plan_page(whole, parse_sample_sort("width", "desc"), "ASC")
    assert held.sort == parse_sample_sort("width", "desc")  # its own direction, not the word's
    assert held.routes[0].strategy is Strategy.MASK and held.routes[0].parts == (held.sort,)
    computed = plan_page(whole, parse_sample_sort("computed.dup_count"), "ASC")
    assert computed.strategies == (Strategy.SQL,)  # prefixes are not held
    by_count = parse_sample_sort("box_count.gt", "desc")
    assert Strategy.SUMMARY_SORT in plan_page(whole, by_count, "DESC").strategies
    ascending = parse_sample_sort("box_count.gt", "asc")  # zero counts sort first: not summary
    assert Strategy.SUMMARY_SORT not in plan_page(whole, ascending, "ASC").strategies
    all_predictions = parse_sample_sort("box_max.score.predictions", "desc")
    assert Strategy.SUMMARY_SORT not in plan_page(whole, all_predictions, "DESC").strategies
    assert plan_position(whole, "width", "DESC").sort == parse_sample_sort("width", "desc")
    with pytest.raises(FilterError, match="cannot sort by 'bad'"):
        plan_page(whole, "bad", "ASC")
