"""Schema migrations: a catalog written before them opens with every row and every answer.

``fixtures/old_catalog/data.tar.gz`` is a data directory written by commit b74eabe (the code
before numbered migrations; ``make_fixture.py`` says how it was made) and ``expected.json``
the answers that code gave. Today's code must open it, migrate it to the latest schema
version in place and give the same answers, without ingesting anything again.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from visionlens_jlab.catalog import Catalog, CatalogError
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.store.migrations import schema_version
from visionlens_jlab.catalog.store.registry import (
    latest_version,
    register_dataset_table,
    register_step,
    steps,
    unregister_step,
)
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.config import CATALOG_FILE
from visionlens_jlab.evaluate.api import report_for
from visionlens_jlab.predict.model_runs import model_run_state

from .cli_fixtures import cli

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "old_catalog"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text())
DATASET = "demo"
LATEST = 31
"""The schema version of this code: steps 1-31 (see docs/architecture.md)."""


@pytest.fixture
def old_data(tmp_path: Path) -> Path:
    """The fixture's data directory, unpacked (the vector shard's files stay sparse)."""
    with tarfile.open(FIXTURE / "data.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / "data"


@pytest.fixture
def extra_step() -> Iterator[Callable[[str, Callable[[duckdb.DuckDBPyConnection], None]], int]]:
    """Register a step after the last one for one test; returns its number."""
    added: list[int] = []

    def add(description: str, run: Callable[[duckdb.DuckDBPyConnection], None]) -> int:
        number = latest_version() + 1
        register_step(number, description, run)
        added.append(number)
        return number

    yield add
    for number in added:
        unregister_step(number)


LABEL_FIELDS = ("segmentation", "mask_area", "keypoints", "num_keypoints", "match")
"""Fields pages carry since the labels beyond the box, and since objects say whether they meet
a filter's label conditions (test_label_match.py): the old code's pages had none."""
LABEL_FACETS = ("label_type", "mask_area")


def plain(value: Any) -> Any:
    """``value`` as JSON gives it back (lists for tuples, string keys), as in expected.json."""
    return json.loads(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))


def old_page(page: dict[str, Any]) -> Any:
    """A samples page without what the old code did not serve: the objects' masks and
    keypoints and the samples' image labels (the fixture's ground truth has polygons)."""
    samples = [
        {
            **{k: v for k, v in sample.items() if k != "classifications"},
            "annotations": [
                {k: v for k, v in a.items() if k not in LABEL_FIELDS} for a in sample["annotations"]
            ],
        }
        for sample in plain(page)["samples"]
    ]
    return {**plain(page), "samples": samples}


def old_facets(answer: dict[str, Any]) -> Any:
    """Facets without the label facets: step 16 makes the polygons masks
    (test_catalog_migration_masks.py); without each facet's place, which the answer states
    since and test_facet_places.py checks."""
    counts = [
        {k: v for k, v in f.items() if k not in ("filter", "unit")}
        for f in answer["facets"]
        if f["name"] not in LABEL_FACETS
    ]
    return plain({**answer, "facets": counts})


def files(data: Path) -> dict[str, bytes]:
    """The catalog's files (the database, and a WAL if one was left) byte for byte."""
    return {p.name: p.read_bytes() for p in sorted(data.glob(CATALOG_FILE + "*"))}


def test_the_steps_are_numbered_one_to_latest() -> None:
    assert [s.number for s in steps()] == list(range(1, LATEST + 1))
    assert latest_version() == LATEST
    with pytest.raises(ValueError, match="step 3 is taken"):
        register_step(3, "another change", lambda cur: None)
    with pytest.raises(ValueError, match="create it in a numbered migration step"):
        register_dataset_table("new_table", "CREATE TABLE new_table (dataset_id INTEGER)")


def test_an_old_catalog_opens_migrated_with_every_row_and_answer(old_data: Path) -> None:
    with Catalog(old_data) as catalog:
        with catalog.cursor() as cur:
            assert schema_version(cur) == LATEST
            tables = [
                r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            ]
            rows = {t: cur.execute(f"SELECT COUNT(*) FROM {t}").fetchall()[0][0] for t in tables}  # noqa: S608 - names from the file
            meta = dict(cur.execute("SELECT key, value FROM meta").fetchall())
        # step 6 added the (empty) table of image-level labels, and columns whose old rows
        # are NULL: an old object has no keypoints (step 16 measures its mask); steps 9 and 10 the
        # (empty) operation log, object tags and versions; step 11 the label-quality tables;
        # step 12 the model runs' samples done without a prediction; step 13 the VLM labels;
        # step 14 the copies of browsed versions; step 15 the sample tags' log and copies;
        # step 16 measured masks; steps 17-18 the rotated boxes' and polylines' columns;
        # step 19 the (empty) selection tables; step 20 the objects' track ids; step 21 the
        # (empty) tables of videos and their frames; step 22 the (empty) semantic mask tables;
        # step 23 the (empty) rows of deleted samples kept for an undo; step 24 the (empty)
        # objects' TIDE errors; step 25 the (empty) objects' tracking outcomes
        edits = dict.fromkeys(("edit_batches", "edit_ops", "object_tags", "versions"), 0)
        edits.update(dict.fromkeys(("sample_tag_ops", "version_sample_tags"), 0))
        # step 27: the (empty) image labels' log and copies
        edits.update(dict.fromkeys(("classification_ops", "version_classifications"), 0))
        copies = ("version_annotations", "version_object_tags", "version_box_summaries")
        edits.update(dict.fromkeys((*copies, "version_copies"), 0))
        quality = dict.fromkeys(("label_quality", "label_quality_runs", "semantic_regions"), 0)
        assert rows == {
            **EXPECTED["rows"],
            "classifications": 0,
            **edits,
            **quality,
            "model_run_empty_samples": 0,
            "vlm_labels": 0,
            "selections": 0,
            "selection_rows": 0,
            "videos": 0,
            "video_frames": 0,
            "semantic_masks": 0,
            "semantic_sources": 0,
            "semantic_classes": 0,
            "deleted_samples": 0,
            "tide_objects": 0,
            "track_results": 0,
        }
        with catalog.cursor() as cur:
            new_columns = cur.execute(
                "SELECT COUNT(*), COUNT(keypoints), COUNT(num_keypoints), COUNT(mask_area) "
                "FROM annotations"
            ).fetchall()[0]
            categories = cur.execute(
                "SELECT COUNT(*), COUNT(keypoint_names), COUNT(skeleton), "
                "COUNT(keypoint_sigmas) FROM categories"
            ).fetchall()[0]
        # step 16: the ground truth's polygons are masks with COCO's area (87 have one)
        assert new_columns == (EXPECTED["rows"]["annotations"], 0, 0, 87)
        # step 7: an old class has no sigmas of its own
        assert categories == (EXPECTED["rows"]["categories"], 0, 0, 0)
        assert meta == {**EXPECTED["meta"], "schema_version": str(LATEST)}
        assert (
            old_page(queries.samples_page(catalog, DATASET, None, limit=5))
            == EXPECTED["pages"]["all"]
        )
        for name, spec in EXPECTED["filters"].items():
            page = queries.samples_page(catalog, DATASET, spec, limit=2)
            assert old_page(page) == EXPECTED["pages"][name], name
            assert page["total"] == EXPECTED["counts"][name], name
            assert old_facets(queries.facets(catalog, DATASET, spec)) == EXPECTED["facets"][name], (
                name
            )
        report = report_for(catalog, DATASET, EXPECTED["evaluation_key"])
        # an evaluation stored before iou types existed reads as the bbox protocol; one
        # stored before TIDE has none (null, as the evaluations that have no TIDE)
        assert plain(report.to_dict()) == {
            **EXPECTED["evaluation"], "iou_type": "bbox", "tide": None
        }  # fmt: skip
    first = EXPECTED["pages"]["all"]["samples"][0]["sample_id"]
    assert cli(old_data, "search", DATASET, "--like", str(first), "--k", "5") == EXPECTED["search"]
    pca = cli(old_data, "map", DATASET, "--method", "pca")  # the stored map, not a new one
    assert {"id": pca["id"], "points": pca["points"]} == EXPECTED["map"]


def test_a_newer_catalog_is_refused_naming_both_versions(tmp_path: Path) -> None:
    Catalog(tmp_path).close()
    with duckdb.connect(str(tmp_path / CATALOG_FILE)) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(LATEST + 3)])
    for read_only in (False, True):
        with pytest.raises(CatalogError) as caught:
            Catalog(tmp_path, read_only=read_only)
        assert f"written by schema version {LATEST + 3}" in str(caught.value)
        assert f"understands up to {LATEST}: upgrade visionlens_jlab" in str(caught.value)


def test_a_failing_step_leaves_the_file_as_it_was(old_data: Path, extra_step: Any) -> None:
    before = files(old_data)

    def fails(cur: duckdb.DuckDBPyConnection) -> None:
        cur.execute("DELETE FROM samples")  # a change the rollback must undo
        raise RuntimeError("disk on fire")

    number = extra_step("rewrite the samples", fails)
    with pytest.raises(CatalogError) as caught:
        Catalog(old_data)
    message = str(caught.value)
    assert f"migration step {number} (rewrite the samples) failed: disk on fire" in message
    assert "left as it was, at schema version 1" in message
    assert files(old_data) == before  # steps 2-5 rolled back with it
    unregister_step(number)
    with Catalog(old_data) as catalog, catalog.cursor() as cur:  # closed: no lock was left
        assert schema_version(cur) == LATEST


def test_each_step_runs_once_in_order(tmp_path: Path, extra_step: Any) -> None:
    runs: list[list[str]] = []

    def record(cur: duckdb.DuckDBPyConnection) -> None:  # after steps 1-5: their tables
        runs.append([r[0] for r in cur.execute("SELECT key FROM meta ORDER BY key").fetchall()])

    number = extra_step("record the run", record)
    for _ in range(2):
        with Catalog(tmp_path) as catalog, catalog.cursor() as cur:
            assert schema_version(cur) == number
    assert runs == [["box_summaries", "field_index"]]  # once, after steps 4 and 5


def test_a_read_only_open_of_an_old_catalog_asks_for_an_upgrade(old_data: Path) -> None:
    before = files(old_data)
    with pytest.raises(CatalogError) as caught:
        Catalog(old_data, read_only=True)
    message = str(caught.value)
    assert f"schema version 1 and this VisionLens reads version {LATEST}" in message
    assert "needs an upgrade by a writable open" in message
    assert files(old_data) == before
    Catalog(old_data).close()  # the writable open upgrades it, and read-only opens work
    Catalog(old_data, read_only=True).close()


def test_no_catalog_opens_before_the_features_are_loaded(tmp_path: Path) -> None:
    script = (
        "import sys\nfrom pathlib import Path\n"
        "from visionlens_jlab.catalog import Catalog, CatalogError\n"
        "try:\n    Catalog(sys.argv[1])\nexcept CatalogError as exc:\n    print(exc)\n"
        "from visionlens_jlab.cli.common import open_catalog\n"
        "open_catalog(Path(sys.argv[1])).close()\nprint('opened')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=FIXTURE.parents[2],  # this checkout's package first
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "visionlens_jlab.features.load() before opening a catalog" in out[0]
    assert out[1:] == ["opened"]


def test_an_old_catalog_gets_an_empty_edit_log_and_takes_edits(
    old_data: Path, tmp_path: Path
) -> None:
    with Catalog(old_data) as catalog:
        with catalog.cursor() as cur:
            for table in ("edit_batches", "edit_ops", "object_tags", "versions"):
                assert cur.execute(f"SELECT COUNT(*) FROM {table}").fetchall() == [(0,)]  # noqa: S608 - test constants
            ((ann, label),) = cur.execute(
                "SELECT ann_id, label FROM annotations WHERE source = 'ground_truth' "
                "ORDER BY ann_id LIMIT 1"
            ).fetchall()
            ((other,),) = cur.execute(
                "SELECT name FROM categories WHERE name <> ? LIMIT 1", [label]
            ).fetchall()
    before = cli(old_data, "snapshot", DATASET, "--message", "as migrated")
    ops = tmp_path / "ops.json"
    ops.write_text(json.dumps([{"op": "relabel", "annotation_id": ann, "label": other}]))
    assert cli(old_data, "edit", DATASET, "--ops", str(ops)) == {
        "applied": 1,
        "annotations": before["annotations"],
    }
    diff = cli(old_data, "diff", DATASET, str(before["version"]), "current")
    assert diff["relabelled"] == 1 and diff["by_class"] == {
        label: {"added": 0, "removed": 0, "relabelled": 1, "moved": 0}
    }


def test_a_model_runs_resume_list_moves_from_its_report_into_a_table(old_data: Path) -> None:
    """Step 13: a model run's samples done without a prediction, an id list in its report
    JSON before, become table rows; the run resumes with the same samples done."""
    with duckdb.connect(str(old_data / CATALOG_FILE)) as con:  # as the previous code wrote it
        ((dataset_id,),) = con.execute(
            "SELECT dataset_id FROM datasets WHERE name = ?", [DATASET]
        ).fetchall()
        first, second, third, fourth = (
            r[0]
            for r in con.execute(
                "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id LIMIT 4",
                [dataset_id],
            ).fetchall()
        )
        ((ann_id,),) = con.execute("SELECT max(ann_id) + 1 FROM annotations").fetchall()
        con.execute(
            "INSERT INTO annotations (ann_id, sample_id, dataset_id, source, label, x, y, w, h, "
            "score, area, iscrowd, difficult) "
            "SELECT ?, ?, ?, 'run', name, 1, 2, 3, 4, 0.9, 12, FALSE, FALSE "
            "FROM categories WHERE dataset_id = ? LIMIT 1",
            [ann_id, first, dataset_id, dataset_id],
        )
        params = {"model": "detr", "min_score": 0.3}
        report = {
            "errors": [],
            "warnings": [{"message": "kept"}],
            "counts": {"predictions": 1},
            "run": {"params": params, "empty_sample_ids": [fourth, second]},
        }
        con.execute(
            "INSERT INTO models VALUES (?, 'run', 'model-run', 'detr', now(), 1, ?)",
            [dataset_id, json.dumps(report)],
        )
    with Catalog(old_data) as catalog:
        state = model_run_state(catalog, DATASET, "run")
        with catalog.cursor() as cur:
            moved = cur.execute(
                "SELECT dataset_id, model, sample_id FROM model_run_empty_samples "
                "ORDER BY sample_id"
            ).fetchall()
            ((kept,),) = cur.execute("SELECT report FROM models WHERE name = 'run'").fetchall()
    assert moved == [(dataset_id, "run", second), (dataset_id, "run", fourth)]
    assert json.loads(kept) == {**report, "run": {"params": params}}
    assert state.params == params
    assert state.done.tolist() == sorted([first, second, fourth])
    assert third not in state.done


def test_an_old_catalog_gets_an_empty_vlm_labels_table_and_takes_labels(old_data: Path) -> None:
    """Step 13: a catalog written before VLM attributes gets the (empty) table of the
    user's VLM labels, which then stores labels."""
    from visionlens_jlab.predict.vlm_labels import save_labels

    with duckdb.connect(str(old_data / CATALOG_FILE)) as con:  # as the previous code wrote it
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        (first,) = con.execute("SELECT min(sample_id) FROM samples").fetchone() or (None,)
    assert "vlm_labels" not in tables
    with Catalog(old_data) as catalog:
        with catalog.cursor() as cur:
            assert cur.execute("SELECT COUNT(*) FROM vlm_labels").fetchall() == [(0,)]
            assert schema_version(cur) == LATEST
        assert save_labels(catalog, DATASET, [(int(first), "lighting", "dim")]) == 1
        with catalog.cursor() as cur:
            rows = cur.execute("SELECT sample_id, question, answer FROM vlm_labels").fetchall()
    assert rows == [(first, "lighting", "dim")]


def test_a_catalog_stamped_past_13_without_the_vlm_labels_table_opens(old_data: Path) -> None:
    """Step 28: the code of one main commit (8a007684) stamped catalogs 13 with another step
    13 (the resume lists' move, renumbered 12 the next commit), so today's step 13 never ran
    for them and every later open failed on the missing ``vlm_labels``. Such a catalog, as
    the steps after 13 leave it (the table missing, stamped 27), opens with its rows."""
    with Catalog(old_data) as catalog, catalog.cursor() as cur:
        samples = cur.execute("SELECT COUNT(*) FROM samples").fetchall()
    with duckdb.connect(str(old_data / CATALOG_FILE)) as con:
        con.execute("DROP TABLE vlm_labels")
        con.execute("UPDATE meta SET value = '27' WHERE key = 'schema_version'")
    with Catalog(old_data) as catalog, catalog.cursor() as cur:
        assert schema_version(cur) == LATEST
        assert cur.execute("SELECT COUNT(*) FROM vlm_labels").fetchall() == [(0,)]
        assert cur.execute("SELECT COUNT(*) FROM samples").fetchall() == samples


def test_an_old_catalog_browses_a_version_through_its_copy(old_data: Path) -> None:
    """Step 14: a catalog written before the copies of browsed versions gets their (empty)
    tables; a version browsed there is copied once and reads as the labels were."""
    from visionlens_jlab import edits

    with duckdb.connect(str(old_data / CATALOG_FILE)) as con:  # as the previous code wrote it
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "version_copies" not in tables and "version_annotations" not in tables
    with Catalog(old_data) as catalog:
        with catalog.cursor() as cur:
            assert cur.execute("SELECT COUNT(*) FROM version_copies").fetchall() == [(0,)]
            ((ann, label),) = cur.execute(
                "SELECT ann_id, label FROM annotations WHERE source = 'ground_truth' "
                "ORDER BY ann_id LIMIT 1"
            ).fetchall()
        spec = {"labels": {"source": "ground_truth", "classes": [label]}}
        before = queries.samples_page(catalog, DATASET, spec, limit=0)["total"]
        version = edits.snapshot(catalog, DATASET, "as migrated", "u")["version"]
        edits.apply_edits(catalog, DATASET, [{"op": "delete", "annotation_id": ann}], "u")
        assert queries.samples_page(catalog, DATASET, spec, limit=0, version=version)["total"] == (
            before
        )
        with catalog.cursor() as cur:
            copied = cur.execute("SELECT version FROM version_copies").fetchall()
            kept = cur.execute(
                "SELECT COUNT(*) FROM version_annotations WHERE ann_id = ?", [ann]
            ).fetchall()
        assert copied == [(version,)] and kept == [(1,)]


def test_an_old_catalog_keeps_its_sample_tags_and_logs_the_next(old_data: Path) -> None:
    """Step 15: a catalog written before the sample tags' log keeps its tags (where their
    history starts); a tag write after it is a batch that a version diffs and restores."""
    from visionlens_jlab import edits

    with duckdb.connect(str(old_data / CATALOG_FILE)) as con:  # as the previous code wrote it
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        old_tags = con.execute("SELECT sample_id, tags FROM samples ORDER BY sample_id").fetchall()
    assert "sample_tag_ops" not in tables and any(t for _, t in old_tags)
    with Catalog(old_data) as catalog:
        with catalog.cursor() as cur:
            kept = cur.execute("SELECT sample_id, tags FROM samples ORDER BY sample_id").fetchall()
        assert kept == old_tags
        version = edits.snapshot(catalog, DATASET, "as migrated", "u")["version"]
        tagged = {"tags": {"any": ["after-migration"]}}
        update_tags(catalog, DATASET, {"ids": [old_tags[0][0]]}, add=["after-migration"])
        diff = edits.diff_versions(catalog, DATASET, version, "current")
        assert diff["samples_changed"] == 1 and diff["sample_tags"] == {"added": 1, "removed": 0}
        assert (
            queries.samples_page(catalog, DATASET, tagged, limit=0, version=version)["total"] == 0
        )
        edits.restore_version(catalog, DATASET, version, "u")
        with catalog.cursor() as cur:
            restored = cur.execute(
                "SELECT sample_id, tags FROM samples ORDER BY sample_id"
            ).fetchall()
        assert restored == old_tags


def test_an_old_catalog_deletes_samples_and_undo_puts_them_back(old_data: Path) -> None:
    """Step 23: the samples of a view of a catalog written before go as one batch (through
    the CLI, which opens the catalog's vector store too), and the undo brings back every
    answer."""
    with Catalog(old_data) as catalog:
        with catalog.cursor() as cur:
            ids = [r[0] for r in cur.execute(
                "SELECT sample_id FROM samples ORDER BY sample_id LIMIT 3").fetchall()]  # fmt: skip
        before = plain([queries.samples_page(catalog, DATASET, None, limit=500),
                        queries.facets(catalog, DATASET, None)])  # fmt: skip
    view = json.dumps({"sample": {"sample_id": {"in": ids}}})
    answer = cli(old_data, "delete-samples", DATASET, "--filter", view, "--yes")
    assert answer["samples"] == 3 and answer["kind"] == "delete_samples"
    with Catalog(old_data) as catalog:
        page = queries.samples_page(catalog, DATASET, None, limit=500)
        assert page["total"] == before[0]["total"] - 3
    cli(old_data, "undo", DATASET)
    with Catalog(old_data) as catalog:
        after = plain([queries.samples_page(catalog, DATASET, None, limit=500),
                       queries.facets(catalog, DATASET, None)])  # fmt: skip
    assert after == before
