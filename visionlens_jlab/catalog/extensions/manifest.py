"""A feature's catalog-extension manifest: everything it adds to the catalog, in one value.

A feature (the evaluation, label quality) declares a :class:`Manifest` in its own folder
and calls :func:`install` when its package is imported (``features.load()``, before any
catalog opens). The manifest says:

* its tables (:class:`Table`): dataset tables, deleted with their dataset; those of schema 1
  with their DDL (created by step 1), the others created by its migration steps;
* its migration steps (:class:`~..store.registry.Step`);
* the reads it supplies (:mod:`..store.feature_reads`): the catalog's pages and exports
  read the feature's rows through these, never by its table names;
* its derived structures (:class:`~..derived.registry.Structure`) and the warmers of its
  in-memory indexes (:mod:`..indexes.index_warmer`), label conditions
  (:class:`LabelConditionKind`), sample conditions over its rows
  (:class:`SampleConditionKind`), sample fields of a prefix and box fields computed when a
  filter runs (``sample_fields``, ``box_fields``; ``held_sample_fields``: those a held order
  may sort by), label summaries, label and sample backends, facet providers
  (:class:`FacetContribution`), map point counts, computed fields, and summaries over the
  box summaries' class bits (:class:`~..tables.box_summaries.FeatureSummary`).

:func:`install` hands each part to the registry of its floor; installing the same manifest
again (or an equal one) is a no-op. :func:`manifests` lists the installed ones (the test that the catalog names
no feature table reads it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..derived import Structure, register_structure
from ..indexes.index_warmer import Warm, register_warmer
from ..plan.facets import FacetProvider, register_facet_provider
from ..plan.planner import (
    LabelBackend,
    SampleBackend,
    register_label_backend,
    register_sample_backend,
)
from ..query.facet_places import FacetPlace
from ..query.filter_parser import (
    FacetParts,
    register_box_field,
    register_held_sample_field,
    register_label_condition,
    register_sample_condition,
    register_sample_field_prefix,
)
from ..query.filters import Params
from ..query.summary_filters import LabelSummary, register_label_summary
from ..store.feature_reads import Relation, register_relation
from ..store.registry import (
    Step,
    register_dataset_table,
    register_model_table,
    register_schema_1_tables,
    register_step,
)
from ..tables.box_summaries import FeatureSummary, register_feature_summary
from .computed import register_computed_field
from .point_counts import PointCounts, register_point_counts


@dataclass(frozen=True)
class Table:
    """A feature's dataset table (rows carry ``dataset_id``); ``ddl``: a table of schema 1,
    created by step 1 (a later table leaves it out and a step of the manifest creates it);
    ``model_column``: its rows of a model (named in that column) go when the model's
    predictions are replaced."""

    name: str
    ddl: str | None = None
    model_column: str | None = None


@dataclass(frozen=True)
class LabelConditionKind:
    """A label filter key (``{"labels": {key: ...}}``): ``parse`` checks the request's value
    once, ``compile`` returns SQL over the box alias ``a``, ``facets`` names the multi-pick
    facets its parts stand for (:mod:`..query.filter_parser`)."""

    key: str
    compile: Callable[[Any, Params], str]
    parse: Callable[[Any], Any] | None = None
    facets: FacetParts | None = None


@dataclass(frozen=True)
class SampleConditionKind:
    """A sample condition key (``{"sample": {key: ...}}``) over the feature's own rows of a
    sample: ``parse`` checks the request's value once, ``compile`` returns SQL over the
    sample alias ``s`` (:func:`..query.filter_parser.register_sample_condition`)."""

    key: str
    compile: Callable[[Any, Params], str]
    parse: Callable[[Any], Any]


@dataclass(frozen=True)
class FacetContribution:
    """A facet provider and how the facets call it
    (:func:`..plan.facets.register_facet_provider`)."""

    provider: FacetProvider
    takes_filtered: bool = False
    multi_pick: tuple[str, ...] = ()
    places: tuple[FacetPlace, ...] = ()


@dataclass(frozen=True)
class ComputedFieldKind:
    """A ``computed.<name>`` sample field the feature writes (:mod:`.computed`)."""

    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class Manifest:
    """What feature ``name`` adds to the catalog (see the module docstring)."""

    name: str
    tables: tuple[Table, ...] = ()
    steps: tuple[Step, ...] = ()
    reads: Mapping[str, Relation] = field(default_factory=dict)
    structures: tuple[Structure, ...] = ()
    warmers: tuple[Warm, ...] = ()
    label_conditions: tuple[LabelConditionKind, ...] = ()
    sample_conditions: tuple[SampleConditionKind, ...] = ()
    sample_fields: Mapping[str, Callable[[str, Params], str]] = field(default_factory=dict)
    """Sample fields ``<prefix><name>``: the prefix's compiler (``compiler(name, params)``,
    SQL over the sample alias ``s``; :func:`..query.filter_parser.register_sample_field_prefix`)."""
    box_fields: Mapping[str, Callable[[Params], str]] = field(default_factory=dict)
    """Box fields a label condition's ``where`` may name: each one's SQL over the box alias
    ``a`` (:func:`..query.filter_parser.register_box_field`)."""
    held_sample_fields: tuple[str, ...] = ()
    """Prefixed sample fields that only token-renewing writes change: a held order may
    answer their sort (:func:`..query.filter_parser.register_held_sample_field`)."""
    label_summaries: Mapping[str, LabelSummary] = field(default_factory=dict)
    label_backends: tuple[LabelBackend, ...] = ()
    sample_backends: tuple[SampleBackend, ...] = ()
    facets: tuple[FacetContribution, ...] = ()
    point_counts: Mapping[str, PointCounts] = field(default_factory=dict)
    computed_fields: tuple[ComputedFieldKind, ...] = ()
    summaries: tuple[FeatureSummary, ...] = ()

    def table_names(self) -> set[str]:
        """The feature's tables: those it declares and those its reads name."""
        return {t.name for t in self.tables} | {
            table for found in self.reads.values() for table in found.tables
        }


_INSTALLED: dict[str, Manifest] = {}


def install(manifest: Manifest, *, replace: bool = False) -> None:
    """Register every part of ``manifest`` with the catalog (idempotent per manifest).

    ``replace``: a manifest made at run time (a loaded plugin's fields) takes the place of
    the one of that name installed before (a server started again in the same process may
    load another version of the plugin); its parts register over the earlier ones."""
    known = _INSTALLED.get(manifest.name)
    if known == manifest:  # the same declaration again
        return
    if known is not None and not replace:
        raise ValueError(f"another manifest of feature {manifest.name!r} is installed")
    schema_1 = {t.name: t.ddl for t in manifest.tables if t.ddl is not None}
    if schema_1:
        register_schema_1_tables(manifest.name, schema_1)
    for table in manifest.tables:
        if table.ddl is None:
            register_dataset_table(table.name)
        if table.model_column is not None:
            register_model_table(table.name, table.model_column)
    for step in manifest.steps:
        register_step(step.number, step.description, step.run)
    for name, relation in manifest.reads.items():
        register_relation(name, relation)
    for structure in manifest.structures:
        register_structure(structure)
    for warm in manifest.warmers:
        register_warmer(warm)
    for condition in manifest.label_conditions:
        register_label_condition(
            condition.key, condition.compile, condition.parse, condition.facets
        )
    for one in manifest.sample_conditions:
        register_sample_condition(one.key, one.compile, one.parse)
    for prefix, compiler in manifest.sample_fields.items():
        register_sample_field_prefix(prefix, compiler)
    for name, box_sql in manifest.box_fields.items():
        register_box_field(name, box_sql)
    for name in manifest.held_sample_fields:
        register_held_sample_field(name)
    for key, summary in manifest.label_summaries.items():
        register_label_summary(key, summary)
    for backend in manifest.label_backends:
        register_label_backend(backend)
    for sample_backend in manifest.sample_backends:
        register_sample_backend(sample_backend)
    for facet in manifest.facets:
        register_facet_provider(
            facet.provider, facet.takes_filtered, facet.multi_pick, facet.places
        )
    for prefix, counts in manifest.point_counts.items():
        register_point_counts(prefix, counts)
    for rebuilt in manifest.summaries:
        register_feature_summary(rebuilt)
    for computed in manifest.computed_fields:
        register_computed_field(computed.name, computed.kind, computed.description)
    _INSTALLED[manifest.name] = manifest


def manifests() -> list[Manifest]:
    """The installed manifests, in the order they were installed."""
    return list(_INSTALLED.values())
