"""Floor 6: the registry of derived structures: writers describe a change, each structure derived from the rows (SQL tables, in-memory indexes) refreshes or patches itself. Imports the floors below."""

from . import memory_structures, sql_structures  # noqa: F401 - register the built-in structures
from .changes import Change, Kind
from .registry import Structure, Written, apply_change, register_structure

__all__ = ["Change", "Kind", "Structure", "Written", "apply_change", "register_structure"]
