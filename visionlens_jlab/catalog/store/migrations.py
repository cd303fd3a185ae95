"""Numbered schema migrations, run in one transaction when a catalog opens writable.

``meta.schema_version`` says which steps a catalog has had (0: a new file). On open every
registered step above it runs in order, then the version moves to the last step's number,
all in ONE transaction: a step that fails rolls everything back, the file stays as it was
and the error names the step. A catalog of a newer version than this code's is refused,
naming both; a read-only open of an older one says it needs a writable open first.

Steps 1, 2, 6 and 7 (:mod:`.label_columns`) live here; the floors above register theirs (:mod:`.registry`). Schema 1 is
the schema of every release before numbered migrations: they all wrote ``schema_version =
1`` and created missing tables and backfilled derived ones on every open, so a catalog
stamped 1 may come from any of them. Steps 2-5 bring such a catalog to what the last of
those releases left, once: its missing tables, then the facet keys, box summaries and field
index of its datasets (steps 3-5 are registered by ``sql.facet_keys``,
``tables.box_summaries`` and ``tables.field_index``). A new catalog runs the same steps
from 1, on no rows.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..base.errors import CatalogError
from .edit_tables import (
    create_classification_log,
    create_edit_log,
    create_sample_tag_log,
    create_version_copies,
    create_versions,
)
from .label_columns import (
    add_category_frequency,
    add_declared_columns,
    add_keypoint_sigmas,
    add_label_columns,
    add_track_ids,
)
from .registry import latest_version, missing_schema_1, register_step, schema_1_ddl, steps
from .schema import DDL


def check_registered() -> None:
    """Refuse to open a catalog before the modules that extend it are imported."""
    missing = missing_schema_1()
    if missing:
        raise CatalogError(
            f"no module registered the catalog's tables or features {missing}: call "
            "visionlens_jlab.features.load() before opening a catalog"
        )
    steps()  # numbered without a gap


def schema_version(cur: duckdb.DuckDBPyConnection) -> int:
    """The catalog's schema version: 0 for a file without the ``meta`` table (new)."""
    tables = cur.execute(
        "SELECT COUNT(*) FROM duckdb_tables() WHERE table_name = 'meta'"
    ).fetchall()
    if not tables[0][0]:
        return 0
    rows = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else 0


def check_version(path: Path, version: int, *, read_only: bool) -> None:
    """Refuse a catalog this code cannot serve: a newer version, or an older one read-only."""
    latest = latest_version()
    if version > latest:
        raise CatalogError(
            f"the catalog {path}: this catalog was written by schema version {version}; "
            f"this VisionLens understands up to {latest}: upgrade visionlens_jlab"
        )
    if read_only and version < latest:
        raise CatalogError(
            f"the catalog {path} has schema version {version} and this VisionLens reads "
            f"version {latest}: it needs an upgrade by a writable open first (start "
            "JupyterLab with VisionLens or run any visionlens command on it)"
        )


def migrate(cur: duckdb.DuckDBPyConnection, version: int) -> int:
    """Run every step above ``version`` inside ``cur``'s transaction and record the new
    version; return it. A failing step raises :class:`CatalogError` naming it (the caller's
    transaction then rolls back)."""
    ran = None
    for step in steps()[version:]:
        if step.run is ran:
            # a step that repeats the one before (steps 2 and 18: idempotent DDL of the
            # current schema) is for a catalog stamped between them; right after it, it
            # changes nothing: a new catalog skips its ~50 statements
            continue
        ran = step.run
        try:
            step.run(cur)
        except Exception as exc:
            raise CatalogError(
                f"migration step {step.number} ({step.description}) failed: {exc}; the "
                f"catalog was left as it was, at schema version {version}"
            ) from exc
    latest = latest_version()
    cur.execute("DELETE FROM meta WHERE key = 'schema_version'")
    cur.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(latest)])
    return latest


def create_schema_1(cur: duckdb.DuckDBPyConnection) -> None:
    """Create every table of schema 1 that is missing (``CREATE TABLE IF NOT EXISTS``)."""
    for statement in [*DDL, *schema_1_ddl().values()]:
        cur.execute(statement)


register_step(1, "create the tables of schema 1", create_schema_1)
register_step(
    2,
    "create the tables of schema 1 that a catalog of an earlier release lacks",
    create_schema_1,
)
register_step(6, "add masks, keypoints and image-level classifications", add_label_columns)
register_step(7, "add the keypoint classes' own OKS sigmas", add_keypoint_sigmas)
register_step(9, "add the operation log of label edits and object tags", create_edit_log)
register_step(10, "add named versions of the labels", create_versions)
register_step(14, "add the copies of browsed versions' labels", create_version_copies)
register_step(15, "add the samples' tags to the operation log", create_sample_tag_log)
register_step(17, "add the columns of rotated boxes", add_declared_columns)
register_step(18, "add the columns of polylines", add_declared_columns)
register_step(20, "add the objects' track identities", add_track_ids)
register_step(26, "add the LVIS classes' frequency groups", add_category_frequency)
register_step(27, "add the samples' image labels to the operation log", create_classification_log)
