"""The Python side of the comm protocol agrees with its one description, comm_messages.json.

(The TypeScript side is checked against the same file by src/features/bridge/__tests__/protocol.spec.ts.)
"""

from __future__ import annotations

import json
import types
from importlib import resources
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import pytest

from visionlens_jlab.notebook import protocol as P

DESCRIPTION = json.loads(
    resources.files("visionlens_jlab.notebook").joinpath("comm_messages.json").read_text()
)

_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}


def described(hint: Any) -> dict[str, Any]:
    """A type hint in the description's terms: ``{"type": ..., "enum"?: [...]}``."""
    members = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
    kinds: list[str] = []
    enum: list[Any] = []
    for member in members:
        if get_origin(member) is Literal:
            enum.extend(get_args(member))
            kinds.append(_SCALARS[type(get_args(member)[0])])
        elif get_origin(member) is dict or member is dict:
            kinds.append("object")
        else:
            kinds.append(_SCALARS[member])
    out: dict[str, Any] = {"type": kinds[0] if len(kinds) == 1 else kinds}
    if enum:
        out["enum"] = enum
    return out


def fields_of(typed_dict: type) -> dict[str, dict[str, Any]]:
    """Every key of a TypedDict in the description's terms (``required: false`` if optional)."""
    hints = get_type_hints(typed_dict)
    required = typed_dict.__required_keys__  # type: ignore[attr-defined]
    out = {}
    for name, hint in hints.items():
        field = described(hint)
        if name not in required:
            field["required"] = False
        out[name] = field
    return out


@pytest.mark.parametrize(
    ("sender", "classes"),
    [("kernel", P.KERNEL_MESSAGES), ("frontend", P.FRONTEND_MESSAGES)],
)
def test_typed_dicts_match_the_description(sender: str, classes: dict[str, type]) -> None:
    described_types = DESCRIPTION[sender]
    assert sorted(classes) == sorted(described_types)
    for kind, typed_dict in classes.items():
        expected = {**DESCRIPTION["envelope"], **described_types[kind]["fields"]}
        # The envelope's `type` is the message's literal type.
        expected["type"] = {"type": "string", "enum": [kind]}
        assert fields_of(typed_dict) == expected, f"{sender} {kind!r}"


def test_unions_hold_every_message_type() -> None:
    assert set(get_args(P.KernelMessage)) == set(P.KERNEL_MESSAGES.values())
    assert set(get_args(P.FrontendMessage)) == set(P.FRONTEND_MESSAGES.values())
    assert set(get_args(P.KernelType)) == set(DESCRIPTION["kernel"])
    assert (P.VERSION, P.TARGET) == (DESCRIPTION["version"], DESCRIPTION["target"])


def test_sent_messages_are_validated() -> None:
    msg = P.message("select", dataset="d", count=0)
    assert msg["v"] == 1 and msg["type"] == "select" and msg["id"].startswith("k")
    with pytest.raises(P.ProtocolError, match="needs the field 'count'"):
        P.message("select", dataset="d")
    with pytest.raises(P.ProtocolError, match="'count' must be integer, not bool"):
        P.message("select", dataset="d", count=True)
    with pytest.raises(P.ProtocolError, match="'method' must be one of"):
        P.message("request", method="close")
    with pytest.raises(P.ProtocolError, match="not a kernel message type"):
        P.message("selection", dataset="d")  # type: ignore[arg-type]
    assert P.message("filter", dataset="d", filter=None)["type"] == "filter"


def test_received_messages_are_validated() -> None:
    ok = {"v": 1, "type": "view", "id": "f1", "dataset": None, "filter": {}}
    assert P.check(ok) == ok
    with pytest.raises(P.ProtocolError, match="'view' message needs the field 'filter'"):
        P.check({"v": 1, "type": "view", "id": "f1", "dataset": "d"})
    with pytest.raises(P.ProtocolError, match="'mode' must be one of"):
        P.check(
            {
                "v": 1,
                "type": "selection",
                "id": "f2",
                "dataset": "d",
                "origin": "panels",
                "mode": "some",
            }
        )
    with pytest.raises(P.ProtocolError, match="needs the field 'id'"):
        P.check({"v": 1, "type": "error", "message": "x"})
    with pytest.raises(P.ProtocolError, match="version 2"):
        P.check({**ok, "v": 2})
    with pytest.raises(P.ProtocolError, match="unknown message type"):
        P.check({"v": 1, "type": "select", "id": "f3"})  # a kernel type sent by the frontend
