"""The registry of derived structures: one call per write, each structure keeps itself exact.

Every structure derived from a dataset's rows (the SQL tables of :mod:`..tables` and
:mod:`..sql`, the in-memory indexes of :mod:`..indexes`, engine modules' own) registers a
:class:`Structure`: the change kinds it depends on, the structures it must follow, and
what it does about a change: ``refresh`` inside the writer's transaction (SQL rows,
visible together with the rows they derive from), ``patch`` after the commit (in-memory
structures, relabelled from the token the write read to the one it wrote, or left stale for
the :class:`~..indexes.index_warmer.IndexWarmer`). A writer changes its rows and calls
:func:`apply_change` once, in its transaction; the order is the declared one (a
topological order of ``after``, registration order among equals), never the call order of
a writer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ..base.errors import CatalogError
from ..store.catalog import Catalog
from ..store.token_cache import row_tokens
from .changes import Change, Kind

log = logging.getLogger(__name__)

Tokens = tuple[str | None, str | None]
"""(box index token, tags token) of a dataset (:func:`~..store.token_cache.row_tokens`)."""


@dataclass
class Written:
    """What a write's refreshes learned in its transaction, for the patches after it."""

    before: Tokens  # the dataset's tokens when the registry was called
    after: Tokens = (None, None)  # its tokens after every refresh (what the write commits)
    notes: dict[str, Any] = field(default_factory=dict)  # per structure, e.g. rows read


Refresh = Callable[[Catalog, duckdb.DuckDBPyConnection, Change, Written], None]
Patch = Callable[[Catalog, Change, Written], None]


@dataclass(frozen=True)
class Structure:
    """A structure derived from rows: the change kinds it depends on, the structures that
    must be refreshed before it (``after``, by name), and its in-transaction ``refresh``
    and after-commit ``patch`` (either may be None)."""

    name: str
    kinds: frozenset[Kind]
    refresh: Refresh | None = None
    patch: Patch | None = None
    after: tuple[str, ...] = ()


_STRUCTURES: dict[str, Structure] = {}

_KEEPS_INDEXES = frozenset({Kind.TAGS, Kind.IMAGE_LABELS})
"""Changes no in-memory index needs rebuilding for: tags are patched in place, and no index
holds image-level labels (a filter on them is SQL, :mod:`..plan.planner`)."""


def register_structure(structure: Structure) -> None:
    """Add (or replace, by name) a derived structure."""
    _STRUCTURES[structure.name] = structure


def ordered(kind: Kind) -> list[Structure]:
    """The structures depending on ``kind``, every one after those it names in ``after``
    (a name not registered, or one not concerned by ``kind``, imposes nothing)."""
    wanted = [s for s in _STRUCTURES.values() if kind in s.kinds]
    names = {s.name for s in wanted}
    done: list[Structure] = []
    placed: set[str] = set()
    while len(done) < len(wanted):
        ready = [
            s
            for s in wanted
            if s.name not in placed and all(a in placed or a not in names for a in s.after)
        ]
        if not ready:
            raise CatalogError(f"derived structures depend on each other in a cycle: {names}")
        done.append(ready[0])
        placed.add(ready[0].name)
    return done


def apply_change(catalog: Catalog, cur: duckdb.DuckDBPyConnection, change: Change) -> Written:
    """Inside the writer's :meth:`~..store.catalog.Catalog.write`, after it changed its rows:
    refresh every SQL structure depending on ``change`` in this transaction, in the
    declared order, and patch the in-memory ones once it commits. Scopes the write to the
    dataset (the answers cache of the others stays valid) and says that it keeps the
    derived tables; a tag write also keeps the in-memory indexes (patched, see
    :mod:`.memory_structures`), as does an image-label write (no index holds them); any
    other schedules the warmer for what was not patched."""
    catalog.scope_write(
        change.dataset_id, keeps_derived=True, keeps_indexes=change.kind in _KEEPS_INDEXES
    )
    written = Written(before=row_tokens(cur, change.dataset_id))
    steps = ordered(change.kind)
    for step in steps:
        if step.refresh is not None:
            step.refresh(catalog, cur, change, written)
    written.after = row_tokens(cur, change.dataset_id)
    patches = [s for s in steps if s.patch is not None]

    def patch_all() -> None:
        for step in patches:
            try:
                step.patch(catalog, change, written)  # type: ignore[misc]  # not None: above
            except Exception:  # committed already: a stale structure is rebuilt, not wrong
                log.warning("patching %s after a write failed", step.name, exc_info=True)

    if patches:
        catalog.when_committed(patch_all)
    return written
