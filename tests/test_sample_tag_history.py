"""Sample tags in the operation log: a tag write is one batch (undone, redone), a version
names the tags of its moment (diff, restore, browse), and a change the batch did not expect
is a conflict."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any

import pytest

from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.writes.sample_tags import update_tags

from .edit_fixtures import random_ops
from .test_facet_index import catalog  # noqa: F401 - the fixture
from .test_sample_labels import dataset

NAME = "bare"
TAGGED = {"tags": {"any": ["x", "t1"]}}


def tags_of(cat: Catalog, ds: int) -> dict[int, list[str]]:
    """Every sample's tags (sorted) by id."""
    with cat.cursor() as cur:
        rows = cur.execute(
            "SELECT sample_id, list_sort(tags) FROM samples WHERE dataset_id = ?", [ds]
        ).fetchall()
    return {int(s): list(t) for s, t in rows}


def views(cat: Catalog, version: int | None = None) -> list[Any]:
    """What the grid shows of the tags: the tagged samples' page, and the tags facet."""
    page = queries.samples_page(cat, NAME, TAGGED, limit=500, version=version)
    facets = queries.facets(cat, NAME, {}, version=version)["facets"]
    ids = [s["sample_id"] for s in page["samples"]]
    shown = {s["sample_id"]: sorted(s["tags"]) for s in page["samples"]}
    return [page["total"], ids, shown, [f for f in facets if f["name"] == "tags"]]


def tag_diff(a: dict[int, list[str]], b: dict[int, list[str]]) -> tuple[int, int, set[int]]:
    """Sample tags added and removed from ``a`` to ``b``, and the samples that changed."""
    added = sum(len(set(b[s]) - set(a[s])) for s in a)
    removed = sum(len(set(a[s]) - set(b[s])) for s in a)
    return added, removed, {s for s in a if set(a[s]) != set(b[s])}


def test_a_tag_write_is_one_batch_undone_and_redone(catalog: Catalog) -> None:  # noqa: F811
    ds = dataset(catalog, NAME)
    before, shown = tags_of(catalog, ds), views(catalog)
    undo_before = edits.edit_log(catalog, NAME)["undo"]
    some = {"ids": sorted(before)[:120]}
    matched = update_tags(catalog, NAME, some, add=["x"], remove=["t1"], user="ann")
    after = tags_of(catalog, ds)
    assert matched > 0 and after != before
    with catalog.cursor() as cur:
        ((batch, kind, user, first, last),) = cur.execute(
            "SELECT batch_id, kind, user_name, first_seq, last_seq FROM edit_batches "
            "WHERE dataset_id = ? ORDER BY batch_id DESC LIMIT 1",
            [ds],
        ).fetchall()
        logged = cur.execute(
            "SELECT COUNT(*) FROM sample_tag_ops WHERE dataset_id = ? AND batch_id = ?",
            [ds, batch],
        ).fetchall()
    assert (kind, user) == ("edit", "ann") and batch != undo_before
    assert logged == [(len(tag_diff(before, after)[2]),)] == [(last - first + 1,)]
    # a write that changes nothing logs nothing
    update_tags(catalog, NAME, some, add=["x"])
    assert edits.edit_log(catalog, NAME)["undo"] == batch
    undone = edits.undo(catalog, NAME, "bob")
    assert tags_of(catalog, ds) == before and undone["inverted"] == batch
    assert views(catalog) == shown  # the tags facet and filter follow (derived and held)
    edits.redo(catalog, NAME, "bob")
    assert tags_of(catalog, ds) == after


def test_the_edit_log_lists_each_sample_a_tag_batch_changed(catalog: Catalog) -> None:  # noqa: F811
    ds = dataset(catalog, NAME)
    before = tags_of(catalog, ds)
    some = {"ids": sorted(before)[:40]}
    update_tags(catalog, NAME, some, add=["x"], remove=["t1"], user="ann")
    after = tags_of(catalog, ds)
    edited = edits.apply_edits(catalog, NAME, random_ops(random.Random(4), catalog, ds, 1), "bob")
    log = edits.edit_log(catalog, NAME)["operations"]
    seqs = [o["seq"] for o in log]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
    assert log[0]["batch"] == edited["batch"] and log[0]["op"] != "sample_tags"
    tagged = [o for o in log if o["batch"] == edited["batch"] - 1]
    changed = tag_diff(before, after)[2]
    assert changed and {o["sample_id"] for o in tagged} == changed
    for o in tagged:
        sid = o["sample_id"]
        assert (o["op"], o["kind"], o["user"], o["annotation_id"], o["source"]) == (
            "sample_tags", "edit", "ann", None, None)  # fmt: skip
        assert sorted(o["before"]["tags"]) == before[sid] and o["before"]["sample_id"] == sid
        assert sorted(o["after"]["tags"]) == after[sid] and o["after"]["sample_id"] == sid
        assert datetime.fromisoformat(o["created_at"]) <= datetime.now(timezone.utc).replace(
            tzinfo=None
        )
    # paging back from the object row reaches the tag rows, newest first
    page = edits.edit_log(catalog, NAME, limit=2, before_seq=log[0]["seq"])["operations"]
    assert page == tagged[:2]
    edits.undo(catalog, NAME, "cy")  # the object edit
    undone = edits.undo(catalog, NAME, "cy")  # the tags: the undo lists them swapped
    back = [o for o in edits.edit_log(catalog, NAME)["operations"] if o["batch"] == undone["batch"]]
    assert {
        (o["sample_id"], tuple(o["before"]["tags"]), tuple(o["after"]["tags"])) for o in back
    } == {(o["sample_id"], tuple(o["after"]["tags"]), tuple(o["before"]["tags"])) for o in tagged}
    assert {(o["kind"], o["user"]) for o in back} == {("undo", "cy")}
    assert tags_of(catalog, ds) == before


def test_a_version_diffs_restores_and_browses_the_sample_tags(
    catalog: Catalog,  # noqa: F811 - the fixture
) -> None:
    ds = dataset(catalog, NAME)
    rnd = random.Random(3)
    v1 = edits.snapshot(catalog, NAME, "before", "u")["version"]
    at_v1, shown_v1 = tags_of(catalog, ds), views(catalog)
    ids = sorted(at_v1)
    update_tags(catalog, NAME, {"ids": ids[::3]}, add=["x"])
    update_tags(catalog, NAME, {"ids": ids[::5]}, remove=["t1"])
    answer = edits.apply_edits(catalog, NAME, random_ops(rnd, catalog, ds, 10), "u")
    now = tags_of(catalog, ds)
    added, removed, tag_samples = tag_diff(at_v1, now)
    assert added and removed
    diff = edits.diff_versions(catalog, NAME, v1, "current")
    assert diff["sample_tags"] == {"added": added, "removed": removed}
    back = edits.diff_versions(catalog, NAME, "current", v1)
    assert back["sample_tags"] == {"added": removed, "removed": added}
    edited = set(answer["sample_ids"])  # every op here changes its object (with a label)
    assert diff["samples_changed"] == len(tag_samples | edited) == back["samples_changed"]
    shown_now = views(catalog)
    assert shown_now != shown_v1
    assert views(catalog, v1) == shown_v1  # browsed: copied, then read from the copy
    assert views(catalog, v1) == shown_v1 and views(catalog) == shown_now
    edits.restore_version(catalog, NAME, v1, "u")
    assert tags_of(catalog, ds) == at_v1 and views(catalog) == shown_v1
    assert edits.diff_versions(catalog, NAME, v1, "current")["samples_changed"] == 0
    edits.undo(catalog, NAME, "u")  # the restore is one batch: undone as one
    assert tags_of(catalog, ds) == now
    v2 = edits.snapshot(catalog, NAME, "after", "u")["version"]
    edits.restore_version(catalog, NAME, v1, "u")
    path = catalog.data_dir
    catalog.close()
    with Catalog(path, read_only=True) as folded:  # v2 never browsed: the fold's own views
        assert views(folded, v2) == shown_now and views(folded) == shown_v1


def test_a_sample_whose_tags_changed_outside_the_batch_is_a_conflict(
    catalog: Catalog,  # noqa: F811 - the fixture
) -> None:
    ds = dataset(catalog, NAME)
    first, second = sorted(tags_of(catalog, ds))[:2]
    update_tags(catalog, NAME, {"ids": [first, second]}, add=["x"])
    before = tags_of(catalog, ds)
    with catalog.write(ds) as cur:  # what no writer of the package does: a change unlogged
        cur.execute("UPDATE samples SET tags = ['y'] WHERE sample_id = ?", [first])
    with pytest.raises(edits.SampleTagConflict, match=f"tags of sample {first} changed since"):
        edits.undo(catalog, NAME, "u")
    assert tags_of(catalog, ds)[second] == before[second]  # nothing written
