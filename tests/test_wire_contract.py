"""The wire contract (issue #48 item 5): ``visionlens_jlab/openapi.yaml`` states every route
and method the server answers, and the handlers refuse a body it refuses, with a 400 that
names the field and what it takes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from tornado.web import RequestHandler

from visionlens_jlab.blindspots.results import VERDICTS
from visionlens_jlab.handlers import API_PREFIX, contract, routes
from visionlens_jlab.jobs.accelerator import DEVICES, DTYPES
from visionlens_jlab.predict.tasks import TASK_NAMES
from visionlens_jlab.records.label_kinds import FILTER_WORDS, IOU_KINDS

REPO = Path(__file__).resolve().parents[1]
VERBS = ("get", "post", "put", "patch", "delete")


def registered_operations() -> set[tuple[str, str]]:
    """(documented-style path, method) of every verb a registered handler implements."""
    out = set()
    for pattern, handler in routes():
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern.split(API_PREFIX, 1)[1])
        for verb in VERBS:
            if getattr(handler, verb) is not getattr(RequestHandler, verb):
                out.add((path, verb))
    return out


def documented_operations() -> set[tuple[str, str]]:
    paths = contract.document()["paths"]
    return {(path, verb) for path, item in paths.items() for verb in item if verb in VERBS}


def test_every_route_and_method_is_documented_and_nothing_more() -> None:
    registered, documented = registered_operations(), documented_operations()
    assert registered - documented == set(), "answered but not in openapi.yaml"
    assert documented - registered == set(), "in openapi.yaml but not answered"


def test_every_request_schema_is_valid_json_schema() -> None:
    for path, item in contract.document()["paths"].items():
        for verb, operation in item.items():
            if verb not in VERBS:
                continue
            content = (operation.get("requestBody") or {}).get("content") or {}
            schema = (content.get("application/json") or {}).get("schema")
            if schema is not None:
                Draft202012Validator.check_schema(contract.json_schema(schema))
                assert contract.operation_path(path.replace("{", "x").replace("}", ""), verb)


def test_literal_paths_win_over_parameters() -> None:
    assert contract.operation_path("/datasets/d/samples/query", "POST") == (
        "/datasets/{name}/samples/query"
    )
    assert contract.operation_path("/datasets/d/samples/7", "GET") == (
        "/datasets/{name}/samples/{sample_id}"
    )
    assert contract.operation_path("/datasets/d/samples/query", "DELETE") is None


def test_nullable_becomes_a_null_type() -> None:
    assert contract.json_schema({"type": "string", "nullable": True, "enum": ["a"]}) == {
        "type": ["string", "null"],
        "enum": ["a", None],
    }
    ref = {"$ref": "#/components/schemas/Filter", "nullable": True}
    assert contract.json_schema(ref) == {
        "anyOf": [{"$ref": "#/components/schemas/Filter"}, {"type": "null"}]
    }


def test_a_long_array_of_scalars_is_checked_item_by_item_as_before() -> None:
    """The one-pass check of plain scalar items refuses what jsonschema refuses, naming
    the first bad item, and takes what it takes (bounds included)."""
    path = contract.operation_path("/datasets/d/samples/query", "post")
    assert path is not None
    ids = list(range(5000))
    assert contract.check_body(path, "post", {"filter": {"ids": ids}})["filter"]["ids"] == ids
    for bad, message in (
        ("x", "'filter.ids[4000]': 'x' is not of type 'integer'"),
        (True, "'filter.ids[4000]': True is not of type 'integer'"),
        (2.0, "'filter.ids[4000]': 2.0 is not of type 'integer'"),
        (2**63, "'filter.ids[4000]': 9223372036854775808 is greater than the maximum"),
        (-(2**63) - 1, "is less than the minimum of -9223372036854775808"),
    ):
        body = {"filter": {"ids": [*ids[:4000], bad, *ids[4000:]]}}
        with pytest.raises(contract.ContractError, match=re.escape(message)):
            contract.check_body(path, "post", body)


def test_an_optional_null_is_absent_and_a_required_null_is_refused() -> None:
    op = "/datasets/{name}/exports"
    body = {"format": "coco", "out": "x", "seed": None, "images": None}
    assert contract.check_body(op, "post", body) == {"format": "coco", "out": "x"}
    with pytest.raises(contract.ContractError, match="'out': None is not of type 'string'"):
        contract.check_body(op, "post", {"format": "coco", "out": None})


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        ("datasets/nope/embed", {"batch_size": "8"}, "'batch_size': '8' is not one of ['auto']"),
        ("datasets/nope/embed", {"batch_size": True}, "'batch_size': True is not of type"),
        ("datasets/nope/exports", {"format": "coco", "out": "x", "seed": 1.5}, "'seed': 1.5"),
        ("datasets/nope/exports", {"format": "coco"}, "'out' is a required property"),
        (
            "datasets/nope/predict",
            {"model": "m", "colour": 1},
            "('colour' was unexpected); allowed: ['batch_size', 'classes',",
        ),
        (
            "datasets/nope/vlm/labels",
            {"labels": [{"sample_id": 1, "question": "q", "answer": 2}]},
            "'labels[0].answer': 2 is not of type 'string'",
        ),
        ("datasets/nope/samples/query", {"filter": {"ids": ["a"]}}, "'filter.ids[0]': 'a'"),
        ("datasets/nope/export/samples", {"filter": [1]}, "'filter': [1] is not of type 'object'"),
        ("datasets/nope/maps/m/select", {"mode": "xor"}, "'mode': 'xor' is not one of"),
        ("datasets", {"source": "x"}, "'name' is a required property"),
        ("datasets/nope/label-quality", {"model": " "}, "'model': ' ' does not match"),
    ],
)
async def test_a_body_the_contract_refuses_is_a_400_naming_the_field(
    api: Any, path: str, body: dict[str, Any], needle: str
) -> None:
    status, answer = await api("POST", path, body)
    assert status == 400 and needle in answer["message"], answer


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("datasets/nope/embed", {"model": None, "batch_size": None}),
        ("datasets/nope/samples/query", {"version": "current", "filter": None}),
        ("datasets/nope/facets", {"version": 3, "filter": {"ids": [1]}}),
        ("datasets/nope/exports", {"format": "coco", "out": "x", "splits": {"train": 1}}),
        ("datasets/nope/patches", {"version": "current", "limit": 1}),
        ("datasets/nope/patches/samples", {"ann_ids": [1], "version": "2"}),
    ],
)
async def test_a_body_the_contract_takes_reaches_the_handler(
    api: Any, path: str, body: dict[str, Any]
) -> None:
    status, answer = await api("POST", path, body)
    assert status == 404 and "nope" in answer["message"], answer


def test_the_lab_wire_types_are_generated_from_the_document() -> None:
    """src/api/wireTypes.ts is what docs/tools/openapi_ts.py writes from openapi.yaml."""
    out = subprocess.run(
        [sys.executable, "docs/tools/openapi_ts.py", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr


def test_the_documents_label_kind_words_are_the_declared_ones() -> None:
    """The filter's ``labels.type`` words and the evaluation's iou types in openapi.yaml are
    those of records/label_kinds.json: a kind declared there is a word the contract takes."""
    schemas = contract.document()["components"]["schemas"]
    words = schemas["LabelFilter"]["properties"]["type"]["oneOf"]
    assert set(words[0]["enum"]) == set(FILTER_WORDS)
    assert set(words[1]["items"]["enum"]) == set(FILTER_WORDS)
    evaluate = contract.document()["paths"]["/datasets/{name}/evaluations"]["post"]
    body = evaluate["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]["iou_type"]["enum"]) == set(IOU_KINDS)


def test_the_documents_verdicts_are_the_stored_ones() -> None:
    """A blind-spot review's verdicts in openapi.yaml are those the results table keeps."""
    review = contract.document()["paths"]["/datasets/{name}/blindspots/{finding_id}/review"]
    body = review["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert tuple(body["properties"]["verdict"]["enum"]) == VERDICTS


def _body(path: str) -> dict[str, Any]:
    """The POST request body schema of a documented path."""
    operation = contract.document()["paths"][path]["post"]
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    return schema


def test_the_documents_model_job_words_are_the_registered_ones() -> None:
    """A predict job's tasks and the model jobs' dtypes and devices in openapi.yaml are the
    task registry's and the accelerator's: a task registered in predict/tasks is a task the
    contract takes, a device the jobs run on is one it names."""
    predict = _body("/datasets/{name}/predict")["properties"]
    assert set(predict["task"]["enum"]) == set(TASK_NAMES)
    for path in ("/datasets/{name}/predict", "/datasets/{name}/embed"):
        assert tuple(_body(path)["properties"]["dtype"]["enum"]) == DTYPES
        assert tuple(_body(path)["properties"]["device"]["enum"]) == DEVICES
