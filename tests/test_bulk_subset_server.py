"""``POST /datasets/{name}/subset`` on a real Jupyter server: the copy runs as a job and the
new dataset is listed; what it would refuse is refused before a job starts."""

from __future__ import annotations

from typing import Any

from .vectors_fixtures import add_dataset


async def test_subset_job_makes_a_dataset_and_refuses_bad_requests(
    api: Any, wait_job: Any, vl_app: Any
) -> None:
    _, ids = add_dataset(vl_app.catalog, "src", 12)
    view = {"ids": ids[3:8]}
    status, answer = await api("POST", "datasets/src/subset", {"to": "part", "filter": view})
    assert status == 202, answer
    assert answer["job"]["kind"] == "subset" and answer["job"]["dataset"] == "src"
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    assert job["result"]["samples"] == 5 and job["result"]["dataset"] == "part"
    status, listed = await api("GET", "datasets")
    assert {d["name"]: d["num_samples"] for d in listed["datasets"]} == {"src": 12, "part": 5}

    refused = [
        ({"to": "part", "filter": view}, 409),  # the name is taken
        ({"to": "x", "filter": {"sample": {"nope": 1}}}, 400),  # a bad filter
        ({"to": " ", "filter": view}, 400),  # a blank name
    ]
    for body, code in refused:
        status, answer = await api("POST", "datasets/src/subset", body)
        assert status == code, (body, answer)
    status, _ = await api("POST", "datasets/missing/subset", {"to": "y"})
    assert status == 404
    status, listed = await api("GET", "datasets")
    assert len(listed["datasets"]) == 2


async def test_notebook_subset_makes_a_dataset(vl_app: Any, http_server_client: Any) -> None:
    """``ds.subset(filter, name=...)`` in a real kernel, through the server."""
    import json

    from .notebook_fixtures import running_kernel

    _, ids = add_dataset(vl_app.catalog, "nb", 10)
    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "ds = vl.dataset('nb')\n"
            f"r = ds.subset({{'ids': {ids[:4]}}}, name='nb4', progress=False)\n"
            "print(json.dumps({'r': r, 'n': len(vl.dataset('nb4'))}))\n"
        )
    got = json.loads(out)
    assert got["r"]["samples"] == 4 and got["n"] == 4
    assert {d["name"] for d in vl_app.catalog.list_datasets()} == {"nb", "nb4"}
