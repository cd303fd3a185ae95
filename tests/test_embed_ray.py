"""The ``ray`` runner on a real two-node Ray cluster on this machine (loopback addresses),
through a real Jupyter server and the CLI: the vectors equal the process runner's, resume,
the warm model actors reused by the next job (replaced by another model's, released when
idle), cancel, a worker node killed mid-job, and the cluster's sockets."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.features import load as load_features
from visionlens_jlab.vectors import open_vector_store

from .embed_fixtures import add_photos, photos
from .media_fixtures import add_dataset, gcs_bucket, gcs_upload
from .ray_fixtures import CANCEL_SETTLE_S, RayTestCluster, is_loopback

pytestmark = pytest.mark.timeout(600)

BUILTIN = "builtin-color-gradient"


@pytest.fixture
def vl_settings(request: pytest.FixtureRequest, ray_cluster: RayTestCluster) -> dict[str, Any]:
    """The server's default cluster, and a test's own settings (``indirect`` parameter)."""
    return {"ray_address": ray_cluster.address, **getattr(request, "param", {})}


def actor_pids(cluster: dict[str, Any]) -> set[int]:
    """The PIDs of the model actors that did a job's images (its workers)."""
    return {int(w["worker"].rsplit(":", 1)[1]) for w in cluster["workers"]}


def drivers() -> list[psutil.Process]:
    """Job worker processes (the Ray drivers) this server process spawned and that still
    run: one that ended is gone or a zombie until reaped, and reads as none."""
    found = []
    for p in psutil.Process().children():
        try:
            running = p.status() != psutil.STATUS_ZOMBIE
            if running and "spawn_main" in " ".join(p.cmdline()):
                found.append(p)
        except psutil.Error:  # it ended while being read
            continue
    return found


async def wait_embedding(api: Any, job: dict[str, Any], timeout: float = 240.0) -> None:
    """Wait until the job has written some vectors (it is mid-way)."""
    deadline = time.monotonic() + timeout
    while True:
        _, state = await api("GET", f"jobs/{job['id']}")
        if state["stage"] == "embedding" and (state["progress"] or 0) > 0:
            return
        assert state["status"] in ("queued", "running"), state
        assert time.monotonic() < deadline, state
        await asyncio.sleep(0.1)


async def wait_until(check: Any, timeout: float, still: Any = None) -> None:
    """Poll ``check()``; after ``timeout`` s fail, saying what ``still()`` finds then."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not true after {timeout} s: {still and still()}"
        await asyncio.sleep(0.2)


def cosines(store: Any, space: str, a: list[int], b: list[int]) -> np.ndarray:
    """Row-wise cosine of the stored vectors of samples ``a`` and ``b``."""
    ids_a, va = store.get_vectors(space, a)
    ids_b, vb = store.get_vectors(space, b)
    assert ids_a.tolist() == a and ids_b.tolist() == b
    return np.einsum("ij,ij->i", va, vb) / (np.linalg.norm(va, axis=1) * np.linalg.norm(vb, axis=1))


async def test_ray_vectors_equal_the_process_runner_and_resume_sends_only_the_missing(
    api: Any, wait_job: Any, vl_app: Any, ray_cluster: RayTestCluster
) -> None:
    local = add_photos(vl_app, "local", 200)
    remote = add_photos(vl_app, "cluster", 200)  # the same images, other samples
    _, answer = await api("POST", "datasets/local/embed", {"model": BUILTIN})
    reference = await wait_job(answer["job"], timeout=240)
    assert reference["status"] == "done", reference
    status, answer = await api(
        "POST", "datasets/cluster/embed", {"model": BUILTIN, "runner": "ray"}
    )
    assert status == 202 and answer["job"]["lane"] == "gpu"
    job = await wait_job(answer["job"], timeout=300)
    assert job["status"] == "done", job
    result = job["result"]
    assert (result["embedded"], result["skipped"], result["failed"]) == (200, 0, 0)
    assert (result["runner"], result["device"], result["dim"]) == ("ray", "cpu", 448)
    cluster = result["cluster"]
    assert cluster["address"] == ray_cluster.address
    assert cluster["nodes"] == sorted([ray_cluster.head_ip, ray_cluster.worker_ip])
    assert sum(w["images"] for w in cluster["workers"]) == 200 and cluster["missing"] == 0
    assert set(cluster["nodes_used"]) <= set(cluster["nodes"]) and cluster["workers"]
    store = vl_app.vector_store()
    space = result["space"]
    assert cosines(store, space, local, remote).min() >= 0.9999

    store.delete(remote[50:70], space=space)  # 20 samples lose their vector
    runner = f"ray:{ray_cluster.address}"  # the address given explicitly this time
    _, answer = await api("POST", "datasets/cluster/embed", {"model": BUILTIN, "runner": runner})
    again = await wait_job(answer["job"], timeout=300)
    assert again["status"] == "done", again
    assert (again["result"]["embedded"], again["result"]["skipped"]) == (20, 180)
    assert sum(w["images"] for w in again["result"]["cluster"]["workers"]) == 20
    # the second job ran on the first job's model actors, still loaded: no model loaded again
    assert cluster["actors_started"] == cluster["model_actors"] > 0
    assert again["result"]["cluster"]["actors_started"] == 0
    reused = actor_pids(again["result"]["cluster"])
    assert reused and reused <= actor_pids(cluster) and reused <= ray_cluster.model_actors()
    assert store.ids(space, None).tolist() == sorted(local + remote)
    assert cosines(store, space, local, remote).min() >= 0.9999


def test_the_cluster_talks_only_on_loopback(ray_cluster: RayTestCluster) -> None:
    """Every connection of the cluster's processes stays on loopback, and every listener is
    on a loopback address except the C++ gRPC servers (GCS, raylets, core workers), which
    Ray 2.60 binds to the wildcard address with no setting to change it. ``make test-python``
    runs the suite in a network namespace that has only loopback
    (``tests/isolated_network.py``), where the wildcard reaches nothing else."""
    sockets = ray_cluster.sockets()
    connected = [s for s in sockets if s.remote]
    assert connected  # the cluster's processes do talk to each other
    assert [s for s in connected if not (is_loopback(s.local) and is_loopback(s.remote))] == []
    listening = [s for s in sockets if s.status == psutil.CONN_LISTEN]
    outside = [s for s in listening if not is_loopback(s.local)]
    native = ("gcs_server", "raylet", "ray::")
    assert [s for s in outside if not any(n in s.name for n in native)] == []
    assert [s for s in outside if s.local not in ("0.0.0.0", "::")] == []
    if outside and os.environ.get("VISIONLENS_TEST_NETWORK") == "isolated":
        interfaces = psutil.net_if_addrs()
        assert set(interfaces) == {"lo"}
        assert all(
            is_loopback(a.address.split("%")[0])
            for a in interfaces["lo"]
            if a.family in (socket.AF_INET, socket.AF_INET6)
        )


def test_the_cli_without_a_server_is_the_driver_and_the_writer(
    ray_cluster: RayTestCluster, tmp_path: Path
) -> None:
    load_features()
    data_dir = tmp_path / "cli-data"
    files = photos()
    with Catalog(data_dir) as catalog:
        add_dataset(catalog, "photos", str(files[0].parent), [str(f) for f in files[:40]])
    runner = f"ray:{ray_cluster.address}"
    argv = ["embed", "photos", "--model", BUILTIN, "--runner", runner, "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", *argv, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert (result["runner"], result["embedded"], result["dim"]) == (runner, 40, 448)
    assert result["cluster"]["address"] == ray_cluster.address
    assert sum(w["images"] for w in result["cluster"]["workers"]) == 40
    with open_vector_store(data_dir) as store:
        assert store.count(result["space"]) == 40


async def test_images_on_gcs_are_read_by_the_cluster_workers(
    api: Any, wait_job: Any, vl_app: Any, ray_cluster: RayTestCluster
) -> None:
    files = photos()[:24]
    bucket = gcs_bucket("vl-ray")
    for f in files:
        gcs_upload(bucket, f"imgs/{f.name}", f.read_bytes())
    local = add_dataset(vl_app.catalog, "local", str(files[0].parent), [str(f) for f in files])
    remote = [f"gs://vl-ray/imgs/{f.name}" for f in files]
    in_gcs = add_dataset(vl_app.catalog, "gcs", "gs://vl-ray/imgs", remote)
    _, answer = await api("POST", "datasets/local/embed", {"model": BUILTIN})
    assert (await wait_job(answer["job"], timeout=240))["status"] == "done"
    _, answer = await api("POST", "datasets/gcs/embed", {"model": BUILTIN, "runner": "ray"})
    job = await wait_job(answer["job"], timeout=300)
    assert job["status"] == "done", job
    assert (job["result"]["embedded"], job["result"]["failed"]) == (24, 0)
    assert cosines(vl_app.vector_store(), job["result"]["space"], local, in_gcs).min() >= 0.9999


@pytest.mark.parametrize("vl_settings", [{"ray_warm_model": BUILTIN}], indirect=True)
async def test_the_warm_model_setting_loads_the_actors_before_the_first_job(
    api: Any, wait_job: Any, vl_app: Any, ray_cluster: RayTestCluster
) -> None:
    warm_up = vl_app.ray_warm_up  # started with the server, before any request
    assert warm_up is not None
    await asyncio.to_thread(warm_up.join, 240)
    assert not warm_up.is_alive()
    driver = vl_app.ray_drivers.get(ray_cluster.address)
    assert driver.pid in [p.pid for p in drivers()]
    loaded = ray_cluster.model_actors()
    assert loaded
    add_photos(vl_app, "photos", 40)
    _, answer = await api("POST", "datasets/photos/embed", {"model": BUILTIN, "runner": "ray"})
    job = await wait_job(answer["job"], timeout=300)
    assert job["status"] == "done", job
    cluster = job["result"]["cluster"]
    # the server's first job ran on the actors the warm-up loaded: none started for it
    assert cluster["actors_started"] == 0 and actor_pids(cluster) <= loaded


@pytest.mark.parametrize("vl_settings", [{"ray_warm_model": "no-such-model"}], indirect=True)
async def test_a_warm_model_that_cannot_load_leaves_the_server_working(
    api: Any, vl_app: Any, ray_cluster: RayTestCluster
) -> None:
    assert vl_app.ray_warm_up is None  # refused before anything started (logged)
    status, _ = await api("GET", "datasets")
    assert status == 200


async def test_cancel_stops_the_work_on_the_cluster(
    api: Any, wait_job: Any, vl_app: Any, ray_cluster: RayTestCluster
) -> None:
    add_photos(vl_app, "photos", 5000)  # a model actor computes a block (256) per call
    body = {"model": BUILTIN, "runner": "ray", "batch_size": 4}
    _, answer = await api("POST", "datasets/photos/embed", body)
    await wait_embedding(api, answer["job"])
    assert ray_cluster.job_processes()  # decode tasks and model actors are running
    status, _ = await api("DELETE", f"jobs/{answer['job']['id']}")
    assert status == 200
    assert (await wait_job(answer["job"]))["status"] == "cancelled"
    # no task, no actor busy: the queued actor calls are cancelled at once; a block being
    # computed and the decode tasks already sent (at most IN_FLIGHT per actor) finish,
    # which on a machine busy with other suites (CI runs the browser tests beside pytest)
    # takes tens of s. A decode task interrupted by ray.cancel could hang for good.
    await wait_until(
        lambda: not ray_cluster.job_processes(), CANCEL_SETTLE_S, ray_cluster.job_processes
    )
    _, spaces = await api("GET", "datasets/photos/spaces")
    assert spaces["spaces"] == []  # nothing half-written is visible
    driver = vl_app.ray_drivers.get(ray_cluster.address)  # kept, its actors warm
    assert driver.pid in [p.pid for p in drivers()] and ray_cluster.model_actors()


@pytest.mark.parametrize("vl_settings", [{"ray_idle_timeout_s": 8.0}], indirect=True)
async def test_another_model_replaces_the_warm_actors_and_an_idle_driver_releases_them(
    api: Any, wait_job: Any, vl_app: Any, ray_cluster: RayTestCluster
) -> None:
    add_photos(vl_app, "a", 40)
    add_photos(vl_app, "b", 40)
    _, answer = await api("POST", "datasets/a/embed", {"model": BUILTIN, "runner": "ray"})
    first = (await wait_job(answer["job"], timeout=300))["result"]["cluster"]
    assert first["actors_started"] > 0 and actor_pids(first) <= ray_cluster.model_actors()
    other = {"model": BUILTIN, "runner": "ray", "dtype": "float32"}  # other settings
    _, answer = await api("POST", "datasets/b/embed", other)
    second = (await wait_job(answer["job"], timeout=300))["result"]["cluster"]
    assert second["actors_started"] > 0 and not actor_pids(first) & actor_pids(second)
    await wait_until(lambda: not actor_pids(first) & ray_cluster.model_actors(), 30)
    assert actor_pids(second) <= ray_cluster.model_actors()
    driver = vl_app.ray_drivers.get(ray_cluster.address)
    pid = driver.pid
    assert pid in [p.pid for p in drivers()]
    # 8 s without a job: the driver process ends, and Ray ends the actors it owned
    await wait_until(
        lambda: pid not in [p.pid for p in drivers()] and not ray_cluster.model_actors(), 60
    )
    assert driver.pid is None


async def test_a_worker_node_killed_mid_job_loses_nothing_and_writes_nothing_twice(
    api: Any, wait_job: Any, vl_app: Any, ray_cluster: RayTestCluster
) -> None:
    # enough images that the job is still running when the test sees it mid-way (the kill
    # must land mid-job): blocks of 256, so each of the two actors has blocks queued after
    # its first result, even on warm actors on an idle machine (600 was done in one poll)
    n = 1500
    ids = add_photos(vl_app, "photos", n)
    body = {"model": BUILTIN, "runner": "ray", "batch_size": 8}
    _, answer = await api("POST", "datasets/photos/embed", body)
    await wait_embedding(api, answer["job"])
    raylet = ray_cluster.raylet(ray_cluster.worker_ip)
    node = [raylet, *raylet.children(recursive=True)]
    for proc in node:  # the machine dies: kill -9, raylet first
        proc.kill()
    psutil.wait_procs(node, timeout=10)
    job = await wait_job(answer["job"], timeout=300)
    assert job["status"] == "done", job
    result = job["result"]
    assert (result["embedded"], result["failed"], result["cluster"]["missing"]) == (n, 0, 0)
    assert sum(w["images"] for w in result["cluster"]["workers"]) == n  # each counted once
    assert vl_app.vector_store().ids(result["space"]).tolist() == ids
    _, spaces = await api("GET", "datasets/photos/spaces")
    assert spaces["spaces"][0]["complete"] and spaces["spaces"][0]["count"] == n
