"""Where a model job's time goes: the stage timer alone, then real jobs (a tiny open_clip
embedder, a tiny DETR detector) on real photos, their stage reports checked against the
job's wall time, and a stage made slow on purpose named as the one that bounds the job."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.embed import wire as embed_wire
from visionlens_jlab.embed.job import EmbedOptions, run_embedding
from visionlens_jlab.embed.models import parse_model
from visionlens_jlab.embed.stream import embed_stream
from visionlens_jlab.jobs.job import Job, JobContext
from visionlens_jlab.jobs.stages import STAGES, StageTimer, summary
from visionlens_jlab.predict import prepare as prepare_module
from visionlens_jlab.predict import wire as predict_wire
from visionlens_jlab.predict.base import PredictOptions
from visionlens_jlab.predict.job import run_prediction
from visionlens_jlab.predict.stream import predict_stream
from visionlens_jlab.vectors import open_vector_store

from .embed_fixtures import save_tiny_clip
from .predict_fixtures import photo_fixtures, save_tiny_detr

N_IMAGES = 7

photos, catalog = photo_fixtures(N_IMAGES)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    return {"detr": save_tiny_detr(root / "detr"), "clip": save_tiny_clip(root / "clip")}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_nested_stages_are_taken_out_of_the_outer_one_and_threads_count_as_busy() -> None:
    clock = Clock()
    timer = StageTimer(clock=clock)
    with timer.stage("forward"):
        clock.now += 1.0
        with timer.stage("transfer"):
            clock.now += 0.25
        clock.now += 1.0
    # a decoder thread's time is busy time only: the driving loop did not wait for it
    worker = threading.Thread(target=lambda: timer.add("decode", 3.0))
    worker.start()
    worker.join()
    timer.add("read", 1.0)  # timed by the caller on this (the driving) thread: on the path
    timer.waited(2.0, ("read", "decode"))  # shared 1:3 by their busy time (1 s and 3 s)
    clock.now += 4.0
    report = timer.report()
    assert report["seconds"]["forward"] == 2.0 and report["seconds"]["transfer"] == 0.25
    assert report["busy"]["decode"] == 3.0 and report["seconds"]["decode"] == 1.5
    assert report["seconds"]["read"] == 1.0 + 0.5
    assert report["wall_seconds"] == 6.25 and report["bound_by"] == "forward"
    assert report["gpu_busy"] is None and report["gpu_seconds"] is None  # a CPU: no figure
    with pytest.raises(ValueError, match="unknown stage"):
        with timer.stage("thinking"):
            pass


class StandInEvent:
    """A CUDA event's stand-in on the CPU: ``record`` reads the test's clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock, self.at, self.synced = clock, 0.0, False

    def record(self) -> None:
        self.at = self.clock.now

    def synchronize(self) -> None:
        self.synced = True

    def elapsed_time(self, end: StandInEvent) -> float:
        assert end.synced  # read only once the forward pass ended on the device
        return (end.at - self.at) * 1000.0


def test_gpu_busy_is_the_forward_passes_device_time_over_the_wall_time() -> None:
    clock = Clock()
    timer = StageTimer("cuda", events=lambda: StandInEvent(clock), clock=clock)
    job = StageTimer(clock=clock)  # the job that writes what the stream computes
    for _ in range(3):
        with timer.stage("preprocess"):
            clock.now += 0.5  # not a forward pass: the GPU idles
        with timer.stage("forward"):
            clock.now += 1.5
    report = timer.report()
    assert report["gpu_seconds"] == 4.5 and report["gpu_busy"] == 0.75
    # the job joins the report of the process that computed: its GPU time counts
    job.absorb(report)
    with job.stage("write"):
        clock.now += 1.0
    joined = job.report()
    assert joined["gpu_seconds"] == 4.5 and joined["gpu_busy"] == round(4.5 / 7.0, 4)
    assert joined["seconds"]["write"] == 1.0 and joined["seconds"]["forward"] == 4.5
    assert "GPU busy 64%" in summary(joined)


def test_streams_that_compute_while_the_job_writes_share_only_its_remaining_time() -> None:
    clock = Clock()
    job = StageTimer(clock=clock)
    with job.stage("write"):
        clock.now += 1.0
    clock.now += 1.0  # the job waits one second for its workers
    # a worker computed three seconds meanwhile: part of it while the job wrote
    worker = {"seconds": {"decode": 1.0, "forward": 2.0}, "busy": {"decode": 1.0, "forward": 2.0}}
    job.absorb({**worker, "gpu_seconds": None, "wall_seconds": 3.0, "pid": 7})
    joined = job.report()
    assert joined["wall_seconds"] == 2.0 and joined["seconds"]["write"] == 1.0
    assert joined["seconds"]["decode"] == round(1 / 3, 4)
    assert joined["seconds"]["forward"] == round(2 / 3, 4)
    assert sum(joined["seconds"].values()) <= joined["wall_seconds"] + 1e-3
    assert joined["busy"]["forward"] == 2.0 and joined["bound_by"] == "write"


def check_report(report: dict[str, Any], job_seconds: float) -> None:
    """Every stage present and non-negative; they sum to within the job's wall time."""
    assert set(report["seconds"]) == set(report["busy"]) == set(STAGES)
    assert all(v >= 0 for v in report["seconds"].values())
    assert all(v >= 0 for v in report["busy"].values())
    assert report["wall_seconds"] <= job_seconds
    assert sum(report["seconds"].values()) <= report["wall_seconds"] + 1e-3
    assert report["bound_by"] in STAGES and report["gpu_busy"] is None  # this CPU


def test_an_embedding_job_reports_its_stages(catalog: Catalog, models: dict[str, Path]) -> None:
    spec = parse_model(None, str(models["clip"]))
    options = EmbedOptions("photos", spec, "cpu", 3)
    seen: list[str] = []

    def source(items: Any) -> Iterator[tuple]:
        for message in embed_stream(spec.to_json(), list(items), "cpu", 3, "auto"):
            seen.append(message[0])
            yield message

    job = Job("j1", "embed", "embed photos")
    with open_vector_store(catalog.data_dir) as store:
        result = run_embedding(JobContext(job), catalog, store, options, source)
    assert result["embedded"] == N_IMAGES
    report = result["stages"]
    check_report(report, result["seconds"])
    for stage in ("read", "decode", "preprocess", "forward", "postprocess", "write"):
        assert report["busy"][stage] > 0, stage
    assert report["seconds"]["forward"] > 0 and report["seconds"]["write"] > 0
    assert seen[-2:] == ["stages", "done"]  # the last report before the end
    assert job.stages is not None and set(job.stages["seconds"]) == set(STAGES)  # progress
    assert job.to_dict()["stages"] == job.stages


def test_a_detector_job_reports_its_stages(catalog: Catalog, models: dict[str, Path]) -> None:
    options = PredictOptions("photos", str(models["detr"]), batch_size=3, min_score=0.05)
    job = Job("j2", "predictions", "detect")
    result = run_prediction(JobContext(job), catalog, options, predict_stream)
    assert result["processed"] == N_IMAGES
    report = result["stages"]
    check_report(report, result["seconds"])
    for stage in STAGES:  # every stage of a transformers detector runs
        assert report["busy"][stage] > 0, stage
    assert job.stages is not None and job.stages["pid"] == report["pid"]


def test_slow_reads_show_as_the_stage_that_bounds_the_job(
    catalog: Catalog, models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = prepare_module.read_bytes

    def slow_disk(location: str) -> bytes:
        # well above the tiny model's forward pass even on a loaded 2-core machine (0.3 s
        # was not, at a load of 12 in a CI run)
        time.sleep(1.0)
        return real(location)

    monkeypatch.setattr(prepare_module, "read_bytes", slow_disk)
    options = PredictOptions("photos", str(models["detr"]), batch_size=3, min_score=0.05)
    result = run_prediction(None, catalog, options, predict_stream)
    report = result["stages"]
    check_report(report, result["seconds"])
    assert report["bound_by"] == "read"
    assert report["seconds"]["read"] > report["seconds"]["forward"]
    assert "bound by read" in summary(report)


def test_a_slow_forward_pass_shows_as_the_stage_that_bounds_an_embedding_job(
    catalog: Catalog, models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from visionlens_jlab.embed.openclip import OpenClipEmbedder

    real = OpenClipEmbedder._forward

    def slow_model(self: Any, *args: Any) -> Any:
        time.sleep(0.2)
        return real(self, *args)

    monkeypatch.setattr(OpenClipEmbedder, "_forward", slow_model)
    spec = parse_model(None, str(models["clip"]))
    with open_vector_store(catalog.data_dir) as store:
        result = run_embedding(
            None,
            catalog,
            store,
            EmbedOptions("photos", spec, "cpu", 2),
            lambda items: embed_stream(spec.to_json(), list(items), "cpu", 2, "auto"),
        )
    check_report(result["stages"], result["seconds"])
    assert result["stages"]["bound_by"] == "forward"


def test_stage_reports_travel_from_a_kernel_as_they_are() -> None:
    timer = StageTimer()
    with timer.stage("forward"):
        time.sleep(0.01)
    report = timer.report()
    assert predict_wire.decode_message(predict_wire.encode_message(("stages", report))) == (
        "stages",
        report,
    )
    assert embed_wire.decode_message(embed_wire.encode_message(("stages", report))) == (
        "stages",
        report,
    )
