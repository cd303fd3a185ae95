"""Image-level labels through the edit log (issue #51): ``classify`` and ``unclassify`` are
one batch per call (undone, redone, restored to a version), a version browses the image
labels of its moment, a diff counts them, the facets follow, a change the caller did not
expect is a conflict and bad input writes nothing; the CLI's ``edit --ops``, an export
and a re-ingest, and the schema step that brought the log's table (27)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.export_fixtures import ingest_cli, run_cli
from tests.ingest_fixtures import ingest, tiny_jpeg
from visionlens_jlab import edits
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.reads.result_basis import basis, staleness
from visionlens_jlab.catalog.store.registry import latest_version

NAME = "pets"
FILES = {
    "train/cat/a.jpg": "cat", "train/cat/b.jpg": "cat", "train/dog/c.jpg": "dog",
    "val/bird/d.jpg": "bird", "val/dog/e.jpg": "dog",
}  # fmt: skip
CATS = {"classifications": [{"source": "ground_truth", "classes": ["cat"]}]}


def write_tree(root: Path, files: dict[str, str] = FILES) -> Path:
    """A folder-per-class tree of tiny images (the classification format)."""
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(tiny_jpeg(32, 24))
    return root


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with Catalog(tmp_path / "data") as cat:
        ingest(cat, NAME, write_tree(tmp_path / "tree"))
        yield cat


def ids(cat: Catalog) -> dict[str, int]:
    """Each sample's id by its base file name."""
    with cat.cursor() as cur:
        rows = cur.execute("SELECT file_name, sample_id FROM samples").fetchall()
    return {f.rsplit("/", 1)[-1]: int(i) for f, i in rows}


def rows(cat: Catalog) -> list[tuple[Any, ...]]:
    """Every row of ``classifications``, exactly."""
    with cat.cursor() as cur:
        return cur.execute(
            "SELECT dataset_id, sample_id, source, label, score, CAST(scores AS VARCHAR) "
            "FROM classifications ORDER BY ALL"
        ).fetchall()


def labels(cat: Catalog, version: int | None = None) -> dict[int, list[str]]:
    """What the grid shows: each sample's ground-truth image labels (at ``version``)."""
    page = queries.samples_page(cat, NAME, None, limit=50, version=version)
    return {
        s["sample_id"]: sorted(c["label"] for c in s["classifications"]
                               if c["source"] == "ground_truth")
        for s in page["samples"]
    }  # fmt: skip


def facet(cat: Catalog, version: int | None = None) -> dict[str, int]:
    """The ground truth's classification facet: count per class."""
    entries = queries.facets(cat, NAME, {}, version=version)["facets"]
    (entry,) = [
        f for f in entries if f["name"] == "classification" and f["source"] == "ground_truth"
    ]
    return {v["value"]: v["count"] for v in entry["values"]}


def test_set_change_remove_then_undo_and_redo_restore_the_exact_rows(catalog: Catalog) -> None:
    sid = ids(catalog)
    before, shown = rows(catalog), labels(catalog)
    assert facet(catalog) == {"cat": 2, "dog": 2, "bird": 1}
    ops = [
        {"op": "classify", "sample_id": sid["a.jpg"], "label": "dog", "expected": {"labels": ["cat"]}},
        {"op": "classify", "sample_id": sid["c.jpg"], "labels": ["dog", "cat"]},
        {"op": "unclassify", "sample_id": sid["d.jpg"]},
        {"op": "unclassify", "sample_id": sid["e.jpg"], "label": "dog"},
    ]  # fmt: skip
    done = edits.apply_edits(catalog, NAME, ops, "ann")
    assert done["applied"] == 4 and done["kind"] == "edit"
    assert done["sample_ids"] == sorted(sid[f] for f in ("a.jpg", "c.jpg", "d.jpg", "e.jpg"))
    after = labels(catalog)
    assert after == {
        **shown, sid["a.jpg"]: ["dog"], sid["c.jpg"]: ["cat", "dog"],
        sid["d.jpg"]: [], sid["e.jpg"]: [],
    }  # fmt: skip
    assert facet(catalog) == {"cat": 2, "dog": 2}  # b and c's cat; a and c's dog
    assert queries.samples_page(catalog, NAME, CATS, limit=0)["total"] == 2
    edited = rows(catalog)
    log = edits.edit_log(catalog, NAME)
    assert [o["op"] for o in log["operations"]] == ["image_labels"] * 4
    assert {o["batch"] for o in log["operations"]} == {done["batch"]}
    first = log["operations"][-1]
    assert first["before"] == {
        "sample_id": sid["a.jpg"],
        "source": "ground_truth",
        "labels": ["cat"],
    }
    assert first["after"] == {
        "sample_id": sid["a.jpg"],
        "source": "ground_truth",
        "labels": ["dog"],
    }
    assert log["undo"] == done["batch"]

    undone = edits.undo(catalog, NAME, "ann")
    assert undone["inverted"] == done["batch"] and undone["applied"] == 4
    assert rows(catalog) == before and labels(catalog) == shown
    assert facet(catalog) == {"cat": 2, "dog": 2, "bird": 1}
    edits.redo(catalog, NAME, "ann")
    assert rows(catalog) == edited and facet(catalog) == {"cat": 2, "dog": 2}


def test_a_version_browses_diffs_and_restores_the_image_labels_of_its_moment(
    catalog: Catalog,
) -> None:
    sid = ids(catalog)
    before, shown = rows(catalog), labels(catalog)
    version = edits.snapshot(catalog, NAME, "as ingested", "ann")["version"]
    edits.apply_edits(
        catalog, NAME, [{"op": "classify", "sample_id": sid["a.jpg"], "label": "bird"}], "ann"
    )
    edits.apply_edits(catalog, NAME, [{"op": "unclassify", "sample_id": sid["b.jpg"]}], "ann")
    # a version browsed twice: the fold of the log, then the copy the first browse wrote
    for _ in range(2):
        assert labels(catalog, version) == shown
        assert facet(catalog, version) == {"cat": 2, "dog": 2, "bird": 1}
        assert queries.samples_page(catalog, NAME, CATS, limit=0, version=version)["total"] == 2
    assert facet(catalog) == {"bird": 2, "dog": 2}
    assert queries.samples_page(catalog, NAME, CATS, limit=0)["total"] == 0

    diff = edits.diff_versions(catalog, NAME, version, "current")
    assert diff["image_labels"] == {
        "added": 1, "removed": 2,
        "by_class": {"bird": {"added": 1, "removed": 0}, "cat": {"added": 0, "removed": 2}},
    }  # fmt: skip
    assert diff["samples_changed"] == 2 and diff["added"] == diff["removed"] == 0
    back = edits.diff_versions(catalog, NAME, "current", version)["image_labels"]
    assert (back["added"], back["removed"]) == (2, 1)

    restored = edits.restore_version(catalog, NAME, version, "ann")
    assert restored["kind"] == "restore" and restored["applied"] == 2
    assert rows(catalog) == before and facet(catalog) == {"cat": 2, "dog": 2, "bird": 1}
    assert edits.diff_versions(catalog, NAME, version, "current")["image_labels"]["added"] == 0
    edits.undo(catalog, NAME, "ann")  # the restore is a batch: undone like any other
    assert labels(catalog)[sid["a.jpg"]] == ["bird"] and labels(catalog)[sid["b.jpg"]] == []


def test_a_conflict_is_refused_and_writes_nothing(catalog: Catalog) -> None:
    sid = ids(catalog)
    before = rows(catalog)
    log = edits.edit_log(catalog, NAME)["operations"]
    stale = [
        {"op": "classify", "sample_id": sid["c.jpg"], "label": "cat"},  # valid, not written
        {"op": "classify", "sample_id": sid["a.jpg"], "label": "dog", "expected": {"labels": ["dog"]}},
    ]  # fmt: skip
    with pytest.raises(edits.ImageLabelConflict) as caught:
        edits.apply_edits(catalog, NAME, stale, "ann")
    assert caught.value.to_dict()["conflict"] == {
        "index": 1, "sample_id": sid["a.jpg"], "source": "ground_truth", "labels": ["cat"],
    }  # fmt: skip
    assert rows(catalog) == before and edits.edit_log(catalog, NAME)["operations"] == log

    # an undo whose batch's rows changed outside the log meanwhile is refused too
    done = edits.apply_edits(
        catalog, NAME, [{"op": "classify", "sample_id": sid["a.jpg"], "label": "dog"}], "ann"
    )
    with catalog.write() as cur:
        cur.execute("UPDATE classifications SET label = 'bird' WHERE sample_id = ?", [sid["a.jpg"]])
    outside = rows(catalog)
    with pytest.raises(
        edits.ImageLabelConflict,
        match=f"since batch {done['batch']}: it has image labels \\['bird'\\]",
    ):
        edits.undo(catalog, NAME, "ann")
    assert rows(catalog) == outside


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ({"op": "classify", "sample_id": 10**9, "label": "cat"}, "no sample 1000000000 in this dataset"),
        ({"op": "classify", "sample_id": "A", "label": "cat"}, "'sample_id' must be a non-negative integer"),
        ({"op": "classify", "sample_id": 1, "label": ""}, "'label' must be a non-empty string"),
        ({"op": "classify", "sample_id": 1, "label": 5}, "'label' must be a non-empty string, got 5"),
        ({"op": "classify", "sample_id": 1, "labels": []}, "to remove every image label use 'unclassify'"),
        ({"op": "classify", "sample_id": 1, "labels": ["a", "a"]}, "lists a label twice"),
        ({"op": "classify", "sample_id": 1, "label": "x" * 201}, "a label has at most 200 characters, got one of 201"),
        ({"op": "classify", "sample_id": 1, "labels": ["cat", "y" * 10**6]}, "at most 200 characters, got one of 1000000"),
        ({"op": "classify", "sample_id": 1, "label": "   "}, "a label must be a class name, not white space"),
        ({"op": "classify", "sample_id": 1, "label": "cat\ndog"}, "holds a control character"),
        ({"op": "classify", "sample_id": 1, "labels": ["cat", "a\x00b"]}, "holds a control character"),
        ({"op": "classify", "sample_id": 1, "label": "\x85"}, "holds a control character"),
        ({"op": "classify", "sample_id": 1}, "give 'label' or 'labels'"),
        ({"op": "classify", "sample_id": 1, "label": "a", "labels": ["b"]}, "give 'label' or 'labels'"),
        ({"op": "classify", "sample_id": 1, "label": "a", "source": "m1"}, "unknown keys ['source']"),
        ({"op": "unclassify", "label": "cat"}, "'sample_id' is required"),
        ({"op": "classify", "sample_id": 1, "label": "a", "expected": ["cat"]}, "'expected' must be"),
        ({"op": "classify", "sample_id": 1, "label": "a", "expected": {"labels": [1]}}, "list of strings"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_nothing_written(
    catalog: Catalog, op: dict[str, Any], message: str
) -> None:
    sid = ids(catalog)
    before = rows(catalog)
    valid = {"op": "classify", "sample_id": sid["b.jpg"], "label": "dog"}
    with pytest.raises(
        edits.EditError, match=f"operation 1: .*{re.escape(message)}.*nothing was written"
    ):
        edits.apply_edits(catalog, NAME, [valid, op], "ann")
    assert rows(catalog) == before and edits.edit_log(catalog, NAME)["operations"] == []


def test_removing_a_label_the_sample_lacks_names_its_labels(catalog: Catalog) -> None:
    sid = ids(catalog)
    with pytest.raises(
        edits.EditError, match=r"has no image label 'dog' \(its labels: \['cat'\]\)"
    ):
        edits.apply_edits(
            catalog, NAME, [{"op": "unclassify", "sample_id": sid["a.jpg"], "label": "dog"}], "u"
        )
    edits.apply_edits(catalog, NAME, [{"op": "unclassify", "sample_id": sid["a.jpg"]}], "u")
    with pytest.raises(edits.EditError, match="has no image labels"):
        edits.apply_edits(catalog, NAME, [{"op": "unclassify", "sample_id": sid["a.jpg"]}], "u")
    with pytest.raises(edits.EditError, match="the batch changes nothing"):
        edits.apply_edits(
            catalog, NAME, [{"op": "classify", "sample_id": sid["b.jpg"], "label": "cat"}], "u"
        )


def test_cli_edit_then_export_and_reingest_keep_the_edited_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "vl"
    ingest_cli(capsys, data, write_tree(tmp_path / "src"), "src")
    with Catalog(data) as cat:
        with cat.cursor() as cur:
            found = dict(cur.execute("SELECT file_name, sample_id FROM samples").fetchall())
    code, result = run_cli(capsys, data, "snapshot", "src", "--message", "as ingested")
    assert code == 0 and result["version"] == 1, result
    ops = tmp_path / "ops.json"
    ops.write_text(json.dumps([
        {"op": "classify", "sample_id": found["train/cat/a.jpg"], "label": "dog"},
        {"op": "unclassify", "sample_id": found["val/bird/d.jpg"]},
    ]))  # fmt: skip
    code, result = run_cli(capsys, data, "edit", "src", "--ops", str(ops))
    assert code == 0 and result["applied"] == 2, result
    out = tmp_path / "tree"
    code, result = run_cli(
        capsys, data, "export", "src", "--format", "classification", "--out", str(out),
        "--images", "copy",
    )  # fmt: skip
    assert code == 0, result
    ingest_cli(capsys, data, out, "again")
    assert image_labels(data, "again") == {
        "a.jpg": "dog", "b.jpg": "cat", "c.jpg": "dog", "d.jpg": None, "e.jpg": "dog",
    }  # fmt: skip
    code, diff = run_cli(capsys, data, "diff", "src", "1", "current")
    assert code == 0 and diff["image_labels"]["added"] == 1 and diff["image_labels"]["removed"] == 2
    # the export of the version before the edit: the image labels as they were then
    old = tmp_path / "old"
    code, result = run_cli(
        capsys, data, "export", "src", "--format", "classification", "--out", str(old),
        "--images", "copy", "--version", "1",
    )  # fmt: skip
    assert code == 0, result
    ingest_cli(capsys, data, old, "then")
    assert image_labels(data, "then") == {
        "a.jpg": "cat", "b.jpg": "cat", "c.jpg": "dog", "d.jpg": "bird", "e.jpg": "dog",
    }  # fmt: skip


def image_labels(data: Path, dataset: str) -> dict[str, str | None]:
    """Each sample's ground-truth image label by its base file name (None: it has none)."""
    with Catalog(data) as cat, cat.cursor() as cur:
        found = cur.execute(
            "SELECT s.file_name, c.label FROM samples s JOIN datasets d USING (dataset_id) "
            "LEFT JOIN classifications c ON c.dataset_id = s.dataset_id "
            "AND c.sample_id = s.sample_id WHERE d.name = ? ORDER BY ALL",
            [dataset],
        ).fetchall()
    return {f.rsplit("/", 1)[-1]: label for f, label in found}


def test_a_catalog_of_step_26_gets_the_image_label_log(tmp_path: Path) -> None:
    """Step 27: a catalog written before it (no log of image labels, stamped 26) opens with
    the empty tables, its image labels as they were (where their history starts), and its
    versions' old copies (without image labels) dropped: a browse copies again."""
    data = tmp_path / "data"
    with Catalog(data) as cat:
        ingest(cat, NAME, write_tree(tmp_path / "tree"))
        version = edits.snapshot(cat, NAME, "old", "u")["version"]
        shown = labels(cat, version)  # copies the version
        before = rows(cat)
    con = duckdb.connect(str(data / "catalog.duckdb"))
    try:  # what the code of step 26 wrote
        con.execute("DROP TABLE classification_ops")
        con.execute("DROP TABLE version_classifications")
        con.execute("UPDATE meta SET value = '26' WHERE key = 'schema_version'")
        assert con.execute("SELECT COUNT(*) FROM version_copies").fetchall() == [(1,)]
    finally:
        con.close()
    with Catalog(data) as cat:
        with cat.cursor() as cur:
            stamped = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
            empty = [
                cur.execute(f"SELECT COUNT(*) FROM {t}").fetchall()[0][0]  # noqa: S608 - fixed names
                for t in ("classification_ops", "version_classifications", "version_copies")
            ]
        assert stamped == [(str(latest_version()),)] and empty == [0, 0, 0]
        assert rows(cat) == before
        sid = ids(cat)
        edits.apply_edits(
            cat, NAME, [{"op": "classify", "sample_id": sid["a.jpg"], "label": "dog"}], "u"
        )
        assert labels(cat, version) == shown  # copied again, with its image labels
        assert labels(cat)[sid["a.jpg"]] == ["dog"]
        edits.undo(cat, NAME, "u")
        assert rows(cat) == before


def test_a_result_over_the_image_labels_is_stale_after_an_edit_even_one_undone(
    catalog: Catalog,
) -> None:
    """A stored result (label quality, ...) that read the ground truth learns from the log
    that its image labels were edited, even when an undo brought the same rows back."""
    sid = ids(catalog)
    with catalog.cursor() as cur:
        ds = catalog.dataset_id(cur, NAME)
        stored = basis(cur, ds, ["ground_truth"])
    computed = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=1)
    with catalog.cursor() as cur:
        assert staleness(cur, ds, stored, computed)["labels_changed"] is False
    op = {"op": "classify", "sample_id": sid["a.jpg"], "label": "dog"}
    edits.apply_edits(catalog, NAME, [op], "u")
    edits.undo(catalog, NAME, "u")
    with catalog.cursor() as cur:
        assert basis(cur, ds, ["ground_truth"]) == stored  # the same rows again
        assert staleness(cur, ds, stored, computed)["labels_changed"] is True
