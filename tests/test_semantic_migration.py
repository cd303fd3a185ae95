"""Migration steps 22 (the semantic mask tables) and 31 (the ``models`` rows of label maps): a
catalog written before step 22 (stamped 21, without the tables) opens with them, keeps its
datasets, and takes a semantic dataset; one written before step 31 lists the models whose
masks it holds."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.store.registry import latest_version
from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
from visionlens_jlab.semantic.layouts import open_semantic
from visionlens_jlab.semantic.panoptic import ingest_panoptic, ingest_panoptic_predictions

from .panoptic_fixtures import write_panoptic
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


def test_a_catalog_of_step_30_lists_the_models_of_its_masks(tmp_path: Path) -> None:
    """What the code of step 30 wrote (models' masks without a ``models`` row; panoptic ones
    imported before step 30, without an import time) opens with a row per model: its format,
    masks' folder and count, dated by its import, else by its dataset's creation; a model
    imported again afterwards keeps one row."""
    data = tmp_path / "data"
    voc, preds, _, _ = write_voc(tmp_path / "seg", 4)
    pan = write_panoptic(tmp_path / "pan", 3, seed=1)
    with Catalog(data) as catalog:
        ingest_semantic(catalog, "seg", open_semantic(str(voc)))
        ingest_semantic_predictions(catalog, "seg", "net", str(preds))
        ingest_panoptic(catalog, "pan", str(pan["gt_json"]), None, str(pan["images"]))
        ingest_panoptic_predictions(catalog, "pan", "m", str(pan["pred_json"]), None)
    con = duckdb.connect(str(data / "catalog.duckdb"))
    try:  # what the code of step 30 wrote: no models rows, version 30
        con.execute("DELETE FROM models")
        con.execute("UPDATE semantic_sources SET imported_at = NULL WHERE source = 'm'")
        con.execute("UPDATE meta SET value = '30' WHERE key = 'schema_version'")
        ((imported,),) = con.execute(
            "SELECT imported_at FROM semantic_sources WHERE source = 'net'"
        ).fetchall()
        ((created,),) = con.execute("SELECT created_at FROM datasets WHERE name = 'pan'").fetchall()
    finally:
        con.close()
    with Catalog(data) as catalog:
        with catalog.cursor() as cur:
            version = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
            rows = cur.execute(
                "SELECT name, format, source, created_at, num_predictions FROM models ORDER BY name"
            ).fetchall()
        assert version == [(str(latest_version()),)]
        assert rows == [
            ("m", "coco-panoptic", str(pan["pred_folder"].resolve()), created, 3),
            ("net", "semantic", str(preds.resolve()), imported, 4),
        ]
        assert [m["name"] for m in catalog.get_dataset("seg")["models"]] == ["net"]
        ingest_semantic_predictions(catalog, "seg", "net", str(preds))
        assert [m["name"] for m in catalog.get_dataset("seg")["models"]] == ["net"]
