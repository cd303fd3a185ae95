"""The wire contract: ``visionlens_jlab/openapi.yaml``, read once, checks request bodies.

The document is the one statement of what each route takes (issue #48 item 5): the
handlers validate a JSON body against its operation's ``requestBody`` schema here instead
of checking types by hand, and ``docs/tools/openapi_ts.py`` generates the lab's wire
types from the same ``components/schemas``.

OpenAPI 3.0 schemas are JSON Schema with ``nullable``; :func:`json_schema` rewrites that
into a ``null`` type so a 2020-12 validator reads them. An ``integer`` is a JSON integer
only (``1.0`` and ``true`` are refused, as the hand checks did). A body's optional field
sent as ``null`` is absent (the document's ``info`` says so): the Python clients send
``None`` for an option not given, and the handlers then see the default.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import extend

DOCUMENT = Path(__file__).resolve().parents[1] / "openapi.yaml"
"""The OpenAPI document, shipped in the package."""

METHODS = ("get", "put", "post", "delete", "patch")

_TYPE_CHECKER = Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
)
_ITEMS = Draft202012Validator.VALIDATORS["items"]
_SCALARS: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
}
"""The Python types of a JSON scalar type, exactly (``type(v) in ...``: never a bool)."""
_PLAIN_KEYS = frozenset({"type", "minimum", "maximum", "description"})


def _items(validator: Any, items: Any, instance: Any, schema: dict[str, Any]) -> Any:
    """jsonschema's ``items``, with arrays of plain scalars checked in one pass: a
    selection's 100,000 ids took 1.5 s one ``descend`` per id, and now take a few ms.
    Only the items that break the schema are descended into, so the errors (and the
    400's message) are jsonschema's own."""
    plain = (
        isinstance(items, dict)
        and items.keys() <= _PLAIN_KEYS
        and isinstance(items.get("type"), str)
        and items["type"] in _SCALARS
        and "prefixItems" not in schema
        and isinstance(instance, list)
    )
    if not plain:
        yield from _ITEMS(validator, items, instance, schema)
        return
    types, low, high = _SCALARS[items["type"]], items.get("minimum"), items.get("maximum")
    if not instance or (
        set(map(type, instance)) <= set(types)
        and (items["type"] == "string" or low is None or min(instance) >= low)
        and (items["type"] == "string" or high is None or max(instance) <= high)
    ):
        return
    for index, value in enumerate(instance):
        if type(value) not in types or (
            items["type"] != "string"
            and ((low is not None and value < low) or (high is not None and value > high))
        ):
            yield from validator.descend(instance=value, schema=items, path=index)


_Validator = extend(Draft202012Validator, {"items": _items}, type_checker=_TYPE_CHECKER)


@cache
def document() -> dict[str, Any]:
    """The parsed OpenAPI document (read once per process)."""
    with DOCUMENT.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema: ``nullable: true`` becomes a ``null`` type
    (or a ``null`` branch beside a ``$ref`` / ``allOf`` / ``oneOf``)."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
    if not node.get("nullable"):
        return out
    if isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    # the null branch last: anyOf stops at the first branch that holds, and a refused
    # branch formats the whole value into its message (a body of 100,000 ids: 13 ms)
    return {"anyOf": [out, {"type": "null"}]}


def _path_regex(path: str) -> re.Pattern[str]:
    """``/datasets/{name}/maps`` → a regex matching one value per ``{parameter}``."""
    parts = re.split(r"(\{\w+\})", path)
    pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(pattern + "$")


@cache
def _operations() -> list[tuple[re.Pattern[str], str, str]]:
    """(path regex, method, documented path) of every operation, literal paths first so
    ``/samples/query`` is not read as ``/samples/{sample_id}``."""
    rows = [
        (_path_regex(path), method, path)
        for path, item in document()["paths"].items()
        for method in item
        if method in METHODS
    ]
    return sorted(rows, key=lambda row: row[2].count("{"))


def operation_path(path: str, method: str) -> str | None:
    """The documented path of a request ``path`` (below ``visionlens/api``) and
    ``method``, or None when the document has no such operation."""
    method = method.lower()
    for regex, op_method, documented in _operations():
        if op_method == method and regex.match(path):
            return documented
    return None


@cache
def _validator(path: str, method: str) -> Any:
    """The validator of an operation's JSON request body, or None where it states none."""
    operation = document()["paths"][path][method]
    content = (operation.get("requestBody") or {}).get("content") or {}
    return _of((content.get("application/json") or {}).get("schema"))


@cache
def answer_validator(path: str, method: str, status: str = "200") -> Any:
    """The validator of the JSON answer of the documented operation ``path`` / ``method``
    with ``status``, or None where the document states no schema for it (the tests check
    the server's answers against the document with it)."""
    response = document()["paths"][path][method.lower()]["responses"].get(status) or {}
    content = response.get("content") or {}
    return _of((content.get("application/json") or {}).get("schema"))


def _of(schema: dict[str, Any] | None) -> Any:
    """A validator of ``schema``, its ``$ref``s read in the document's components."""
    if schema is None:
        return None
    root = {**json_schema(schema), "components": json_schema(document()["components"])}
    return _Validator(root)


def check_body(path: str, method: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` without its optional fields that are ``null``, or :class:`ContractError`
    when it breaks the request schema of the documented operation ``path`` / ``method``
    (see :func:`operation_path`)."""
    validator = _validator(path, method.lower())
    if validator is None:
        return body
    required = set(validator.schema.get("required") or ())
    body = {k: v for k, v in body.items() if v is not None or k in required}
    error = best_match(validator.iter_errors(body))
    if error is not None:
        raise ContractError(_message(_branch(error)))
    return body


class ContractError(ValueError):
    """A request body the document refuses; the message names the field and what it takes."""


def _branch(error: ValidationError) -> ValidationError:
    """Of a value no branch of an ``anyOf`` / ``oneOf`` takes, the error of the branch it
    came closest to (never the ``null`` branch of a nullable field): "[1] is not of type
    'object'" rather than "not valid under any of the given schemas"."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        branches = [e for e in error.context if e.validator_value != "null"]
        inner = best_match(branches)
        if inner is None:
            break
        error = inner
    return error


def _message(error: ValidationError) -> str:
    """``'batch_size': 'x' is not of type 'integer'``; unknown keys name the known ones and
    a field's description says what it is."""
    where = _where(error.absolute_path)
    text = error.message
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and "properties" in schema:
        text += f"; allowed: {sorted(schema['properties'])}"
    elif error.validator in ("type", "enum", "pattern", "minimum", "maximum", "minItems"):
        description = schema.get("description")
        if isinstance(description, str) and len(description) <= 120 and "\n" not in description:
            text += f" ({description})"
    return f"{where}: {text}" if where else f"request body: {text}"


def _where(path: Any) -> str:
    """The field's place: ``filter.ids[2]``, ``labels[0].sample_id``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return f"'{out}'" if out else ""
