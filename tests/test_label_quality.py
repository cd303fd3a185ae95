"""Label quality: planted errors found with exact counts (the plants are the oracle), cleanlab's
ObjectLab as a reference on clear cases, the stored fields in filters, the CLI through its
real entry point, and hostile class and model names kept as text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.catalog import Catalog, FilterError
from visionlens_jlab.catalog.reads.queries import facets, sample_ids, samples_page
from visionlens_jlab.evaluate.boxes import Boxes
from visionlens_jlab.jobs import Job, JobCancelled, JobContext
from visionlens_jlab.label_quality import ISSUES, score_labels, stored
from visionlens_jlab.label_quality.job import run_label_quality
from visionlens_jlab.label_quality.scores import check_thresholds

from .evaluate_fixtures import ingest, ingest_predictions
from .label_quality_fixtures import ISSUE_OF, Scene, make_scene, write_coco

REPO = Path(__file__).resolve().parents[1]
CLASSES = ["car", "person", "dog", "cat", "bus"]
HOSTILE_CLASSES = [
    "<img src=x onerror=alert(1)>",
    "'; DROP TABLE samples; --",
    "ümlaut\u202e",
    "a&b",
]
HOSTILE_MODEL = "det-1.0_b"  # model names are validated at import: the classes carry the hostility


def arrays(scene: Scene) -> tuple[Boxes, Boxes]:
    """The scene's labels and predictions as the evaluation's :class:`Boxes`."""

    def side(rows: list[dict[str, Any]], score: bool) -> Boxes:
        box = np.array([r["bbox"] for r in rows], float).reshape(-1, 4)
        return Boxes(
            np.arange(len(rows)), np.array([r["image"] for r in rows], np.int64),
            np.array([r["cat"] for r in rows], np.int64), box[:, 0], box[:, 1], box[:, 2],
            box[:, 3], box[:, 2] * box[:, 3],
            np.array([r["score"] for r in rows]) if score else np.ones(len(rows)),
        )  # fmt: skip

    return side(scene.labels, False), side(scene.predictions, True)


def oracle_counts(scene: Scene) -> np.ndarray:
    """Per image and issue type, how many boxes the plants made wrong."""
    counts = np.zeros((scene.n_images, len(ISSUES)), np.int64)
    for image, kind in scene.planted.items():
        counts[image, ISSUES.index(ISSUE_OF[kind])] += 1
    return counts


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_errors_are_found_with_the_oracles_counts(seed: int) -> None:
    scene = make_scene(120, 0.25, seed, CLASSES)
    gt, dt = arrays(scene)
    result = score_labels(gt, dt, scene.n_images)
    assert np.array_equal(result.image_counts, oracle_counts(scene))
    # each planted object carries its own issue as the most likely one, below its threshold
    for k, label in enumerate(scene.labels):
        if label["planted"]:
            assert ISSUES[result.gt_issue[k]] == ISSUE_OF[label["planted"]]
            assert result.gt_score[k] < result.thresholds[ISSUE_OF[label["planted"]]]
    dropped = np.array([p["dropped"] for p in scene.predictions])
    assert np.all(result.dt_issue == ISSUES.index("overlooked"))
    assert np.all(result.dt_score[dropped] < 0.1) and np.all(result.dt_score[~dropped] > 0.9)
    # every planted image scores below every clean one
    planted = np.zeros(scene.n_images, bool)
    planted[list(scene.planted)] = True
    assert result.image_score[planted].max() < result.image_score[~planted].min()
    assert np.all((result.gt_types[:, 1:] >= 0) & (result.gt_types[:, 1:] <= 1))
    assert np.isnan(result.gt_types[:, 0]).all() and np.isnan(result.dt_types[:, 1:]).all()


def test_a_prediction_counts_only_for_the_box_it_overlaps_most() -> None:
    # a spawned box over half of a real object: the object's prediction does not support it
    gt = Boxes(np.arange(2), np.zeros(2, np.int64), np.zeros(2, np.int64), np.array([0.0, 50.0]),
               np.zeros(2), np.full(2, 100.0), np.full(2, 100.0), np.full(2, 1e4))  # fmt: skip
    dt = Boxes(np.arange(1), np.zeros(1, np.int64), np.zeros(1, np.int64), np.zeros(1),
               np.zeros(1), np.full(1, 100.0), np.full(1, 100.0), np.full(1, 1e4),
               np.full(1, 0.9))  # fmt: skip
    result = score_labels(gt, dt, 1)
    assert ISSUES[result.gt_issue[1]] == "spurious"
    assert result.gt_score[0] > 0.9 > 0.6 > result.gt_score[1]


def test_no_boxes_and_bad_thresholds() -> None:
    empty = Boxes.empty()
    result = score_labels(empty, empty, 3)
    assert result.image_score.tolist() == [1.0, 1.0, 1.0] and not result.image_counts.any()
    with pytest.raises(ValueError, match="unknown issue type 'missing'"):
        check_thresholds({"missing": 0.3})
    with pytest.raises(ValueError, match=r"must be a number in \[0, 1\]"):
        check_thresholds({"swapped": 2})


def test_cleanlab_ranks_the_same_images_worst_on_clear_cases() -> None:
    from cleanlab.object_detection.rank import get_label_quality_scores

    # cleanlab has no spurious type: drop, flip and shift only
    scene = make_scene(60, 0.2, 5, CLASSES, kinds=("drop", "flip", "shift"))
    gt, dt = arrays(scene)
    ours = score_labels(gt, dt, scene.n_images).image_score
    labels, predictions = [], []
    for i in range(scene.n_images):
        rows = [lab for lab in scene.labels if lab["image"] == i]
        xyxy = np.array([[b[0], b[1], b[0] + b[2], b[1] + b[3]] for b in (r["bbox"] for r in rows)])
        labels.append({"bboxes": xyxy.reshape(-1, 4), "labels": np.array([r["cat"] for r in rows])})
        preds = [p for p in scene.predictions if p["image"] == i]
        per_class = []
        for c in range(len(CLASSES)):
            mine = [p for p in preds if p["cat"] == c]
            per_class.append(np.array([[p["bbox"][0], p["bbox"][1], p["bbox"][0] + p["bbox"][2],
                                        p["bbox"][1] + p["bbox"][3], p["score"]] for p in mine],
                                      float).reshape(-1, 5))  # fmt: skip
        predictions.append(per_class)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = get_label_quality_scores(labels, predictions, verbose=False)
    k = len(scene.planted)
    planted = set(scene.planted)
    assert set(np.argsort(ours, kind="stable")[:k].tolist()) == planted
    assert set(np.argsort(theirs, kind="stable")[:k].tolist()) == planted


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``visionlens ARGS`` through the package's real entry point, in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "VISIONLENS_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A planted scene with hostile class and model names, ingested and scored by the CLI."""
    tmp = tmp_path_factory.mktemp("lq")
    scene = make_scene(80, 0.25, 11, HOSTILE_CLASSES)
    gt_path, dt_path = write_coco(scene, tmp / "src")
    data = tmp / "data"
    for args in (("ingest", str(gt_path), "--name", "planted", "--json"),
                 ("predictions", "planted", str(dt_path), "--model", HOSTILE_MODEL, "--json")):  # fmt: skip
        done = cli(data, *args)
        assert done.returncode == 0, done.stderr
    done = cli(data, "label-quality", "planted", "--model", HOSTILE_MODEL, "--json")
    assert done.returncode == 0, done.stderr
    text = cli(data, "label-quality", "planted", "--model", HOSTILE_MODEL)
    return {"scene": scene, "data": data, "out": json.loads(done.stdout), "text": text}


def test_cli_prints_every_object_once_with_its_issue(hostile_run: dict[str, Any]) -> None:
    scene, out = hostile_run["scene"], hostile_run["out"]
    assert set(out) == {"model", "boxes", "images"} and out["model"] == HOSTILE_MODEL
    boxes = out["boxes"]
    assert len(boxes) == len(scene.labels) + len(scene.predictions)
    assert len({(b["source"], b["annotation_id"]) for b in boxes}) == len(boxes)
    assert Counter(b["source"] for b in boxes) == {
        "ground_truth": len(scene.labels),
        HOSTILE_MODEL: len(scene.predictions),
    }
    assert {b["issue"] for b in boxes} <= set(ISSUES)
    assert [b["score"] for b in boxes] == sorted(b["score"] for b in boxes)  # worst first
    assert len(out["images"]) == scene.n_images
    # the k worst images are the planted ones, and each plant's object is flagged with its issue
    k = len(scene.planted)
    worst = {img["sample_id"] for img in out["images"][:k]}
    found = Counter(b["issue"] for b in boxes[:k])
    assert found == Counter(ISSUE_OF[kind] for kind in scene.planted.values())
    assert len(worst) == k
    text = hostile_run["text"]
    assert text.returncode == 0 and "objects scored; flagged:" in text.stdout


def test_stored_fields_filter_facet_and_read_back(hostile_run: dict[str, Any]) -> None:
    scene, out = hostile_run["scene"], hostile_run["out"]
    catalog = Catalog(hostile_run["data"])
    try:
        with catalog.cursor() as cur:
            by_file = dict(cur.execute("SELECT file_name, sample_id FROM samples").fetchall())
        for issue in ISSUES:
            want = {by_file[f"img_{i:04d}.jpg"] for i, kind in scene.planted.items()
                    if ISSUE_OF[kind] == issue}  # fmt: skip
            got = sample_ids(catalog, "planted", {"sample": {f"computed.lq_{issue}": {"min": 1}}})
            assert set(got.to_pylist()) == want, issue
            # the per-object rows as a label condition: the planted objects' samples
            cond = {"model": HOSTILE_MODEL, "issue": [issue], "flagged": True}
            got = sample_ids(catalog, "planted", {"labels": {"label_quality": cond}})
            assert set(got.to_pylist()) == want, issue
        worst = {"model": HOSTILE_MODEL, "score": {"max": 0.1}}
        spec = {"labels": {"source": "ground_truth", "label_quality": worst}}
        flipped = {
            by_file[f"img_{i:04d}.jpg"] for i, kind in scene.planted.items() if kind == "flip"
        }
        assert set(sample_ids(catalog, "planted", spec).to_pylist()) == flipped
        page = samples_page(catalog, "planted", spec, limit=50)
        assert page["total"] == len(flipped)
        assert {row["sample_id"] for row in page["samples"]} == flipped
        counted = {f["name"]: f for f in facets(catalog, "planted", spec)["facets"]}
        assert counted["computed.lq_swapped"]["count"] == len(flipped)
        for bad, message in (
            ({"issue": ["swapped"]}, "must be an object with a 'model'"),
            ({"model": "m", "issue": ["nope"]}, "issue must be among"),
            ({"model": "m", "colour": 1}, "unknown labels.label_quality keys"),
        ):
            with pytest.raises(FilterError, match=message):
                sample_ids(catalog, "planted", {"labels": {"label_quality": bad}})
        low = sample_ids(catalog, "planted", {"sample": {"computed.lq_score": {"max": 0.7}}})
        assert len(low) == len(scene.planted)
        facet = {f["name"]: f for f in facets(catalog, "planted", None)["facets"]}[
            "computed.lq_score"
        ]
        assert facet["count"] == scene.n_images
        again = stored(catalog, "planted", HOSTILE_MODEL)
        assert {(b["annotation_id"], b["issue"]) for b in again["boxes"]} == {
            (b["annotation_id"], b["issue"]) for b in out["boxes"]
        }
        assert again["summary"]["flagged"] == dict(Counter(
            ISSUE_OF[kind] for kind in scene.planted.values()
        )) | {i: 0 for i in ISSUES if i not in {ISSUE_OF[k] for k in scene.planted.values()}}  # fmt: skip
        with catalog.cursor() as cur:
            labels = {r[0] for r in cur.execute("SELECT name FROM categories").fetchall()}
        assert labels == set(HOSTILE_CLASSES)  # the names stayed text through everything
    finally:
        catalog.close()


def test_cli_usage_errors(hostile_run: dict[str, Any]) -> None:
    done = cli(hostile_run["data"], "label-quality", "planted", "--model", "m",
               "--threshold", "missing=0.2", "--json")  # fmt: skip
    assert done.returncode == 2 and "--threshold takes ISSUE=VALUE" in done.stderr
    done = cli(hostile_run["data"], "label-quality", "planted", "--model", "nope", "--json")
    assert done.returncode == 1 and "no model 'nope' on dataset 'planted'" in done.stderr


def test_an_old_catalog_gets_the_tables_and_is_scored(tmp_path: Path) -> None:
    """Migration step 11 on a catalog written before it (tests/fixtures/old_catalog)."""
    with tarfile.open(REPO / "tests" / "fixtures" / "old_catalog" / "data.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    with Catalog(tmp_path / "data") as catalog:
        with catalog.cursor() as cur:
            model = cur.execute("SELECT name FROM models ORDER BY name").fetchall()[0][0]
            (count,) = cur.execute("SELECT COUNT(*) FROM label_quality").fetchall()[0]
            objects = cur.execute(
                "SELECT COUNT(*) FROM annotations WHERE source IN ('ground_truth', ?)", [model]
            ).fetchall()[0][0]
        assert count == 0
        out = run_label_quality(catalog, "demo", model)
        assert len(out["boxes"]) == objects
        assert stored(catalog, "demo", model)["summary"]["objects"] == objects


def test_a_cancelled_run_stores_nothing_and_reports_progress(tmp_path: Path) -> None:
    scene = make_scene(30, 0.3, 4, CLASSES)
    gt_path, dt_path = write_coco(scene, tmp_path / "src")
    with Catalog(tmp_path / "data") as catalog:
        ingest(catalog, "planted", gt_path, "coco")
        ingest_predictions(catalog, "planted", "det", dt_path, "coco")
        seen: list[tuple[float | None, str]] = []

        class Watching(JobContext):
            """Records the progress; with ``cancel``, cancels the job at its second report
            (once the boxes are read, before anything is stored)."""

            cancel = True

            def progress(self, fraction: float | None, message: str = "") -> None:
                seen.append((fraction, message))
                super().progress(fraction, message)
                if self.cancel and len(seen) == 2:
                    self._job.cancel_event.set()

        with pytest.raises(JobCancelled):
            run_label_quality(catalog, "planted", "det", ctx=Watching(Job("j", "lq", "t")))
        assert [m for _, m in seen][0].startswith("reading the boxes")
        with catalog.cursor() as cur:
            rows = cur.execute("SELECT COUNT(*) FROM label_quality").fetchall()[0][0]
        assert (
            rows == 0
            and not sample_ids(
                catalog, "planted", {"sample": {"computed.lq_score": {"is_null": False}}}
            ).to_pylist()
        )
        done = Watching(Job("k", "lq", "t"))
        done.cancel = False
        run_label_quality(catalog, "planted", "det", ctx=done)
        assert seen[-1] == (1.0, "done")
