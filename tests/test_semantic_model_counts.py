"""A semantic model's count of predictions (its label maps) stays true when rows are
copied outside the writers that count them: a subset takes the chosen samples' masks and
counts them (as they did boxes and image labels only)."""

from __future__ import annotations

from pathlib import Path

from visionlens_jlab.bulk.subset import subset_dataset
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
from visionlens_jlab.semantic.layouts import open_semantic

from .semantic_fixtures import write_voc


def _models(catalog: Catalog, dataset: str) -> dict[str, int]:
    found = next(d for d in catalog.list_datasets() if d["name"] == dataset)
    return {m["name"]: m["num_predictions"] for m in found["models"]}


def test_copies_count_a_semantic_models_masks(tmp_path: Path) -> None:
    voc, preds, _, _ = write_voc(tmp_path, 6)
    with Catalog(tmp_path / "data") as catalog:
        ingest_semantic(catalog, "seg", open_semantic(str(voc)))
        ingest_semantic_predictions(catalog, "seg", "net", str(preds))
        assert _models(catalog, "seg") == {"net": 6}
        with catalog.cursor() as cur:
            ids = [s for (s,) in cur.execute("SELECT sample_id FROM samples ORDER BY 1").fetchall()]
        update_tags(catalog, "seg", {"ids": ids[:2]}, add=["chosen"])
        subset_dataset(catalog, "seg", "part", {"tags": {"any": ["chosen"]}})
        assert _models(catalog, "part") == {"net": 2}
        with catalog.cursor() as cur:
            copied = cur.execute(
                "SELECT count(*) FROM semantic_masks m JOIN datasets d USING (dataset_id) "
                "WHERE d.name = 'part' AND m.source = 'net'"
            ).fetchall()
        assert copied == [(2,)]
