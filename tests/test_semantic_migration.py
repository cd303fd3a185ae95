"""Migration step 22 (the semantic mask tables): a catalog written before it (stamped 21,
without the tables) opens with them, keeps its datasets, and takes a semantic dataset."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.store.registry import latest_version
from visionlens_jlab.semantic.ingest import ingest_semantic
from visionlens_jlab.semantic.layouts import open_semantic

from .semantic_fixtures import write_voc

SEMANTIC = ("semantic_masks", "semantic_sources", "semantic_classes")


def test_a_catalog_of_step_21_gets_the_semantic_tables(tmp_path: Path) -> None:
    data = tmp_path / "data"
    voc, _, gts, _ = write_voc(tmp_path, 3)
    with Catalog(data) as catalog:
        ingest_semantic(catalog, "before", open_semantic(str(voc)))
    con = duckdb.connect(str(data / "catalog.duckdb"))
    try:  # what the code of step 21 wrote: no semantic tables, version 21
        for table in SEMANTIC:
            con.execute(f"DROP TABLE {table}")
        con.execute("UPDATE meta SET value = '21' WHERE key = 'schema_version'")
    finally:
        con.close()
    with Catalog(data) as catalog:
        with catalog.cursor() as cur:
            version = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
            counts = [cur.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in SEMANTIC]  # noqa: S608 - fixed names
            samples = cur.execute("SELECT count(*) FROM samples").fetchall()[0][0]
        assert version == [(str(latest_version()),)]  # step 22 and every step after it
        assert counts == [0, 0, 0]  # the old dataset's masks were never recorded: none made up
        assert samples == 3
        summary = ingest_semantic(catalog, "after", open_semantic(str(voc)))
        assert summary["semantic"]["masks"] == len(gts)
        assert np.isfinite(summary["samples"])
