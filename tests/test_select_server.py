"""Selection on a real Jupyter server (issue #49 item 3): the REST job end to end (a bad
strategy word is a 400 naming it, nothing queued), the records listed and read with their
rows, ``visionlens select --json`` through the server, ``visionlens export --selection`` taking
its samples directly, and ``ds.select`` in a real kernel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.catalog.writes.sample_tags import update_tags
from visionlens_jlab.predict.model_runs import start_model_run

from .notebook_fixtures import running_kernel
from .test_cli_server_routing import run_cli
from .test_evaluate_classification import CLASSES, LabelsSource

N = 24


def add_pictures(vl_app: Any) -> list[int]:
    """Images of two classes (18 / 6), the second class in split ``val``."""
    gt = [{"sample_index": i, "label": CLASSES[0 if i < 18 else 1]} for i in range(N)]
    write_dataset(vl_app.catalog, "pics", LabelsSource(N, gt))
    with vl_app.catalog.cursor() as cur:
        rows = cur.execute("SELECT sample_id FROM samples ORDER BY sample_id").fetchall()
    return [r[0] for r in rows]


async def test_rest_job_records_and_errors(vl_app: Any, api: Any, wait_job: Any) -> None:
    ids = add_pictures(vl_app)
    update_tags(vl_app.catalog, "pics", {"ids": ids[18:20]}, add=["sent"])
    status, body = await api("POST", "datasets/pics/selections",
                             {"count": 3, "strategies": ["random", "diversty:2"]})  # fmt: skip
    assert status == 400 and "unknown strategy 'diversty:2'" in json.dumps(body)
    status, body = await api("POST", "datasets/pics/selections", {"count": "3"})
    assert status == 400  # the contract: count is an integer
    # a lone surrogate (a JSON escape) passes the contract: before, a job that failed at its
    # write with DuckDB's encoding message
    status, body = await api("POST", "datasets/pics/selections", {"count": 3, "tag": "r\ud800"})
    assert status == 400 and "'tag' must be a string" in body["message"]
    status, body = await api("POST", "datasets/nope/selections", {"count": 3})
    assert status == 404
    status, body = await api("GET", "jobs")
    assert not [j for j in body["jobs"] if j["kind"] == "selection"]  # nothing was queued

    flt = {"classifications": {"source": "ground_truth", "classes": [CLASSES[1]]}}
    request = {"count": 4, "strategies": ["balance", "random:0.5"], "filter": flt,
               "exclude_tags": ["sent"], "seed": 4, "tag": "next"}  # fmt: skip
    status, body = await api("POST", "datasets/pics/selections", request)
    assert status == 202, body
    job = await wait_job(body["job"])
    assert job["status"] == "done", job
    assert job["effects"] == {"data": ["samples"], "datasets": None}
    result = job["result"]
    assert sorted(result["sample_ids"]) == ids[20:]  # in the filter, not sent
    status, page = await api("POST", "datasets/pics/ids", {"filter": {"tags": {"any": ["next"]}}})
    assert sorted(page["ids"]) == sorted(result["sample_ids"])

    status, listed = await api("GET", "datasets/pics/selections")
    assert status == 200 and [s["id"] for s in listed["selections"]] == [result["id"]]
    status, record = await api("GET", f"datasets/pics/selections/{result['id']}")
    assert status == 200 and record["filter"] == flt and record["tag"] == "next"
    assert [r["sample_id"] for r in record["rows"]] == result["sample_ids"]
    assert set(record["rows"][0]["scores"]) == {"balance", "random"}
    status, _ = await api("GET", "datasets/pics/selections/999")
    assert status == 404


async def test_rest_names_the_models_before_queueing(vl_app: Any, api: Any, wait_job: Any) -> None:
    """A model name that is not there is a 404 naming the dataset's models; a model with
    nothing the strategy reads (a semantic model's label maps, a run just started) a 400, as
    is an unknown balance field; none queues a job (before, each was a failed job)."""
    add_pictures(vl_app)
    labels = [{"image_ref": str(i), "label": CLASSES[0], "score": 0.7} for i in range(N)]
    write_predictions(vl_app.catalog, "pics", "clf", LabelsSource(0, labels, predictions=True))
    with vl_app.catalog.cursor() as cur:
        dataset_id = vl_app.catalog.dataset_id(cur, "pics")
    start_model_run(vl_app.catalog, dataset_id, "empty", "hub/segmenter", {})
    body = {"count": 3, "strategies": ["uncertainty"], "models": ["clff"]}
    status, answer = await api("POST", "datasets/pics/selections", body)
    assert status == 404 and "no model 'clff' on this dataset (known: ['clf'])" in answer["message"]
    body["models"] = ["empty"]
    status, answer = await api("POST", "datasets/pics/selections", body)
    assert status == 400 and "no model 'empty' with objects or image labels" in answer["message"]
    bad_field = {"count": 3, "strategies": ["balance"], "balance_field": "split; DROP TABLE x"}
    status, answer = await api("POST", "datasets/pics/selections", bad_field)
    assert status == 400 and "unknown sample field 'split; DROP TABLE x'" in answer["message"]
    at_version = {"count": 3, "strategies": ["random"], "version": 99}  # was a failed job
    status, answer = await api("POST", "datasets/pics/selections", at_version)
    assert status == 404 and "no version 99 of this dataset" in answer["message"]
    status, jobs = await api("GET", "jobs")
    assert not [j for j in jobs["jobs"] if j["kind"] == "selection"]
    body["models"] = ["clf"]
    status, queued = await api("POST", "datasets/pics/selections", body)
    assert status == 202 and (await wait_job(queued["job"]))["status"] == "done"


async def test_cli_and_notebook_through_the_server(
    vl_app: Any, vl_data_dir: Path, http_server_client: Any
) -> None:
    ids = add_pictures(vl_app)
    code, out, err = await run_cli("select", "pics", "--count", "5", "--strategy",
                                   "balance,random:0.5", "--seed", "2", "--json",
                                   data_dir=vl_data_dir)  # fmt: skip
    assert code == 0, err
    got = json.loads(out)
    assert set(got) == {"dataset", "id", "count", "tag", "strategies", "sample_ids", "seconds",
                        "asked", "candidates", "space", "without_vectors"}  # fmt: skip
    assert (got["asked"], got["space"], got["without_vectors"]) == (5, None, 0)
    assert (got["dataset"], got["count"], got["tag"]) == ("pics", 5, f"selected-{got['id']}")
    assert got["strategies"] == ["balance", "random:0.5"] and set(got["sample_ids"]) <= set(ids)
    out_dir = vl_data_dir.parent / "chosen"
    code, out, err = await run_cli("export", "pics", "--selection", str(got["id"]), "--format",
                                   "parquet", "--images", "none", "--out", str(out_dir),
                                   "--filter", json.dumps({"ids": ids[:12]}), "--json",
                                   data_dir=vl_data_dir)  # fmt: skip
    assert code == 0, err  # the selection's samples directly, narrowed by the filter's ids
    exported = {c for f in out_dir.rglob("*.parquet")
                for c in pq.read_table(f).column("sample_id").to_pylist()}  # fmt: skip
    assert exported == set(got["sample_ids"]) & set(ids[:12])
    assert json.loads(out)["samples"] == len(exported)
    code, out, err = await run_cli("export", "pics", "--selection", "999", "--format", "parquet",
                                   "--out", str(out_dir / "none"), data_dir=vl_data_dir)  # fmt: skip
    assert code == 1 and "no selection 999" in err and not (out_dir / "none").exists()
    code, out, err = await run_cli("select", "pics", "--count", "5", "--strategy", "nope",
                                   data_dir=vl_data_dir)  # fmt: skip
    assert code == 2 and "unknown strategy 'nope'" in err and "Traceback" not in err
    code, out, err = await run_cli("select", "pics", "--count", "5", data_dir=vl_data_dir)
    assert code == 1 and "no embeddings yet" in err and "Traceback" not in err  # diversity

    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab as vl\n"
            "ds = vl.dataset('pics')\n"
            f"df = ds.select(4, 'balance', exclude_tags=[{got['tag']!r}], progress=False)\n"
            "print(json.dumps({'columns': list(df.columns), 'ids': df.sample_id.tolist(),\n"
            "  'ranks': df['rank'].tolist(), 'tag': df.attrs['tag']}))\n"
        )
    frame = json.loads(out.strip().splitlines()[-1])
    assert frame["columns"] == ["sample_id", "rank", "score", "balance"]
    assert frame["ranks"] == [0, 1, 2, 3] and not set(frame["ids"]) & set(got["sample_ids"])
    classes = {CLASSES[0 if ids.index(s) < 18 else 1] for s in frame["ids"]}
    assert classes == {CLASSES[0], CLASSES[1]}
