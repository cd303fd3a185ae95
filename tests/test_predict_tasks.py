"""The task declarations of model jobs (:mod:`visionlens_jlab.predict.tasks`) are what the
CLI, the REST schema and the catalog see: each task's declared effects are the changes a
real run of it makes, each its declared result kind the messages its stream yields."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.derived import registry as derived
from visionlens_jlab.catalog.derived.changes import Change
from visionlens_jlab.cli import build_parser
from visionlens_jlab.predict.base import PredictError, PredictOptions, WorkItem
from visionlens_jlab.predict.job import request_of, run_prediction
from visionlens_jlab.predict.stream import predict_stream
from visionlens_jlab.predict.tasks import REGISTRY, TASK_NAMES, task_of
from visionlens_jlab.predict.wire import RESULT_KINDS

from .embed_fixtures import save_tiny_clip
from .predict_fixtures import photo_fixtures, save_tiny_blip, save_tiny_blip2, save_tiny_detr

N_IMAGES = 3
OPENAPI = Path(__file__).resolve().parents[1] / "visionlens_jlab" / "openapi.yaml"

photos, catalog = photo_fixtures(N_IMAGES)

MODELS: dict[str, Callable[[Path], Path]] = {
    "detect": save_tiny_detr,
    "caption": save_tiny_blip,
    "classify": save_tiny_clip,
    "vlm": save_tiny_blip2,
}
"""A tiny real model per task: a task added without one here fails :func:`test_every_task_has_a_model_here`."""
CLASSES = ("pottedplant", "sofa", "chair")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    return {name: save(root / name) for name, save in MODELS.items()}


def _choices(parser: argparse.ArgumentParser, *path: str) -> list[str]:
    for name in path:  # down the subcommands
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    task = next(a for a in parser._actions if a.dest == "task")
    assert task.default == TASK_NAMES[0]
    return list(task.choices or ())


def test_the_cli_and_the_rest_schema_offer_the_registered_tasks() -> None:
    assert _choices(build_parser("predict"), "predict") == list(TASK_NAMES)
    spec = yaml.safe_load(OPENAPI.read_text())
    body = spec["paths"]["/datasets/{name}/predict"]["post"]["requestBody"]
    task = body["content"]["application/json"]["schema"]["properties"]["task"]
    assert sorted(task["enum"]) == sorted(TASK_NAMES)
    assert task["default"] == TASK_NAMES[0]


def test_an_unregistered_task_is_refused_naming_the_registered_ones() -> None:
    with pytest.raises(PredictError, match="unknown task 'segment': use " + ", ".join(TASK_NAMES)):
        PredictOptions("photos", "m", task="segment")
    askers = [t.name for t in REGISTRY.values() if t.takes_questions]
    for name in set(TASK_NAMES) - set(askers):
        with pytest.raises(PredictError, match="questions are for --task"):
            PredictOptions("photos", "m", task=name, questions=({"key": "k"},))


def test_every_task_has_a_model_here() -> None:
    assert set(MODELS) == set(REGISTRY)


def test_each_task_has_its_own_kind_of_result_message() -> None:
    """The wire format (kernel and Ray runners) carries every task's results, and no two
    tasks' messages can be mistaken for each other."""
    kinds = [task.result_kind for task in REGISTRY.values()]
    assert len(set(kinds)) == len(kinds)
    assert set(kinds) == set(RESULT_KINDS)


@pytest.mark.parametrize("name", TASK_NAMES)
def test_a_tasks_declared_effects_are_the_changes_a_real_run_makes(
    name: str, catalog: Catalog, models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real tiny model of each task run as a job on a real catalog; the changes its writes
    report to the registry of derived structures (what the lab refreshes on) are recorded
    by a structure depending on every kind of change."""
    task = task_of(name)
    seen: list[Change] = []

    def record(_catalog: Any, _cur: Any, change: Change, _written: Any) -> None:
        seen.append(change)

    everything = frozenset(derived.Kind)
    recorder = derived.Structure("test: every change", everything, record)
    monkeypatch.setitem(derived._STRUCTURES, recorder.name, recorder)
    options = PredictOptions(
        "photos", str(models[name]), task=name, name=f"t-{name}", classes=CLASSES, min_score=0.0
    )
    result = run_prediction(None, catalog, options, predict_stream)
    assert result["processed"] == N_IMAGES and result["failed"] == 0
    assert {c.kind.value for c in seen} == task.effects
    assert result["name"] == task.writer(catalog, seen[0].dataset_id, options).name


@pytest.mark.parametrize("name", TASK_NAMES)
def test_a_tasks_stream_yields_its_declared_result_kind(
    name: str, photos: Path, models: dict[str, Path]
) -> None:
    task = task_of(name)
    options = PredictOptions("photos", str(models[name]), task=name, classes=CLASSES)
    files = sorted(p for p in photos.rglob("*.jpg"))[:2]
    items = [WorkItem(i, str(f), 0, 0) for i, f in enumerate(files)]
    messages = list(predict_stream(request_of(options, list(CLASSES)), items))
    kinds = [m[0] for m in messages]
    assert kinds[0] == "meta" and kinds[-2:] == ["stages", "done"]
    assert set(kinds[1:-1]) == {task.result_kind, "stages"}  # where the time went, as it goes
    assert messages[0][1]["task"] == name
