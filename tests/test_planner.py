"""Plan selection (catalog/plan/planner.py): which route answers a request and which step
answers which condition of the mask route, given what is held in memory; forced SQL; the
evaluation's backend registered from outside the catalog. No catalog needed: planning
reads the parsed filter only."""

from __future__ import annotations

from typing import Any

import pytest

import visionlens_jlab.evaluate  # noqa: F401 - registers the ``eval`` condition and backend
from visionlens_jlab import features  # noqa: F401 - declares the computed fields sorted by
from visionlens_jlab.catalog.plan.planner import (
    Held,
    LabelBackend,
    Strategy,
    forced,
    forced_sql,
    mask_steps,
    plan_export,
    plan_facets,
    plan_page,
)
from visionlens_jlab.catalog.query.filter_parser import parse_filter

S = Strategy
GT = "ground_truth"
CLASS = {"labels": {"source": GT, "classes": ["cat"]}}
RANGE = {"labels": {"source": "m1", "where": {"area": {"min": 1, "max": 9}}}}
EVAL = {"labels": {"source": GT, "classes": ["cat"], "eval": {"status": ["fn"]}}}


def steps(spec: dict[str, Any], held: Held) -> list[tuple[Strategy, int]]:
    """(strategy, number of conditions answered) per step of the mask route."""
    return [(s.strategy, len(s.parts)) for s in mask_steps(parse_filter(spec), held)]


ALL = Held(field_columns=True, tag_lists=True)
NOTHING = Held()


@pytest.mark.parametrize(
    ("spec", "held", "expected"),
    [
        ({}, ALL, [(S.SQL, 0)]),  # nothing in memory: the dataset's ids
        ({"ids": [1, 2]}, NOTHING, [(S.ID_SET, 1)]),
        ({"sample": {"split": {"in": ["val"]}}}, NOTHING, [(S.BOX_INDEX, 1)]),
        ({"sample": {"split": {"in": ["val"], "eq": "x"}}}, ALL, [(S.SQL, 1)]),
        ({"sample": {"width": {"min": 3}}}, NOTHING, [(S.BOX_INDEX, 1)]),
        ({"sample": {"width": {"min": None}}}, ALL, [(S.SQL, 1)]),
        ({"sample": {"fields.w": {"in": ["a"]}}}, ALL, [(S.FIELD_COLUMNS, 1)]),
        ({"sample": {"fields.w": {"in": ["a"]}}}, NOTHING, [(S.SQL, 1)]),
        ({"sample": {"file_name": {"contains": "a"}}}, ALL, [(S.SQL, 1)]),
        ({"tags": {"any": ["a"], "all": ["b"]}}, ALL, [(S.TAG_LISTS, 1)]),
        ({"tags": {"any": ["a"]}}, NOTHING, [(S.SQL, 1)]),
        ({"tags": {"none": ["a"]}}, ALL, [(S.SQL, 1)]),
        ({"tags": {"all": []}}, ALL, [(S.SQL, 1)]),
        (CLASS, NOTHING, [(S.BOX_INDEX, 1)]),
        ({"labels": {"source": "predictions", "classes": ["cat"]}}, ALL, [(S.SQL, 1)]),
        ({"labels": {"source": GT}}, ALL, [(S.SQL, 1)]),
        (RANGE, NOTHING, [(S.BOX_INDEX, 1)]),
        ({"labels": {"source": "m1", "score": {"min": 0.5}}}, NOTHING, [(S.BOX_INDEX, 1)]),
        ({"labels": {"source": "m1", "classes": ["a"], "score": {"min": 0.5}}}, ALL, [(S.SQL, 1)]),
        (EVAL, NOTHING, [(S.BACKEND, 1)]),
        ({"box_count": {"source": GT, "min": 1}}, ALL, [(S.SQL, 1)]),
        (
            {
                "ids": [1],
                "sample": {"split": {"in": ["a"]}, "file_name": {"eq": "x"}},
                "labels": [CLASS["labels"], {"source": GT}],
                "box_count": {"source": GT, "min": 1},
            },
            ALL,
            [(S.ID_SET, 1), (S.BOX_INDEX, 1), (S.BOX_INDEX, 1), (S.SQL, 3)],
        ),
    ],  # fmt: skip
    ids=str,
)
def test_which_step_answers_which_condition(
    spec: dict[str, Any], held: Held, expected: list[tuple[Strategy, int]]
) -> None:
    assert steps(spec, held) == expected


def test_the_backend_is_the_evaluations() -> None:
    (step,) = mask_steps(parse_filter(EVAL), NOTHING)
    assert isinstance(step.backend, LabelBackend) and step.backend.key == "eval"
    assert step.backend.mask.__module__ == "visionlens_jlab.evaluate.eval_label_mask"


@pytest.mark.parametrize(
    ("spec", "sort", "direction", "routes"),
    [
        ({}, None, "ASC", [S.DENSE_RANGE, S.SQL]),
        ({}, "sample_id", "DESC", [S.DENSE_RANGE, S.SQL]),
        ({}, "width", "ASC", [S.MASK, S.SQL]),
        ({}, "box_count.m1", "DESC", [S.MASK, S.SUMMARY_SORT, S.SQL]),
        ({}, "box_count.m1", "ASC", [S.MASK, S.SQL]),
        ({}, "box_count.predictions", "DESC", [S.MASK, S.SQL]),
        ({}, "box_max.score.m1", "ASC", [S.MASK, S.SUMMARY_SORT, S.SQL]),
        ({}, "computed.dup_count", "ASC", [S.SQL]),
        ({"ids": [1]}, None, "ASC", [S.MASK, S.ID_RANGE, S.SQL]),
        ({"sample": {"fields.w": {"in": ["a"]}}}, None, "ASC", [S.MASK, S.FIELD_ROWS, S.SQL]),
        ({"sample": {"split": {"in": ["a"]}}}, None, "ASC", [S.MASK, S.SQL]),
        (CLASS, None, "ASC", [S.MASK, S.LABEL_SUMMARY, S.SQL]),
        (EVAL, None, "ASC", [S.MASK, S.LABEL_SUMMARY, S.SQL]),
        (RANGE, "sample_id", "ASC", [S.MASK, S.VALUE_LISTS, S.SQL]),
        ({**CLASS, "ids": [1]}, None, "ASC", [S.MASK, S.SQL]),
        (CLASS, "width", "ASC", [S.MASK, S.SQL]),
        (CLASS, "computed.dup_count", "ASC", [S.SQL]),
    ],
    ids=str,
)
def test_page_routes(
    spec: dict[str, Any], sort: str | None, direction: str, routes: list[Strategy]
) -> None:
    assert list(plan_page(parse_filter(spec), sort, direction).strategies) == routes


def test_facets_and_export_routes() -> None:
    assert plan_facets(parse_filter({})).strategies == (S.STORED_PARTS,)
    assert plan_facets(parse_filter({}), stored=False).strategies == (S.MASK, S.SQL)
    assert plan_facets(parse_filter(CLASS)).strategies == (S.MASK, S.SQL)
    assert plan_export(parse_filter({"ids": [1], **CLASS})).strategies == (S.ID_TABLE, S.SQL)
    assert plan_export(parse_filter(CLASS)).strategies == (S.SQL,)


def test_forced_sql_is_sql_alone() -> None:
    assert not forced()
    with forced_sql():
        assert forced()
        assert plan_page(parse_filter(CLASS), None, "ASC").strategies == (S.SQL,)
        assert plan_page(parse_filter({}), "width", "ASC").strategies == (S.SQL,)
        assert plan_facets(parse_filter(CLASS)).strategies == (S.SQL,)
    assert not forced()


def test_objects_are_planned_for_pages() -> None:
    assert plan_page(parse_filter({}), None, "ASC", rows="objects").strategies == (S.SQL,)
    whole = plan_page(parse_filter({}), "iou", "ASC", rows="objects", evaluation=True)
    assert whole.rows == "objects" and whole.strategies == (S.EVALUATION_ROWS, S.SQL)
    # a filter, another order or a saved version: the compiled statement alone
    for flt, sort, version in ((CLASS, "iou", None), ({}, "area", None), ({}, "iou", 2)):
        plan = plan_page(
            parse_filter(flt), sort, "ASC", "objects", version=version, evaluation=True
        )
        assert plan.strategies == (S.SQL,)
    with pytest.raises(ValueError, match="objects are planned for pages"):
        plan_facets(parse_filter({}), rows="objects")
    with pytest.raises(ValueError, match="rows of kind 'frames'"):
        plan_page(parse_filter({}), None, "ASC", rows="frames")
