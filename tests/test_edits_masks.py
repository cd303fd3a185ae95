"""Masks through the edit log: an object added with a mask, an existing object's mask set
(click-to-mask's accept), undo and redo back to the exact rows, conflicts, and every bad
mask refused with nothing written."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.edits.mask_ops import compressed_counts_problem

from .edit_fixtures import objects, rows
from .test_facet_index import catalog  # noqa: F401 - the fixture
from .test_sample_labels import dataset


def sized_sample(cat: Catalog, ds: int) -> tuple[int, int, int]:
    """A sample with a recorded size and a ground-truth box: ``(sample_id, width, height)``."""
    with cat.cursor() as cur:
        ((sample, width, height),) = cur.execute(
            "SELECT sample_id, width, height FROM samples s WHERE dataset_id = ? AND width > 40 "
            "AND height > 40 AND EXISTS (SELECT 1 FROM annotations a WHERE a.sample_id = "
            "s.sample_id AND a.source = 'ground_truth' AND a.segmentation IS NULL) "
            "ORDER BY sample_id LIMIT 1",
            [ds],
        ).fetchall()
    return int(sample), int(width), int(height)


def rle(width: int, height: int, x: int, y: int, w: int, h: int) -> dict[str, Any]:
    """The compressed RLE (as click-to-mask answers it) of a filled rectangle."""
    pixels = np.zeros((height, width), dtype=np.uint8)
    pixels[y : y + h, x : x + w] = 1
    encoded = mask_utils.encode(np.asfortranarray(pixels))
    return {"size": [height, width], "counts": encoded["counts"].decode("ascii")}


def stored(cat: Catalog, ann: int) -> tuple[Any, Any, list[float]]:
    with cat.cursor() as cur:
        ((seg, area, box),) = cur.execute(
            "SELECT segmentation, mask_area, [x, y, w, h] FROM annotations WHERE ann_id = ?",
            [ann],
        ).fetchall()
    return (json.loads(seg) if seg is not None else None), area, box


def test_a_mask_added_and_set_undoes_and_redoes_to_the_exact_rows(
    catalog: Catalog,  # noqa: F811 - the fixture
) -> None:
    ds = dataset(catalog, "bare")
    sample, width, height = sized_sample(catalog, ds)
    before = rows(catalog, ds)
    mask = rle(width, height, 3, 4, 10, 7)
    answer = edits.apply_edits(catalog, "bare", [
        {"op": "add", "sample_id": sample, "label": "c1", "segmentation": mask}], "t")  # fmt: skip
    (added,) = answer["added"]
    seg, area, box = stored(catalog, added)
    assert seg == mask and area == 70.0 and box == [3.0, 4.0, 10.0, 7.0]  # the box: its extent
    # a polygon, with a box of its own
    polygon = [[1.0, 1.0, 20.0, 1.0, 20.0, 12.0]]
    answer = edits.apply_edits(catalog, "bare", [
        {"op": "add", "sample_id": sample, "label": "c2", "bbox": [0, 0, 25, 15],
         "segmentation": polygon}], "t")  # fmt: skip
    seg, area, box = stored(catalog, answer["added"][0])
    assert seg == polygon and box == [0.0, 0.0, 25.0, 15.0]
    assert area == float(
        mask_utils.area(mask_utils.merge(mask_utils.frPyObjects(polygon, height, width)))
    )
    after_adds = rows(catalog, ds)
    # the mask of an existing box (no mask yet) is set; its box stays
    ann = min(
        a for a, o in objects(catalog, ds, "ground_truth").items() if o["sample_id"] == sample
    )
    old_seg, _, old_box = stored(catalog, ann)
    assert old_seg is None
    other = rle(width, height, 0, 0, 5, 5)
    edits.apply_edits(
        catalog, "bare", [{"op": "mask", "annotation_id": ann, "segmentation": other}], "t"
    )
    seg, area, box = stored(catalog, ann)
    assert seg == other and area == 25.0 and box == old_box
    # one undo per batch, back to the exact rows; a redo forward again
    edits.undo(catalog, "bare", "t")
    assert rows(catalog, ds) == after_adds
    edits.redo(catalog, "bare", "t")
    assert stored(catalog, ann)[0] == other
    for _ in range(3):
        edits.undo(catalog, "bare", "t")
    assert rows(catalog, ds) == before
    logged = [(row["kind"], row["op"]) for row in edits.edit_log(catalog, "bare")["operations"]
              if row["kind"] == "edit" and row["op"] != "sample_tags"]  # fmt: skip
    assert logged == [("edit", "mask"), ("edit", "add"), ("edit", "add")]  # newest first


def test_a_stale_mask_edit_is_a_conflict(catalog: Catalog) -> None:  # noqa: F811
    ds = dataset(catalog, "bare")
    sample, width, height = sized_sample(catalog, ds)
    ann, seen = min((a, o) for a, o in objects(catalog, ds, "ground_truth").items()
                    if o["sample_id"] == sample)  # fmt: skip
    edits.apply_edits(catalog, "bare", [{"op": "relabel", "annotation_id": ann, "label":
                      "c7" if seen["label"] != "c7" else "c8"}], "tab1")  # fmt: skip
    before = rows(catalog, ds)
    with pytest.raises(edits.EditConflict):
        edits.apply_edits(catalog, "bare", [{"op": "mask", "annotation_id": ann,
                          "segmentation": rle(width, height, 0, 0, 4, 4),
                          "expected": {"label": seen["label"]}}], "tab2")  # fmt: skip
    assert rows(catalog, ds) == before


@pytest.mark.parametrize(
    ("segmentation", "message"),
    [
        ("wrong size", "the mask is"),
        ({"size": [2, 2], "counts": [1, 2]}, "run lengths sum to 3"),
        ({"size": [2, 2]}, "not a readable RLE"),
        ([[1, 1, 5, 1]], "at least three points"),
        ([[-5, 1, 5, 1, 5, 5]], "outside the"),
        ([[1, 1, 10, 10, 10, 1, 1, 10]], "crosses itself"),
        ([[1, 1, 2, 2, 3, 3]], "encloses no area"),
        ("empty", "covers no pixel"),
        ([], "non-empty list of polygons"),
        # compressed text pycocotools reads without bounds: before, each was stored
        ("runs short", "run lengths sum to"),
        ("text cut", "counts end inside a run length"),
        ("not rle text", "outside COCO's RLE text"),
    ],
)
def test_a_bad_mask_is_refused_and_nothing_is_written(
    catalog: Catalog,  # noqa: F811
    segmentation: Any,
    message: str,
) -> None:
    ds = dataset(catalog, "bare")
    sample, width, height = sized_sample(catalog, ds)
    if segmentation == "wrong size":
        segmentation = rle(width + 1, height, 0, 0, 3, 3)
    elif segmentation == "empty":
        segmentation = rle(width, height, 0, 0, 0, 0)
    elif segmentation == "runs short":  # a narrower image's runs under this image's size
        segmentation = {**rle(width - 1, height, 0, 0, 3, 3), "size": [height, width]}
    elif segmentation == "text cut":  # 'a' carries the bit "the run length goes on"
        segmentation = {
            "size": [height, width],
            "counts": rle(width, height, 0, 0, 3, 3)["counts"] + "a",
        }
    elif segmentation == "not rle text":
        segmentation = {"size": [height, width], "counts": "zz~~"}
    ann = min(
        a for a, o in objects(catalog, ds, "ground_truth").items() if o["sample_id"] == sample
    )
    before = rows(catalog, ds)
    for op in (
        {"op": "add", "sample_id": sample, "label": "c1", "segmentation": segmentation},
        {"op": "mask", "annotation_id": ann, "segmentation": segmentation},
    ):
        with pytest.raises(edits.EditError, match=message):
            edits.apply_edits(catalog, "bare", [op], "t")
    assert rows(catalog, ds) == before


def test_an_add_needs_a_box_or_a_mask(catalog: Catalog) -> None:  # noqa: F811
    ds = dataset(catalog, "bare")
    sample, _, _ = sized_sample(catalog, ds)
    with pytest.raises(edits.EditError, match="'bbox' is required"):
        edits.apply_edits(catalog, "bare", [{"op": "add", "sample_id": sample, "label": "c1"}], "t")


def test_every_mask_pycocotools_encodes_reads_as_itself() -> None:
    """The compressed text's check decodes what pycocotools writes (random masks, empty and
    full ones, runs long enough to take several characters) and refuses another size."""
    rng = np.random.default_rng(0)
    for k in range(200):
        height, width = (int(v) for v in rng.integers(1, 400, 2))
        pixels = (rng.random((height, width)) < rng.random()).astype(np.uint8)
        if k % 4 == 0:  # long runs: a few rectangles
            pixels[:] = k % 8 == 0
            pixels[rng.integers(0, height) :, rng.integers(0, width) :] = 1
        counts = mask_utils.encode(np.asfortranarray(pixels))["counts"].decode("ascii")
        assert compressed_counts_problem(counts, [height, width]) is None
        assert "sum to" in str(compressed_counts_problem(counts, [height + 1, width]))
