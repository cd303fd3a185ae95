"""Map REST routes on a real Jupyter server, the ``visionlens map`` command (through the
server and locally) and ``ds.map()`` in a real kernel."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.notebook_fixtures import running_kernel
from visionlens_jlab import cli
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.maps.tables import read_points
from visionlens_jlab.maps.wire import decode_frame, ids_from_ranges

from .map_fixtures import (
    MapDataset,
    open_edge_store,
    ray_casting_inside,
    star_polygon,
    write_map_dataset,
)

OCTET = "application/octet-stream"


@pytest.fixture
def blobs(vl_app: Any, http_server_client: Any) -> MapDataset:
    """600 embedded samples written through the server's catalog and vector store.

    ``http_server_client`` makes the test server listen on its port (CLI, kernels)."""
    return write_map_dataset(vl_app.catalog, vl_app.vector_store(), "blobs", 600, dim=32)


async def _map(api: Any, wait_job: Any, name: str, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = await api("POST", f"datasets/{name}/maps", body)
    assert status == 202, answer
    job = await wait_job(answer["job"], timeout=240)
    assert job["status"] == "done", job
    return dict(job["result"])


async def test_pca_map_job_cache_points_and_lasso(
    api: Any, wait_job: Any, vl_app: Any, blobs: MapDataset
) -> None:
    desc = await _map(api, wait_job, "blobs", {"method": "pca"})
    assert desc["points"] == 600 and desc["cached"] is False and desc["stale"] is False
    assert desc["space"] == blobs.space.name and desc["params"] == {}

    # Reopening: 200 with the stored map, no job; the points are the same bytes.
    status, points = await api("GET", f"datasets/blobs/maps/{desc['id']}/points")
    assert status == 200
    jobs_before = len((await api("GET", "jobs"))[1]["jobs"])
    status, again = await api("POST", "datasets/blobs/maps", {"method": "pca", "params": {}})
    assert status == 200 and again["map"]["cached"] is True and again["map"]["id"] == desc["id"]
    assert len((await api("GET", "jobs"))[1]["jobs"]) == jobs_before
    assert (await api("GET", f"datasets/blobs/maps/{desc['id']}/points"))[1] == points

    status, listed = await api("GET", "datasets/blobs/maps")
    assert status == 200
    [entry] = listed["maps"]
    assert {"id", "space", "method", "params", "points", "stale", "created_at", "bounds"} <= set(
        entry
    )

    _, header, arrays = decode_frame(points)
    assert len(points) <= 8 + 1024 + 12 * 600
    stored = read_points(vl_app.catalog, blobs.dataset_id, desc["id"])
    ids = ids_from_ranges(header["id_ranges"])[arrays["index"]]
    np.testing.assert_array_equal(ids, stored.sample_ids)
    np.testing.assert_array_equal(arrays["x"], stored.x)

    status, raw = await api(
        "GET", f"datasets/blobs/maps/{desc['id']}/points", params={"format": "arrow"}
    )
    table = pa.ipc.open_stream(io.BytesIO(raw)).read_all()
    assert status == 200 and table.column_names == ["x", "y", "index"]
    np.testing.assert_array_equal(table.column("y").to_numpy(), stored.y)

    radius = float(np.std(stored.x))
    polygon = star_polygon(float(np.median(stored.x)), float(np.median(stored.y)), radius)
    flt = {"sample": {"split": {"in": ["train", "test"]}}}
    train_test = set(blobs.sample_ids[0::3].tolist()) | set(blobs.sample_ids[2::3].tolist())
    want = [
        int(s)
        for s, a, b in zip(stored.sample_ids, stored.x, stored.y, strict=True)
        if ray_casting_inside(float(a), float(b), polygon) and int(s) in train_test
    ]
    route = f"datasets/blobs/maps/{desc['id']}/select"
    status, answer = await api("POST", route, {"polygon": polygon, "filter": flt})
    assert status == 200 and answer == {"count": len(want), "ids": want} and want
    status, raw = await api(
        "POST", route, {"polygon": polygon, "filter": flt}, headers={"Accept": OCTET}
    )
    assert status == 200 and np.frombuffer(raw, "<i8").tolist() == want
    # a browsed version's filter (test_maps_engine: its answers): named, checked, looked up
    status, answer = await api("POST", route, {"polygon": polygon, "filter": flt, "version": 7})
    assert status == 404 and "no version 7" in answer["message"]
    status, answer = await api("POST", route, {"polygon": polygon, "version": "x"})
    assert status == 400 and "'version'" in answer["message"]

    status, raw = await api(
        "GET", f"datasets/blobs/maps/{desc['id']}/values", params={"field": "split"}
    )
    _, header, arrays = decode_frame(raw)
    assert status == 200 and header["type"] == "categorical"
    assert [header["legend"][c]["value"] for c in arrays["values"][:4]] == [
        "train", "val", "test", "train",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "needle"),
    [
        (
            "POST",
            "datasets/blobs/maps",
            {"method": "kmeans"},
            400,
            "'method': 'kmeans' is not one of",
        ),
        ("POST", "datasets/blobs/maps", {}, 400, "'method' is a required property"),
        (
            "POST",
            "datasets/blobs/maps",
            {"method": "umap", "params": {"k": 1}},
            400,
            "unknown umap",
        ),
        ("POST", "datasets/blobs/maps", {"method": "pca", "space": "nope"}, 404, "no vector space"),
        ("POST", "datasets/blobs/maps", {"method": "pca", "recompute": 1}, 400, "'recompute'"),
        ("POST", "datasets/nope/maps", {"method": "pca"}, 404, "no dataset named 'nope'"),
        ("GET", "datasets/blobs/maps/pca-000/points", None, 404, "no map 'pca-000'"),
        ("POST", "datasets/blobs/maps/pca-000/select", {"rect": [0, 0, 1, 1]}, 404, "no map"),
        ("GET", "datasets/blobs/maps/pca-000", None, 404, "no map"),
    ],
)
async def test_map_errors(
    api: Any,
    blobs: MapDataset,
    method: str,
    path: str,
    body: Any,
    status: int,
    needle: str,
) -> None:
    code, answer = await api(method, path, body)
    assert code == status, answer
    assert needle in answer["message"]


async def test_select_and_values_errors(api: Any, wait_job: Any, blobs: MapDataset) -> None:
    map_id = (await _map(api, wait_job, "blobs", {"method": "pca"}))["id"]
    route = f"datasets/blobs/maps/{map_id}"
    for body, needle in [
        ({}, "exactly one"),
        ({"polygon": [[0, 0], [1, 1]]}, "'polygon': [[0, 0], [1, 1]] is too short"),
        ({"polygon": "x"}, "polygon"),
        ({"rect": [0, 0, 1]}, "rect"),
        ({"rect": [0, 0, 1, 1], "mode": "xor"}, "mode"),
        ({"rect": [0, 0, 1, 1], "ids_in": ["a"]}, "ids_in"),
        ({"rect": [0, 0, 1, 1], "filter": {"bogus": 1}}, "unknown filter keys"),
    ]:
        code, answer = await api("POST", f"{route}/select", body)
        assert code == 400 and needle in answer["message"], (body, answer)
    for field, needle in [("", "'field' is required"), ("nope", "unknown sample field")]:
        code, answer = await api(
            "GET", f"{route}/values", params={"field": field} if field else None
        )
        assert code == 400 and needle in answer["message"]


@pytest.mark.slow
async def test_umap_and_tsne_jobs_run_in_a_worker(
    api: Any, wait_job: Any, vl_app: Any, blobs: MapDataset
) -> None:
    for method, params in [("umap", {"seed": 1}), ("tsne", {"n_iter": 100})]:
        desc = await _map(api, wait_job, "blobs", {"method": method, "params": params})
        assert desc["points"] == 600 and desc["params"]["pca_dims"] == 50
        stored = read_points(vl_app.catalog, blobs.dataset_id, desc["id"])
        assert np.isfinite(stored.x).all() and np.isfinite(stored.y).all()

    # Samples losing their vector: a UMAP map is answered as stored, marked stale.
    vl_app.vector_store().delete(blobs.sample_ids[:3], blobs.space.name)
    status, answer = await api(
        "POST", "datasets/blobs/maps", {"method": "umap", "params": {"seed": 1}}
    )
    assert status == 200 and answer["map"]["stale"] is True and answer["map"]["removed"] == 3


async def test_map_job_cancel_stores_nothing(
    api: Any, wait_job: Any, vl_app: Any, http_server_client: Any
) -> None:
    # 3,000 points, not the 600 of `blobs`: their optimisation lasts long enough that the
    # polls below meet it midway even when a loaded machine delays the server's loop (with
    # 600, a run under CI's load saw only its last report, done = total and ETA 0)
    write_map_dataset(vl_app.catalog, vl_app.vector_store(), "blobs", 3000, dim=32)
    status, answer = await api(
        "POST", "datasets/blobs/maps", {"method": "tsne", "params": {"n_iter": 5000}}
    )
    assert status == 202
    job_id = answer["job"]["id"]
    seen = set()
    for _ in range(1200):  # until the worker reports twice (a rate needs two reports)
        state = (await api("GET", f"jobs/{job_id}"))[1]
        seen.add(state["stage"])
        if state["stage"] == "optimising" and state["items_per_second"] is not None:
            break
        await asyncio.sleep(0.05)
    # Progress as embedding jobs report it: a stage, a rate and an ETA for counted stages.
    assert state["stage"] == "optimising" and state["items_per_second"] > 0, state
    assert state["eta_seconds"] > 0 and state["message"].startswith("optimising: "), state
    assert 0.2 < state["progress"] < 1.0, state
    assert seen <= {"", "reading vectors", "pca", "affinities", "optimising"}, seen
    assert _map_workers(), "the reduction runs in a worker process"
    status, _ = await api("DELETE", f"jobs/{job_id}")
    assert status == 200
    assert (await wait_job(answer["job"]))["status"] == "cancelled"
    for _ in range(100):
        if not _map_workers():
            break
        await asyncio.sleep(0.05)
    assert not _map_workers(), "cancelling terminates the worker"
    assert (await api("GET", "datasets/blobs/maps"))[1]["maps"] == []


def _map_workers() -> list[Any]:
    """Live spawned children of this process (the test server runs in it)."""
    import psutil

    return [
        p
        for p in psutil.Process().children(recursive=True)
        if p.is_running()
        and p.status() != psutil.STATUS_ZOMBIE
        and "spawn_main" in " ".join(p.cmdline())
    ]


async def test_cli_map_through_the_server(
    vl_app: Any, vl_data_dir: Path, blobs: MapDataset, tmp_path: Path
) -> None:
    out = tmp_path / "map.parquet"
    env = {**os.environ, "VISIONLENS_DATA_DIR": str(vl_data_dir)}
    results = []
    for _ in range(2):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "visionlens_jlab.cli", "map", "blobs", "--json",
            "--out", str(out), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=env,
        )  # fmt: skip
        stdout, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        results.append(json.loads(stdout))
    first, second = results
    assert {"dataset", "space", "method", "params", "points", "seconds", "cached"} <= set(first)
    assert first["cached"] is False and second["cached"] is True
    assert first["points"] == 600 and first["method"] == "pca"
    table = pq.read_table(out)
    stored = read_points(vl_app.catalog, blobs.dataset_id, first["id"])
    np.testing.assert_array_equal(table.column("sample_id").to_numpy(), stored.sample_ids)
    np.testing.assert_array_equal(table.column("x").to_numpy(), stored.x)


def test_cli_map_local(tmp_path: Path, capsys: Any) -> None:
    data = tmp_path / "data"
    with Catalog(data) as catalog, open_edge_store(data / "vectors" / "edge") as store:
        ds = write_map_dataset(catalog, store, "blobs", 300, dim=16)
    out = tmp_path / "m.parquet"
    argv = ["map", "blobs", "--data-dir", str(data), "--json", "--out", str(out)]
    assert cli.main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["cached"] is False and first["points"] == 300
    assert cli.main(argv) == 0
    assert json.loads(capsys.readouterr().out)["cached"] is True
    np.testing.assert_array_equal(pq.read_table(out).column("sample_id").to_numpy(), ds.sample_ids)
    code = cli.main(
        ["map", "blobs", "--method", "umap", "--params", "{bad", "--data-dir", str(data)]
    )
    assert code == 2 and "--params" in capsys.readouterr().err
    code = cli.main(["map", "nope", "--data-dir", str(data)])
    assert code == 1 and "no dataset named 'nope'" in capsys.readouterr().err


async def test_notebook_map_dataframe(vl_app: Any, blobs: MapDataset) -> None:
    async with running_kernel() as k:
        out = await k.check(
            "import json, visionlens_jlab.notebook as vl\n"
            "ds = vl.dataset('blobs')\n"
            "m = ds.map(method='pca')\n"
            "print(json.dumps({'cols': m.columns.tolist(), 'ids': m.sample_id.tolist(),\n"
            "  'x': m.x.tolist(), 'id': m.attrs['map']['id'], 'maps': len(ds.maps())}))\n"
        )
    got = json.loads(out)
    assert got["cols"] == ["sample_id", "x", "y"] and got["maps"] == 1
    stored = read_points(vl_app.catalog, blobs.dataset_id, got["id"])
    assert got["ids"] == stored.sample_ids.tolist()
    np.testing.assert_allclose(got["x"], stored.x, rtol=1e-6)
