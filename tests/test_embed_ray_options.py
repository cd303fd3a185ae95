"""The ``ray`` runner's arguments and its driver-side bookkeeping, without a cluster (the
cluster tests are in test_embed_ray.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from visionlens_jlab.embed.ray_runner import EmbedModel
from visionlens_jlab.jobs.ray_pipeline import Deduplicator, Placement, Stage, model_actors
from visionlens_jlab.jobs.ray_pool import RaySession

from .embed_fixtures import add_photos


def test_a_retried_batch_is_kept_once_and_counted() -> None:
    dedup = Deduplicator([1, 2, 3, 4, 5])
    assert dedup.keep(np.array([1, 2, 3])).tolist() == [True, True, True]
    assert dedup.keep(np.array([3, 4, 2])).tolist() == [False, True, False]  # a retry's repeats
    assert (dedup.dropped, dedup.missing) == (2, 1)
    assert dedup.keep(np.array([9])).tolist() == [False]  # never sent: not ours to write


def test_a_warm_pool_runs_each_job_at_its_own_batch_size() -> None:
    session = RaySession("127.0.0.1:1")  # never connected: choosing a pool needs no cluster
    settings = {"spec_json": {"model": "m"}, "device": "cpu", "dtype": "auto"}
    first = session.pool_for(Stage(EmbedModel, settings, 32))
    again = session.pool_for(Stage(EmbedModel, dict(settings), 4))
    assert again is first  # same model and settings: the warm actors are kept
    assert again.model.batch_size == 4  # but the blocks are cut at this job's batch size
    other = session.pool_for(Stage(EmbedModel, {**settings, "dtype": "float32"}, 4))
    assert other is not first


def test_one_model_per_gpu_else_one_pinned_to_each_node_that_keeps_a_cpu_for_decoding() -> None:
    gpus = {"node_cpus": {"a": 32.0, "b": 32.0}, "gpus": 8.0}
    assert model_actors(gpus) == [Placement({"num_gpus": 1})] * 8
    cpus = {"node_cpus": {"b": 2.0, "a": 2.0}, "gpus": 0.0}
    assert model_actors(cpus) == [Placement({"num_cpus": 1}, "a"), Placement({"num_cpus": 1}, "b")]
    # a one-CPU node's actor holds none (else its decode tasks could never start); a head
    # started with --num-cpus 0 gets no model
    mixed = {"node_cpus": {"head": 0.0, "small": 1.0, "big": 16.0}, "gpus": 0.0}
    assert model_actors(mixed) == [
        Placement({"num_cpus": 1}, "big"),
        Placement({"num_cpus": 0}, "small"),
    ]


async def test_ray_without_an_address_is_refused_before_queueing(
    api: Any, vl_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    add_photos(vl_app, "photos", 2)
    status, answer = await api("POST", "datasets/photos/embed", {"runner": "ray"})
    assert status == 400 and "no Ray cluster address" in answer["message"], answer
    _, jobs = await api("GET", "jobs")
    assert jobs["jobs"] == []
