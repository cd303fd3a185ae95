"""Model jobs on the ``ray`` runner, on the session's real Ray cluster (loopback addresses):
detections, captions, VLM answers and zero-shot labels equal the process runner's, a resumed run sends
only the images not done, and a job through the REST route reports progress and is
cancelled on the cluster.

The driver runs as the server runs it (:func:`~visionlens_jlab.predict.service.ray_source`:
a long-lived driver process, its model actors kept between jobs); the models are tiny
random checkpoints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.jobs.ray_driver import RayDriver
from visionlens_jlab.predict.base import PredictOptions
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.service import ray_source
from visionlens_jlab.predict.stream import predict_stream

from .embed_fixtures import save_tiny_clip
from .predict_fixtures import (
    cartucho_subset,
    ingest_subset,
    photo_fixtures,
    save_tiny_blip,
    save_tiny_blip2,
    save_tiny_detr,
)
from .ray_fixtures import CANCEL_SETTLE_S, RayTestCluster, wait_until

pytestmark = pytest.mark.timeout(600)

N_IMAGES = 6
CANCEL_IMAGES = 40
MIN_SCORE = 0.05


photos, catalog = photo_fixtures(N_IMAGES)


@pytest.fixture
def ray_driver(ray_cluster: RayTestCluster) -> Iterator[RayDriver]:
    """The server's driver of the cluster, ended (its actors with it) after the test."""
    driver = RayDriver(ray_cluster.address, idle_timeout=120)
    yield driver
    driver.close()


def boxes(catalog: Catalog, source: str) -> list[tuple]:
    with catalog.cursor() as cur:
        return sorted(
            cur.execute(
                "SELECT sample_id, label, x, y, w, h, score FROM annotations WHERE source = ?",
                [source],
            ).fetchall()
        )


def texts(catalog: Catalog, fields: str) -> dict[tuple[int, str], str]:
    """The computed text values of the fields matching the LIKE pattern ``fields``, which
    are then deleted (the next run with the same parameters computes every image again)."""
    with catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT sample_id, field, text FROM computed_values WHERE field LIKE ?", [fields]
        ).fetchall()
        cur.execute("DELETE FROM computed_values WHERE field LIKE ?", [fields])
    return {(sample_id, field): text for sample_id, field, text in rows}


def labels(catalog: Catalog, source: str) -> list[tuple]:
    with catalog.cursor() as cur:
        return sorted(
            cur.execute(
                "SELECT sample_id, label, score, scores FROM classifications WHERE source = ?",
                [source],
            ).fetchall()
        )


def assert_cluster(result: dict[str, Any], cluster: RayTestCluster, images: int) -> None:
    """The result names the runner's cluster and the workers that did the images."""
    assert result["cluster"]["address"] == cluster.address
    assert set(result["cluster"]["nodes"]) <= {cluster.head_ip, cluster.worker_ip}
    assert sum(w["images"] for w in result["cluster"]["workers"]) == images
    assert (result["cluster"]["missing"], result["cluster"]["duplicates_dropped"]) == (0, 0)


def test_detections_equal_the_process_runner_and_a_resumed_run_sends_only_the_rest(
    ray_cluster: RayTestCluster, catalog: Catalog, tmp_path: Path, ray_driver: RayDriver
) -> None:
    detr = save_tiny_detr(tmp_path / "detr")
    by_ray = ray_source(None, ray_driver)
    common = {"batch_size": 2, "min_score": MIN_SCORE}
    local = PredictOptions("photos", str(detr), name="by-process", **common)  # type: ignore[arg-type]
    assert run_prediction(None, catalog, local, predict_stream)["processed"] == N_IMAGES
    view = {"sample": {"file_name": {"contains": "2007_00003"}}}
    options = PredictOptions("photos", str(detr), name="by-ray", runner="ray", **common)  # type: ignore[arg-type]
    first = run_prediction(None, catalog, replace(options, filter=view), by_ray)
    assert 0 < first["processed"] < N_IMAGES and first["runner"] == "ray"
    assert_cluster(first, ray_cluster, first["processed"])
    given: list[int] = []

    def recording(request: dict[str, Any], items: Any) -> Iterator[tuple[Any, ...]]:
        given.extend(int(item[0]) for item in items)
        yield from by_ray(request, items)

    rest = run_prediction(None, catalog, options, recording)
    assert (rest["skipped"], rest["processed"]) == (
        first["processed"],
        N_IMAGES - first["processed"],
    )
    assert len(given) == N_IMAGES - first["processed"]
    assert_cluster(rest, ray_cluster, len(given))
    assert first["cluster"]["actors_started"] > 0  # the detector loaded once, for both runs
    assert rest["cluster"]["actors_started"] == 0
    assert (rest["device"], rest["failed"]) == ("cpu", 0)
    reference, ray_rows = boxes(catalog, "by-process"), boxes(catalog, "by-ray")
    assert len(ray_rows) == len(reference) > 0
    assert [r[:2] for r in ray_rows] == [r[:2] for r in reference]
    np.testing.assert_allclose([r[2:] for r in ray_rows], [r[2:] for r in reference], atol=1e-4)


def test_captions_vlm_answers_and_zero_shot_labels_equal_the_process_runner(
    ray_cluster: RayTestCluster, catalog: Catalog, tmp_path: Path, ray_driver: RayDriver
) -> None:
    by_ray = ray_source(None, ray_driver)
    for task, model, fields in (
        ("caption", save_tiny_blip(tmp_path / "blip"), "caption"),
        ("vlm", save_tiny_blip2(tmp_path / "blip2"), "vlm_%"),
    ):
        options = PredictOptions("photos", str(model), task=task, batch_size=4)
        run_prediction(None, catalog, options, predict_stream)
        reference = texts(catalog, fields)
        result = run_prediction(None, catalog, replace(options, runner="ray"), by_ray)
        assert (result["processed"], result["failed"]) == (N_IMAGES, 0)
        assert texts(catalog, fields) == reference and len(reference) >= N_IMAGES
        assert_cluster(result, ray_cluster, N_IMAGES)

    clip = save_tiny_clip(tmp_path / "clip")
    classes = ("pottedplant", "sofa", "chair")
    zero_shot = {"task": "classify", "classes": classes, "batch_size": 4}
    local = PredictOptions("photos", str(clip), name="zs-process", **zero_shot)  # type: ignore[arg-type]
    run_prediction(None, catalog, local, predict_stream)
    remote = PredictOptions("photos", str(clip), name="zs-ray", runner="ray", **zero_shot)  # type: ignore[arg-type]
    result = run_prediction(None, catalog, remote, by_ray)
    assert result["processed"] == N_IMAGES
    reference_labels, ray_labels = labels(catalog, "zs-process"), labels(catalog, "zs-ray")
    assert [r[:2] for r in ray_labels] == [r[:2] for r in reference_labels]
    for (*_, score, scores), (*_, ref_score, ref_scores) in zip(
        ray_labels, reference_labels, strict=True
    ):
        assert abs(score - ref_score) < 1e-5
        got, want = json.loads(scores), json.loads(ref_scores)
        assert got.keys() == want.keys() and all(abs(got[k] - want[k]) < 1e-5 for k in got)


@pytest.fixture
def vl_settings(ray_cluster: RayTestCluster) -> dict[str, Any]:
    return {"ray_address": ray_cluster.address}  # the server's default cluster


async def test_a_job_through_the_rest_route_reports_progress_and_cancel_stops_the_cluster(
    api: Any,
    wait_job: Any,
    wait_midway: Any,
    vl_app: Any,
    ray_cluster: RayTestCluster,
    tmp_path: Path,
) -> None:
    """``"runner": "ray"`` uses the server's default cluster; cancelling the job cancels
    its tasks and actor calls on the cluster (the driver and its actors stay, warm), and
    what came back is kept."""
    from visionlens_jlab.predict.model_runs import model_run_state

    ingest_subset(vl_app.catalog, "photos", cartucho_subset(tmp_path / "photos", CANCEL_IMAGES))
    detr = save_tiny_detr(tmp_path / "detr", shortest=800, longest=1333)  # slow enough
    body = {"model": str(detr), "runner": "ray", "batch_size": 1, "min_score": MIN_SCORE}
    status, answer = await api("POST", "datasets/photos/predict", body)
    assert status == 202 and answer["job"]["lane"] == "gpu"
    await wait_midway(answer["job"], "predicting", 0.0, timeout=300.0)
    assert ray_cluster.job_processes()  # decode tasks and model actors are running
    status, _ = await api("DELETE", f"jobs/{answer['job']['id']}")
    assert status == 200
    assert (await wait_job(answer["job"], 120))["status"] == "cancelled"
    # no task, no actor busy: queued work is cancelled at once, a block already being
    # computed (one per actor and per decode task) finishes first, which on a machine
    # busy with other suites (CI runs the browser tests beside pytest) takes tens of s
    wait_until(lambda: not ray_cluster.job_processes(), CANCEL_SETTLE_S)
    assert vl_app.ray_drivers.get(ray_cluster.address).pid in [p.pid for p in drivers()]
    kept = len(model_run_state(vl_app.catalog, "photos", "detr").done)
    assert 0 < kept < CANCEL_IMAGES  # what came back before the cancel was written


def drivers() -> list[psutil.Process]:
    """Job worker processes (the Ray drivers) this server process spawned."""
    return [
        p
        for p in psutil.Process().children()
        if p.is_running() and "spawn_main" in " ".join(p.cmdline())
    ]
