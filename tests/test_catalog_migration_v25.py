"""A catalog written at schema version 25 (commit 03bf5d5c: videos and tracks, semantic and
panoptic masks, tracking evaluations, TIDE objects; before steps 26-31) opens with today's
code, migrated, with every row and answer, and takes today's operations.

``fixtures/catalog_v25/data.tar.gz`` is the data directory that commit wrote, with the
sources it read (``make_fixture.py`` says how), and ``expected.json`` the answers it gave.
Where today's answer has keys the old one had not, the keys the old one had are compared.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import orjson
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.catalog.store.migrations import schema_version
from visionlens_jlab.catalog.store.registry import latest_version
from visionlens_jlab.edits import diff_versions
from visionlens_jlab.evaluate.api import report_for
from visionlens_jlab.evaluate.store import list_evaluations
from visionlens_jlab.importing.track_tiles import track_tiles
from visionlens_jlab.importing.video_reads import track_rows, video_rows
from visionlens_jlab.importing.video_tiles import video_tiles

from .cli_fixtures import cli

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "catalog_v25"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text())
NAMES = ("coco", "mot", "seg", "pan")
LABEL_MAP_MODELS = {"seg": ("segnet", "semantic"), "pan": ("pannet", "coco-panoptic")}
"""The models of label maps the old code imported without a ``models`` row: step 31
writes one (format ``semantic``, ``coco-panoptic`` for panoptic results)."""
DROPPED = ("version_annotations", "version_object_tags", "version_box_summaries",
           "version_sample_tags", "version_copies")  # fmt: skip
"""The copies of the browsed version, which lack its image labels: step 27 drops them (a
browse copies again)."""
VIEWS: dict[str, tuple[str, dict[str, Any]]] = {
    name: (dataset, spec) for name, (dataset, spec) in EXPECTED["filters"].items()
}
"""The filtered views the fixture asked (tags, label quality, tracking outcomes, a semantic
evaluation's per-image field)."""
TRACK_FACETS = "track."
"""The facets of a tracking evaluation's outcomes (step 25's rows), served since."""
NEW_TABLES = ("classification_ops", "version_classifications", "semantic_regions")
"""Steps 27 and 29: empty for a catalog written before."""


@pytest.fixture
def v25_data(tmp_path: Path) -> Path:
    """The fixture's data directory (and its ``sources``), unpacked."""
    with tarfile.open(FIXTURE / "data.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / "data"


def plain(value: Any) -> Any:
    """``value`` as JSON gives it back (lists for tuples, string keys), as in expected.json."""
    return json.loads(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))


def kept(new: Any, old: Any) -> Any:
    """``new`` with only the keys ``old`` has, at every depth (a key ``old`` has and ``new``
    lacks stays missing, so the comparison fails)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {k: kept(new[k], v) for k, v in old.items() if k in new}
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [kept(n, o) for n, o in zip(new, old, strict=True)]
    return new


def same(new: Any, old: Any) -> bool:
    """Whether today's answer ``new`` gives every key of the old answer ``old`` its value."""
    return bool(kept(plain(new), old) == old)


def counted(answer: dict[str, Any]) -> list[str]:
    """A facets answer's facets without what answers state since (each facet's filter and
    unit, test_facet_places.py)."""
    return sorted(
        json.dumps({k: v for k, v in f.items() if k not in ("filter", "unit")}, sort_keys=True)
        for f in plain(answer)["facets"]
    )


def track_facets(entries: list[str]) -> dict[str, int]:
    """The track.* facets' counts by source and outcome."""
    counts = {}
    for entry in map(json.loads, entries):
        for value in entry.get("values", []):
            if entry["name"] in ("track.status", "track.switched"):
                counts[f"{entry['source']} {entry['name']} {value['value']}"] = value["count"]
    return counts


def old_outcomes() -> dict[str, int]:
    """The outcomes the old tracking report counted, as the track.* facets count them."""
    seq = EXPECTED["reports"]["tracking"]["tracking"]
    objects = seq["num_matches"] + seq["num_misses"]
    boxes = seq["num_matches"] + seq["num_false_positives"]
    return {
        "ground_truth track.status matched": seq["num_matches"],
        "ground_truth track.status missed": seq["num_misses"],
        "ground_truth track.switched False": objects - seq["num_switches"],
        "ground_truth track.switched True": seq["num_switches"],
        "tracker track.status matched": seq["num_matches"],
        "tracker track.status false_positive": seq["num_false_positives"],
        "tracker track.switched False": boxes - seq["num_switches"],
        "tracker track.switched True": seq["num_switches"],
    }


def test_a_version_25_catalog_opens_migrated_with_every_row_and_answer(v25_data: Path) -> None:
    with Catalog(v25_data) as catalog:
        with catalog.cursor() as cur:
            assert schema_version(cur) == latest_version()
            rows = {
                t: cur.execute(f"SELECT COUNT(*) FROM {t}").fetchall()[0][0]  # noqa: S608 - names from expected.json and this file
                for t in (*EXPECTED["rows"], *NEW_TABLES)
            }
            meta = dict(cur.execute("SELECT key, value FROM meta").fetchall())
        assert rows == {
            **EXPECTED["rows"],
            **dict.fromkeys((*DROPPED, *NEW_TABLES), 0),
            "models": EXPECTED["rows"]["models"] + len(LABEL_MAP_MODELS),
        }
        assert meta == {**EXPECTED["meta"], "schema_version": str(latest_version())}
        for name in NAMES:
            info = plain(catalog.get_dataset(name))
            old = EXPECTED["datasets"][name]
            models = {m["name"]: m for m in info.pop("models")}
            if name in LABEL_MAP_MODELS:  # step 31's row, with the masks' count
                model, fmt = LABEL_MAP_MODELS[name]
                row = models.pop(model)
                assert (row["format"], row["num_predictions"]) == (fmt, old["num_samples"])
            assert [kept(models[m["name"]], m) for m in old["models"]] == old["models"], name
            assert same(info, {k: v for k, v in old.items() if k != "models"}), name
            assert same(list_evaluations(catalog, name), EXPECTED["evaluations"][name]), name
            assert same(queries.samples_page(catalog, name, None, limit=2), EXPECTED["pages"][name])
            facets, old_facets = (counted(a) for a in (queries.facets(catalog, name, None),
                                                       EXPECTED["facets"][name]))  # fmt: skip
            assert [f for f in old_facets if f not in facets] == [], name
            added = [f for f in facets if f not in old_facets]
            assert all(json.loads(f)["name"].startswith(TRACK_FACETS) for f in added), name
            if name == "mot":  # step 25's rows, faceted as the old report counted them
                assert track_facets(added) == old_outcomes()
        report = report_for(catalog, "coco", EXPECTED["reports"]["coco"]["key"]).to_dict()
        assert same(report, EXPECTED["report"])
        assert same(video_rows(catalog, "mot"), EXPECTED["videos"])
        tracks = {
            "ground_truth": track_rows(catalog, "mot"),
            "tracker": track_rows(catalog, "mot", "tracker", "MOT17-02"),
        }
        assert same(tracks, EXPECTED["tracks"])
        for name, (dataset, spec) in VIEWS.items():
            page = queries.samples_page(catalog, dataset, spec, limit=1)
            assert same(page, EXPECTED["views"][name]), name
        # the version's copies went with step 27: this browse copies it again
        version = EXPECTED["edited"]["version"]
        page = queries.samples_page(catalog, "coco", None, limit=2, version=version)
        assert same(page, EXPECTED["version"])
        assert same(diff_versions(catalog, "coco", version, "current"), EXPECTED["diff"])
    assert same(cli(v25_data, "versions", "coco"), EXPECTED["versions"])


def repoint_masks(data: Path) -> None:
    """Make the label maps' and videos' locations those of the unpacked sources (the old
    code stored absolute paths under the temporary folder it wrote from)."""
    old, new = EXPECTED["sources"], str(data.parent / "sources")
    with Catalog(data) as catalog, catalog.write() as cur:
        cur.execute("UPDATE semantic_masks SET location = replace(location, ?, ?)", [old, new])


def test_a_version_25_catalog_evaluates_again_with_the_same_numbers(v25_data: Path) -> None:
    sources = v25_data.parent / "sources"
    reports = EXPECTED["reports"]
    cli(v25_data, "undo", "coco")  # the old code's relabel: the truth evaluated before
    cli(v25_data, "predictions", "coco", str(sources / "coco" / "det.json"), "--model", "det")
    coco = cli(v25_data, "evaluate", "coco", "--model", "det")
    assert coco["key"] == reports["coco"]["key"]
    for part in ("stats", "counts"):
        assert coco[part] == pytest.approx(reports["coco"][part]), part
    assert coco["tide"]["counts"] == reports["coco"]["tide"]["counts"]
    assert coco["tide"]["main"] == pytest.approx(reports["coco"]["tide"]["main"])
    tracking = cli(v25_data, "evaluate", "mot", "--model", "tracker", "--tracking")
    assert tracking["tracking"] == pytest.approx(reports["tracking"]["tracking"])
    for name, old in reports["tracking"]["sequences"].items():
        assert tracking["sequences"][name] == pytest.approx(old), name
    repoint_masks(v25_data)
    semantic = cli(v25_data, "evaluate", "seg", "--model", "segnet")["semantic"]
    old = reports["semantic"]["semantic"]
    assert semantic["confusion_matrix"] == old["confusion_matrix"]  # pixel counts
    for metric in ("mIoU", "fwIoU", "pixel_accuracy", "boundary_iou"):
        assert semantic[metric] == pytest.approx(old[metric]), metric
    # steps 29-30: a semantic label-quality run (new since) judges the masks imported before
    judged = cli(v25_data, "label-quality", "seg", "--model", "segnet")
    assert len(judged["images"]) == EXPECTED["datasets"]["seg"]["num_samples"]
    panoptic = cli(v25_data, "evaluate", "pan", "--model", "pannet")["panoptic"]
    for group in ("All", "Things", "Stuff"):
        assert panoptic[group] == pytest.approx(reports["panoptic"]["panoptic"][group]), group


def test_a_version_25_catalog_takes_edits_deletes_and_video_reads(
    v25_data: Path, tmp_path: Path
) -> None:
    edited = EXPECTED["edited"]
    with Catalog(v25_data) as catalog:
        with catalog.cursor() as cur:
            ((ann, label),) = cur.execute(
                "SELECT ann_id, label FROM annotations WHERE source = 'ground_truth' AND "
                "ann_id <> ? ORDER BY ann_id LIMIT 1",
                [edited["ann_id"]],
            ).fetchall()
    ops = tmp_path / "ops.json"
    ops.write_text(json.dumps([{"op": "relabel", "annotation_id": ann, "label": "cat"}]))
    assert cli(v25_data, "edit", "coco", "--ops", str(ops))["applied"] == 1
    diff = cli(v25_data, "diff", "coco", str(edited["version"]), "current")
    assert diff["relabelled"] == EXPECTED["diff"]["relabelled"] + 1
    cli(v25_data, "undo", "coco")
    with Catalog(v25_data) as catalog:
        assert same(diff_versions(catalog, "coco", edited["version"], "current"), EXPECTED["diff"])
    for dataset, model in (("coco", "det"), ("seg", "segnet"), ("mot", "tracker")):
        cli(v25_data, "delete", dataset, "--model", model, "--yes")
    with Catalog(v25_data) as catalog:
        models = {d["name"]: [m["name"] for m in d["models"]] for d in catalog.list_datasets()}
        with catalog.cursor() as cur:
            left = [
                cur.execute(f"SELECT COUNT(*) FROM {table} WHERE source IN ({models})").fetchall()  # noqa: S608 - test constants
                for table, models in (("annotations", "'det', 'tracker'"),
                                      ("semantic_masks", "'segnet'"))
            ]  # fmt: skip
        videos = video_tiles(catalog, "mot", None)
        tracks = track_tiles(catalog, "mot", None)
        truth = track_rows(catalog, "mot")
    assert models == {"coco": [], "mot": [], "pan": ["pannet"], "seg": []}
    assert left == [[(0,)], [(0,)]]
    assert videos["total"] == 1 and videos["videos"][0]["name"] == "MOT17-02"
    assert videos["videos"][0]["matching_frames"] == EXPECTED["videos"][0]["num_frames"]
    assert tracks["total"] == len(EXPECTED["tracks"]["ground_truth"])
    assert same(truth, EXPECTED["tracks"]["ground_truth"])
