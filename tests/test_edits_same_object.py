"""Several operations on one object in one batch (issue #51: a mask drawn, then relabelled
and tagged before saving): they apply in order, the batch is one net change checked against
the object as it was, and one undo takes it back."""

from __future__ import annotations

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog

from .edit_fixtures import objects, rows
from .test_edits_masks import rle, sized_sample
from .test_facet_index import catalog  # noqa: F401 - the fixture
from .test_sample_labels import dataset


def test_operations_on_one_object_apply_in_order_and_undo_as_one(
    catalog: Catalog,  # noqa: F811 - the fixture
) -> None:
    ds = dataset(catalog, "bare")
    sample, width, height = sized_sample(catalog, ds)
    ann = min(
        a for a, o in objects(catalog, ds, "ground_truth").items() if o["sample_id"] == sample
    )
    label = "c3" if objects(catalog, ds)[ann]["label"] != "c3" else "c4"
    before = rows(catalog, ds)
    edits.apply_edits(catalog, "bare", [
        {"op": "move", "annotation_id": ann, "bbox": [1, 2, 20, 10]},
        {"op": "mask", "annotation_id": ann, "segmentation": rle(width, height, 3, 4, 8, 5)},
        {"op": "relabel", "annotation_id": ann, "label": label},
        {"op": "tag", "annotation_id": ann, "tag": "checked"},
    ], "t")  # fmt: skip
    now = objects(catalog, ds)[ann]
    assert (now["label"], now["bbox"], now["tags"]) == (label, [1.0, 2.0, 20.0, 10.0], ["checked"])
    log = [
        o
        for o in edits.edit_log(catalog, "bare")["operations"]
        if o["kind"] == "edit" and o["op"] != "sample_tags"
    ]
    assert [o["op"] for o in log] == ["tag", "relabel", "mask", "move"]  # newest first
    edits.undo(catalog, "bare", "t")
    assert rows(catalog, ds) == before
