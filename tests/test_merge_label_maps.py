"""A merge carries the semantic and panoptic label maps (visionlens_jlab/bulk/merge_label_maps.py):
every source's masks of the merged samples come along, so the target evaluates the source's
model with the figures the source had; the model's count follows; a matched sample's mask
the target had is kept and reported; classes or an encoding that differ are refused before
anything is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

import visionlens_jlab.bulk.merge as merge_module
from visionlens_jlab.bulk.merge import check_merge, merge_datasets
from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.cli import main
from visionlens_jlab.semantic.classes import VOC_CLASSES
from visionlens_jlab.semantic.evaluate import IMAGE_IOU_FIELD, evaluate_semantic
from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
from visionlens_jlab.semantic.layouts import open_semantic
from visionlens_jlab.semantic.panoptic import (
    IMAGE_FIELDS,
    evaluate_panoptic,
    ingest_panoptic,
    ingest_panoptic_predictions,
)

from .panoptic_fixtures import write_panoptic
from .semantic_fixtures import write_voc
from .test_bulk_subset import snapshot


def voc_part(root: Path, keep: set[int], rate: float = 0.1) -> tuple[Path, Path]:
    """Images ``keep`` of three generated VOC images (the same pixels in every call: one
    seed) with their masks and predictions; the VOC folder and the predictions'."""
    voc, preds, _, _ = write_voc(root, 3, rate=rate)
    for i in set(range(3)) - keep:
        stem = f"2007_{i:06d}"
        for path in (voc / "JPEGImages" / f"{stem}.jpg", voc / "SegmentationClass" / f"{stem}.png",
                     preds / f"{stem}.png"):  # fmt: skip
            path.unlink()
    return voc, preds


def semantic_pair(tmp_path: Path, catalog: Catalog, *, dst_model: bool = False) -> None:
    """``src``: images 0 and 1, model ``net`` on both; ``dst``: images 0 (matched, the same
    ground truth) and 2, with its own ``net`` masks (noisier) where ``dst_model``."""
    voc, preds = voc_part(tmp_path / "a", {0, 1})
    ingest_semantic(catalog, "src", open_semantic(str(voc)))
    ingest_semantic_predictions(catalog, "src", "net", str(preds))
    voc, preds = voc_part(tmp_path / "b", {0, 2}, rate=0.4)
    ingest_semantic(catalog, "dst", open_semantic(str(voc)))
    if dst_model:
        ingest_semantic_predictions(catalog, "dst", "net", str(preds))


def models(catalog: Catalog, dataset: str) -> dict[str, int]:
    found = next(d for d in catalog.list_datasets() if d["name"] == dataset)
    return {m["name"]: m["num_predictions"] for m in found["models"]}


def masks(catalog: Catalog, dataset: str, source: str) -> dict[str, str]:
    """``source``'s mask locations by file name."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT s.file_name, m.location FROM semantic_masks m JOIN samples s "
            "USING (sample_id) JOIN datasets d ON d.dataset_id = m.dataset_id "
            "WHERE d.name = ? AND m.source = ?",
            [dataset, source],
        ).fetchall()
    return dict(rows)


def per_image(catalog: Catalog, dataset: str, field: str) -> dict[str, float]:
    """The computed field ``field`` (an evaluation's per-image figure) by file name."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT s.file_name, c.num FROM computed_values c JOIN samples s USING (sample_id) "
            "JOIN datasets d ON d.dataset_id = c.dataset_id WHERE d.name = ? AND c.field = ?",
            [dataset, field],
        ).fetchall()
    return dict(rows)


def without_missing(report: dict[str, Any]) -> str:
    """A report comparable across datasets: JSON (NaN equals NaN), less ``missing``."""
    return json.dumps({k: v for k, v in report.items() if k != "missing"}, sort_keys=True)


def test_merged_masks_evaluate_as_in_the_source(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog:
        semantic_pair(tmp_path, catalog)
        before = evaluate_semantic(catalog, "src", "net")["semantic"]
        src_figures = per_image(catalog, "src", IMAGE_IOU_FIELD)
        result = merge_datasets(catalog, "src", "dst", "file_name")
        assert (result.matched, result.added) == (1, 1)
        # the matched sample keeps dst's ground truth (the same pixels), the added brings its own
        assert result.label_maps == {"ground_truth": {"copied": 1, "kept": 1},
                                     "net": {"copied": 2, "kept": 0}}  # fmt: skip
        assert result.to_dict()["label_maps"] == result.label_maps
        assert models(catalog, "dst") == {"net": 2}
        net = masks(catalog, "dst", "net")
        assert net == masks(catalog, "src", "net")  # the files are shared, and readable
        assert all(Path(location).is_file() for location in net.values())
        after = evaluate_semantic(catalog, "dst", "net")["semantic"]
        assert (after["images"], after["missing"]) == (2, 1)  # dst's image 2 has no net mask
        assert without_missing(after) == without_missing(before)
        assert per_image(catalog, "dst", IMAGE_IOU_FIELD) == src_figures


def test_a_matched_samples_mask_in_the_target_is_kept_and_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through ``visionlens merge`` (its line names the masks copied and kept)."""
    with Catalog(tmp_path / "data") as catalog:
        semantic_pair(tmp_path, catalog, dst_model=True)
        dst_net, src_net = masks(catalog, "dst", "net"), masks(catalog, "src", "net")
    argv = ["merge", "src", "--into", "dst", "--key", "file_name", "--data-dir"]
    assert main([*argv, str(tmp_path / "data")]) == 0
    line = capsys.readouterr().out.strip()
    kept = "1 kept (the target's)"
    assert line.endswith(f"; label maps: ground_truth 1 copied, {kept}, net 1 copied, {kept}")
    with Catalog(tmp_path / "data") as catalog:
        merged = masks(catalog, "dst", "net")
        added = "JPEGImages/2007_000001.jpg"
        assert merged == {**dst_net, added: src_net[added]}  # the matched sample's is dst's
        assert models(catalog, "dst") == {"net": 3}


def test_a_merge_failing_after_its_masks_leaves_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure once the masks are written (the models' recount) rolls them back too."""
    with Catalog(tmp_path / "data") as catalog:
        semantic_pair(tmp_path, catalog)
        before = snapshot(catalog)

        def fail(cur: duckdb.DuckDBPyConnection, _src: int, dst: int, *_: Any) -> None:
            (n,) = cur.execute(
                "SELECT count(*) FROM semantic_masks WHERE dataset_id = ?", [dst]
            ).fetchone() or (0,)
            assert n == 2 + 3  # dst's ground truth, then src's net on both and its added image
            raise RuntimeError("planted failure")

        monkeypatch.setattr(merge_module, "_finish", fail)
        with pytest.raises(RuntimeError, match="planted"):
            merge_datasets(catalog, "src", "dst", "file_name")
        assert snapshot(catalog) == before


def test_classes_that_differ_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog:
        voc, _ = voc_part(tmp_path / "a", {0, 1})
        ingest_semantic(catalog, "src", open_semantic(str(voc)))
        voc, _ = voc_part(tmp_path / "b", {0, 2})
        names = tmp_path / "classes.txt"
        names.write_text("\n".join("parrot" if n == "bird" else n for n in VOC_CLASSES))
        ingest_semantic(catalog, "dst", open_semantic(str(voc), class_file=str(names)))
        before = snapshot(catalog)
        message = r"classes of their label maps differ \(class 3 is 'bird' in 'src', 'parrot'"
        with pytest.raises(CatalogError, match=message):
            check_merge(catalog, "src", "dst", "file_name")
        with pytest.raises(CatalogError, match=message):
            merge_datasets(catalog, "src", "dst", "file_name")
        assert snapshot(catalog) == before


def test_a_source_encoded_differently_is_refused(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog:
        voc, _ = voc_part(tmp_path / "a", {0, 1})
        ingest_semantic(catalog, "src", open_semantic(str(voc)))
        voc, _ = voc_part(tmp_path / "b", {0, 2})
        ingest_semantic(catalog, "dst", open_semantic(str(voc), ignore_index=0))
        before = snapshot(catalog)
        with pytest.raises(CatalogError, match=r"label maps of 'ground_truth', encoded "
                           r"differently \(ignore index 255 in 'src', 0 in 'dst'\)"):  # fmt: skip
            check_merge(catalog, "src", "dst", "file_name")
        with pytest.raises(CatalogError, match="encoded differently"):
            merge_datasets(catalog, "src", "dst", "file_name")
        assert snapshot(catalog) == before


def panoptic_part(root: Path, keep: set[int]) -> dict[str, Path]:
    """Images ``keep`` of three generated COCO panoptic images (one seed: the same pixels
    in every call), in its ground-truth and predictions JSON."""
    files = write_panoptic(root, 3, seed=4)
    for key in ("gt_json", "pred_json"):
        data = json.loads(files[key].read_text())
        data["images"] = [im for im in data["images"] if im["id"] in keep]
        data["annotations"] = [a for a in data["annotations"] if a["image_id"] in keep]
        files[key].write_text(json.dumps(data))
    return files


def test_panoptic_masks_are_merged_with_their_segments(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog:
        files = panoptic_part(tmp_path / "a", {0, 1})
        ingest_panoptic(catalog, "src", str(files["gt_json"]), None, str(files["images"]))
        ingest_panoptic_predictions(catalog, "src", "pan", str(files["pred_json"]), None)
        files = panoptic_part(tmp_path / "b", {0, 2})
        ingest_panoptic(catalog, "dst", str(files["gt_json"]), None, str(files["images"]))
        before = evaluate_panoptic(catalog, "src", "pan")["panoptic"]
        src_figures = {f: per_image(catalog, "src", f) for f in IMAGE_FIELDS}
        result = merge_datasets(catalog, "src", "dst", "file_name")
        assert result.label_maps == {"ground_truth": {"copied": 1, "kept": 1},
                                     "pan": {"copied": 2, "kept": 0}}  # fmt: skip
        assert models(catalog, "dst") == {"pan": 2}
        after = evaluate_panoptic(catalog, "dst", "pan")["panoptic"]
        assert (after["images"], after["missing"]) == (2, 1)
        assert without_missing(after) == without_missing(before)
        assert {f: per_image(catalog, "dst", f) for f in IMAGE_FIELDS} == src_figures
