"""What a model delete (visionlens_jlab/bulk/delete_model.py) refreshes besides the model's own
rows: the dataset's derived rows (box summaries, the stored facet parts, the evaluations'
per-sample summaries) end as those of the same dataset never given the model, another
model's evaluation keeps its own; and a saved version browsed before the delete no longer
shows the model's objects (its browsed copy is dropped and rebuilt)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from visionlens_jlab import edits
from visionlens_jlab.bulk.delete_model import delete_model
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.evaluate.api import evaluate_model

from .evaluate_fixtures import ingest, ingest_predictions
from .ingest_fixtures import write_coco

IMAGES = 6
SHIFT = {"boxes": 0.0, "other": 30.0}
"""Each model's predictions: the ground truth's boxes moved right by this many pixels."""


def build(root: Path, catalog: Catalog, models: list[str]) -> None:
    """``seg``: COCO ground truth (3 classes) and ``models``' boxes, each evaluated."""
    write_coco(root / "gt.json", IMAGES, 5, seed=3, n_classes=3)
    ingest(catalog, "seg", root / "gt.json", "coco")
    truth = json.loads((root / "gt.json").read_text())["annotations"]
    for model in models:
        results = [
            {
                "image_id": a["image_id"],
                "category_id": a["category_id"],
                "bbox": [a["bbox"][0] + SHIFT[model], *a["bbox"][1:]],
                "score": 0.5 + (a["id"] % 5) / 10,
            }
            for a in truth
        ]
        (root / f"{model}.json").write_text(json.dumps(results))
        ingest_predictions(catalog, "seg", model, root / f"{model}.json", "coco")
        evaluate_model(catalog, "seg", model)


def derived(catalog: Catalog) -> dict[str, Any]:
    """The dataset's derived rows and facets, free of ids two builds give differently."""
    rows: dict[str, Any] = {}
    with catalog.cursor() as cur:
        ds = catalog.dataset_id(cur, "seg")
        for table in ("box_summaries", "facet_parts", "eval_summaries", "facet_keys"):
            sql = f"SELECT * EXCLUDE (dataset_id) FROM {table} WHERE dataset_id = ?"  # noqa: S608
            rows[table] = sorted(map(repr, cur.execute(sql, [ds]).fetchall()))
    rows["facets"] = queries.facets(catalog, "seg", {})
    return rows


def test_derived_rows_are_those_of_a_dataset_never_given_the_model(tmp_path: Path) -> None:
    with Catalog(tmp_path / "a" / "data") as deleted:
        build(tmp_path / "a", deleted, ["boxes", "other"])
        assert any("boxes" in repr(v) for v in derived(deleted).values())
        delete_model(deleted, "seg", "boxes")
        after = derived(deleted)
    with Catalog(tmp_path / "b" / "data") as never:
        build(tmp_path / "b", never, ["other"])
        expected = derived(never)
    assert after["eval_summaries"], "the other model's evaluation keeps its summaries"
    # stored facet parts may be dropped (the facets are then counted from the rows): none
    # may be left of the model, and the facets answer as if it never came
    assert set(after.pop("facet_parts")) <= set(expected.pop("facet_parts"))
    for table, rows in expected.items():
        assert after[table] == rows, table


def test_a_browsed_version_no_longer_shows_the_model(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog:
        build(tmp_path, catalog, ["boxes", "other"])
        v1 = edits.snapshot(catalog, "seg", "with boxes", "u")["version"]
        sample = queries.samples_page(catalog, "seg", {}, limit=1)["samples"][0]["sample_id"]

        def sources(version: int | None) -> set[str]:
            detail = queries.sample_detail(catalog, "seg", sample, version=version)
            return {a["source"] for a in detail["annotations"]}

        assert sources(v1) == {"ground_truth", "boxes", "other"}  # browsed: its copy is written
        delete_model(catalog, "seg", "boxes")
        assert sources(v1) == {"ground_truth", "other"}
        assert sources(None) == {"ground_truth", "other"}
