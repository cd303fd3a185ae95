"""Job status changes and label edits reach ``/api/events/subscribe`` (what the lab follows
instead of polling): a real server, a real ingest and real edits through the REST API, the
real events websocket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError
from tornado.websocket import WebSocketClientConnection

from visionlens_jlab.handlers.evaluate import EVALUATE_JOB
from visionlens_jlab.jobs.events import JOB_EVENT_SCHEMA_ID, LABELS_EVENT_SCHEMA_ID

from .conftest import ApiCall
from .ingest_fixtures import write_coco


async def job_events(
    socket: WebSocketClientConnection, job_id: str, until: str, timeout: float = 60
) -> list[dict[str, Any]]:
    """The VisionLens events of ``job_id`` read from ``socket`` until its status ``until``."""
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["status"] != until:
        message = await asyncio.wait_for(socket.read_message(), timeout)
        assert message is not None, "the events socket closed"
        event = json.loads(message)
        if event["schema_id"] == JOB_EVENT_SCHEMA_ID and event["id"] == job_id:
            seen.append(event)
    return seen


async def test_an_ingest_sends_its_status_changes(
    jp_ws_fetch: Callable[..., Awaitable[WebSocketClientConnection]],
    api: ApiCall,
    tmp_path: Path,
) -> None:
    socket = await jp_ws_fetch("api", "events", "subscribe")
    source = tmp_path / "annotations.json"
    write_coco(source, 3)
    status, body = await api("POST", "datasets", {"source": str(source), "name": "cars"})
    assert status == 202, body
    events = await job_events(socket, body["job"]["id"], "done")
    assert [e["status"] for e in events] == ["queued", "running", "done"]
    assert {(e["kind"], e["dataset"]) for e in events} == {("ingest", "cars")}
    socket.close()


async def test_a_failed_job_ends_in_failed(
    jp_ws_fetch: Callable[..., Awaitable[WebSocketClientConnection]], vl_app: Any
) -> None:
    socket = await jp_ws_fetch("api", "events", "subscribe")

    def broken(ctx: Any) -> None:
        raise ValueError("no such model")

    job = vl_app.jobs.submit(EVALUATE_JOB, broken, dataset="cars")
    events = await job_events(socket, job.id, "failed")
    last = events[-1]
    assert (last["kind"], last["status"], last["dataset"]) == ("evaluate", "failed", "cars")
    socket.close()


async def test_events_need_authentication(
    jp_ws_fetch: Callable[..., Awaitable[WebSocketClientConnection]],
) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await jp_ws_fetch("api", "events", "subscribe", headers={"Authorization": ""})
    assert refused.value.code in (302, 401, 403)  # 302: sent to the login page


async def labels_event(socket: WebSocketClientConnection, timeout: float = 60) -> dict[str, Any]:
    """The next labels event read from ``socket``."""
    while True:
        message = await asyncio.wait_for(socket.read_message(), timeout)
        assert message is not None, "the events socket closed"
        event = json.loads(message)
        if event["schema_id"] == LABELS_EVENT_SCHEMA_ID:
            return dict(event)


async def test_label_edits_send_their_batch_and_samples(
    jp_ws_fetch: Callable[..., Awaitable[WebSocketClientConnection]],
    api: ApiCall,
    tmp_path: Path,
) -> None:
    source = tmp_path / "annotations.json"
    write_coco(source, 3)
    status, body = await api("POST", "datasets", {"source": str(source), "name": "cars"})
    socket = await jp_ws_fetch("api", "events", "subscribe")
    await job_events(socket, body["job"]["id"], "done")
    status, page = await api("POST", "datasets/cars/samples/query", {"filter": {}, "limit": 10})
    boxes = [(s["sample_id"], a) for s in page["samples"] for a in s["annotations"]]
    (sample, first), (_, second) = boxes[0], boxes[-1]

    ops = [{"op": "delete", "annotation_id": first["ann_id"]}]
    status, done = await api("POST", "datasets/cars/edits", {"operations": ops})
    assert status == 200, done
    event = await labels_event(socket)
    assert (event["dataset"], event["batch"], event["kind"]) == ("cars", done["batch"], "edit")
    assert event["sample_ids"] == done["sample_ids"] == [sample]

    status, undone = await api("POST", "datasets/cars/edits/undo", {})
    event = await labels_event(socket)
    assert (event["kind"], event["batch"], event["sample_ids"]) == (
        "undo",
        undone["batch"],
        [sample],
    )

    # a refused edit writes nothing and tells nothing: the next event is the next batch
    status, _ = await api("POST", "datasets/cars/edits", {"operations": [{"op": "nope"}]})
    assert status == 400
    tag = [{"op": "tag", "annotation_id": second["ann_id"], "tag": "check"}]
    status, tagged = await api("POST", "datasets/cars/edits", {"operations": tag})
    event = await labels_event(socket)
    assert (event["batch"], event["sample_ids"]) == (tagged["batch"], [boxes[-1][0]])
    socket.close()
