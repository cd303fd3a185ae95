"""The typed filter model (catalog/query/filter_model.py) and its one parser (filter_parser.py).

Every error message is the one the SQL compiler gave before the model existed (the table
was checked against commit 969ffe7's ``compile_filter``), every condition kind parses to
its value, and the shape questions the backends ask are answered by the model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import visionlens_jlab.evaluate  # noqa: F401 - registers the ``eval`` label condition
from visionlens_jlab.catalog.query.filter_model import BoxCount, Condition, LabelCondition
from visionlens_jlab.catalog.query.filter_parser import parse_filter
from visionlens_jlab.catalog.query.filters import FilterError
from visionlens_jlab.evaluate.eval_filter import EvalCondition

BAD = [
    ("x", "a filter must be a JSON object"),
    ({"nope": 1}, "unknown filter keys: ['nope']"),
    ({"ids": [1, "2"]}, "'ids' must be a list of integer sample ids (64-bit)"),
    ({"ids": [True]}, "'ids' must be a list of integer sample ids (64-bit)"),
    ({"ids": [2**70]}, "'ids' must be a list of integer sample ids (64-bit)"),
    ({"sample": []}, "'sample' must be a JSON object"),
    ({"sample": {"nope": {"in": ["a"]}}}, "unknown sample field 'nope'"),
    ({"sample": {"split": "val"}}, "condition on 'split' must be an object such as {'in': [...]}"),
    ({"sample": {"split": {}}}, "condition on 'split' must be an object such as {'in': [...]}"),
    ({"sample": {"split": {"in": "val"}}}, "'in' on 'split' must be a list of strings or numbers"),
    ({"sample": {"split": {"eq": None}}}, "'eq' on 'split' needs a string, number or boolean"),
    ({"sample": {"width": {"min": "1"}}}, "'width.min' must be a number"),
    ({"sample": {"width": {"max": float("nan")}}}, "'width.max' must be a number"),
    ({"sample": {"width": {"min": True}}}, "'width.min' must be a number"),
    ({"sample": {"file_name": {"contains": 3}}}, "'contains' on 'file_name' needs a string"),
    ({"sample": {"split": {"like": "a"}}}, "unknown operator 'like' on 'split'"),
    (
        {"sample": {"fields.w": {"in": [{}]}}},
        "'in' on 'fields.w' must be a list of strings or numbers",
    ),
    (
        {"sample": {"box_max.nope.gt": {"min": 1}}},
        "'box_max.nope.gt': use box_max.<field>.<source> with a field among score, area, w, h, x, y",
    ),
    (
        {"sample": {"box_min.area": {"min": 1}}},
        "'box_min.area': use box_min.<field>.<source> with a field among score, area, w, h, x, y",
    ),
    ({"tags": "x"}, "'tags' must be a JSON object"),
    ({"tags": {"any": "x"}}, "'tags.any' must be a list of strings"),
    ({"tags": {"some": ["a"]}}, "unknown tags operator 'some' (any, all, none)"),
    ({"labels": "x"}, "'labels' must be a JSON object"),
    ({"labels": [{"source": 1}]}, "labels.source must be a string"),
    ({"labels": {"classes": "cat"}}, "'labels.classes' must be a list of strings"),
    ({"labels": {"score": {"min": "x"}}}, "'labels.score.min' must be a number"),
    ({"labels": {"where": []}}, "'labels.where' must be a JSON object"),
    ({"labels": {"where": {"nope": {"min": 1}}}}, "unknown label field 'nope'"),
    (
        {"labels": {"where": {"attributes.t": {"eq": []}}}},
        "'eq' on 'attributes.t' needs a string, number or boolean",
    ),
    ({"labels": {"bogus": 1}}, "unknown label filter key 'bogus'"),
    ({"labels": {"eval": 1}}, "labels.eval must be an object such as {'status': ['fp']}"),
    ({"labels": {"eval": {"x": 1}}}, "unknown labels.eval keys: ['x']"),
    ({"labels": {"eval": {"key": 1}}}, "labels.eval.key must be a string"),
    ({"labels": {"eval": {"model": 1}}}, "labels.eval.model must be a string"),
    (
        {"labels": {"eval": {"status": ["bad"]}}},
        "labels.eval.status must be a list of ['tp', 'fp', 'fn', 'ignored']",
    ),
    (
        {"labels": {"eval": {"error": "x"}}},
        "labels.eval.error must be a list of ['duplicate', 'class_confusion', 'localization', 'background']",
    ),
    (
        {"labels": {"eval": {"confused_with": [1]}}},
        "labels.eval.confused_with must be a list of class names",
    ),
    ({"labels": {"eval": {"confused": 1}}}, "labels.eval.confused must be true or false"),
    ({"labels": {"eval": {"iou": 0.5}}}, "labels.eval.iou must be an object like {'min': 0.5}"),
    ({"labels": {"eval": {"iou": {"min": "a"}}}}, "labels.eval.iou.min must be a number"),
    ({"box_count": "x"}, "'box_count' must be a JSON object"),
    (
        {"box_count": {"source": "ground_truth"}},
        "condition on 'box_count' must be an object such as {'in': [...]}",
    ),
    ({"box_count": {"source": 3, "min": 1}}, "labels.source must be a string"),
    ({"box_count": [{"classes": ["a"], "min": "1"}]}, "'box_count.min' must be a number"),
    ({"box_count": {"classes": 1, "min": 1}}, "'labels.classes' must be a list of strings"),
    (
        {"sample": {"split": {"in": 1}}, "tags": {"x": []}},
        "'in' on 'split' must be a list of strings or numbers",
    ),
]


@pytest.mark.parametrize(("spec", "message"), BAD, ids=[m for _, m in BAD])
def test_every_error_message(spec: Any, message: str) -> None:
    with pytest.raises(FilterError) as raised:
        parse_filter(spec)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    "spec",
    [
        None,
        {},
        {"ids": None},
        {"tags": {}},
        {"labels": []},
        {"sample": {}},
    ],  # fmt: skip
    ids=str,
)
def test_filters_that_select_everything(spec: Any) -> None:
    flt = parse_filter(spec)
    assert not flt.active and flt.whole_dataset


def test_every_condition_kind() -> None:
    flt = parse_filter(
        {
            "ids": [3, 1],
            "sample": {"split": {"in": [True, 2, "val"]}, "width": {"min": 10, "max": None},
                       "fields.weather": {"eq": "rain"}, "box_count.m1": {"eq": 2},
                       "file_name": {"contains": "CaT"}, "height": {"is_null": 0}},
            "tags": {"any": ["a"], "none": ["b"]},
            "labels": [{"source": "ground_truth", "classes": ["cat"]},
                       {"source": "m1", "score": {"min": 0.5}, "where": {"attributes.t": {"eq": 1}}},
                       {"classes": ["dog"], "eval": {"status": ["fn"], "model": "m1"}}],
            "box_count": [{"source": "m1", "min": 1}, {"classes": ["cat"], "max": 2}],
        }
    )  # fmt: skip
    assert flt.ids is not None and flt.ids.dtype == np.int64 and flt.ids.tolist() == [3, 1]
    assert [(s.name, s.kind) for s in flt.sample] == [
        ("split", "column"), ("width", "column"), ("fields.weather", "json"),
        ("box_count.m1", "box_summary"), ("file_name", "column"), ("height", "column"),
    ]  # fmt: skip
    split, width, weather, count, name, height = (s.cond for s in flt.sample)
    assert split.ops == (("in", ("true", "2", "val")),)
    assert width.ops == (("min", 10.0), ("max", None)) and width.range == (10.0, None)
    assert weather.ops == (("eq", "rain"),) and flt.sample[2].json_key == "weather"
    assert count.ops == (("eq", 2.0),) and name.ops == (("contains", "cat"),)
    assert height.ops == (("is_null", False),)
    assert flt.tags is not None and flt.tags.ops == (("any", ("a",)), ("none", ("b",)))
    gt, m1, ev = flt.labels
    assert gt == LabelCondition("ground_truth", ("cat",))
    assert gt.class_only and gt.one_source and gt.matches_source("ground_truth")
    assert m1.score == Condition((("min", 0.5),)) and m1.where[0].name == "attributes.t"
    assert not m1.class_only and m1.box_range is None
    assert ev.extra("eval") == EvalCondition(model="m1", status=("fn",))
    assert not ev.one_source and ev.matches_source("m1")
    assert flt.box_counts == (
        BoxCount(LabelCondition("m1"), Condition((("min", 1.0),)), summed=True),
        BoxCount(LabelCondition(None, ("cat",)), Condition((("max", 2.0),)), summed=False),
    )
    assert flt.active == {"ids", "sample", "tags", "labels", "box_count"}
    assert not flt.whole_dataset and flt.only_label is None


@pytest.mark.parametrize(
    ("label", "box_range", "one_bound", "two_bounds"),
    [
        (
            {"source": "m1", "score": {"min": 0.5}},
            ("score", (0.5, None)),
            ("score", "min", 0.5),
            None,
        ),
        (
            {"where": {"area": {"max": 9, "min": None}}},
            ("area", (None, 9.0)),
            ("area", "max", 9.0),
            None,
        ),
        ({"where": {"w": {"min": 1, "max": 2}}}, ("w", (1.0, 2.0)), None, ("w", 1.0, 2.0)),
        ({"where": {"w": {"max": 2, "min": 1}}}, ("w", (1.0, 2.0)), None, ("w", 1.0, 2.0)),
        ({"where": {"area": {"min": None}}}, None, None, None),
        ({"where": {"area": {"eq": 3}}}, None, None, None),
        ({"where": {"iscrowd": {"min": 1}}}, None, None, None),
        ({"classes": ["a"], "score": {"min": 0.5}}, None, None, None),
        ({"score": {"min": 0.5}, "where": {"area": {"min": 1}}}, None, None, None),
        ({"where": {"area": {"min": 1}, "w": {"min": 1}}}, None, None, None),
    ],
    ids=str,
)
def test_one_bound_on_one_box_field(
    label: dict[str, Any], box_range: Any, one_bound: Any, two_bounds: Any
) -> None:
    (parsed,) = parse_filter({"labels": label}).labels
    found = parsed.box_range
    assert (None if found is None else (found[0], found[1].range)) == box_range
    assert parsed.one_bound == one_bound
    assert parsed.two_bounds == two_bounds


def test_which_keys_are_active() -> None:
    assert parse_filter({"ids": []}).active == {"ids"}
    assert parse_filter({"sample": {"fields.a": {"min": None}}}).active == {"sample"}
    assert parse_filter({"sample": {"fields.a": {"min": None}}}).whole_dataset
    assert not parse_filter({"sample": {"split": {"min": None}}}).whole_dataset
    assert parse_filter({"tags": {"any": []}}).active == {"tags"}
    assert parse_filter({"labels": {"source": "m1"}}).only_label == LabelCondition("m1")
    assert parse_filter({"labels": [{}, {}]}).only_label is None
    # a box count without a bound is TRUE in SQL, but it is a clause: not the dataset alone
    assert not parse_filter({"box_count": {"source": 3, "min": None}}).whole_dataset
