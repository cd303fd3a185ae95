"""Embedding jobs through a real Jupyter server: process and kernel runners, real Qdrant Edge
vectors, incremental runs, kill -9 of the worker, cancel, the one-at-a-time GPU lane."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import psutil

from .embed_fixtures import add_photos, save_tiny_clip

SPACE_KEYS = {"space", "model", "version", "dim", "count", "complete", "preprocessing"}


def spawned_workers() -> list[psutil.Process]:
    """Worker processes this (server) process spawned with multiprocessing."""
    return [
        p
        for p in psutil.Process().children()
        if p.is_running() and "spawn_main" in " ".join(p.cmdline())
    ]


async def test_process_runner_embeds_then_only_what_is_missing(
    api: Any, wait_job: Any, vl_app: Any
) -> None:
    ids = add_photos(vl_app, "photos", 60)
    status, answer = await api("POST", "datasets/photos/embed", {"model": "builtin-color-gradient"})
    assert status == 202 and answer["job"]["lane"] == "gpu"
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    result = job["result"]
    assert (result["embedded"], result["skipped"], result["failed"]) == (60, 0, 0)
    assert (result["model"], result["dim"], result["runner"]) == (
        "builtin-color-gradient",
        448,
        "process",
    )
    assert (result["device"], result["dtype"]) == ("cpu", "float32")
    assert result["pid"] != os.getpid()  # computed in the spawned worker
    store = vl_app.vector_store()
    assert store.ids(result["space"]).tolist() == ids  # real Qdrant Edge points, one per sample
    status, body = await api("GET", "datasets/photos/spaces")
    assert status == 200
    (space,) = body["spaces"]
    assert SPACE_KEYS <= set(space)
    assert (space["space"], space["count"], space["complete"], space["dim"]) == (
        result["space"],
        60,
        True,
        448,
    )

    again = await wait_job((await api("POST", "datasets/photos/embed", {}))[1]["job"])
    assert (again["result"]["embedded"], again["result"]["skipped"]) == (0, 60)
    assert again["result"]["model"] == "builtin-color-gradient"  # the default here (offline)

    store.delete(ids[10:15], space=result["space"])  # five samples lose their vector
    _, body = await api("GET", "datasets/photos/spaces")
    assert body["spaces"][0]["complete"] is False and body["spaces"][0]["count"] == 55
    third = await wait_job((await api("POST", "datasets/photos/embed", {}))[1]["job"])
    assert (third["result"]["embedded"], third["result"]["skipped"]) == (5, 55)
    assert store.ids(result["space"]).tolist() == ids


async def test_tiny_open_clip_checkpoint_through_the_process_runner(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    add_photos(vl_app, "photos", 12)
    tiny = save_tiny_clip(tmp_path / "tiny")
    # the deprecated precision: mapped to dtype bfloat16 (used as asked: no float32 check)
    body = {"checkpoint": str(tiny), "device": "auto", "batch_size": 5, "precision": "bf16"}
    status, answer = await api("POST", "datasets/photos/embed", body)
    assert status == 202 and "use dtype bfloat16" in answer["notice"]
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    result = job["result"]
    assert (result["model"], result["dim"], result["embedded"]) == ("tiny", 32, 12)
    assert result["version"].startswith("checkpoint-")
    assert result["device"] == "cpu" and "no CUDA GPU" in result["notice"]
    assert result["batch_size"] == 5
    assert (result["dtype"], result["reduced_cosine"]) == ("bfloat16", None)
    assert vl_app.vector_store().count(result["space"]) == 12


async def test_bad_requests_are_refused_before_queueing(api: Any, vl_app: Any) -> None:
    add_photos(vl_app, "photos", 2)
    cases = [
        ("datasets/nope/embed", {}, 404, "nope"),
        ("datasets/photos/embed", {"device": "tpu"}, 400, "'device': 'tpu' is not one of"),
        ("datasets/photos/embed", {"runner": "thread"}, 400, "unknown runner"),
        ("datasets/photos/embed", {"runner": "kernel:no-such-spec"}, 400, "no kernelspec"),
        (
            "datasets/photos/embed",
            {"batch_size": 0},
            400,
            "'batch_size': 0 is less than the minimum",
        ),
        ("datasets/photos/embed", {"checkpoint": "/no/such.bin"}, 400, "does not exist"),
        ("datasets/photos/embed", {"model": "ViT-L-14"}, 400, "which weights"),
        ("datasets/photos/embed", {"colour": 1}, 400, "('colour' was unexpected)"),
        ("datasets/photos/embed", {"dtype": "fp32"}, 400, "'dtype': 'fp32' is not one of"),
        ("datasets/photos/embed", {"precision": "half"}, 400, "'precision': 'half' is not one of"),
        ("datasets/photos/embed", {"precision": "bf16", "dtype": "float32"}, 400, "contradicts"),
    ]
    for path, body, code, text in cases:
        status, answer = await api("POST", path, body)
        assert status == code and text in answer["message"], (body, answer)
    _, jobs = await api("GET", "jobs")
    assert jobs["jobs"] == []


async def test_kill_9_of_the_worker_leaves_no_space_and_the_rerun_completes(
    api: Any, wait_job: Any, wait_midway: Any, vl_app: Any, tmp_path: Path
) -> None:
    ids = add_photos(vl_app, "photos", 600)
    tiny = save_tiny_clip(tmp_path / "tiny")
    body = {"checkpoint": str(tiny), "batch_size": 1}
    _, answer = await api("POST", "datasets/photos/embed", body)
    await wait_midway(answer["job"], "embedding")
    (worker,) = spawned_workers()
    worker.kill()  # SIGKILL, mid-job
    job = await wait_job(answer["job"])
    assert job["status"] == "failed" and "died" in job["error"]
    _, spaces = await api("GET", "datasets/photos/spaces")
    assert spaces["spaces"] == []  # nothing half-written is visible
    space = next(s.name for s in vl_app.vector_store().spaces())
    partial = vl_app.vector_store().count(space)
    assert 0 < partial < 600

    body["batch_size"] = 64
    rerun = await wait_job((await api("POST", "datasets/photos/embed", body))[1]["job"])
    assert rerun["status"] == "done", rerun
    assert (rerun["result"]["embedded"], rerun["result"]["skipped"]) == (600 - partial, partial)
    assert vl_app.vector_store().ids(space).tolist() == ids
    _, spaces = await api("GET", "datasets/photos/spaces")
    assert spaces["spaces"][0]["complete"] and spaces["spaces"][0]["count"] == 600


async def test_cancel_stops_the_worker_and_the_gpu_lane_queues(
    api: Any, wait_job: Any, wait_midway: Any, vl_app: Any, tmp_path: Path
) -> None:
    add_photos(vl_app, "photos", 600)
    tiny = save_tiny_clip(tmp_path / "tiny")
    body = {"checkpoint": str(tiny), "batch_size": 1}
    _, first = await api("POST", "datasets/photos/embed", body)
    _, second = await api("POST", "datasets/photos/embed", {"model": "builtin-color-gradient"})
    assert second["job"]["queue_position"] == 1 and second["job"]["status"] == "queued"
    state = await wait_midway(first["job"], "embedding")
    (first_worker,) = spawned_workers()
    assert state["queue_position"] is None and state["items_per_second"] is not None
    assert state["eta_seconds"] is not None and state["stage"] == "embedding"
    _, listed = await api("GET", f"jobs/{second['job']['id']}")
    assert listed["status"] == "queued" and listed["queue_position"] == 1

    status, _ = await api("DELETE", f"jobs/{first['job']['id']}")
    assert status == 200
    assert (await wait_job(first["job"]))["status"] == "cancelled"
    done = await wait_job(second["job"])  # the queue moves on
    assert done["status"] == "done" and done["result"]["embedded"] == 600
    # the cancelled job's worker is gone; the finished job's stays, warm for the next job
    deadline = time.monotonic() + 10
    while first_worker in spawned_workers() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    (kept,) = spawned_workers()
    assert kept.pid != first_worker.pid
    assert vl_app.model_workers.idle_tags() == ["embed builtin-color-gradient (auto, auto)"], (
        vl_app.model_workers.idle_tags()
    )


async def test_kernel_runner_computes_in_a_kernel_the_server_started(
    api: Any, wait_job: Any, vl_app: Any, jp_serverapp: Any
) -> None:
    ids = add_photos(vl_app, "photos", 30)
    body = {"model": "builtin-color-gradient", "runner": "kernel", "batch_size": 8}
    job = await wait_job((await api("POST", "datasets/photos/embed", body))[1]["job"], 180)
    assert job["status"] == "done", job
    result = job["result"]
    assert (result["runner"], result["embedded"], result["batch_size"]) == ("kernel", 30, 8)
    assert result["pid"] != os.getpid()
    kernel_pids = {p.pid for p in psutil.Process().children(recursive=True)}
    assert result["pid"] not in kernel_pids  # and that kernel was shut down afterwards
    assert jp_serverapp.kernel_manager.list_kernel_ids() == []
    assert vl_app.vector_store().ids(result["space"]).tolist() == ids

    # A failure inside the kernel fails the job with the kernel's message; the kernel goes.
    body = {"model": "ViT-B-32:laion2b_s34b_b79k", "runner": "kernel"}
    failed = await wait_job((await api("POST", "datasets/photos/embed", body))[1]["job"], 180)
    assert failed["status"] == "failed" and "not on this machine" in failed["error"]
    assert jp_serverapp.kernel_manager.list_kernel_ids() == []


async def test_uploads_to_unknown_jobs_are_404_and_bad_bodies_400(api: Any) -> None:
    status, body = await api("GET", "jobs/123-4/embeddings")
    assert status == 404 and "no kernel embedding job" in body["message"]
    status, body = await api(
        "POST", "jobs/123-4/embeddings", headers={"Content-Type": "application/octet-stream"}
    )
    assert status == 400 and "not an embedding message" in body["message"]


async def test_models_route_lists_the_builtin_default(api: Any) -> None:
    status, body = await api("GET", "models", timeout=120)  # starts a worker: slow under load
    assert status == 200
    default = [m for m in body["models"] if m["default"]]
    assert [m["name"] for m in default] == ["builtin-color-gradient"]
    assert any(m["name"] == "ViT-B-32" and not m["available_offline"] for m in body["models"])


async def test_reconcile_route_drops_rows_of_vanished_spaces(
    api: Any, wait_job: Any, vl_app: Any
) -> None:
    add_photos(vl_app, "photos", 10)
    job = await wait_job((await api("POST", "datasets/photos/embed", {}))[1]["job"])
    space = job["result"]["space"]
    vl_app.vector_store().drop_space(space)  # drift: the catalog still records the space
    status, report = await api("POST", "vectors/reconcile")
    assert status == 200
    assert report["space_rows"]["rows_dropped"] == [{"dataset_id": 1, "space": space}]
    _, spaces = await api("GET", "datasets/photos/spaces")
    assert spaces["spaces"] == []


async def test_models_are_listed_by_one_worker_until_the_checkpoint_changes(
    api: Any, vl_app: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from visionlens_jlab.embed import service as embedding_service

    workers: list[Any] = []
    real = embedding_service.stream_from_worker

    def counting(*args: Any, **kwargs: Any) -> Any:  # the real worker, counted
        workers.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(embedding_service, "stream_from_worker", counting)
    first = (await api("GET", "models", timeout=120))[1]["models"]
    again = (await api("GET", "models", timeout=120))[1]["models"]
    assert again == first and len(workers) == 1  # a worker takes seconds: asked once
    checkpoint = save_tiny_clip(tmp_path / "tiny")
    vl_app.embedding.checkpoint = str(checkpoint)  # the setting changed
    changed = (await api("GET", "models", timeout=120))[1]["models"]
    assert len(workers) == 2
    assert [m["source"] for m in changed if m["default"]] == ["checkpoint"]
    assert (await api("GET", "models", timeout=120))[1]["models"] == changed and len(workers) == 2
    weights = checkpoint / "open_clip_pytorch_model.bin"
    os.utime(weights, ns=(time.time_ns(), time.time_ns() + 10**9))  # new weights saved
    await api("GET", "models", timeout=120)
    assert len(workers) == 3
