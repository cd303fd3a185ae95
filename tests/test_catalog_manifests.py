"""Features extend the catalog through manifests, and the catalog names none of their tables.

A feature (evaluation, label quality) declares its tables, steps, reads, filters and facets
in a :class:`~visionlens_jlab.catalog.extensions.manifest.Manifest` in its own folder; the
catalog reads the feature's rows through the named reads of
:mod:`visionlens_jlab.catalog.store.feature_reads`. A catalog module that names a feature's
table again (SQL, a quoted name, a docstring's literal) is an upward dependency the import
tests cannot see: :func:`test_the_catalog_names_no_feature_table` finds it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.catalog.extensions.manifest import Manifest, Table, install, manifests
from visionlens_jlab.catalog.query.filters import Params
from visionlens_jlab.catalog.store import registry
from visionlens_jlab.catalog.store.feature_reads import (
    EVAL_BOX_RESULTS,
    EVAL_RUNS,
    LQ_OBJECT_SCORES,
    LQ_RUNS,
    READS,
    Relation,
    available,
    register_relation,
    relation,
)
from visionlens_jlab.catalog.store.registry import missing_schema_1, register_schema_1_tables, steps

PACKAGE = Path(__file__).resolve().parents[1] / "visionlens_jlab"
CATALOG = PACKAGE / "catalog"


def naming(text: str, tables: set[str]) -> list[str]:
    """Where ``text`` names one of ``tables``: a name with an underscore anywhere as a whole
    identifier (``label_quality.runs``, a read's name, is not the table ``label_quality``);
    a plain word (``evaluations``) only after a SQL keyword or in quotes, so prose
    ("tags, evaluations, computed fields") is not a read."""
    found = []
    for table in sorted(tables):
        name = re.escape(table)
        if "_" in table:
            pattern = rf"(?<![\w.]){name}(?![\w.])"
        else:
            pattern = rf"(?:\b(?:FROM|JOIN|INTO|UPDATE|TABLE|EXISTS)\s+|['\"`]){name}(?![\w.])"
        found += [f"{table}: {m.group(0)!r}" for m in re.finditer(pattern, text)]
    return found


def feature_tables() -> set[str]:
    return {table for manifest in manifests() for table in manifest.table_names()}


def test_the_features_declare_their_tables() -> None:
    by_name = {m.name: m.table_names() for m in manifests()}
    assert by_name["evaluation"] == {
        "evaluations",
        "box_evaluations",
        "eval_summaries",
        "tide_objects",
        "track_results",
    }
    assert by_name["label_quality"] == {"label_quality", "label_quality_runs", "semantic_regions"}
    assert by_name["dedup"] == {"duplicate_results"}
    assert (by_name["media"], by_name["embed"]) == ({"media_status"}, {"vector_spaces"})
    assert by_name["image_quality"] == set()  # fields
    assert by_name["edits"] == {"deleted_samples"}  # and a label condition
    assert by_name["embedding_maps"] == {"maps", "map_points"}
    assert by_name["model_runs"] == {"model_run_empty_samples"}
    assert (by_name["vlm"], by_name["captions"]) == ({"vlm_labels"}, set())
    assert by_name["mask_areas"] == set()  # a step
    assert by_name["blindspots"] == {"blindspot_results", "blindspot_reviews"}


def catalog_registrations(text: str) -> list[str]:
    """The calls in module ``text`` of a ``register_*`` function imported from the catalog
    (``line: name``)."""
    tree = ast.parse(text)
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and "catalog" in (node.module or "").split(".")
        for alias in node.names
        if alias.name.startswith("register_")
    }
    return [
        f"{node.lineno}: {node.func.id}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in imported
    ]


def test_features_outside_the_catalog_register_only_through_their_manifest() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{hit}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if CATALOG not in path.parents
        for hit in catalog_registrations(path.read_text())
    ]
    assert found == []


def test_the_registration_scan_sees_a_direct_call() -> None:
    text = (
        "from ..catalog.store.registry import register_step as step\n"
        "from ..catalog.extensions.manifest import install\n"
        "from ..blindspots.extensions import register_agent_tool\n"
        "step(99, 'x', run)\ninstall(MANIFEST)\nregister_agent_tool('t', f, 'd')\n"
    )
    assert catalog_registrations(text) == ["4: step"]


def test_the_catalog_names_no_feature_table() -> None:
    tables = feature_tables()
    found = [
        f"{path.relative_to(CATALOG)}: {hit}"
        for path in sorted(CATALOG.rglob("*.py"))
        for hit in naming(path.read_text(), tables)
    ]
    assert found == []


CATALOG_TABLES = {
    # the store's schema (store/schema.py, store/label_columns.py)
    *("meta", "datasets", "categories", "samples", "annotations", "classifications", "models"),
    *("facet_keys", "facet_parts"),
    # the operation log of edits and the versions (store/edit_tables.py)
    *("edit_batches", "edit_ops", "object_tags", "versions", "version_copies"),
    *("sample_tag_ops", "version_sample_tags"),
    *("classification_ops", "version_classifications"),
    # derived tables (tables/, sql/box_ranges.py)
    *("box_summaries", "summary_classes", "field_values", "box_value_lists", "box_value_fields"),
    # the catalog's extension mechanisms: computed and measured fields (extensions/)
    *("computed_fields", "computed_values", "sample_attributes", "object_attributes"),
}
"""The tables the catalog itself defines; a feature's tables are defined in its own folder
and declared by its manifest."""


def defined_tables(text: str) -> set[str]:
    """The tables module ``text`` defines: created by a ``CREATE TABLE`` (not a temporary
    one) or registered by name (``register_dataset_table("name", ...)``)."""
    created = re.findall(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z_]\w*)", text)
    registered = re.findall(r"register_dataset_table\(\s*['\"](\w+)['\"]", text)
    return set(created) | set(registered)


def test_the_catalog_defines_no_feature_table() -> None:
    """A feature's table under ``catalog/`` (as the blind spots' results, the VLM labels
    were) is a feature stored inside the catalog: it belongs in the feature's folder."""
    defined = {
        table: str(path.relative_to(CATALOG))
        for path in sorted(CATALOG.rglob("*.py"))
        for table in defined_tables(path.read_text())
    }
    assert {t: p for t, p in defined.items() if t not in CATALOG_TABLES} == {}
    assert set(defined) == CATALOG_TABLES  # the list above names no table gone
    assert not CATALOG_TABLES & feature_tables()


def test_the_table_scan_sees_a_definition() -> None:
    text = (
        'DDL = "CREATE TABLE IF NOT EXISTS blindspot_results (dataset_id INTEGER)"\n'
        'register_dataset_table("vlm_labels")\n'
        'cur.execute("CREATE OR REPLACE TEMP TABLE _vl_changed AS SELECT 1")\n'
    )
    assert defined_tables(text) == {"blindspot_results", "vlm_labels"}


def test_a_vlm_question_is_declared_by_a_manifest_of_its_own() -> None:
    from visionlens_jlab.catalog.extensions.computed import computed_field_sql
    from visionlens_jlab.predict.manifest import declare_question
    from visionlens_jlab.predict.vlm_labels import Question

    question = Question("t_glare", "Is there glare: yes or no?", ("yes", "no"))
    declare_question(question)
    declare_question(question)  # again: a no-op
    assert next(m for m in manifests() if m.name == "vlm.t_glare").computed_fields[0].name == (
        "vlm_t_glare"
    )
    computed_field_sql("vlm_t_glare", Params())  # declared: no FilterError


def test_the_scan_sees_a_feature_table_named() -> None:
    tables = feature_tables()
    assert naming("SELECT status FROM box_evaluations WHERE dataset_id = ?", tables)
    assert naming('table_exists(cur, "label_quality_runs")', tables)
    assert naming("JOIN evaluations ev ON ev.eval_key = be.eval_key", tables)
    assert naming("the rows of ``evaluations`` of a model", tables)
    assert naming("LEFT JOIN (SELECT * FROM label_quality WHERE", tables)
    assert not naming("tags, evaluations, computed fields do not touch boxes", tables)
    assert not naming('LQ_RUNS = "label_quality.runs"', tables)


def test_every_read_of_the_catalog_is_supplied_with_its_columns(
    tmp_path: Path,
) -> None:
    with duckdb.connect(str(tmp_path / "c.duckdb")) as con:
        for step in steps():  # as a catalog of schema 1 migrates: every feature's steps
            step.run(con)
        for name, columns in READS.items():
            assert available(con, name), name
            described = con.execute(f"DESCRIBE SELECT * FROM {relation(name)} r").fetchall()  # noqa: S608
            assert tuple(row[0] for row in described) == columns, name


def test_a_read_is_unavailable_until_its_tables_exist() -> None:
    with duckdb.connect() as con:
        assert not any(available(con, name) for name in (EVAL_BOX_RESULTS, EVAL_RUNS))
        assert not any(available(con, name) for name in (LQ_OBJECT_SCORES, LQ_RUNS))


def test_the_catalog_refuses_a_read_it_does_not_make_and_a_second_supplier() -> None:
    with pytest.raises(ValueError, match="makes no read"):
        register_relation("evaluation.other", Relation("SELECT 1", ("t",)))
    with pytest.raises(ValueError, match="supplied already"):
        register_relation(EVAL_RUNS, Relation("SELECT 1", ("elsewhere",)))


def test_installing_a_manifest_twice_is_a_no_op_and_a_rival_is_refused() -> None:
    evaluation = next(m for m in manifests() if m.name == "evaluation")
    install(evaluation)
    assert [m.name for m in manifests()].count("evaluation") == 1
    with pytest.raises(ValueError, match="another manifest"):
        install(Manifest("evaluation", tables=(Table("other"),)))
    with pytest.raises(ValueError, match="had no tables in schema 1"):
        register_schema_1_tables("label_quality", {"x": "CREATE TABLE x (dataset_id INTEGER)"})
    assert steps()[10].description == "add the label-quality tables"  # its step 11


def test_a_plugins_manifest_made_again_replaces_the_one_before() -> None:
    """Two servers in one process may load two versions of a plugin (its fields differ)."""
    from visionlens_jlab.catalog.extensions.computed import NUMERIC, computed_field_sql
    from visionlens_jlab.catalog.extensions.manifest import ComputedFieldKind

    first = Manifest("plugin.t_replaced", computed_fields=(ComputedFieldKind("t_f", NUMERIC, "f"),))
    second = Manifest(
        "plugin.t_replaced", computed_fields=(ComputedFieldKind("t_g", NUMERIC, "g"),)
    )
    install(first, replace=True)
    with pytest.raises(ValueError, match="another manifest"):
        install(second)
    install(second, replace=True)
    assert next(m for m in manifests() if m.name == "plugin.t_replaced") is second
    computed_field_sql("t_g", Params())  # declared: no FilterError


def test_a_catalog_refuses_to_open_without_the_evaluation_manifest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Its tables are of schema 1: a catalog created without them would lack them."""
    assert missing_schema_1() == []
    seen = set(registry.SCHEMA_1_FEATURES) - {"evaluation"}
    monkeypatch.setattr(registry, "_SCHEMA_1_FEATURES_SEEN", seen)
    assert missing_schema_1() == ["feature evaluation"]
    with pytest.raises(CatalogError, match=r"feature evaluation.*features.load\(\)"):
        Catalog(tmp_path)
    assert not list(tmp_path.iterdir())  # refused before the file was made


def test_a_models_rows_in_a_feature_table_go_when_its_predictions_are_replaced(
    tmp_path: Path,
) -> None:
    """``model_run_empty_samples`` is the model runs' (``model_column``): an import under a
    run's name clears the run's rows without the catalog naming the table."""
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
    from visionlens_jlab.predict.model_runs import append_model_predictions, start_model_run

    from .catalog_fixtures import PredictionRowsSource, RowsSource
    from .evaluate_fixtures import scene_rows

    assert registry.model_tables() == {"model_run_empty_samples": "model"}
    samples, boxes, classes, preds = scene_rows()
    catalog = Catalog(tmp_path)
    try:
        write_dataset(catalog, "scene", RowsSource(samples, boxes, classes))
        with catalog.cursor() as cur:
            ds = catalog.dataset_id(cur, "scene")
            ids = [r[0] for r in cur.execute("SELECT sample_id FROM samples").fetchall()]
        start_model_run(catalog, ds, "m1", "hf:detector", {"threshold": 0.5})
        append_model_predictions(catalog, ds, "m1", np.asarray(ids, np.int64))  # none found

        def run_rows() -> int:
            with catalog.cursor() as cur:
                sql = "SELECT COUNT(*) FROM model_run_empty_samples WHERE model = 'm1'"
                return int(cur.execute(sql).fetchall()[0][0])

        assert run_rows() == len(ids) == 3
        write_predictions(catalog, "scene", "m1", PredictionRowsSource(preds))
        assert run_rows() == 0
    finally:
        catalog.close()
