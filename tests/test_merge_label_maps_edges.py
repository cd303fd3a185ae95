"""Merges of label maps the other tests do not reach (visionlens_jlab/bulk/merge_label_maps.py).

A merge that brings label maps makes what was computed over the target's masks stale, and
one that brings none leaves it fresh (the import time of each source that gained masks
moves to the merge's): the target's label quality run of model ``net`` is the result
checked; a matched sample gaining its ``net`` mask (no sample added, none removed, so only
the masks' import time can tell) makes it stale, and the target keeps one encoding of
``net``. A dataset without label maps merges into one with them and the other way round
(no classes to differ); a model holding both kinds in both datasets (an earlier VisionLens)
is not the merge's doing and merges. A refusal for classes names the first three that
differ and how many more, and a class that is a thing in one and stuff in the other."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from visionlens_jlab.bulk.merge import check_merge, merge_datasets
from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.label_quality import stored
from visionlens_jlab.label_quality.job import run_label_quality
from visionlens_jlab.semantic.classes import VOC_CLASSES
from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
from visionlens_jlab.semantic.layouts import open_semantic
from visionlens_jlab.semantic.panoptic import ingest_panoptic

from .ingest_fixtures import ingest
from .test_merge_label_maps import panoptic_part, voc_part


def _target(tmp_path: Path, catalog: Catalog) -> None:
    """``dst``: images 0 and 2, model ``net`` on image 2 only, its label quality run."""
    voc, preds = voc_part(tmp_path / "dst", {0, 2})
    (preds / "2007_000000.png").unlink()
    ingest_semantic(catalog, "dst", open_semantic(str(voc)))
    ingest_semantic_predictions(catalog, "dst", "net", str(preds))
    run_label_quality(catalog, "dst", "net")
    assert stored(catalog, "dst", "net")["stale"] is False


def test_a_mask_gained_by_a_matched_sample_makes_the_targets_run_stale(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog:
        _target(tmp_path, catalog)
        voc, preds = voc_part(tmp_path / "src", {0})  # image 0 with its net mask
        ingest_semantic(catalog, "src", open_semantic(str(voc)))
        ingest_semantic_predictions(catalog, "src", "net", str(preds))
        result = merge_datasets(catalog, "src", "dst", "file_name")
        assert (result.matched, result.added) == (1, 0)
        assert result.label_maps == {"ground_truth": {"copied": 0, "kept": 1},
                                     "net": {"copied": 1, "kept": 0}}  # fmt: skip
        answer = stored(catalog, "dst", "net")
        assert answer["stale"] is True and answer["samples_removed"] == 0
        with catalog.cursor() as cur:
            encodings = cur.execute(
                "SELECT e.source, count(*) FROM semantic_sources e JOIN datasets USING (dataset_id) "
                "WHERE name = 'dst' GROUP BY e.source ORDER BY e.source"
            ).fetchall()
        assert encodings == [("ground_truth", 1), ("net", 1)]


def test_a_merge_whose_masks_are_all_kept_leaves_the_targets_run_fresh(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog:
        _target(tmp_path, catalog)
        voc, _ = voc_part(tmp_path / "src", {0, 2})  # the target's images, no model
        ingest_semantic(catalog, "src", open_semantic(str(voc)))
        result = merge_datasets(catalog, "src", "dst", "file_name")
        assert (result.matched, result.added) == (2, 0)
        assert result.label_maps == {"ground_truth": {"copied": 0, "kept": 2}}
        assert stored(catalog, "dst", "net")["stale"] is False


@pytest.mark.parametrize("direction", ["masks into plain", "plain into masks"])
def test_a_dataset_without_label_maps_merges_with_one_that_has_them(
    tmp_path: Path, direction: str
) -> None:
    with Catalog(tmp_path / "data") as catalog:
        voc, _ = voc_part(tmp_path / "voc", {0, 1})
        ingest_semantic(catalog, "masks", open_semantic(str(voc)))
        plain = tmp_path / "plain"  # the images as a classification tree, other file names
        for i, label in enumerate(("cat", "dog")):
            (plain / label).mkdir(parents=True)
            shutil.copy(voc / "JPEGImages" / f"2007_{i:06d}.jpg", plain / label)
        ingest(catalog, "plain", plain)
        src, dst = direction.split(" into ")
        result = merge_datasets(catalog, src, dst, "file_name")
        assert (result.matched, result.added) == (0, 2)
        copied = 2 if src == "masks" else 0
        assert result.label_maps == ({"ground_truth": {"copied": 2, "kept": 0}} if copied else {})


def _mix(catalog: Catalog, name: str, preds: Path) -> None:
    """``net`` with label maps and boxes on ``name``, as the imports before the rule wrote
    them (the boxes' rows written directly: the import refuses them now)."""
    ingest_semantic_predictions(catalog, name, "net", str(preds))
    with catalog.write() as cur:
        cur.execute(
            "INSERT INTO annotations (ann_id, sample_id, dataset_id, source, label, x, y, w, h, "
            "score, area, iscrowd, difficult) SELECT 900000 + sample_id, sample_id, dataset_id, "
            "'net', 'aeroplane', 1, 2, 8, 6, 0.9, 48, FALSE, FALSE FROM samples s "
            "WHERE dataset_id = (SELECT dataset_id FROM datasets WHERE name = ?)",
            [name],
        )


def test_a_model_of_both_kinds_in_both_datasets_merges(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog:
        for name, keep in (("src", {0, 1}), ("dst", {0, 2})):
            voc, preds = voc_part(tmp_path / name, keep)
            ingest_semantic(catalog, name, open_semantic(str(voc)))
            _mix(catalog, name, preds)
        check_merge(catalog, "src", "dst", "file_name")
        assert merge_datasets(catalog, "src", "dst", "file_name").added == 1


def test_a_target_mixed_already_takes_a_model_of_one_kind(tmp_path: Path) -> None:
    """The mix is the target's own (an earlier VisionLens), not the merge's doing: a source
    whose ``net`` holds label maps alone merges into it; a source holding both is refused
    into a target of one kind, which the merge would mix."""
    with Catalog(tmp_path / "data") as catalog:
        for name, keep in (("src", {0, 1}), ("dst", {0, 2}), ("one", {0, 2})):
            voc, preds = voc_part(tmp_path / name, keep)
            ingest_semantic(catalog, name, open_semantic(str(voc)))
            if name == "one":
                ingest_semantic_predictions(catalog, name, "net", str(preds))
            else:
                _mix(catalog, name, preds)
        check_merge(catalog, "one", "dst", "file_name")
        with pytest.raises(CatalogError, match="model 'net' holds label maps in"):
            check_merge(catalog, "src", "one", "file_name")
        assert merge_datasets(catalog, "one", "dst", "file_name").added == 0


def test_a_class_refusal_names_three_classes_then_how_many_more(tmp_path: Path) -> None:
    renamed = {1, 2, 3, 4}  # aeroplane .. boat: one past the three shown
    with Catalog(tmp_path / "data") as catalog:
        voc, _ = voc_part(tmp_path / "a", {0, 1})
        ingest_semantic(catalog, "src", open_semantic(str(voc)))
        voc, _ = voc_part(tmp_path / "b", {0, 2})
        names = tmp_path / "classes.txt"
        names.write_text(
            "\n".join(f"x{i}" if i in renamed else n for i, n in enumerate(VOC_CLASSES))
        )
        ingest_semantic(catalog, "dst", open_semantic(str(voc), class_file=str(names)))
        with pytest.raises(CatalogError) as refused:
            check_merge(catalog, "src", "dst", "file_name")
    message = str(refused.value)
    shown = "; ".join(
        f"class {i} is {VOC_CLASSES[i]!r} in 'src', 'x{i}' in 'dst'" for i in (1, 2, 3)
    )
    assert f"({shown} and 1 more)" in message, message
    assert "class 4" not in message


def test_a_class_refusal_names_a_thing_against_stuff(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog:
        files = panoptic_part(tmp_path / "a", {0, 1})
        ingest_panoptic(catalog, "src", str(files["gt_json"]), None, str(files["images"]))
        files = panoptic_part(tmp_path / "b", {0, 2})
        data = json.loads(files["gt_json"].read_text())
        person = next(c for c in data["categories"] if c["name"] == "person")
        assert person["isthing"] == 1
        person["isthing"] = 0
        files["gt_json"].write_text(json.dumps(data))
        ingest_panoptic(catalog, "dst", str(files["gt_json"]), None, str(files["images"]))
        pattern = r"class \d+ is 'person' as a thing in 'src', 'person' as a stuff in 'dst'"
        with pytest.raises(CatalogError, match=pattern):
            check_merge(catalog, "src", "dst", "file_name")
