"""Migration step 16: objects whose mask was stored before mask areas get the area an ingest
gives today, so the ``mask`` label type, the ``mask_area`` filter and the label facets find
them (test_catalog_migrations.py has the other steps)."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import duckdb
import pytest

from tests.ingest_fixtures import DATASETS, ingest, ingest_predictions
from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.store.migrations import schema_version
from visionlens_jlab.catalog.store.registry import latest_version
from visionlens_jlab.config import CATALOG_FILE
from visionlens_jlab.ingest.open import coco_category_map

COCO = DATASETS / "coco-val2014-100"
OLD_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "old_catalog" / "data.tar.gz"
MASKS = {"labels": {"source": "ground_truth", "type": "mask"}}
AREAS = "SELECT ann_id, mask_area, area FROM {} ORDER BY ALL"


def mask_facets(catalog: Catalog, dataset: str) -> list[tuple[str, str, int]]:
    """The ``label_type`` and ``mask_area`` facets of the whole dataset: (name, source, count)."""
    return [
        (f["name"], f["source"], f.get("count") or f["values"][0]["count"])
        for f in queries.facets(catalog, dataset, None)["facets"]
        if f["name"] in ("label_type", "mask_area")
    ]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """COCO ground truth (polygons, crowd RLE) and RLE predictions without ``area``, written
    by today's code, with one browsed version (its copy holds the objects too)."""
    data = tmp_path_factory.mktemp("masks") / "data"
    with Catalog(data) as catalog:
        gt = COCO / "annotations/instances_val2014_100.json"
        ingest(catalog, "coco", gt)
        results = COCO / "results/instances_val2014_fakesegm100_results.json"
        ingest_predictions(catalog, "coco", "segm", results, categories=coco_category_map(str(gt)))
        version = edits.snapshot(catalog, "coco", "v1", "u")["version"]
        with catalog.cursor() as cur:
            ((ann,),) = cur.execute(
                "SELECT min(ann_id) FROM annotations WHERE source = 'ground_truth'"
            ).fetchall()
        edits.apply_edits(catalog, "coco", [{"op": "delete", "annotation_id": ann}], "u")
        queries.samples_page(catalog, "coco", MASKS, limit=1, version=version)  # the copy
    return data


def test_objects_stored_without_mask_areas_get_the_ingests_areas(
    ingested: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(ingested, data)
    with duckdb.connect(str(data / CATALOG_FILE)) as con:
        expected = {
            t: con.execute(AREAS.format(t)).fetchall()
            for t in ("annotations", "version_annotations")
        }
        # as a catalog written before step 6 is after steps 6-15: masks without areas, and
        # predictions without an area at all (that code wrote none)
        for table in expected:
            con.execute(f"UPDATE {table} SET mask_area = NULL")  # noqa: S608 - test constants
            con.execute(f"UPDATE {table} SET area = NULL WHERE source = 'segm'")  # noqa: S608
        logged = con.execute("SELECT seq, before FROM edit_ops ORDER BY seq").fetchall()
        con.execute(
            "UPDATE edit_ops SET before = json_merge_patch(before, '{\"mask_area\": null}')"
        )
        con.execute("UPDATE meta SET value = '15' WHERE key = 'schema_version'")
    with Catalog(data) as catalog:
        with catalog.cursor() as cur:
            assert schema_version(cur) == latest_version()
            annotations = cur.execute(AREAS.format("annotations")).fetchall()
            assert annotations == expected["annotations"]
            # step 27 drops the browsed versions' copies (a browse copies them again, with
            # their image labels): none is left to carry a stale area
            assert cur.execute("SELECT count(*) FROM version_annotations").fetchone() == (0,)
            # the log's states too: the deleted object comes back with its area
            states = cur.execute("SELECT seq, before FROM edit_ops ORDER BY seq").fetchall()
            assert [(q, json.loads(b)) for q, b in states] == [
                (q, json.loads(b)) for q, b in logged
            ]
        facets = mask_facets(catalog, "coco")
        found = queries.samples_page(catalog, "coco", MASKS, limit=0)["total"]
        edits.undo(catalog, "coco", "u")
        with catalog.cursor() as cur:
            after_undo = cur.execute(AREAS.format("annotations")).fetchall()
    assert sum(1 for _, area, _ in expected["annotations"] if area is not None) == 838 + 734
    assert facets == [
        ("label_type", "ground_truth", 838),
        ("mask_area", "ground_truth", 838),
        ("label_type", "segm", 734),
        ("mask_area", "segm", 734),
    ]
    assert found == 100
    ((_, before),) = logged
    back = json.loads(before)
    assert back["mask_area"] == back["area"]  # a COCO polygon's area, kept by ingest
    assert after_undo == sorted(
        [*expected["annotations"], (back["ann_id"], back["area"], back["area"])]
    )


def test_the_pre_migration_fixtures_polygons_are_masks(tmp_path: Path) -> None:
    """The catalog of commit b74eabe (test_catalog_migrations.py): its ground-truth polygons
    read as masks with COCO's area, as a COCO ingest stores them today."""
    with tarfile.open(OLD_FIXTURE) as tar:
        tar.extractall(tmp_path, filter="data")
    with Catalog(tmp_path / "data") as catalog:
        with catalog.cursor() as cur:
            rows = cur.execute(
                "SELECT COUNT(*), COUNT(mask_area), COUNT(*) FILTER (WHERE mask_area = area) "
                "FROM annotations WHERE segmentation IS NOT NULL"
            ).fetchall()
            ((with_masks,),) = cur.execute(
                "SELECT COUNT(DISTINCT sample_id) FROM annotations WHERE segmentation IS NOT NULL"
            ).fetchall()
        assert rows == [(87, 87, 87)]
        assert queries.samples_page(catalog, "demo", MASKS, limit=0)["total"] == with_masks
        assert mask_facets(catalog, "demo") == [
            ("label_type", "ground_truth", 87),
            ("mask_area", "ground_truth", 87),
        ]
