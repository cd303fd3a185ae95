"""The blind-spot finder: measured attributes, slice statistics, and an agent on top.

Engine first (:func:`find_blind_spots`): every slice of the measured attributes is tested
with clustered, stratified statistics on a discovery and a confirmation half, under one
FDR-controlling test ledger. The agent (:mod:`.agent`) may only cite tests of that ledger.
"""

from .api import find_blind_spots, run_engine, validate_options
from .attributes import compute_attributes
from .engine import BlindSpotEngine, EngineOptions

__all__ = [
    "BlindSpotEngine",
    "EngineOptions",
    "compute_attributes",
    "find_blind_spots",
    "run_engine",
    "validate_options",
]
