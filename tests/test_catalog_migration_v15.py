"""A catalog written at schema version 15 (commit ef912da7, between the edits' steps and
step 16's mask areas) opens with today's code, migrated, with every row and answer.

``fixtures/catalog_v15/data.tar.gz`` is the data directory that commit wrote
(``make_fixture.py`` says how) and ``expected.json`` the answers it gave. Its datasets have
stored label facet parts, which the catalogs of versions 6-15 all have and the pre-migration
fixture (test_catalog_migrations.py) has not: steps 8 and 16 counted them again with today's
SQL, which reads step 17's ``obb`` column, so the migration failed and the catalog did not
open.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.store.migrations import schema_version
from visionlens_jlab.catalog.store.registry import latest_version
from visionlens_jlab.evaluate.api import report_for

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "catalog_v15"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text())
DATASET = "coco"
DROPPED_PARTS = 1
"""The stored label facet part of the one dataset, dropped by step 16 (counted from the rows
until the next label write stores it again)."""
LABEL_FACETS = ("label_type", "mask_area")


@pytest.fixture
def v15_data(tmp_path: Path) -> Path:
    """The fixture's data directory, unpacked."""
    with tarfile.open(FIXTURE / "data.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / "data"


def counted(answer: dict[str, Any]) -> list[tuple[Any, ...]]:
    """A facets answer as (name, source, key, counts): without what answers state since
    (each facet's filter and unit, test_facet_places.py)."""
    return sorted(
        (
            f["name"],
            f.get("source") or "",
            f.get("key") or "",
            json.dumps({k: v for k, v in f.items() if k not in ("filter", "unit")}, sort_keys=True),
        )
        for f in answer["facets"]
    )


def test_a_version_15_catalog_opens_migrated_with_every_row_and_answer(v15_data: Path) -> None:
    with Catalog(v15_data) as catalog:
        with catalog.cursor() as cur:
            assert schema_version(cur) == latest_version()
            rows = {
                t: cur.execute(f"SELECT COUNT(*) FROM {t}").fetchall()[0][0]  # noqa: S608 - names from expected.json
                for t in EXPECTED["rows"]
            }
        answer = queries.facets(catalog, DATASET, None)
        tagged = queries.samples_page(catalog, DATASET, {"tags": {"any": ["review"]}}, limit=0)
        report = report_for(catalog, DATASET, EXPECTED["evaluation_key"]).to_dict()
    kept = {**EXPECTED["rows"], "facet_parts": EXPECTED["rows"]["facet_parts"] - DROPPED_PARTS}
    assert rows == kept
    assert answer["total"] == EXPECTED["facets"]["total"]
    assert counted(answer) == counted(EXPECTED["facets"])  # the label facets among them
    assert tagged["total"] == EXPECTED["tagged"]
    assert report["stats"] == pytest.approx(EXPECTED["stats"])


def test_a_version_15_catalogs_edit_is_undone_and_new_edits_restore_its_label_facets(
    v15_data: Path,
) -> None:
    edited = EXPECTED["edited"]
    with Catalog(v15_data) as catalog:
        edits.undo(catalog, DATASET, "user")  # the old code's batch: the move and the relabel
        with catalog.cursor() as cur:
            undone = cur.execute(
                "SELECT [x, y, w, h] FROM annotations WHERE ann_id = ?", [edited["ann_id"]]
            ).fetchall()
        back = {"op": "move", "annotation_id": edited["ann_id"], "bbox": edited["moved"]}
        edits.apply_edits(catalog, DATASET, [back], "user")
        with catalog.cursor() as cur:
            parts = cur.execute("SELECT part FROM facet_parts WHERE part = 'labels'").fetchall()
        answer = queries.facets(catalog, DATASET, None)
    labels = [f for f in answer["facets"] if f["name"] in LABEL_FACETS]
    assert undone == [(pytest.approx(edited["bbox"]),)]
    assert parts == [("labels",)]  # the write stored the part again
    old = [f for f in EXPECTED["facets"]["facets"] if f["name"] in LABEL_FACETS]
    assert len(old) == 2  # the ground truth's masks
    assert counted({"facets": labels}) == counted({"facets": old})
