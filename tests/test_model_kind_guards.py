"""The one-kind-per-model rule (visionlens_jlab/catalog/reads/model_kinds.py) held where
writers bypass the importers: a label edit adding objects under a model of label maps is
refused through the REST route, nothing written (the ground truth and a model of objects
still edit); a model run started under a name, before any prediction, keeps the name for
objects (a semantic import under it is refused, the run still finishes); the recorded
formats agree with their writers'."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.catalog.reads.model_kinds import FORMAT_KINDS, LABEL_MAPS, OBJECTS
from visionlens_jlab.predict.model_runs import (
    MODEL_RUN_FORMAT,
    append_model_predictions,
    start_model_run,
)
from visionlens_jlab.semantic.ingest import SemanticSamples, ingest_semantic_predictions
from visionlens_jlab.semantic.records import PANOPTIC_LAYOUT

from .test_delete_model import build, rows_of


def _sample_and_class(catalog: Catalog) -> tuple[int, str]:
    with catalog.cursor() as cur:
        ds = catalog.dataset_id(cur, "seg")
        ((sample,),) = cur.execute(
            "SELECT min(sample_id) FROM samples WHERE dataset_id = ?", [ds]
        ).fetchall()
        ((label,),) = cur.execute(
            "SELECT min(name) FROM categories WHERE dataset_id = ?", [ds]
        ).fetchall()
    return int(sample), str(label)


async def test_an_edit_adding_objects_under_a_label_map_model_is_refused(
    api: Any, vl_app: Any, tmp_path: Path
) -> None:
    build(tmp_path, vl_app.catalog)
    sample, label = _sample_and_class(vl_app.catalog)
    before = rows_of(vl_app.catalog)

    def add(source: str) -> dict[str, Any]:
        op = {"op": "add", "sample_id": sample, "label": label, "bbox": [1, 1, 2, 2]}
        return {
            "operations": [
                {**op, "source": source, **({"score": 0.5} if source != "ground_truth" else {})}
            ]
        }

    status, body = await api("POST", "datasets/seg/edits", add("segnet"))
    assert status == 400, body
    for words in ("'segnet'", "'seg'", "3 label maps", "nothing was written",
                  "visionlens delete seg --model segnet --yes"):  # fmt: skip
        assert words in body["message"], body
    assert rows_of(vl_app.catalog) == before
    for source in ("boxes", "ground_truth"):  # the same kind and the ground truth still edit
        status, body = await api("POST", "datasets/seg/edits", add(source))
        assert status == 200 and len(body["added"]) == 1, body


def test_a_started_run_keeps_its_name_for_objects(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog:
        preds = build(tmp_path, catalog)
        sample, label = _sample_and_class(catalog)
        with catalog.cursor() as cur:
            ds = catalog.dataset_id(cur, "seg")
        start_model_run(catalog, ds, "run", "weights.pt", {"threshold": 0.5})
        before = rows_of(catalog)
        with pytest.raises(CatalogError) as refused:
            ingest_semantic_predictions(catalog, "seg", "run", str(preds))
        message = str(refused.value)
        for words in ("'run'", "'seg'", "objects or image labels", "'model-run'",
                      "another --model name"):  # fmt: skip
            assert words in message, message
        assert rows_of(catalog) == before
        boxes = pa.table({"sample_id": [sample], "label": [label], "x": [1.0], "y": [1.0],
                          "w": [2.0], "h": [2.0], "score": [0.9]})  # fmt: skip
        assert append_model_predictions(catalog, ds, "run", np.array([sample]), boxes) == 1


def test_the_recorded_formats_are_their_writers() -> None:
    assert FORMAT_KINDS[MODEL_RUN_FORMAT] == OBJECTS
    assert FORMAT_KINDS[SemanticSamples.format] == LABEL_MAPS
    assert FORMAT_KINDS[PANOPTIC_LAYOUT] == LABEL_MAPS
    assert FORMAT_KINDS["coco"] == OBJECTS
    assert "a plugin's format" not in FORMAT_KINDS  # an unknown format records no kind
