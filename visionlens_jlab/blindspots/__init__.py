"""The blind-spot finder: measured attributes, slice statistics, and an agent on top.

Engine first (:func:`find_blind_spots`): every slice of the measured attributes is tested
with clustered, stratified statistics on a discovery and a confirmation half, under one
FDR-controlling test ledger. The agent (:mod:`.agent`) may only cite tests of that ledger.

The names below load on first use: the attributes worker process imports
:mod:`.pixels` alone, and should not pay for scipy and the catalog at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import find_blind_spots, run_engine, validate_options
    from .attributes import compute_attributes
    from .engine import BlindSpotEngine, EngineOptions

_HOMES = {
    "BlindSpotEngine": ".engine",
    "EngineOptions": ".engine",
    "compute_attributes": ".attributes",
    "find_blind_spots": ".api",
    "run_engine": ".api",
    "validate_options": ".api",
}

__all__ = [
    "BlindSpotEngine",
    "EngineOptions",
    "compute_attributes",
    "find_blind_spots",
    "run_engine",
    "validate_options",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(home, __name__), name)
