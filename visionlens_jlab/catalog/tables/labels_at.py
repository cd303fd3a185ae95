"""A dataset's objects as they were at a named version: the current ``annotations`` rows with
every change the operation log made since folded back.

The log (``edit_ops``) keeps each changed object's whole state before and after every
operation; a version is a position (``seq``) in that log. The objects at a position are
therefore the current rows of the objects no later operation touched, plus, for each object
a later operation touched, its state before the first of those operations (none: it did
not exist then). :func:`changed_since` is that fold, the one reading of the log's states
that a restore (which writes them back) and an export of a version (which reads them as
rows, :func:`objects_at`) share.

Objects only: the samples' tags are folded back by :mod:`.sample_tag_log`, their
image-level labels by :mod:`.classification_log`.
"""

from __future__ import annotations

import duckdb

from ..base.errors import NotFoundError


def changed_since(dataset_id: int, position: int) -> str:
    """SQL of the objects an operation after log ``position`` changed: ``ann_id``, its state
    (JSON) at that position (``then_state``, null: it did not exist) and now
    (``now_state``). The two numbers are written into the SQL as integers."""
    return f"""
        SELECT ann_id, arg_min(struct_pack(v := before), seq).v AS then_state,
               arg_max(struct_pack(v := after), seq).v AS now_state
        FROM edit_ops WHERE dataset_id = {int(dataset_id)} AND seq > {int(position)}
        GROUP BY ann_id
    """  # noqa: S608 - integers only


def version_position(cur: duckdb.DuckDBPyConnection, dataset_id: int, version: int) -> int:
    """The log position (``seq``) of version number ``version`` of the dataset, or a
    :class:`NotFoundError` naming the versions it has."""
    rows = cur.execute(
        "SELECT seq FROM versions WHERE dataset_id = ? AND version = ?", [dataset_id, version]
    ).fetchall()
    if not rows:
        raise NotFoundError(f"no version {version} of this dataset (see `visionlens versions`)")
    return int(rows[0][0])


def replaced_sources(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, version: int, sources: list[str]
) -> list[str]:
    """The models among ``sources`` imported (or imported again) after ``version`` was
    named: their predictions replaced the old ones outside the log, so that version's
    predictions of them cannot be rebuilt."""
    rows = cur.execute(
        """
        SELECT m.name FROM models m JOIN versions v ON v.dataset_id = m.dataset_id
        WHERE m.dataset_id = ? AND v.version = ? AND m.created_at > v.created_at
          AND list_contains(?::VARCHAR[], m.name)
        ORDER BY m.name
        """,
        [dataset_id, version, sources],
    ).fetchall()
    return [r[0] for r in rows]


def objects_at(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    position: int,
    table: str = "annotations",
    changed: str | None = None,
) -> str:
    """SQL of a relation with the columns of ``annotations``: the dataset's objects at log
    ``position``. The log's states decode to the table's own column types (a JSON column's
    state holds its text). ``table``: the name the current rows are read by (qualified when
    a temporary view shadows the plain name, :mod:`.labels_view`); ``changed``: a relation
    holding :func:`changed_since` already (read once), else that fold itself."""
    columns = cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'annotations' AND column_name <> 'dataset_id' "
        "AND table_catalog = current_database() AND table_schema = 'main' "
        "ORDER BY ordinal_position"
    ).fetchall()
    shape = "{" + ", ".join(f'"{name}": "{_decoded(kind)}"' for name, kind in columns) + "}"
    names = ", ".join(name for name, _ in columns)
    decoded = ", ".join(
        f"CAST(s.{name} AS JSON) AS {name}" if kind == "JSON" else f"s.{name}"
        for name, kind in columns
    )
    changed = changed or f"({changed_since(dataset_id, position)})"
    return f"""(
        SELECT {int(dataset_id)} AS dataset_id, {names} FROM {table}
        WHERE dataset_id = {int(dataset_id)} AND ann_id NOT IN (SELECT ann_id FROM {changed})
        UNION ALL
        SELECT {int(dataset_id)}, {decoded} FROM (
            SELECT unnest(json_transform(then_state, '{shape}')) FROM {changed}
            WHERE then_state IS NOT NULL
        ) s
    )"""  # noqa: S608 - the catalog's own column names and types, integers, a fixed name


def _decoded(kind: str) -> str:
    return "VARCHAR" if kind == "JSON" else kind
