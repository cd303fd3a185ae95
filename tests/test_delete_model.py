"""A model deleted from a dataset, every kind of its predictions at once
(visionlens_jlab/bulk/delete_model.py): a box model with an evaluation, an image-label model
and a semantic model each go with every row tied to them, the others untouched; the name is
free for another kind afterwards; its blind-spot runs go, another model's stay; ground truth
and an unknown model are refused, nothing written; the CLI needs --yes; the REST route answers like the core, 403 without a token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from visionlens_jlab.bulk.delete_model import delete_model
from visionlens_jlab.catalog import Catalog, CatalogError, NotFoundError
from visionlens_jlab.catalog.store.registry import dataset_tables
from visionlens_jlab.catalog.writes.dataset_writer import write_predictions
from visionlens_jlab.evaluate.api import evaluate_model
from visionlens_jlab.records.batches import CLASSIFICATION_SCHEMA, Batch
from visionlens_jlab.records.report import IngestReport
from visionlens_jlab.semantic.ingest import ingest_semantic, ingest_semantic_predictions
from visionlens_jlab.semantic.layouts import open_semantic

from .evaluate_fixtures import ingest_predictions
from .semantic_fixtures import run_cli, write_voc

STEMS = [f"2007_{i:06d}" for i in range(3)]
HISTORY = {"edit_ops", "classification_ops", "models", "datasets"}
"""Tables whose ``source`` is no model's label (a path) or the log's history (kept)."""


class ImageLabels:
    """A model's image labels, one per image."""

    format, source, media_root, json_checked = "folders", "/cls", "/cls", False

    def __init__(self) -> None:
        self.report = IngestReport()

    def categories(self) -> list[Any]:
        return []

    def batches(self) -> Any:
        rows = [{"image_ref": s, "label": "cat", "score": 0.8} for s in STEMS]
        yield Batch(classifications=pa.Table.from_pylist(rows, schema=CLASSIFICATION_SCHEMA))


def build(root: Path, catalog: Catalog) -> Path:
    """``seg``: boxes (evaluated), cls (image labels), segnet (label maps); the maps' folder."""
    voc, preds, _, _ = write_voc(root, 3, seed=1)
    ingest_semantic(catalog, "seg", open_semantic(str(voc), "auto", None, None))
    results = [{"image_id": s, "category_id": 1, "bbox": [1, 2, 8, 6], "score": 0.9} for s in STEMS]
    (root / "b.json").write_text(json.dumps(results))
    ingest_predictions(catalog, "seg", "boxes", root / "b.json", "coco")
    write_predictions(catalog, "seg", "cls", ImageLabels())
    ingest_semantic_predictions(catalog, "seg", "segnet", str(preds))
    evaluate_model(catalog, "seg", "boxes")
    return preds


def rows_of(catalog: Catalog) -> dict[str, Any]:
    """Per table of the dataset: its rows by ``source``/``model`` (else its count)."""
    out: dict[str, Any] = {}
    with catalog.cursor() as cur:
        ds = catalog.dataset_id(cur, "seg")
        for table in dataset_tables():
            cols = {r[0] for r in cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                [table]).fetchall()}  # fmt: skip
            key = "source" if "source" in cols else "model" if "model" in cols else None
            by = f"{key}::VARCHAR" if key else "''"
            out[table] = dict(cur.execute(
                f"SELECT {by}, COUNT(*) FROM {table} WHERE dataset_id = ? GROUP BY 1",  # noqa: S608
                [ds]).fetchall())  # fmt: skip
        out["facet_sources"] = cur.execute(
            "SELECT sources FROM facet_keys WHERE dataset_id = ?", [ds]).fetchall()  # fmt: skip
        out["eval_keys"] = [r[0] for r in cur.execute(
            "SELECT eval_key FROM evaluations WHERE dataset_id = ?", [ds]).fetchall()]  # fmt: skip
    return out


@pytest.mark.parametrize(
    ("model", "counts"),
    [
        ("boxes", {"objects": 3, "image_labels": 0, "label_maps": 0, "evaluations": 1}),
        ("cls", {"objects": 0, "image_labels": 3, "label_maps": 0, "evaluations": 0}),
        ("segnet", {"objects": 0, "image_labels": 0, "label_maps": 3, "evaluations": 0}),
    ],
)
def test_each_kind_goes_with_every_row_tied_to_it(
    tmp_path: Path, model: str, counts: dict[str, int]
) -> None:
    with Catalog(tmp_path / "data") as catalog:
        preds = build(tmp_path, catalog)
        before = rows_of(catalog)
        expected = {"dataset": "seg", "model": model, **counts}
        assert delete_model(catalog, "seg", model, dry_run=True) == expected
        assert rows_of(catalog) == before
        assert delete_model(catalog, "seg", model) == expected
        after = rows_of(catalog)
        for table in set(dataset_tables()) - HISTORY:
            assert model not in after[table], table
            others = {k: v for k, v in before[table].items() if k != model}
            derived = ("box_summaries", "facet_parts", "summary_classes", "eval_summaries")
            # a table without a source names the evaluation's rows by key: they go with it
            if table not in derived and not ("" in others and model == "boxes"):
                assert after[table] == others, table
        assert model not in after["models"]
        assert all(model not in (s or []) for (s,) in after["facet_sources"])
        assert after["eval_keys"] == ([] if model == "boxes" else before["eval_keys"])
        if model == "boxes":  # its evaluation's per-object rows went with it
            assert not after["box_evaluations"] and not after["tide_objects"]
        with pytest.raises(NotFoundError, match="its models: "):
            delete_model(catalog, "seg", model)
        if model == "boxes":  # the name holds label maps now
            assert ingest_semantic_predictions(catalog, "seg", "boxes", str(preds))["masks"] == 3


def test_ground_truth_and_unknown_are_refused(tmp_path: Path) -> None:
    with Catalog(tmp_path / "data") as catalog:
        build(tmp_path, catalog)
        before = rows_of(catalog)
        with pytest.raises(CatalogError, match="--labels ground_truth"):
            delete_model(catalog, "seg", "ground_truth")
        with pytest.raises(NotFoundError, match="boxes, cls, segnet"):
            delete_model(catalog, "seg", "nope")
        assert rows_of(catalog) == before


def test_cli_needs_yes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    with Catalog(tmp_path / "data") as catalog:
        build(tmp_path, catalog)
        before = rows_of(catalog)
    code, out = run_cli(capsys, "delete", "seg", "--model", "boxes", "--data-dir", data)
    assert code == 2 and "3 objects" in out["stderr"] and "--yes" in out["stderr"], out
    code, out = run_cli(capsys, "delete", "seg", "--model", "boxes", "--labels", "x", "--yes",
                        "--data-dir", data)  # fmt: skip
    assert code == 2, out
    with Catalog(tmp_path / "data") as catalog:
        assert rows_of(catalog) == before
    code, out = run_cli(capsys, "delete", "seg", "--model", "boxes", "--yes", "--data-dir", data)
    assert code == 0 and out["objects"] == 3 and out["evaluations"] == 1, out


async def test_rest_route(api: Any, vl_app: Any, jp_fetch: Any, tmp_path: Path) -> None:
    build(tmp_path, vl_app.catalog)
    status, counted = await api("DELETE", "datasets/seg/models/segnet", params={"dry_run": "true"})
    assert status == 200 and counted["label_maps"] == 3, counted
    refused = await jp_fetch("visionlens", "api", "datasets", "seg", "models", "segnet",
                             method="DELETE", headers={"Authorization": ""}, raise_error=False)  # fmt: skip
    assert refused.code == 403 and rows_of(vl_app.catalog)["semantic_masks"].get("segnet") == 3
    status, answer = await api("DELETE", "datasets/seg/models/segnet")
    assert status == 200 and answer == counted, answer
    status, _ = await api("DELETE", "datasets/seg/models/segnet")
    assert status == 404
    status, _ = await api("DELETE", "datasets/seg/models/ground_truth")
    assert status == 400


async def test_notebook_delete_model(vl_app: Any, http_server_client: Any, tmp_path: Path) -> None:
    """``ds.delete_model(name)`` in a real kernel: its counts first, then the model gone."""
    from .notebook_fixtures import running_kernel

    build(tmp_path, vl_app.catalog)
    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "ds = vl.dataset('seg')\n"
            "print(json.dumps([ds.delete_model('cls', dry_run=True), ds.delete_model('cls')]))\n"
        )
    counted, deleted = json.loads(out)
    assert counted == deleted and deleted["image_labels"] == 3, deleted
    assert "cls" not in rows_of(vl_app.catalog)["classifications"]


def test_blind_spot_results_of_the_model_go_with_it(tmp_path: Path) -> None:
    """A blind-spot run computed from the model's evaluation goes; another model's stays."""
    from visionlens_jlab.blindspots import compute_attributes, find_blind_spots
    from visionlens_jlab.demo import generate_demo
    from visionlens_jlab.demo.generator import DemoFiles
    from visionlens_jlab.demo.ingest import MODEL_NAME, ingest_demo

    files = generate_demo(tmp_path / "src", images=120, seed=0, workers=1)
    with Catalog(tmp_path / "data") as catalog:
        ingest_demo(catalog, DemoFiles.at(files.root), "demo")
        ingest_predictions(catalog, "demo", "other", files.predictions, "coco")
        compute_attributes(catalog, "demo", str(tmp_path / "thumbs"), in_process=True)
        for model in (MODEL_NAME, "other"):
            evaluate_model(catalog, "demo", model)
            find_blind_spots(catalog, "demo", model, min_n=10)

        def results() -> dict[str, int]:
            with catalog.cursor() as cur:
                return dict(cur.execute(
                    "SELECT model, COUNT(*) FROM blindspot_results GROUP BY model").fetchall())  # fmt: skip

        assert results() == {MODEL_NAME: 1, "other": 1}
        delete_model(catalog, "demo", MODEL_NAME)
        assert results() == {"other": 1}


async def test_rest_refuses_while_a_job_of_the_model_is_unfinished(
    api: Any, vl_app: Any, wait_job: Any, tmp_path: Path
) -> None:
    """An evaluation job of the model held running (and another queued behind it in the
    gpu lane): the deletion answers 409 naming them, nothing written; a dry run still
    answers; once they end, the model deletes."""
    import threading

    from visionlens_jlab.handlers.evaluate import EVALUATE_JOB

    build(tmp_path, vl_app.catalog)
    release = threading.Event()
    hold = lambda ctx: release.wait(20)  # noqa: E731 - the job's step, blocking until released
    running = vl_app.jobs.submit(EVALUATE_JOB, hold, dataset="seg", models=("boxes",), lane="gpu")
    queued = vl_app.jobs.submit(EVALUATE_JOB, hold, dataset="seg", models=("boxes",), lane="gpu")
    other = vl_app.jobs.submit(EVALUATE_JOB, hold, dataset="seg", models=("cls",))
    try:
        before = rows_of(vl_app.catalog)
        status, refused = await api("DELETE", "datasets/seg/models/boxes")
        assert status == 409, refused
        for words in (f"evaluate job {running.id}", f"evaluate job {queued.id} (queued)",
                      "'boxes'", "cancel it"):  # fmt: skip
            assert words in refused["message"], refused
        assert other.id not in refused["message"]
        assert rows_of(vl_app.catalog) == before
        status, counted = await api(
            "DELETE", "datasets/seg/models/boxes", params={"dry_run": "true"}
        )
        assert status == 200 and counted["objects"] == 3, counted
    finally:
        release.set()
    for job in (running, queued, other):
        await wait_job(job.to_dict())
    status, answer = await api("DELETE", "datasets/seg/models/boxes")
    assert status == 200 and answer["objects"] == 3, answer
    # the routes starting a job of a model name it: an evaluation's job is held up the same way
    status, started = await api("POST", "datasets/seg/evaluations", {"model": "cls"})
    assert status == 202 and vl_app.jobs.get(started["job"]["id"]).models == ("cls",), started
    await wait_job(started["job"])


async def test_no_job_of_a_model_starts_while_it_is_deleted(
    api: Any, vl_app: Any, wait_job: Any, tmp_path: Path
) -> None:
    """The route's check and the deletion's hold are one step: while ``boxes`` is being
    deleted (the hold the DELETE route takes around the transaction), a job of it is
    refused 409, as is a second deletion of it; jobs of other models and other datasets
    start; once the hold ends, a job of the model starts again."""
    build(tmp_path, vl_app.catalog)
    with vl_app.jobs.deleting_model("seg", "boxes"):
        status, refused = await api("POST", "datasets/seg/evaluations", {"model": "boxes"})
        assert status == 409, refused
        assert "'boxes'" in refused["message"] and "being deleted" in refused["message"]
        status, again = await api("DELETE", "datasets/seg/models/boxes")
        assert status == 409 and "being deleted already" in again["message"], again
        status, other = await api("POST", "datasets/seg/evaluations", {"model": "cls"})
        assert status == 202, other
        await wait_job(other["job"])
        status, counted = await api(
            "DELETE", "datasets/seg/models/boxes", params={"dry_run": "true"}
        )
        assert status == 200 and counted["objects"] == 3, counted
    assert not [j for j in vl_app.jobs.list() if j.models == ("boxes",)]
    status, started = await api("POST", "datasets/seg/evaluations", {"model": "boxes"})
    assert status == 202, started
    await wait_job(started["job"])
