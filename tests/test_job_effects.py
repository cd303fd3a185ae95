"""Jobs say what data they changed (issue #48 item 2): each kind declares its effects where
its jobs are started, and a job that ends well tells them in its event and in ``GET /jobs``,
which the lab follows (``src/model/jobEffects.ts``) instead of a table of kinds. A real
server, a real ingest and predictions import, the real events websocket."""

from __future__ import annotations

import ast
import asyncio
import importlib
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from tornado.websocket import WebSocketClientConnection

import visionlens_jlab
from visionlens_jlab.jobs import JobEffects, JobKind, JobManager
from visionlens_jlab.jobs.events import DATASET_EVENT_SCHEMA_ID
from visionlens_jlab.jobs.journal import JobJournal

from .conftest import ApiCall
from .ingest_fixtures import write_coco
from .test_job_events import job_events

PACKAGE = Path(visionlens_jlab.__file__).parent


async def dataset_event(socket: WebSocketClientConnection, timeout: float = 60) -> dict[str, Any]:
    """The next dataset event read from ``socket``."""
    while True:
        message = await asyncio.wait_for(socket.read_message(), timeout)
        assert message is not None, "the events socket closed"
        event = json.loads(message)
        if event["schema_id"] == DATASET_EVENT_SCHEMA_ID:
            return dict(event)


async def listed(api: ApiCall, job_id: str) -> dict[str, Any]:
    """``job_id`` as ``GET /jobs`` lists it."""
    status, body = await api("GET", "jobs")
    assert status == 200, body
    (job,) = [j for j in body["jobs"] if j["id"] == job_id]
    return dict(job)


async def test_jobs_tell_the_data_they_changed_once_done(
    jp_ws_fetch: Callable[..., Awaitable[WebSocketClientConnection]],
    api: ApiCall,
    tmp_path: Path,
) -> None:
    socket = await jp_ws_fetch("api", "events", "subscribe")
    source = tmp_path / "annotations.json"
    write_coco(source, 3, boxes_per_image=2)
    status, body = await api("POST", "datasets", {"source": str(source), "name": "cars"})
    assert status == 202, body
    assert body["job"]["effects"] is None  # queued: it has changed nothing yet
    events = await job_events(socket, body["job"]["id"], "done")
    assert [e["effects"] for e in events[:-1]] == [None, None]  # queued, running
    ingested = {"data": ["samples"], "datasets": "created"}
    assert events[-1]["effects"] == ingested
    assert (await listed(api, body["job"]["id"]))["effects"] == ingested
    # what it said is what it did: the samples, and a new entry of the datasets list
    assert (await dataset_event(socket))["change"] == "created"
    status, datasets = await api("GET", "datasets")
    assert [d["name"] for d in datasets["datasets"]] == ["cars"], datasets

    # a predictions import: a prediction set, and a new model in the datasets list
    annotations = json.loads(source.read_text())["annotations"]
    results = tmp_path / "results.json"
    results.write_text(json.dumps([{**a, "score": 0.5} for a in annotations]))
    request = {"source": str(results), "model": "m1"}
    status, body = await api("POST", "datasets/cars/predictions", request)
    assert status == 202, body
    events = await job_events(socket, body["job"]["id"], "done")
    imported = {"data": ["predictions"], "datasets": "changed"}
    assert events[-1]["effects"] == imported
    job = await listed(api, body["job"]["id"])
    assert (job["effects"], job["result"]["predictions"]) == (imported, len(annotations))
    assert (await dataset_event(socket))["change"] == "changed"
    socket.close()


async def test_a_failed_job_tells_no_effects(
    jp_ws_fetch: Callable[..., Awaitable[WebSocketClientConnection]],
    api: ApiCall,
    tmp_path: Path,
) -> None:
    socket = await jp_ws_fetch("api", "events", "subscribe")
    source = tmp_path / "broken.json"
    source.write_text("{not json")
    status, body = await api("POST", "datasets", {"source": str(source), "name": "cars"})
    assert status == 202, body
    events = await job_events(socket, body["job"]["id"], "failed")
    assert {e["effects"] is None for e in events} == {True}
    assert (await listed(api, body["job"]["id"]))["effects"] is None
    socket.close()


def test_effects_outlive_a_restart(tmp_path: Path) -> None:
    kind = JobKind("t", JobEffects(data=("fields", "evaluation"), datasets="changed"))
    jobs = JobManager(max_workers=1, journal=JobJournal(tmp_path))
    try:
        done = jobs.wait(jobs.submit(kind, lambda ctx: None, dataset="cars").id)
    finally:
        jobs.shutdown()
    again = JobManager(max_workers=1, journal=JobJournal(tmp_path))
    try:
        (restored,) = again.list()
        assert restored.to_dict()["effects"] == done.to_dict()["effects"]
        assert restored.to_dict()["effects"] == {
            "data": ["fields", "evaluation"],
            "datasets": "changed",
        }
    finally:
        again.shutdown()


def submitted_kinds() -> Iterator[tuple[str, int, ast.expr]]:
    """Every job started in the package: ``(module, line, kind argument)`` of each call of
    a job manager's ``submit`` (``jobs.submit``, ``self._jobs.submit``) or of a handler's
    ``submit_job``, but those passing on a ``JobKind`` parameter (``submit_job`` itself)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        passed_on = {
            (id(node), arg.arg)
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            for arg in fn.args.args + fn.args.kwonlyargs
            if arg.annotation is not None and ast.unparse(arg.annotation) == "JobKind"
            for node in ast.walk(fn)
            if isinstance(node, ast.Call)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = ast.unparse(node.func.value)
            manager = node.func.attr == "submit" and owner.split(".")[-1] in ("jobs", "_jobs")
            if not ((manager or node.func.attr == "submit_job") and node.args):
                continue
            arg = node.args[0]
            if not (isinstance(arg, ast.Name) and (id(node), arg.id) in passed_on):
                yield module, node.lineno, arg


def test_every_job_kind_declares_its_effects() -> None:
    kinds: dict[str, JobKind] = {}
    for module, line, arg in submitted_kinds():
        where = f"{module}:{line}"
        # a kind named on the spot (a string) would start jobs that say nothing of their effects
        assert isinstance(arg, ast.Name), f"{where}: start jobs with a declared JobKind"
        kind = getattr(importlib.import_module(module), arg.id, None)
        assert isinstance(kind, JobKind), f"{where}: {arg.id} is not a module's JobKind"
        assert isinstance(kind.effects, JobEffects), where
        assert kinds.setdefault(kind.name, kind) is kind, f"{kind.name} is declared twice"
    # the scan finds every kind there was when this test was written
    assert set(kinds) >= {
        "ingest", "predictions", "predict", "evaluate", "embed", "duplicates", "image_quality",
        "label_quality", "plugin-field", "blindspots", "export", "map", "thumbnails",
    }  # fmt: skip
