"""Image labels are the objects kind of prediction (visionlens_jlab/catalog/reads/
model_kinds.py), as boxes are: a model name holding only image labels (a classification
CSV), or image labels and boxes, on a dataset refuses label maps under that name, the
message counting each; and a merge of a model holding image labels in one dataset and label maps in the
other is refused before anything is written, through the check and the CLI alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from visionlens_jlab.bulk.merge import check_merge
from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
from visionlens_jlab.semantic.layouts import open_semantic

from .evaluate_fixtures import ingest_predictions
from .semantic_fixtures import run_cli, write_voc
from .test_bulk_subset import snapshot


def _image_labels(path: Path) -> Path:
    """A classification CSV: one label for each of the three generated VOC images."""
    rows = [f"2007_{i:06d}.jpg,aeroplane,0.9" for i in range(3)]
    path.write_text("filename,prediction,confidence\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("with_boxes", [False, True])
def test_label_maps_under_an_image_label_model_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], with_boxes: bool
) -> None:
    data = tmp_path / "data"
    voc, preds, _, _ = write_voc(tmp_path, 3, seed=1)
    with Catalog(data) as catalog:
        ingest_semantic(catalog, "seg", open_semantic(str(voc), "auto", None, None))
        written = ingest_predictions(
            catalog, "seg", "net", _image_labels(tmp_path / "labels.csv"), "classification"
        )
        assert written.predictions == 3
        if with_boxes:  # a box on each image too, as a source of both kinds writes them
            with catalog.write() as cur:
                cur.execute(
                    "INSERT INTO annotations (ann_id, sample_id, dataset_id, source, label, x, "
                    "y, w, h, score, area, iscrowd, difficult) SELECT 900000 + sample_id, "
                    "sample_id, dataset_id, 'net', 'aeroplane', 1, 2, 8, 6, 0.9, 48, FALSE, "
                    "FALSE FROM samples"
                )
        before = snapshot(catalog)
    argv = ["semantic-predictions", "seg", str(preds), "--model", "net", "--data-dir", str(data)]
    code, out = run_cli(capsys, *argv)
    assert code != 0, out
    held = "3 objects and 3 classifications" if with_boxes else "3 classifications"
    assert f"'net' already holds {held} there" in out["stderr"], out
    with Catalog(data) as catalog:
        assert snapshot(catalog) == before


@pytest.mark.parametrize("into", ["dst", "src"])
def test_a_merge_of_image_labels_and_label_maps_under_one_name_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], into: str
) -> None:
    other = "src" if into == "dst" else "dst"
    data = tmp_path / "data"
    voc, preds, _, _ = write_voc(tmp_path, 3, seed=1)
    with Catalog(data) as catalog:
        for name in ("src", "dst"):
            ingest_semantic(catalog, name, open_semantic(str(voc), "auto", None, None))
        labels = _image_labels(tmp_path / "labels.csv")
        ingest_predictions(catalog, "src", "net", labels, "classification")
        ingest_semantic_predictions(catalog, "dst", "net", str(preds))
        message = "model 'net' holds label maps in 'dst' but objects or image labels in 'src'"
        with pytest.raises(CatalogError, match=message):
            check_merge(catalog, other, into, "file_name")
        before = snapshot(catalog)
    argv = ["merge", other, "--into", into, "--key", "file_name", "--data-dir", str(data)]
    code, out = run_cli(capsys, *argv)
    assert code != 0 and "'net'" in out["stderr"], out
    with Catalog(data) as catalog:
        assert snapshot(catalog) == before
