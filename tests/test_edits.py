"""Label edits (visionlens_jlab/edits): one transaction per batch through the single writer,
every derived structure as a rebuild would give it, undo/redo, conflicts, versions."""

from __future__ import annotations

import random
from typing import Any

import pytest

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.evaluate import evaluate_model, list_evaluations

from .edit_fixtures import objects, random_ops, rows
from .test_facet_index import both, catalog  # noqa: F401 - the fixture
from .test_sample_labels import SPECS, builds, dataset, rebuilt_rows, table_rows  # noqa: F401


def counts_agree(cat: Catalog, ds: int) -> None:
    """The dataset's and the model's box counts are the rows'."""
    with cat.cursor() as cur:
        ((stored, counted),) = cur.execute(
            "SELECT num_annotations, (SELECT COUNT(*) FROM annotations a WHERE a.dataset_id = "
            "d.dataset_id AND source = 'ground_truth') FROM datasets d WHERE dataset_id = ?",
            [ds],
        ).fetchall()
        ((predicted, rows_),) = cur.execute(
            "SELECT num_predictions, (SELECT COUNT(*) FROM annotations a WHERE a.dataset_id = "
            "m.dataset_id AND source = m.name) FROM models m WHERE dataset_id = ?",
            [ds],
        ).fetchall()
    assert stored == counted and predicted == rows_


def test_random_batches_read_as_a_rebuild_and_the_sql(
    catalog: Catalog,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
    builds: list[int],  # noqa: F811 - the fixture
) -> None:
    rnd = random.Random(5)
    ds = dataset(catalog, "rich")
    for spec in SPECS:  # the indexes held before the edits
        both(catalog, "rich", spec, monkeypatch)
    assert builds[0] == 1
    for _ in range(4):
        ops = random_ops(rnd, catalog, ds, rnd.randint(1, 30))
        answer = edits.apply_edits(catalog, "rich", ops, "tester")
        assert answer["applied"] == len(ops)
        counts_agree(catalog, ds)
        for spec in SPECS:
            fast, slow = both(catalog, "rich", spec, monkeypatch)
            assert fast == slow, spec
    assert builds[0] == 1  # patched by every edit, never rebuilt
    assert table_rows(catalog, ds) == rebuilt_rows(catalog, ds)


def test_every_operation_kind_and_its_undo_and_redo(catalog: Catalog) -> None:  # noqa: F811
    ds = dataset(catalog, "rich")
    present = objects(catalog, ds)
    gt = sorted(a for a, o in present.items() if o["source"] == "ground_truth")
    pred = min(a for a, o in present.items() if o["source"] == "m1")
    first = present[gt[0]]
    before = rows(catalog, ds)
    base = edits.edit_log(catalog, "rich")["undo"]  # the fixture's sample tags: batch 1
    assert base == 1
    answer = edits.apply_edits(catalog, "rich", [
        {"op": "relabel", "annotation_id": gt[0], "label": "c11" if first["label"] != "c11" else "c10"},
        {"op": "move", "annotation_id": gt[1], "bbox": [1, 2, 3, 4]},
        {"op": "delete", "annotation_id": gt[2]},
        {"op": "add", "sample_id": first["sample_id"], "label": "c3", "bbox": [5, 6, 7, 8]},
        {"op": "accept", "annotation_id": pred},
        {"op": "tag", "annotation_ids": gt[3:6], "tag": "<img src=x onerror=alert(1)>"},
        {"op": "relabel", "annotation_ids": gt[6:9], "label": "c0"},
        {"op": "delete", "annotation_ids": gt[9:11]},
    ], "tester")  # fmt: skip
    after = rows(catalog, ds)
    now = objects(catalog, ds)
    added = answer["added"]
    assert len(added) == 2 and now[added[0]]["label"] == "c3"
    assert (
        now[added[1]]["source"] == "ground_truth"
        and now[added[1]]["label"] == present[pred]["label"]
    )
    assert now[added[1]]["bbox"] == present[pred]["bbox"] and pred in now  # the prediction stays
    assert now[gt[1]]["bbox"] == [1, 2, 3, 4] and gt[2] not in now and gt[9] not in now
    assert now[gt[4]]["tags"] == ["<img src=x onerror=alert(1)>"]
    assert all(now[a]["label"] == "c0" for a in gt[6:9])
    assert answer["annotations"] == len(gt) - 3 + 2
    undone = edits.undo(catalog, "rich", "other")
    assert rows(catalog, ds) == before and undone["kind"] == "undo"
    redone = edits.redo(catalog, "rich", "tester")
    assert rows(catalog, ds) == after and redone["annotations"] == answer["annotations"]
    log = edits.edit_log(catalog, "rich")
    # batch 1, the fixture's sample tags, lists its samples (test_sample_tag_history)
    listed = [o for o in log["operations"] if o["batch"] != base]
    kinds = [(o["batch"], o["kind"], o["user"]) for o in listed]
    assert kinds[0] == (4, "redo", "tester") and kinds[-1] == (2, "edit", "tester")
    assert (3, "undo", "other") in kinds and log["undo"] == 4 and log["redo"] is None
    assert len(listed) == 3 * (5 + 3 + 3 + 2)  # 13 object steps per batch
    assert {o["op"] for o in log["operations"] if o["batch"] == base} == {"sample_tags"}
    edits.undo(catalog, "rich", "tester")
    assert rows(catalog, ds) == before and edits.edit_log(catalog, "rich")["undo"] == base
    counts_agree(catalog, ds)


def nested(depth: int) -> dict[str, Any]:
    """An object ``depth`` levels deep (what a notebook may build; JSON parsers stop first)."""
    out: dict[str, Any] = {}
    for _ in range(depth):
        out = {"a": out}
    return out


BAD_OPERATIONS: list[tuple[dict[str, Any], str]] = [
    ({"op": "relabel", "annotation_id": 0, "label": "c1"}, "no object 0"),
    ({"op": "relabel", "annotation_id": "seven", "label": "c1"}, "non-negative integer"),
    ({"op": "relabel", "annotation_id": "GT", "label": "'; DROP TABLE x"}, "not a class"),
    ({"op": "move", "annotation_id": "GT", "bbox": [0, 0, 1e9, 5]}, "past the image"),
    ({"op": "move", "annotation_id": "GT", "bbox": [0, 0, -1, 5]}, "positive"),
    ({"op": "move", "annotation_id": "GT", "bbox": [0, 0, float("nan"), 5]}, "finite"),
    ({"op": "add", "sample_id": 10**9, "label": "c1", "bbox": [0, 0, 1, 1]}, "no sample"),
    (
        {"op": "add", "sample_id": "SAMPLE", "label": "c1", "bbox": [0, 0, 1, 1], "source": "m9"},
        "no model",
    ),
    ({"op": "accept", "annotation_id": "GT"}, "ground truth already"),
    ({"op": "explode"}, "'op' must be one of"),
    ({"op": "delete", "annotation_id": "GT", "colour": 1}, "unknown keys"),
    ({"op": "delete", "annotation_ids": ["GT", "GT"]}, "twice"),
    ({"op": "tag", "annotation_id": "GT", "tag": "t" * 201}, "at most 200"),
    ({"op": "delete", "annotation_id": 2**64}, "non-negative integer"),
    (
        {
            "op": "add",
            "sample_id": "SAMPLE",
            "label": "c1",
            "bbox": [0, 0, 1, 1],
            "attributes": {"x": float("nan")},
        },
        "cannot be stored as JSON",
    ),
    # hostile input each raised past EditError (a 500 over REST) or read as a conflict
    ({"op": "tag", "annotation_id": "GT", "tag": "x\ud800"}, "not valid Unicode"),
    ({"op": "classify", "sample_id": "SAMPLE", "label": "x\udc80"}, "not valid Unicode"),
    (
        {"op": "add", "sample_id": "SAMPLE", "label": "c1", "bbox": [0, 0, 1, 1],
         "attributes": {"note": "x\ud800"}},
        "cannot be stored as JSON",
    ),
    (
        {"op": "add", "sample_id": "SAMPLE", "label": "c1", "bbox": [0, 0, 1, 1],
         "attributes": nested(5_000)},
        "nested too deeply",
    ),
    (
        {"op": "relabel", "annotation_id": "GT", "label": "c1", "expected": {"label": 5}},
        "'expected.label' must be a string",
    ),
    (
        {"op": "relabel", "annotation_id": "GT", "label": "c1", "expected": {"tags": "ab"}},
        "'expected.tags' must be a list",
    ),
]  # fmt: skip


def test_an_invalid_operation_rejects_the_whole_list(catalog: Catalog) -> None:  # noqa: F811
    ds = dataset(catalog, "bare")
    rnd = random.Random(2)
    ops = random_ops(rnd, catalog, ds, 5)
    taken = {o.get("annotation_id") for o in ops}
    gt = min(a for a, o in objects(catalog, ds, "ground_truth").items() if a not in taken)
    sample = objects(catalog, ds)[gt]["sample_id"]
    before, logged = rows(catalog, ds), edits.edit_log(catalog, "bare")
    for bad, reason in BAD_OPERATIONS:
        bad = {k: {"GT": gt, "SAMPLE": sample}.get(v, v) if isinstance(v, str) else v
               for k, v in bad.items()}  # fmt: skip
        if "annotation_ids" in bad:
            bad["annotation_ids"] = [gt, gt]
        with pytest.raises(edits.EditError, match=reason) as caught:
            edits.apply_edits(catalog, "bare", [*ops[:3], bad, *ops[3:]], "tester")
        assert caught.value.index == 3 and "nothing was written" in str(caught.value)
        assert caught.value.reason in str(caught.value)
    assert rows(catalog, ds) == before
    assert edits.edit_log(catalog, "bare") == logged  # the fixture's sample tags alone
    assert {o["op"] for o in logged["operations"]} == {"sample_tags"}
    with pytest.raises(edits.EditError, match="must be a JSON list"):
        edits.apply_edits(catalog, "bare", {"op": "delete"}, "tester")
    with pytest.raises(edits.EditError, match="empty"):
        edits.apply_edits(catalog, "bare", [], "tester")


def test_a_stale_expected_state_is_a_conflict_never_an_overwrite(
    catalog: Catalog,  # noqa: F811
) -> None:
    ds = dataset(catalog, "bare")
    ann, seen = min(objects(catalog, ds, "ground_truth").items())
    other = "c1" if seen["label"] != "c1" else "c2"
    # tab 1 relabels with what it saw; tab 2, which saw the same, relabels again
    edits.apply_edits(catalog, "bare", [{"op": "relabel", "annotation_id": ann, "label": other,
                                         "expected": {"label": seen["label"]}}], "tab1")  # fmt: skip
    before = rows(catalog, ds)
    with pytest.raises(edits.EditConflict) as caught:
        edits.apply_edits(catalog, "bare", [{"op": "move", "annotation_id": ann,
                                             "bbox": [0, 0, 2, 2],
                                             "expected": {"label": seen["label"],
                                                          "bbox": seen["bbox"]}}], "tab2")  # fmt: skip
    conflict = caught.value.to_dict()["conflict"]
    assert conflict["annotation_id"] == ann and conflict["current"]["label"] == other
    assert conflict["index"] == 0 and rows(catalog, ds) == before
    # the second tab resolves it: it applies again with the state it was shown
    edits.apply_edits(catalog, "bare", [{"op": "move", "annotation_id": ann,
                                         "bbox": [0, 0, 2, 2], "expected": conflict["current"]
                                         and {"label": other}}], "tab2")  # fmt: skip
    # an object deleted meanwhile
    edits.apply_edits(catalog, "bare", [{"op": "delete", "annotation_id": ann}], "tab1")
    with pytest.raises(edits.EditConflict, match="no longer exists"):
        edits.apply_edits(catalog, "bare", [{"op": "relabel", "annotation_id": ann,
                                             "label": "c3", "expected": {"label": other}}],
                          "tab2")  # fmt: skip
    # a change outside the log: the undo refuses rather than overwrite it
    edits.undo(catalog, "bare", "tab1")  # the delete
    with catalog.write(ds) as cur:
        cur.execute("UPDATE annotations SET label = 'c5' WHERE ann_id = ?", [ann])
    with pytest.raises(edits.EditConflict, match=f"object {ann} changed"):
        edits.undo(catalog, "bare", "tab2")


def test_masks_and_keypoints_are_relabelled_deleted_and_restored_exactly(
    catalog: Catalog,  # noqa: F811
) -> None:
    ds = dataset(catalog, "bare")
    ann = min(objects(catalog, ds, "ground_truth"))
    with catalog.write(ds) as cur:  # give the object a mask and keypoints
        cur.execute(
            "UPDATE annotations SET segmentation = '[[1, 1, 5, 1, 5, 5]]', keypoints = "
            "[1.0, 2.0, 2.0, 3.0, 3.0, 1.0], num_keypoints = 2, mask_area = 8 WHERE ann_id = ?",
            [ann],
        )
    before = rows(catalog, ds)
    with pytest.raises(edits.EditError, match=r"beyond its box \(mask, keypoints\)"):
        edits.apply_edits(catalog, "bare", [{"op": "move", "annotation_id": ann,
                                             "bbox": [0, 0, 2, 2]}], "t")  # fmt: skip
    edits.apply_edits(
        catalog, "bare", [{"op": "relabel", "annotation_id": ann, "label": "c9"}], "t"
    )
    edits.apply_edits(catalog, "bare", [{"op": "delete", "annotation_id": ann}], "t")
    edits.undo(catalog, "bare", "t")
    edits.undo(catalog, "bare", "t")
    assert rows(catalog, ds) == before


def expected_diff(old: dict[int, Any], new: dict[int, Any]) -> dict[str, Any]:
    """The diff of two states of the ground truth, by the definition."""
    by_class: dict[str, dict[str, int]] = {}

    def bump(label: str, key: str) -> None:
        counts = by_class.setdefault(
            label, dict.fromkeys(("added", "removed", "relabelled", "moved"), 0)
        )
        counts[key] += 1

    samples = set()
    for ann in old.keys() | new.keys():
        a, b = old.get(ann), new.get(ann)
        if a == b:
            continue
        samples.add((a or b or {})["sample_id"])
        if a is None:
            assert b is not None
            bump(b["label"], "added")
        elif b is None:
            bump(a["label"], "removed")
        else:
            if a["label"] != b["label"]:
                bump(a["label"], "relabelled")
            if a["bbox"] != b["bbox"]:
                bump(b["label"], "moved")
    totals = {
        k: sum(c[k] for c in by_class.values()) for k in ("added", "removed", "relabelled", "moved")
    }
    return {**totals, "samples_changed": len(samples), "by_class": by_class}


def test_versions_diff_and_restore(catalog: Catalog) -> None:  # noqa: F811
    rnd = random.Random(9)
    ds = dataset(catalog, "rich")
    v1 = edits.snapshot(catalog, "rich", "before the fixes", "tester")
    at_v1, rows_v1 = objects(catalog, ds, "ground_truth"), rows(catalog, ds)
    for _ in range(3):
        edits.apply_edits(catalog, "rich", random_ops(rnd, catalog, ds, 25), "tester")
    edits.undo(catalog, "rich", "tester")
    v2 = edits.snapshot(catalog, "rich", "fixed", "tester")
    at_v2, rows_v2 = objects(catalog, ds, "ground_truth"), rows(catalog, ds)
    assert (v1["version"], v2["version"]) == (1, 2) and v2["annotations"] == len(at_v2)
    diff = edits.diff_versions(catalog, "rich", 1, 2)
    assert {k: diff[k] for k in expected_diff(at_v1, at_v2)} == expected_diff(at_v1, at_v2)
    back = edits.diff_versions(catalog, "rich", "current", 1)
    assert {k: back[k] for k in expected_diff(at_v2, at_v1)} == expected_diff(at_v2, at_v1)
    assert diff["added"] > 0 and diff["removed"] > 0 and diff["relabelled"] > 0
    edits.restore_version(catalog, "rich", 1, "tester")
    assert (
        rows(catalog, ds) == rows_v1
        and edits.diff_versions(catalog, "rich", 1, "current")["samples_changed"] == 0
    )
    counts_agree(catalog, ds)
    edits.undo(catalog, "rich", "tester")  # a restore is undone like an edit
    assert rows(catalog, ds) == rows_v2
    with pytest.raises(edits.EditError, match="already as they were"):
        edits.restore_version(catalog, "rich", 2, "tester")
    assert [v["message"] for v in edits.list_versions(catalog, "rich")] == [
        "before the fixes",
        "fixed",
    ]


def test_evaluations_say_they_are_stale_after_an_edit(catalog: Catalog) -> None:  # noqa: F811
    ds = dataset(catalog, "bare")
    assert [e["stale"] for e in list_evaluations(catalog, "bare")] == [False]
    ann = min(objects(catalog, ds, "ground_truth"))
    edits.apply_edits(catalog, "bare", [{"op": "delete", "annotation_id": ann}], "t")
    (listed,) = list_evaluations(catalog, "bare")
    assert listed["stale"] and listed["edited_since"]
    evaluate_model(catalog, "bare", "m1")
    assert [e["stale"] for e in list_evaluations(catalog, "bare")] == [False]


def test_an_edit_of_a_dataset_without_box_attributes_keeps_every_part_exact(
    catalog: Catalog,  # noqa: F811 - the fixture
) -> None:
    """Its (empty) attributes part is stored without a pass over the samples."""
    ds = dataset(catalog, "bare")
    with catalog.cursor() as cur:
        cur.execute("DELETE FROM facet_parts WHERE dataset_id = ? AND part = 'attributes'", [ds])
    edits.apply_edits(catalog, "bare", random_ops(random.Random(2), catalog, ds, 20), "t")
    assert table_rows(catalog, ds) == rebuilt_rows(catalog, ds)
