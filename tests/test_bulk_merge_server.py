"""``POST /datasets/{name}/merge`` on a real Jupyter server (issue #54 item 3): the merge runs
as a job whose result is what ``visionlens merge --json`` prints, the target's rows are
exactly the merged ones (labels appended, a size conflict left out and reported, the missing
class added, the new sample's vectors copied), open labs hear the change, and what the merge
would refuse is a 400/404 before any job starts, nothing written. ``visionlens merge`` and
``ds.merge`` go through the same server."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
from tornado.websocket import WebSocketClientConnection

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.embed.spaces import record_space
from visionlens_jlab.jobs.events import DATASET_EVENT_SCHEMA_ID
from visionlens_jlab.vectors import VectorStore

from .catalog_fixtures import PredictionRowsSource, RowsSource
from .conftest import ApiCall
from .notebook_fixtures import running_kernel
from .test_bulk_merge import box, sample
from .test_cli_server_routing import run_cli
from .test_job_events import job_events
from .test_outside_writes_events import next_event

MERGED_ROWS = [
    ("a.jpg", "ground_truth", "cat"),
    ("b.jpg", "ground_truth", "cat"),
    ("b.jpg", "ground_truth", "dog"),  # appended to the matched sample
    ("b.jpg", "m1", "cat"),
    ("d.jpg", "ground_truth", "cat"),  # the added sample, with its labels
    ("d.jpg", "ground_truth", "dog"),
    ("d.jpg", "m1", "dog"),
]
"""``dst`` after ``src`` is merged into it; ``c.jpg`` (80 wide in ``src``) is left out."""


def write_target(cat: Catalog, store: VectorStore, space: str, name: str) -> None:
    """a, b, c (all 100 x 50), a and b with a cat; each sample's vector in ``space``."""
    write_dataset(cat, name, RowsSource([sample("a.jpg"), sample("b.jpg"), sample("c.jpg")],
                                        [box(0, "cat"), box(1, "cat")], ["cat"]))  # fmt: skip
    add_vectors(cat, store, space, name)


def write_source(cat: Catalog, store: VectorStore, space: str) -> None:
    """b (same size), c (80 wide: a conflict), d (new); ground truth and model m1's boxes."""
    write_dataset(cat, "src", RowsSource([sample("b.jpg"), sample("c.jpg", 80), sample("d.jpg")],
                                         [box(0, "dog"), box(1, "cat"), box(2, "cat"),
                                          box(2, "dog")], ["cat", "dog"]))  # fmt: skip
    preds = [{"image_ref": ref, "label": label, "x": 1.0, "y": 1.0, "w": 4.0, "h": 4.0,
              "score": 0.8} for ref, label in (("b", "cat"), ("c", "cat"), ("d", "dog"))]  # fmt: skip
    write_predictions(cat, "src", "m1", PredictionRowsSource(preds))
    add_vectors(cat, store, space, "src")


def add_vectors(cat: Catalog, store: VectorStore, space: str, name: str) -> None:
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, name)
        ids = [r[0] for r in cur.execute(
            "SELECT sample_id FROM samples WHERE dataset_id = ? ORDER BY sample_id", [ds]
        ).fetchall()]  # fmt: skip
    vectors = np.random.default_rng(ds).normal(size=(len(ids), 4)).astype(np.float32)
    store.upsert(space, np.array(ids, np.int64), vectors, dataset_ids=ds)
    record_space(cat, ds, space=space, model="clip", version="1", dim=4, preprocessing="t",
                 count=len(ids), complete=True, info={})  # fmt: skip


def label_rows(cat: Catalog, name: str) -> list[tuple[str, str, str]]:
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, name)
        return sorted(cur.execute(
            "SELECT s.file_name, a.source, a.label FROM annotations a "
            "JOIN samples s USING (sample_id) WHERE a.dataset_id = ?", [ds]).fetchall())  # fmt: skip


def vector_of(cat: Catalog, store: VectorStore, space: str, name: str, file: str) -> np.ndarray:
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, name)
        (sid,) = cur.execute("SELECT sample_id FROM samples WHERE dataset_id = ? AND "
                             "file_name = ?", [ds, file]).fetchall()[0]  # fmt: skip
    found, matrix = store.get_vectors(space, np.array([sid], np.int64))
    assert list(found) == [sid], (name, file)
    return np.asarray(matrix[0])


def expected_result(key: str, space: str) -> dict[str, Any]:
    conflict = "c.jpg" if key == "file_name" else "c"
    return {"source": "src", "target": "dst", "key": key, "matched": 1, "added": 1,
            "labels": 5, "missing_classes": ["dog"], "vectors": {space: 1}, "label_maps": {},
            "size_conflicts": [{key: conflict, "source_size": [80, 50],
                                "target_size": [100, 50]}]}  # fmt: skip


def check_merged(vl_app: Any, space: str, target: str, src_rows: list[Any]) -> None:
    """The target's rows, counts, model and vectors after the merge; ``src`` unchanged."""
    cat, store = vl_app.catalog, vl_app.vector_store()
    assert label_rows(cat, target) == MERGED_ROWS
    assert label_rows(cat, "src") == src_rows
    info = {d["name"]: d for d in cat.list_datasets()}[target]
    assert (info["num_samples"], info["num_annotations"]) == (4, 5)
    with cat.cursor() as cur:
        ds = cat.dataset_id(cur, target)
        assert cur.execute("SELECT name, num_predictions FROM models WHERE dataset_id = ?",
                           [ds]).fetchall() == [("m1", 2)]  # fmt: skip
        classes = cur.execute("SELECT name FROM categories WHERE dataset_id = ? ORDER BY 1",
                              [ds]).fetchall()  # fmt: skip
    assert classes == [("cat",), ("dog",)]
    assert store.count(space, ds) == 4
    copied = vector_of(cat, store, space, target, "d.jpg")
    np.testing.assert_array_equal(copied, vector_of(cat, store, space, "src", "d.jpg"))


async def test_merge_job_writes_the_merged_rows_and_refuses_bad_requests(
    vl_app: Any,
    api: ApiCall,
    wait_job: Any,
    jp_ws_fetch: Callable[..., Awaitable[WebSocketClientConnection]],
) -> None:
    cat, store = vl_app.catalog, vl_app.vector_store()
    space = store.ensure_space("clip", "1", 4).name
    write_target(cat, store, space, "dst")
    write_source(cat, store, space)
    # two samples of one file name: a merge by file name cannot tell them apart
    write_dataset(cat, "twins", RowsSource([sample("b.jpg"), {**sample("b.jpg"), "source_image_id":
                                            "b2", "location": "/data/other/b.jpg"}], [], []))  # fmt: skip
    before, src_rows = label_rows(cat, "dst"), label_rows(cat, "src")

    refused = [
        ("dst", {"from": "src", "key": "path"}, 400, "key"),  # the contract's enum
        ("dst", {"key": "file_name"}, 400, "from"),
        ("dst", {"from": "dst", "key": "file_name"}, 400, "into itself"),
        ("dst", {"from": "nope", "key": "file_name"}, 400, "no dataset named 'nope' to merge"),
        ("dst", {"from": "twins", "key": "file_name"}, 400, "two samples of file_name 'b.jpg'"),
        ("nope", {"from": "src", "key": "file_name"}, 404, "nope"),
    ]
    for target, body, code, said in refused:
        status, answer = await api("POST", f"datasets/{target}/merge", body)
        assert status == code and said in json.dumps(answer), (body, answer)
    status, jobs = await api("GET", "jobs")
    assert not [j for j in jobs["jobs"] if j["kind"] == "merge"]  # nothing was queued
    assert label_rows(cat, "dst") == before

    socket = await jp_ws_fetch("api", "events", "subscribe")
    status, answer = await api("POST", "datasets/dst/merge", {"from": "src", "key": "image_id"})
    assert status == 202, answer
    assert (answer["job"]["kind"], answer["job"]["dataset"]) == ("merge", "dst")
    events = await job_events(socket, answer["job"]["id"], "done")
    assert events[-1]["effects"] == {
        "data": ["samples", "predictions", "fields"],
        "datasets": "changed",
    }
    told = await next_event(socket, DATASET_EVENT_SCHEMA_ID)
    assert (told["dataset"], told["change"], told["job"]) == ("dst", "changed", answer["job"]["id"])
    socket.close()
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    assert job["result"] == expected_result("image_id", space)
    check_merged(vl_app, space, "dst", src_rows)
    status, page = await api("POST", "datasets/dst/samples/query", {"filter": {}, "limit": 10})
    assert status == 200 and len(page["samples"]) == 4  # what the grid reads again


async def test_cli_and_notebook_merge_through_the_server(
    vl_app: Any, vl_data_dir: Path, http_server_client: Any
) -> None:
    # http_server_client makes pytest-jupyter serve on the port in server.json
    cat, store = vl_app.catalog, vl_app.vector_store()
    space = store.ensure_space("clip", "1", 4).name
    write_target(cat, store, space, "dst")
    write_target(cat, store, space, "dst_nb")
    write_source(cat, store, space)
    src_rows = label_rows(cat, "src")

    code, out, err = await run_cli("merge", "src", "--into", "dst", "--key", "file_name",
                                   "--json", data_dir=vl_data_dir)  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == expected_result("file_name", space)
    check_merged(vl_app, space, "dst", src_rows)
    code, out, err = await run_cli("merge", "src", "--into", "src", "--key", "file_name",
                                   data_dir=vl_data_dir)  # fmt: skip
    assert code != 0 and "into itself" in err and "Traceback" not in err

    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "r = vl.dataset('dst_nb').merge('src', key='file_name', progress=False)\n"
            "print(json.dumps(r))\n"
        )
    assert json.loads(out) == {**expected_result("file_name", space), "target": "dst_nb"}
    check_merged(vl_app, space, "dst_nb", src_rows)
