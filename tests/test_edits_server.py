"""Edits and versions through the real entry points: the REST routes, the ``visionlens``
command with and without a running server, and the notebook API in a real kernel."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.catalog_fixtures import PredictionRowsSource, RowsSource, prediction_rows, toy_rows
from tests.notebook_fixtures import running_kernel
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.config import os_user

from .test_cli_server_routing import run_cli


def first_cat(catalog: Catalog, name: str) -> int:
    """The id of the first ground-truth cat of sample a.jpg (toy_rows' first box)."""
    with catalog.cursor() as cur:
        ((ann,),) = cur.execute(
            "SELECT MIN(a.ann_id) FROM annotations a JOIN datasets d USING (dataset_id) "
            "WHERE d.name = ? AND a.source = 'ground_truth' AND a.label = 'cat'",
            [name],
        ).fetchall()
    return int(ann)


def write_toy(catalog: Catalog, name: str, moved: bool = False) -> None:
    """The toy dataset with model m1; ``moved``: its first box where the edit moves it."""
    samples, boxes, classes = toy_rows()
    if moved:
        boxes[0] = {**boxes[0], "x": 1, "y": 2, "w": 3, "h": 4, "area": 12}
    write_dataset(catalog, name, RowsSource(samples, boxes, classes))
    write_predictions(catalog, name, "m1", PredictionRowsSource(prediction_rows()))


def cli(data: Path, *argv: str, code: int = 0) -> Any:
    """``python -m visionlens_jlab.cli ARGV --json`` in a new process."""
    done = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", *argv, "--data-dir", str(data), "--json"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == code, done.stderr
    return json.loads(done.stdout)


def report(answer: dict[str, Any]) -> Any:
    """An evaluation report without what names the run (its key, its time)."""
    return {k: v for k, v in answer.items() if k not in ("key", "created_at", "dataset")}


def test_cli_edit_then_evaluate_answers_for_the_edited_labels(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Catalog(data) as catalog:
        write_toy(catalog, "toy")
        write_toy(catalog, "fixed", moved=True)
        ann = first_cat(catalog, "toy")
    before = cli(data, "evaluate", "toy", "--model", "m1")
    v1 = cli(data, "snapshot", "toy", "--message", "as ingested")
    assert list(v1) == ["version", "created_at", "message", "samples", "annotations"]
    assert (v1["version"], v1["samples"], v1["annotations"]) == (1, 6, 7)
    ops = tmp_path / "ops.json"
    ops.write_text(json.dumps([{"op": "move", "annotation_id": ann, "bbox": [1, 2, 3, 4]}]))
    assert cli(data, "edit", "toy", "--ops", str(ops)) == {"applied": 1, "annotations": 7}
    after = cli(data, "evaluate", "toy", "--model", "m1")
    assert report(after) == report(cli(data, "evaluate", "fixed", "--model", "m1"))
    assert report(after) != report(before)
    assert cli(data, "diff", "toy", "1", "current") == {
        "added": 0, "removed": 0, "relabelled": 0, "moved": 1, "samples_changed": 1,
        "sample_tags": {"added": 0, "removed": 0},
        "image_labels": {"added": 0, "removed": 0, "by_class": {}},
        "by_class": {"cat": {"added": 0, "removed": 0, "relabelled": 0, "moved": 1}},
    }  # fmt: skip
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"op": "delete", "annotation_id": ann}, {"op": "relabel",
                                "annotation_id": ann, "label": "zebra"}]))  # fmt: skip
    failed = cli(data, "edit", "toy", "--ops", str(bad), code=1)
    assert "operation 1" in failed["errors"][0]["message"]
    assert cli(data, "restore", "toy", "1") == {"applied": 1, "annotations": 7}
    assert [v["version"] for v in cli(data, "versions", "toy")["versions"]] == [1]
    assert cli(data, "undo", "toy")["applied"] == 1  # the restore
    assert cli(data, "diff", "toy", "current", "1")["moved"] == 1


@pytest.fixture
def toy(vl_app: Any, http_server_client: Any) -> str:
    """The toy dataset with model m1 in the test server's catalog (served on its port)."""
    write_toy(vl_app.catalog, "toy")
    return "toy"


async def test_rest_edits_conflicts_undo_and_versions(api: Any, vl_app: Any, toy: str) -> None:
    ann = first_cat(vl_app.catalog, toy)
    status, v1 = await api("POST", f"datasets/{toy}/versions", {"message": "<b>start</b>"})
    assert status == 200 and v1["version"] == 1 and v1["message"] == "<b>start</b>"
    ops = [{"op": "relabel", "annotation_id": ann, "label": "dog", "expected": {"label": "cat"}},
           {"op": "tag", "annotation_id": ann, "tag": "<script>alert(1)</script>"}]  # fmt: skip
    status, done = await api("POST", f"datasets/{toy}/edits", {"operations": ops})
    assert status == 200 and done["applied"] == 2 and done["annotations"] == 7
    # a second tab that saw the cat: a conflict naming the object and what it is now
    stale = [
        {"op": "move", "annotation_id": ann, "bbox": [0, 0, 5, 5], "expected": {"label": "cat"}}
    ]
    status, conflict = await api("POST", f"datasets/{toy}/edits", {"operations": stale})
    assert status == 409 and conflict["conflict"]["annotation_id"] == ann
    assert conflict["conflict"]["current"]["label"] == "dog"
    assert conflict["conflict"]["current"]["tags"] == ["<script>alert(1)</script>"]
    status, invalid = await api(
        "POST", f"datasets/{toy}/edits", {"operations": [*ops, {"op": "x"}]}
    )
    assert status == 400 and invalid["index"] == 2 and "'op' must be one of" in invalid["reason"]
    status, _ = await api("POST", f"datasets/{toy}/edits", {"ops": []})
    assert status == 400
    status, log = await api("GET", f"datasets/{toy}/edits")
    assert status == 200 and [o["op"] for o in log["operations"]] == ["tag", "relabel"]
    # Jupyter's token provider names its user by a random hex id: the log names the login
    # of the person who started the server instead
    assert {o["user"] for o in log["operations"]} == {os_user()} and log["undo"] == 1
    status, diff = await api("GET", f"datasets/{toy}/versions/diff", params={"from": "1"})
    assert status == 200 and diff["relabelled"] == 1 and diff["by_class"]["cat"]["relabelled"] == 1
    status, undone = await api("POST", f"datasets/{toy}/edits/undo")
    assert status == 200 and undone["kind"] == "undo"
    status, redone = await api("POST", f"datasets/{toy}/edits/redo")
    assert status == 200 and redone["kind"] == "redo"
    status, restored = await api("POST", f"datasets/{toy}/versions/1/restore")
    assert status == 200 and restored["kind"] == "restore"
    status, listed = await api("GET", f"datasets/{toy}/versions")
    assert status == 200 and [v["version"] for v in listed["versions"]] == [1]
    status, missing = await api("GET", f"datasets/{toy}/versions/diff", params={"from": "7"})
    assert status == 404 and "no version 7" in missing["message"]
    # a misspelt model: before, a 200 of zeros, as if nothing of it had changed
    status, unknown = await api(
        "GET", f"datasets/{toy}/versions/diff", params={"from": "1", "source": "m2"}
    )
    assert status == 404 and "no model 'm2' on this dataset (known: m1)" in unknown["message"]
    status, _ = await api(
        "GET", f"datasets/{toy}/versions/diff", params={"from": "1", "source": "m1"}
    )
    assert status == 200
    status, _ = await api("POST", "datasets/nope/edits", {"operations": ops})
    assert status == 404


async def test_cli_edits_through_the_running_server(
    vl_app: Any, vl_data_dir: Path, toy: str, tmp_path: Path
) -> None:
    ann = first_cat(vl_app.catalog, toy)
    ops = tmp_path / "ops.json"
    ops.write_text(json.dumps([{"op": "delete", "annotation_id": ann}]))
    code, out, err = await run_cli("edit", toy, "--ops", str(ops), "--json", data_dir=vl_data_dir)
    assert code == 0, err
    assert json.loads(out) == {"applied": 1, "annotations": 6}
    assert vl_app.catalog.get_dataset(toy)["num_annotations"] == 6
    code, out, err = await run_cli("snapshot", toy, "--json", data_dir=vl_data_dir)
    assert code == 0 and json.loads(out)["annotations"] == 6, err
    code, out, err = await run_cli("edit", toy, "--ops", str(ops), "--json", data_dir=vl_data_dir)
    assert code == 1 and f"no object {ann}" in err


async def test_notebook_edits_log_and_versions(toy: str) -> None:
    async with running_kernel() as k:
        out = await k.check(
            "import pandas as pd\n"
            "import visionlens_jlab.notebook as vl\n"
            "ds = vl.dataset('toy')\n"
            "boxes = ds.annotations(source='ground_truth')\n"
            "cat = int(boxes[boxes.label == 'cat'].ann_id.min())\n"
            "v = ds.snapshot('before')\n"
            "done = ds.edit([{'op': 'relabel', 'annotation_id': cat, 'label': 'person'},\n"
            "                {'op': 'add', 'sample_id': int(boxes.sample_id.min()),\n"
            "                 'label': 'dog', 'bbox': [1, 1, 4, 4]}])\n"
            "first = int(boxes.sample_id.min())\n"
            "ds.tag(['<b>seen</b>'], {'ids': [first]})\n"
            "log = ds.edit_log()\n"
            "t = log.iloc[0]\n"
            "print(t.sample_id == first, list(t.tags_before), list(t.tags_after),\n"
            "      pd.isna(t.annotation_id), log.annotation_id.dtype, t.batch == done['batch'] + 1,\n"
            "      t.user == log.user.iloc[1], t.created_at >= log.created_at.iloc[1])\n"
            "d = ds.diff(v['version'])\n"
            "e = ds.diff(v['version'], model='m1', protocol='voc')['evaluation']\n"
            "try:\n"
            "    ds.edit([{'op': 'relabel', 'annotation_id': cat, 'label': 'dog',\n"
            "              'expected': {'label': 'cat'}}])\n"
            "except vl.VisionLensError as exc:\n"
            "    conflict = str(exc)\n"
            "ds.restore(v['version'])\n"
            "back = ds.diff(v['version'])\n"
            "ds.undo()\n"
            "print(done['applied'], done['annotations'], len(log), list(log.op),\n"
            "      log.label_before.fillna('-').tolist(), log.label_after.fillna('-').tolist(),\n"
            "      d['added'], d['relabelled'], back['samples_changed'],\n"
            "      len(ds.versions()), 'HTTP 409' in conflict, ds.diff(1)['added'],\n"
            "      e['method'], e['by_class']['cat']['delta']['num_gt'])\n"
        )
    tag_row, _, rest = out.strip().partition("\n")
    assert tag_row.split() == [
        "True", "[]", "['<b>seen</b>']", "True", "Int64", "True", "True", "True",
    ]  # fmt: skip
    assert rest.split() == [
        "2", "8", "3", "['sample_tags',", "'add',", "'relabel']", "['-',", "'-',", "'cat']",
        "['-',", "'dog',", "'person']",
        "1", "1", "0", "1", "True", "1", "voc", "-1",
    ]  # fmt: skip


async def test_rest_text_no_column_can_store_is_a_400(api: Any, vl_app: Any, toy: str) -> None:
    """A lone surrogate (a JSON ``\\ud800`` escape, which the server's fallback parser takes)
    in a tag, a label, attributes or a version's message: before, the write raised an
    encoding error mid-batch, a 500 with a traceback in the log."""
    ann = first_cat(vl_app.catalog, toy)
    before = vl_app.catalog.get_dataset(toy)["num_annotations"]
    with vl_app.catalog.cursor() as cur:
        ((sample,),) = cur.execute("SELECT sample_id FROM annotations WHERE ann_id = ?",
                                   [ann]).fetchall()  # fmt: skip
    batches = [
        [{"op": "relabel", "annotation_id": ann, "label": "dog"},
         {"op": "tag", "annotation_id": ann, "tag": "bad\ud800"}],
        [{"op": "classify", "sample_id": sample, "label": "cat\udc00"}],
        [{"op": "add", "sample_id": sample, "label": "dog", "bbox": [1, 1, 4, 4],
          "attributes": {"note": "x\ud800"}}],
    ]  # fmt: skip
    for ops in batches:
        status, body = await api("POST", f"datasets/{toy}/edits", {"operations": ops})
        assert status == 400, body
        assert "not valid Unicode" in body["reason"] or "surrogates" in body["reason"]
        assert body["index"] == len(ops) - 1
    status, body = await api("POST", f"datasets/{toy}/versions", {"message": "v\ud800"})
    assert status == 400 and "not valid Unicode text" in body["message"]
    status, log = await api("GET", f"datasets/{toy}/edits")
    assert status == 200 and log["operations"] == []  # the good relabel was not written
    status, listed = await api("GET", f"datasets/{toy}/versions")
    assert listed["versions"] == [] and vl_app.catalog.get_dataset(toy)["num_annotations"] == before
