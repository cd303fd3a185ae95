"""Where plugins extend the blind-spot search: extra image attributes and agent tools.

An attribute is a computed sample field (``computed.<name>``, written by a plugin field
job); once registered here, :func:`~.units.load_units` reads it as an image attribute the
search can slice by. A tool is a plain function the agent may call beside its own (no
access to the engine: it gets only the arguments the model gives).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_ATTRIBUTES: dict[str, str] = {}  # computed field name -> who registered it


@dataclass(frozen=True)
class AgentToolEntry:
    name: str
    function: Callable[..., Any]
    description: str


_TOOLS: dict[str, AgentToolEntry] = {}


def register_image_attribute(field: str, owner: str) -> None:
    """Slice images by the computed field ``field`` too (idempotent)."""
    _ATTRIBUTES[field] = owner


def image_attribute_fields() -> list[str]:
    """The computed fields registered as image attributes, by name."""
    return sorted(_ATTRIBUTES)


def register_agent_tool(name: str, function: Callable[..., Any], description: str = "") -> None:
    """Offer ``function`` to the agent as tool ``name``; its exceptions become an
    ``{"error": ...}`` answer, so a broken tool never ends the agent's run."""

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            return {"error": f"tool {name} failed: {type(exc).__name__}: {exc}"}

    _TOOLS[name] = AgentToolEntry(name, guarded, description)


def agent_tools() -> list[AgentToolEntry]:
    """The registered tools, by name."""
    return [_TOOLS[k] for k in sorted(_TOOLS)]
