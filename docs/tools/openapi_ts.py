"""Generate src/api/wireTypes.ts from visionlens_jlab/openapi.yaml.

    python docs/tools/openapi_ts.py          # rewrite the TypeScript file
    python docs/tools/openapi_ts.py --check  # exit 1 if the committed one is stale

The wire contract is stated once, in the OpenAPI document the handlers check request bodies
against (``visionlens_jlab/handlers/contract.py``). The lab's wire types come from the same
document: each of ``components/schemas`` as ``IWire<Name>`` (an object) or ``Wire<Name>``
(anything else), and each operation's JSON request body as ``IWire<Path>Request``
(``POST /datasets/{name}/embed`` → ``IWireEmbedRequest``). ``src/api/types.ts`` and the
``*Types.ts`` files alias them. The output is formatted with the project's Prettier
(``node_modules/.bin/prettier``); tests/test_wire_contract.py runs ``--check``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from generated_ts import write_or_check

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "visionlens_jlab" / "openapi.yaml"
OUTPUT = REPO / "src" / "api" / "wireTypes.ts"
VERBS = ("get", "post", "put", "patch", "delete")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def _pascal(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text))


def _is_object(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" and not schema.get("nullable")


def type_name(name: str, schema: dict[str, Any]) -> str:
    """``IWire<Name>`` for an object schema (an interface), else ``Wire<Name>``."""
    return f"IWire{name}" if _is_object(schema) else f"Wire{name}"


def request_name(path: str) -> str:
    """``/datasets/{name}/samples/query`` → ``SamplesQuery``: the path's literal parts
    below ``/datasets/{name}`` (``/datasets`` itself: ``Ingest``)."""
    parts = [p for p in path.strip("/").split("/") if not p.startswith("{")]
    if parts == ["datasets"]:
        return "Ingest"
    if parts[:1] == ["datasets"] and len(parts) > 1:
        parts = parts[1:]
    return _pascal(" ".join(parts))


class _Writer:
    """TypeScript text of the document's schemas."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas

    def ts(self, schema: Any, indent: str = "") -> str:
        """The TypeScript type of ``schema``."""
        if not isinstance(schema, dict):
            return "unknown"
        text = self._bare(schema, indent)
        return f"{text} | null" if schema.get("nullable") and text != "unknown" else text

    def _bare(self, schema: dict[str, Any], indent: str) -> str:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            return type_name(name, self.schemas[name])
        if "enum" in schema:
            return " | ".join(json.dumps(v) for v in schema["enum"])
        for key, glue in (("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")):
            if key in schema:
                return glue.join(self._part(s, indent) for s in schema[key])
        kind = schema.get("type")
        if kind == "string":
            return "string"
        if kind in ("integer", "number"):
            return "number"
        if kind == "boolean":
            return "boolean"
        if kind == "array":
            item = self._part(schema.get("items", {}), indent)
            size = schema.get("minItems")
            if size is not None and size == schema.get("maxItems") and size <= 4:
                return f"[{', '.join([item] * size)}]"  # a box, a pair: a tuple
            return f"{item}[]"
        if kind == "object" or "properties" in schema:
            return self.object(schema, indent)
        return "unknown"

    def _part(self, schema: Any, indent: str) -> str:
        """A member of a union, intersection or array: in parentheses when compound."""
        text = self.ts(schema, indent)
        return f"({text})" if " | " in text or " & " in text else text

    def object(self, schema: dict[str, Any], indent: str) -> str:
        """``{ key?: T; ... }``, with an index signature where other keys are free too (or
        only one, where all are)."""
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        if not props:
            value = self.ts(extra, indent) if isinstance(extra, dict) else "unknown"
            return f"{{ [key: string]: {value} }}"
        required = set(schema.get("required") or ())
        inner = indent + "  "
        lines = ["{"]
        for key, prop in props.items():
            doc = prop.get("description") if isinstance(prop, dict) else None
            if isinstance(doc, str) and doc.strip():
                lines.append(f"{inner}/** {_comment(doc)} */")
            name = key if _IDENTIFIER.match(key) else json.dumps(key)
            mark = "" if key in required else "?"
            lines.append(f"{inner}{name}{mark}: {self.ts(prop, inner)};")
        if isinstance(extra, dict):
            # named keys and free ones: TypeScript's index signature must admit the named too
            # (an optional one's absence as well: its type includes undefined)
            values = [self.ts(s, inner) for s in (extra, *props.values())]
            if set(props) - required:
                values.append("undefined")
            lines.append(f"{inner}[key: string]: {_union(values)};")
        lines.append(indent + "}")
        return "\n".join(lines)

    def declaration(self, name: str, schema: dict[str, Any]) -> str:
        """An exported interface (object schemas) or type alias."""
        doc = schema.get("description")
        head = f"/** {_comment(doc)} */\n" if isinstance(doc, str) and doc.strip() else ""
        if _is_object(schema) and schema.get("properties"):
            return f"{head}export interface {name} {self.object(schema, '')}\n"
        return f"{head}export type {name} = {self.ts(schema)};\n"


def _union(types: list[str]) -> str:
    """``A | B | ...`` of ``types``, each member once (a compound one in parentheses)."""
    members: list[str] = []
    for text in types:
        compound = any(c in text for c in "{([&")
        for member in [f"({text})"] if compound else text.split(" | "):
            if member not in members:
                members.append(member)
    return " | ".join(members)


def _comment(text: str) -> str:
    return " ".join(text.split()).replace("*/", "*\\/")


def request_bodies(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(type name, ``METHOD path``, schema) of every JSON request body, in document order."""
    out = []
    for path, item in document["paths"].items():
        for verb in VERBS:
            content = ((item.get(verb) or {}).get("requestBody") or {}).get("content") or {}
            schema = (content.get("application/json") or {}).get("schema")
            if schema:
                suffix = "" if verb == "post" else _pascal(verb)
                name = f"IWire{request_name(path)}{suffix}Request"
                out.append((name, f"{verb.upper()} {path}", schema))
    return out


def generate() -> str:
    """The TypeScript text (unformatted)."""
    document = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    writer = _Writer(schemas)
    parts = [
        "/**\n * The wire types, generated from `visionlens_jlab/openapi.yaml` by\n"
        " * `docs/tools/openapi_ts.py`: do not edit (a test fails when stale).\n */\n"
    ]
    for name, schema in schemas.items():
        parts.append(writer.declaration(type_name(name, schema), schema))
    for name, where, schema in request_bodies(document):
        body = {**schema, "description": f"The body of `{where}`."}
        parts.append(writer.declaration(name, body))
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    return write_or_check(OUTPUT, generate(), "docs/tools/openapi_ts.py", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
