"""The edges of what a mask or keypoints edit accepts (issue #51): an edit must change its
object, a polygon's coordinates come in pairs, a mask's polygon points are bounded in all,
a labelled keypoint may sit on the image's far edge and an unlabelled one anywhere, and
``num_keypoints`` counts the labelled points (COCO: ``v > 0``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.edit_fixtures import coco_dataset, first_row, objects
from tests.export_fixtures import coco_source, ingest_source, label_rows
from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.edits.mask_ops import MAX_POLYGON_POINTS, parse_segmentation

from .test_edits_masks import rle, sized_sample
from .test_facet_index import catalog  # noqa: F401 - the fixture
from .test_sample_labels import dataset


def triangles(count: int) -> list[list[float]]:
    """``count`` small triangles, three points each."""
    return [[float(k % 50), 2.0, k % 50 + 5.0, 2.0, float(k % 50), 8.0] for k in range(count)]


def label_rows_of(cat: Catalog, ds: int) -> list[Any]:
    """Every object row of the dataset, in id order."""
    with cat.cursor() as cur:
        return cur.execute(
            "SELECT * FROM annotations WHERE dataset_id = ? ORDER BY ann_id", [ds]
        ).fetchall()


def test_a_polygon_of_an_odd_count_of_numbers_is_refused(
    catalog: Catalog,  # noqa: F811 - the fixture
) -> None:
    ds = dataset(catalog, "bare")
    sample, _, _ = sized_sample(catalog, ds)
    before = label_rows_of(catalog, ds)
    with pytest.raises(edits.EditError, match="at least three points"):
        edits.apply_edits(catalog, "bare", [{"op": "add", "sample_id": sample, "label": "c1",
                          "segmentation": [[1, 1, 20, 1, 20, 12, 1]]}], "t")  # fmt: skip
    assert label_rows_of(catalog, ds) == before


def test_a_mask_holds_at_most_its_count_of_polygon_points() -> None:
    # the bound counts points (coordinate pairs) over every polygon of the mask
    whole = triangles(MAX_POLYGON_POINTS // 3)
    assert len(parse_segmentation(whole, 0)) == MAX_POLYGON_POINTS // 3
    over = triangles(MAX_POLYGON_POINTS // 3 + 1)
    assert sum(len(p) for p in over) // 2 > MAX_POLYGON_POINTS
    with pytest.raises(edits.EditError, match=f"at most {MAX_POLYGON_POINTS} polygon points"):
        parse_segmentation(over, 0)


def keypoint_object(cat: Catalog, ann_id: int | None = None) -> dict[str, Any]:
    """Object ``ann_id`` of ``src`` (None: the first ground-truth one with two labelled
    keypoints or more), with its image's size."""
    return first_row(
        cat,
        "SELECT a.ann_id, a.keypoints, a.num_keypoints, s.width, s.height FROM annotations a "
        "JOIN samples s USING (sample_id) JOIN datasets d ON d.dataset_id = a.dataset_id "
        "WHERE d.name = 'src' AND a.source = 'ground_truth' AND (a.ann_id = ? OR "
        "(? IS NULL AND a.num_keypoints > 1)) ORDER BY a.ann_id LIMIT 1",
        [ann_id, ann_id],
    )


def test_keypoints_on_the_far_edge_and_unlabelled_ones_anywhere_are_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = coco_dataset(tmp_path, capsys, "keypoints")
    before = label_rows(data_dir, "src")
    with Catalog(data_dir) as cat:
        obj = keypoint_object(cat)
        points = list(obj["keypoints"])
        labelled = [k for k in range(0, len(points), 3) if points[k + 2] > 0]
        unlabelled = next(k for k in range(0, len(points), 3) if points[k + 2] == 0)
        # the image's far corner is on it (as a click-to-mask point may be)
        points[labelled[0] : labelled[0] + 2] = [float(obj["width"]), float(obj["height"])]
        # a point not labelled carries no place: its numbers are not checked
        points[unlabelled : unlabelled + 2] = [-30.0, obj["height"] + 30.0]
        points[labelled[1] + 2] = 1.0  # labelled, hidden: still counted
        edits.apply_edits(cat, "src", [{"op": "keypoints", "annotation_id": obj["ann_id"],
                                        "keypoints": points}], "t")  # fmt: skip
        now = keypoint_object(cat, obj["ann_id"])
        assert now["keypoints"] == points
        # COCO's num_keypoints: the points with v > 0
        assert now["num_keypoints"] == sum(1 for v in points[2::3] if v > 0)
        with pytest.raises(edits.EditError, match="lies outside the"):
            beyond = list(points)
            beyond[labelled[0]] = obj["width"] + 0.5
            edits.apply_edits(cat, "src", [{"op": "keypoints", "annotation_id": obj["ann_id"],
                                            "keypoints": beyond}], "t")  # fmt: skip
        edits.undo(cat, "src", "t")
    assert label_rows(data_dir, "src") == before


def test_an_edit_that_changes_nothing_is_refused_and_logs_nothing(
    catalog: Catalog,  # noqa: F811 - the fixture
) -> None:
    ds = dataset(catalog, "bare")
    sample, width, height = sized_sample(catalog, ds)
    ann = min(
        a for a, o in objects(catalog, ds, "ground_truth").items() if o["sample_id"] == sample
    )
    mask = rle(width, height, 2, 3, 6, 5)
    edits.apply_edits(
        catalog, "bare", [{"op": "mask", "annotation_id": ann, "segmentation": mask}], "t"
    )
    before, log = label_rows_of(catalog, ds), edits.edit_log(catalog, "bare")["operations"]
    label = objects(catalog, ds)[ann]["label"]
    for op in (
        {"op": "mask", "annotation_id": ann, "segmentation": mask},  # the mask it has
        {"op": "relabel", "annotation_id": ann, "label": label},
    ):
        with pytest.raises(edits.EditError, match=f"object {ann} would not change"):
            edits.apply_edits(catalog, "bare", [op], "t")
    assert label_rows_of(catalog, ds) == before
    assert edits.edit_log(catalog, "bare")["operations"] == log


def test_a_pose_relabelled_to_another_skeleton_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The points stay with a relabelled object: before, a 17-point pose relabelled to a
    class of 5 points (or of none) was stored with 17 points its class does not name."""
    gt, _ = coco_source(tmp_path / "src", "keypoints")
    five, bare = gt["categories"][1], gt["categories"][2]
    five["keypoints"] = five["keypoints"][:5]
    bare.pop("keypoints")
    bare.pop("skeleton", None)
    for ann in gt["annotations"]:
        if ann["category_id"] == five["id"]:
            ann["keypoints"] = ann["keypoints"][:15]
            ann["num_keypoints"] = sum(1 for v in ann["keypoints"][2::3] if v > 0)
        elif ann["category_id"] == bare["id"]:
            del ann["keypoints"], ann["num_keypoints"]
    (tmp_path / "src" / "gt.json").write_text(json.dumps(gt))
    data_dir = ingest_source(capsys, tmp_path / "src", tmp_path / "vl")
    before = label_rows(data_dir, "src")
    with Catalog(data_dir) as cat:
        pose = first_row(cat, "SELECT ann_id, keypoints FROM annotations WHERE label = ? AND "
                         "source = 'ground_truth' ORDER BY ann_id LIMIT 1",
                         [gt["categories"][0]["name"]])  # fmt: skip
        assert len(pose["keypoints"]) == 3 * 17
        for label, message in (
            (five["name"], f"has 17 keypoints, class '{five['name']}' names 5"),
            (bare["name"], f"has 17 keypoints, class '{bare['name']}' names none"),
        ):
            with pytest.raises(edits.EditError, match=message):
                edits.apply_edits(cat, "src", [{"op": "relabel", "annotation_ids": [pose["ann_id"]],
                                                "label": label}], "t")  # fmt: skip
    assert label_rows(data_dir, "src") == before
