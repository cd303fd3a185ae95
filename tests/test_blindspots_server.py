"""The blind-spot REST job, its stored result and reviews, and ``ds.blind_spots`` in a kernel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.notebook_fixtures import running_kernel
from visionlens_jlab.catalog.reads.queries import sample_ids
from visionlens_jlab.demo import generate_demo
from visionlens_jlab.demo.ingest import ingest_demo
from visionlens_jlab.evaluate import evaluate_model

MODEL = "simulated-model"


@pytest.fixture
def demo(vl_app: Any, http_server_client: Any, tmp_path: Path) -> str:
    """A 600-image demo, evaluated, in the server's catalog (no attributes yet)."""
    files = generate_demo(tmp_path / "demo-src", images=600, seed=0, workers=1)
    ingest_demo(vl_app.catalog, files, "demo")
    evaluate_model(vl_app.catalog, "demo", MODEL)
    return "demo"


@pytest.mark.slow
async def test_blindspots_job_result_and_reviews(api: Any, wait_job: Any, demo: str) -> None:
    for bad, message in (
        ({}, "'model' is a required property"),
        ({"model": MODEL, "min_n": 1}, "min_n must be an integer of at least 2"),
        ({"model": MODEL, "fdr": 2}, "fdr must be a number between 0 and 1"),
        ({"model": MODEL, "agent": "yes"}, "'agent': 'yes' is not of type 'boolean'"),
    ):
        status, body = await api("POST", f"datasets/{demo}/blindspots", bad)
        assert status == 400 and message in body["message"], body
    status, body = await api("POST", "datasets/nope/blindspots", {"model": MODEL})
    assert status == 404
    # No result yet is an empty answer, not an error (no 404 in the browser's console).
    assert await api("GET", f"datasets/{demo}/blindspots") == (204, b"")
    assert await api("GET", f"datasets/{demo}/blindspots", params={"model": MODEL}) == (204, b"")
    status, body = await api("GET", "datasets/nope/blindspots")
    assert status == 404

    status, body = await api("POST", f"datasets/{demo}/blindspots", {"model": MODEL})
    assert status == 202
    job = await wait_job(body["job"], timeout=240)
    assert job["status"] == "done", job
    result = job["result"]
    assert result["agent"] == "none" and result["tested"] > 100
    assert result["findings"], "the demo's strongest blind spots show even at 600 images"
    first = result["findings"][0]
    for key in ("id", "summary", "metric", "filter", "value", "baseline", "effect", "ci", "q",
                "n", "evidence", "python"):  # fmt: skip
        assert key in first
    # every test is listed with its outcome: the findings' headlines, their groups, the rest
    outcomes = {t["id"]: t["outcome"] for t in result["tests"]}
    assert len(outcomes) == result["tested"]
    assert {f["id"] for f in result["findings"]} == {
        i for i, o in outcomes.items() if o == "finding"
    }
    assert all(outcomes[r["id"]] == "grouped" for f in result["findings"] for r in f["related"])
    assert all(t["reason"] for t in result["tests"] if t["outcome"] == "rejected")
    # the finding's filter is a valid grid filter
    status, page = await api("POST", f"datasets/{demo}/samples/query", {"filter": first["filter"]})
    assert status == 200 and page["total"] > 0

    status, last = await api("GET", f"datasets/{demo}/blindspots", params={"model": MODEL})
    assert status == 200 and [f["id"] for f in last["findings"]] == [
        f["id"] for f in result["findings"]
    ]
    assert last["findings"][0]["review"] is None
    status, body = await api(
        "POST", f"datasets/{demo}/blindspots/{first['id']}/review", {"verdict": "maybe"}
    )
    assert status == 400
    for verdict in ("rejected", "confirmed"):
        status, body = await api(
            "POST", f"datasets/{demo}/blindspots/{first['id']}/review", {"verdict": verdict}
        )
        assert status == 200 and body == {"id": first["id"], "verdict": verdict}
    status, last = await api("GET", f"datasets/{demo}/blindspots")
    assert last["findings"][0]["review"] == "confirmed"  # the newest verdict wins


@pytest.mark.slow
async def test_blindspots_job_clusters_a_vector_space(
    vl_app: Any, api: Any, wait_job: Any, demo: str
) -> None:
    for bad, status_code, message in (
        ({"model": MODEL, "space": ""}, 400, "'space': '' does not match"),
        (
            {"model": MODEL, "space": "x", "clusters": 1},
            400,
            "'clusters': 1 is less than the minimum of 2",
        ),
        ({"model": MODEL, "space": "no-such-space"}, 404, "no-such-space"),
    ):
        status, body = await api("POST", f"datasets/{demo}/blindspots", bad)
        assert status == status_code and message in body["message"], body
    store = vl_app.vector_store()
    ids = np.asarray(sample_ids(vl_app.catalog, demo, None).to_pylist())
    with vl_app.catalog.cursor() as cur:
        dataset_id = vl_app.catalog.dataset_id(cur, demo)
    space = store.ensure_space("planted", "1", 8).name
    rng = np.random.default_rng(0)
    store.upsert(
        space, ids, (np.eye(8)[ids % 4] + 0.05 * rng.normal(size=(len(ids), 8))), dataset_id
    )

    body = {"model": MODEL, "space": space, "clusters": 4}
    status, body = await api("POST", f"datasets/{demo}/blindspots", body)
    assert status == 202
    job = await wait_job(body["job"], timeout=240)
    assert job["status"] == "done", job
    sliced = [t for t in job["result"]["tests"] if "computed.embedding_cluster = c" in t["slice"]]
    assert sliced, "the engine tested the clusters as an image attribute"
    # the four planted groups are the four clusters, which the grid filters by
    totals = []
    for label in ("c0", "c1", "c2", "c3"):
        flt = {"sample": {"computed.embedding_cluster": {"in": [label]}}}
        status, page = await api(
            "POST", f"datasets/{demo}/samples/query", {"filter": flt, "limit": 0}
        )
        assert status == 200
        totals.append(page["total"])
    assert sorted(totals) == sorted(int((ids % 4 == r).sum()) for r in range(4))


@pytest.mark.slow
async def test_notebook_blind_spots_frame(demo: str) -> None:
    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "f = vl.dataset('demo').blind_spots(model='simulated-model')\n"
            "print(json.dumps({'n': len(f), 'cols': f.columns.tolist(), 'tested': f.attrs['tested'],\n"
            "  'first': f.index[0], 'ok': bool((f.ci_low <= f.effect).all() and (f.effect <= f.ci_high).all())}))"
        )
    got = json.loads(out)
    assert got["n"] > 0 and got["tested"] > 100 and got["ok"]
    assert got["cols"][:5] == ["summary", "metric", "value", "baseline", "effect"]
