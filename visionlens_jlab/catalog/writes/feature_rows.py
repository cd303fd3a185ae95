"""Rows a parser read for a feature's tables, written with the dataset they belong to.

Some sources carry facts beside their samples and labels that a feature's tables hold: a
video's probe and which frame of which video each sample is. A parser hands them
as Arrow tables keyed by table name
(:func:`~visionlens_jlab.records.parsed.feature_rows_of`); the dataset writer appends them in
its last transaction, with the ``datasets`` row, so they appear (or roll back) with the
dataset. The catalog names no such table: it writes whatever table a feature's manifest
declares, and refuses any other.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa

from ..base.errors import CatalogError
from ..extensions.manifest import manifests


def declared_tables() -> set[str]:
    """The tables the installed features' manifests declare."""
    return {table.name for manifest in manifests() for table in manifest.tables}


def write_feature_rows(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    sample_base: int,
    tables: Mapping[str, pa.Table],
) -> None:
    """Append each of ``tables`` to the feature table of its name, by column name, with the
    dataset's id; a ``sample_index`` column (the parser's sample numbering) becomes the
    sample's ``sample_id``. A table no manifest declares is a :class:`CatalogError`."""
    known = declared_tables()
    for table, rows in tables.items():
        if table not in known:
            raise CatalogError(f"the parser gave rows of {table!r}, which no feature declares")
        if not rows.num_rows:
            continue
        params: list[int] = [dataset_id]
        select = "*"
        if "sample_index" in rows.schema.names:
            select = "* EXCLUDE (sample_index), ? + sample_index AS sample_id"
            params.append(sample_base)
        cur.register("_vl_feature_rows", rows)
        cur.execute(
            f'INSERT INTO "{table}" BY NAME '  # noqa: S608 - a table a manifest declares
            f"SELECT ? AS dataset_id, {select} FROM _vl_feature_rows",
            params,
        )
        cur.unregister("_vl_feature_rows")
