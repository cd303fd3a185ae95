"""What the floors above the store add to a catalog's schema: tables and migration steps.

The store creates, migrates and cleans up tables it does not know the code of: derived
tables (box summaries, the field index, facet keys, box value lists) and feature tables
(each feature through its manifest: the evaluation, label quality, duplicates, vector
spaces, media status, maps, blind spots...) register here when their module is imported, and
the catalog reads this registry when it opens or deletes a dataset. So the store imports
nothing above it; the entry points import the registering modules before any catalog opens
(:mod:`visionlens_jlab.features`).

* :func:`register_dataset_table`: a table whose rows carry a ``dataset_id`` and go with
  their dataset (on delete, and as orphans of an ingest that never finished); with a
  ``ddl``, a table of schema 1, created by migration step 1 (:mod:`.migrations`).
* :func:`register_schema_1_tables`: a feature's tables of schema 1, declared in its
  manifest (:mod:`..extensions.manifest`).
* :func:`register_step`: a numbered migration step; every schema change after version 1
  is one (see docs/architecture.md, "Schema migrations").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import duckdb

from ..base.errors import CatalogError

CORE_DATASET_TABLES = (
    "classifications",
    "annotations",
    "samples",
    "categories",
    "models",
    "facet_keys",
    "facet_parts",
    "datasets",
)
"""The store's own tables holding rows of a dataset, deleted last (``datasets`` at the end:
while its row exists the dataset is visible)."""

SCHEMA_1_REGISTERED_TABLES = (
    "box_summaries",
    "box_value_fields",
    "box_value_lists",
    "computed_fields",
    "computed_values",
    "field_values",
    "object_attributes",
    "sample_attributes",
    "summary_classes",
)
"""The tables of schema 1 that the floors above the store and the features register (the
store's own are in :data:`.schema.DDL`). Opening a catalog before every one of them is
registered would create a catalog without them, so it is refused
(:func:`.migrations.check_registered`); a table outside this list is created by a numbered
step, never by schema 1's DDL (:func:`register_dataset_table`)."""

SCHEMA_1_FEATURES = ("blindspots", "dedup", "embed", "embedding_maps", "evaluation", "media")
"""The features whose manifest declares tables of schema 1 (the catalog knows the feature,
never its tables: :func:`register_schema_1_tables`); refused like a missing table."""


@dataclass(frozen=True)
class Step:
    """One numbered migration step: ``run(cur)`` inside the migration's transaction."""

    number: int
    description: str
    run: Callable[[duckdb.DuckDBPyConnection], None]


_STEPS: dict[int, Step] = {}
_REGISTERED_TABLES: list[str] = []
_SCHEMA_1_DDL: dict[str, str] = {}
_SCHEMA_1_FEATURES_SEEN: set[str] = set()
_MODEL_TABLES: dict[str, str] = {}


def register_dataset_table(table: str, ddl: str | None = None) -> None:
    """Add a table of per-dataset rows (a ``dataset_id`` column), deleted with its dataset.

    ``ddl`` (idempotent ``CREATE TABLE IF NOT EXISTS``) says the table belongs to schema 1
    and is created by step 1; a table added later leaves it out and registers the step that
    creates it (:func:`register_step`).
    """
    if ddl is not None and table not in SCHEMA_1_REGISTERED_TABLES:
        raise ValueError(
            f"{table} is not a table of schema 1: create it in a numbered migration step"
        )
    if table not in _REGISTERED_TABLES:
        _REGISTERED_TABLES.insert(0, table)  # before the core tables, which go last
    if ddl is not None:
        _SCHEMA_1_DDL[table] = ddl


def register_schema_1_tables(feature: str, ddl: Mapping[str, str]) -> None:
    """Add the tables of schema 1 that feature ``feature`` (one of
    :data:`SCHEMA_1_FEATURES`) declares, by name: dataset tables created by step 1."""
    if feature not in SCHEMA_1_FEATURES:
        raise ValueError(
            f"feature {feature!r} had no tables in schema 1: create them in a numbered step"
        )
    for table, text in ddl.items():
        if table not in _REGISTERED_TABLES:
            _REGISTERED_TABLES.insert(0, table)
        _SCHEMA_1_DDL[table] = text
    _SCHEMA_1_FEATURES_SEEN.add(feature)


def register_model_table(table: str, column: str) -> None:
    """Say that dataset table ``table`` keeps rows of a model, named in ``column``: they go
    when the model's predictions are replaced (an import under its name)."""
    _MODEL_TABLES[table] = column


def model_tables() -> dict[str, str]:
    """The registered tables of per-model rows: table name → the column naming the model."""
    return dict(_MODEL_TABLES)


def missing_schema_1() -> list[str]:
    """The tables and features of schema 1 that nothing registered yet."""
    tables = set(SCHEMA_1_REGISTERED_TABLES) - set(_SCHEMA_1_DDL)
    features = {f"feature {f}" for f in set(SCHEMA_1_FEATURES) - _SCHEMA_1_FEATURES_SEEN}
    return sorted(tables | features)


def dataset_tables() -> list[str]:
    """Every table holding rows of a dataset: the registered ones first, then the core's."""
    return [*_REGISTERED_TABLES, *CORE_DATASET_TABLES]


def schema_1_ddl() -> dict[str, str]:
    """The DDL of every registered table of schema 1, by table name."""
    return dict(_SCHEMA_1_DDL)


def register_step(
    number: int, description: str, run: Callable[[duckdb.DuckDBPyConnection], None]
) -> None:
    """Register migration step ``number``; registering the same step again is a no-op.

    Numbers are global: two modules that claim one number are a programming error.
    """
    if number < 1:
        raise ValueError(f"migration steps are numbered from 1, not {number}")
    known = _STEPS.get(number)
    if known is not None and (known.description, known.run) != (description, run):
        raise ValueError(f"migration step {number} is taken by {known.description!r}")
    _STEPS[number] = Step(number, description, run)


def unregister_step(number: int) -> None:
    """Remove step ``number`` (a test's injected step)."""
    _STEPS.pop(number, None)


def steps() -> list[Step]:
    """The registered steps in order; they must be numbered 1, 2, ... without a gap."""
    ordered = [_STEPS[n] for n in sorted(_STEPS)]
    gaps = sorted(set(range(1, len(ordered) + 1)) ^ {s.number for s in ordered})
    if gaps:
        raise CatalogError(
            f"migration steps {gaps} are missing or out of sequence: import "
            "visionlens_jlab.features (features.load()) before opening a catalog"
        )
    return ordered


def latest_version() -> int:
    """The schema version this code writes: the number of the last registered step."""
    return max(_STEPS, default=0)
