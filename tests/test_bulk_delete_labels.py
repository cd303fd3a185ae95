"""A view's labels of one source deleted as one batch of the edit log
(visionlens_jlab/bulk/delete_labels.py): only that source on those samples goes, the
evaluation lists itself stale, undo brings every object back as it was; the CLI and the
REST route do the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab import edits
from visionlens_jlab.bulk.delete_labels import delete_view_labels
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.reads import queries
from visionlens_jlab.evaluate import list_evaluations

from .edit_fixtures import rows
from .test_facet_index import catalog  # noqa: F401 - the fixture: "rich", "bare" with m1
from .vectors_fixtures import add_dataset

VIEW = {"tags": {"any": ["t1"]}}


def labels(cat: Catalog, ds: int) -> list[tuple[int, int, str]]:
    with cat.cursor() as cur:
        return cur.execute(
            "SELECT ann_id, sample_id, source FROM annotations WHERE dataset_id = ? ORDER BY 1",
            [ds],
        ).fetchall()


def test_delete_a_views_labels_then_undo(catalog: Catalog) -> None:  # noqa: F811
    with catalog.cursor() as cur:
        ds = catalog.dataset_id(cur, "rich")
    chosen = set(queries.sample_ids(catalog, "rich", VIEW).to_pylist())
    before_rows, before = rows(catalog, ds), labels(catalog, ds)
    doomed = [a for a, s, src in before if s in chosen and src == "m1"]
    assert doomed and len(doomed) < sum(1 for r in before if r[2] == "m1")

    answer = delete_view_labels(catalog, "rich", VIEW, "m1", "tester")
    assert answer["deleted"] == len(doomed) and answer["kind"] == "edit"
    assert labels(catalog, ds) == [r for r in before if r[0] not in set(doomed)]
    assert list_evaluations(catalog, "rich")[0]["edited_since"]
    # the facets follow: no m1 label left on the view
    counts = queries.samples_page(catalog, "rich", {**VIEW, "labels": {"source": "m1"}})
    assert counts["total"] == 0
    with pytest.raises(edits.EditError, match="no labels of 'm1'"):
        delete_view_labels(catalog, "rich", VIEW, "m1", "tester")

    edits.undo(catalog, "rich", "tester")
    assert rows(catalog, ds) == before_rows  # every column, object tags included


def test_cli_and_rest_refusals(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    data = tmp_path / "data"
    with Catalog(data) as cat:
        add_dataset(cat, "d", 3)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "visionlens_jlab.cli", "delete", "d", *args, "--data-dir",
             str(data)], capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip

    no_yes = cli("--filter", "{}", "--labels", "ground_truth")
    assert no_yes.returncode == 2 and "--yes" in no_yes.stderr
    nothing = cli("--labels", "ground_truth", "--yes", "--json")
    assert nothing.returncode == 1 and "nothing to delete" in json.loads(nothing.stdout)[
        "errors"][0]["message"]  # fmt: skip
    with Catalog(data) as cat:  # the dataset is still there
        assert [d["name"] for d in cat.list_datasets()] == ["d"]


async def test_rest_deletes_and_undo_restores(api: Any, vl_app: Any) -> None:
    from tests.catalog_fixtures import PredictionRowsSource, RowsSource, prediction_rows, toy_rows
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions

    write_dataset(vl_app.catalog, "toy", RowsSource(*toy_rows()))
    write_predictions(vl_app.catalog, "toy", "m1", PredictionRowsSource(prediction_rows()))
    with vl_app.catalog.cursor() as cur:
        ds = vl_app.catalog.dataset_id(cur, "toy")
    before = labels(vl_app.catalog, ds)
    view = {"sample": {"split": {"in": ["val"]}}}
    status, counted = await api("POST", "datasets/toy/edits/delete_labels",
                                {"filter": view, "source": "ground_truth", "dry_run": True})  # fmt: skip
    assert status == 200 and counted["dry_run"] and labels(vl_app.catalog, ds) == before
    status, answer = await api("POST", "datasets/toy/edits/delete_labels",
                               {"filter": view, "source": "ground_truth"})  # fmt: skip
    assert status == 200, answer
    val = set(queries.sample_ids(vl_app.catalog, "toy", view).to_pylist())
    gone = {r for r in before if r[1] in val and r[2] == "ground_truth"}
    assert answer["deleted"] == len(gone) == counted["deleted"] > 0
    assert set(labels(vl_app.catalog, ds)) == set(before) - gone
    status, _ = await api("POST", "datasets/toy/edits/undo")
    assert status == 200 and labels(vl_app.catalog, ds) == before
    status, answer = await api("POST", "datasets/toy/edits/delete_labels", {"source": "nope"})
    assert status == 400, answer
    status, _ = await api("POST", "datasets/missing/edits/delete_labels", {"source": "m1"})
    assert status == 404


async def test_notebook_delete_labels_and_undo(vl_app: Any, http_server_client: Any) -> None:
    """``ds.delete_labels(filter, source=...)`` then ``ds.undo()`` in a real kernel."""
    from tests.catalog_fixtures import RowsSource, toy_rows
    from visionlens_jlab.catalog.writes.dataset_writer import write_dataset

    from .notebook_fixtures import running_kernel

    write_dataset(vl_app.catalog, "toy", RowsSource(*toy_rows()))
    with vl_app.catalog.cursor() as cur:
        ds = vl_app.catalog.dataset_id(cur, "toy")
    before = labels(vl_app.catalog, ds)
    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "ds = vl.dataset('toy')\n"
            "r = ds.delete_labels({'sample': {'split': {'in': ['val']}}}, source='ground_truth')\n"
            "print(json.dumps(r))\n"
        )
        deleted = json.loads(out)["deleted"]
        assert deleted > 0 and len(labels(vl_app.catalog, ds)) == len(before) - deleted
        await k.check("ds.undo()\nprint('{}')\n")
    assert labels(vl_app.catalog, ds) == before
