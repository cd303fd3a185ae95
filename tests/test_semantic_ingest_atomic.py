"""A semantic or panoptic ingest is all or nothing: when the masks' rows cannot be written
(here a real DuckDB constraint on ``semantic_masks`` refusing the new dataset's PNGs), no
dataset is left behind, without its masks or otherwise, the catalog answers as before, and
the name is free for the next try."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
from visionlens_jlab.semantic.layouts import open_semantic
from visionlens_jlab.semantic.panoptic import ingest_panoptic

from .panoptic_fixtures import write_panoptic
from .semantic_fixtures import write_voc

TABLES = ("datasets", "samples", "categories", "semantic_masks", "semantic_sources",
          "semantic_classes")  # fmt: skip


def _refuse_masks_under(catalog: Catalog, folder: Path) -> None:
    """Rebuild ``semantic_masks`` (its rows kept) with a CHECK that refuses a PNG under
    ``folder``: the second part of an ingest fails as a full disk or a bad row would."""
    with catalog.write() as cur:
        cur.execute("CREATE TABLE kept_masks AS SELECT * FROM semantic_masks")
        cur.execute("DROP TABLE semantic_masks")
        cur.execute(
            "CREATE TABLE semantic_masks (dataset_id BIGINT NOT NULL, sample_id BIGINT NOT NULL,"
            " source VARCHAR NOT NULL, location VARCHAR NOT NULL, segments JSON,"
            f" CHECK (NOT starts_with(location, '{folder.resolve()}')))"
        )
        cur.execute("INSERT INTO semantic_masks SELECT * FROM kept_masks")
        cur.execute("DROP TABLE kept_masks")


def _answers(catalog: Catalog) -> dict[str, object]:
    """The datasets and every table's rows (counted) that an ingest writes."""
    with catalog.cursor() as cur:
        counts = {t: cur.execute(f"SELECT COUNT(*) FROM {t}").fetchall()[0][0] for t in TABLES}  # noqa: S608 - fixed names
        names = cur.execute("SELECT name FROM datasets ORDER BY name").fetchall()
    return {"names": names, **counts}


def test_a_semantic_ingest_whose_masks_fail_leaves_nothing(tmp_path: Path) -> None:
    kept, *_ = write_voc(tmp_path / "kept", 2)
    refused, *_ = write_voc(tmp_path / "refused", 3, seed=1)
    with Catalog(tmp_path / "data") as catalog:
        ingest_semantic(catalog, "kept", open_semantic(str(kept)))
        _refuse_masks_under(catalog, refused)
        before = _answers(catalog)
        assert before["semantic_masks"] == 2
        with pytest.raises(duckdb.ConstraintException):
            ingest_semantic(catalog, "new", open_semantic(str(refused)))
        assert _answers(catalog) == before
        done = ingest_semantic(catalog, "new", open_semantic(str(kept)))  # the name is free
        assert done["samples"] == done["semantic"]["masks"] == 2


def test_a_panoptic_ingest_whose_masks_fail_leaves_nothing(tmp_path: Path) -> None:
    kept, refused = write_panoptic(tmp_path / "kept", 2), write_panoptic(tmp_path / "refused", 3)
    with Catalog(tmp_path / "data") as catalog:
        ingest_panoptic(catalog, "kept", str(kept["gt_json"]), None, str(kept["images"]))
        _refuse_masks_under(catalog, refused["gt_folder"])
        before = _answers(catalog)
        assert before["semantic_masks"] == 2
        with pytest.raises(duckdb.ConstraintException):
            ingest_panoptic(catalog, "new", str(refused["gt_json"]), None, None)
        assert _answers(catalog) == before
        done = ingest_panoptic(catalog, "new", str(kept["gt_json"]), None, None)
        assert done["samples"] == done["panoptic"]["masks"] == 2


def test_a_models_masks_that_fail_keep_the_previous_ones_and_say_why(tmp_path: Path) -> None:
    """The insert's own error is raised (not the aborted transaction's, which hid it)."""
    voc, preds, *_ = write_voc(tmp_path, 2)
    with Catalog(tmp_path / "data") as catalog:
        ingest_semantic(catalog, "seg", open_semantic(str(voc)))
        ingest_semantic_predictions(catalog, "seg", "net", str(preds))
        refused = tmp_path / "refused"
        shutil.copytree(preds, refused)
        _refuse_masks_under(catalog, refused)
        before = _answers(catalog)
        with pytest.raises(duckdb.ConstraintException, match="CHECK constraint failed"):
            ingest_semantic_predictions(catalog, "seg", "net", str(refused))
        assert _answers(catalog) == before and before["semantic_masks"] == 4
