"""Writes made by another process (the ``visionlens`` CLI in a terminal) while a server runs
reach the open labs as the same server events as the lab's own writes, each told once: a
real server, the real CLI as a subprocess, the real events websocket."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tornado.websocket import WebSocketClientConnection

import visionlens_jlab.cli
from visionlens_jlab.jobs.events import DATASET_EVENT_SCHEMA_ID, LABELS_EVENT_SCHEMA_ID

from .conftest import ApiCall
from .ingest_fixtures import write_coco

Subscribe = Callable[..., Awaitable[WebSocketClientConnection]]


async def run_cli(*args: str, data_dir: Path) -> dict[str, Any]:
    """Run ``visionlens ARGS --json`` in its own process; its JSON answer (exit 0 asserted)."""
    env = {**os.environ, "VISIONLENS_DATA_DIR": str(data_dir)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "visionlens_jlab.cli",
        *args,
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return dict(json.loads(out))


async def next_event(
    socket: WebSocketClientConnection, schema_id: str, timeout: float = 120
) -> dict[str, Any]:
    """The next event of ``schema_id`` read from ``socket`` (others are skipped)."""
    while True:
        message = await asyncio.wait_for(socket.read_message(), timeout)
        assert message is not None, "the events socket closed"
        event = json.loads(message)
        if event["schema_id"] == schema_id:
            return dict(event)


async def boxes_of(api: ApiCall, dataset: str) -> list[tuple[int, int]]:
    """(sample id, annotation id) of every ground-truth box of the first samples."""
    status, page = await api(
        "POST", f"datasets/{dataset}/samples/query", {"filter": {}, "limit": 10}
    )
    assert status == 200, page
    return [(s["sample_id"], a["ann_id"]) for s in page["samples"] for a in s["annotations"]]


async def test_cli_ingest_and_delete_send_dataset_events_once(
    jp_ws_fetch: Subscribe, api: ApiCall, vl_data_dir: Path, http_server_client: Any, tmp_path: Path
) -> None:
    # http_server_client makes pytest-jupyter serve on the port server.json names
    socket = await jp_ws_fetch("api", "events", "subscribe")
    source = tmp_path / "annotations.json"
    write_coco(source, 2)
    await run_cli("ingest", str(source), "--name", "cars", data_dir=vl_data_dir)
    created = await next_event(socket, DATASET_EVENT_SCHEMA_ID)
    assert (created["dataset"], created["change"]) == ("cars", "created")
    assert created["job"]

    await run_cli("delete", "cars", data_dir=vl_data_dir)
    removed = await next_event(socket, DATASET_EVENT_SCHEMA_ID)
    assert (removed["dataset"], removed["change"], removed["job"]) == ("cars", "removed", None)

    # a REST ingest is told once too: the next dataset event is the one after it
    status, body = await api("POST", "datasets", {"source": str(source), "name": "bikes"})
    assert status == 202, body
    event = await next_event(socket, DATASET_EVENT_SCHEMA_ID)
    assert (event["dataset"], event["change"], event["job"]) == (
        "bikes",
        "created",
        body["job"]["id"],
    )
    status, _ = await api("DELETE", "datasets/bikes")
    assert status in (200, 204)
    event = await next_event(socket, DATASET_EVENT_SCHEMA_ID)
    assert (event["dataset"], event["change"]) == ("bikes", "removed")
    socket.close()


async def test_cli_edit_sends_one_labels_event_with_its_samples(
    jp_ws_fetch: Subscribe,
    api: ApiCall,
    wait_job: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
    vl_data_dir: Path,
    http_server_client: Any,
    tmp_path: Path,
) -> None:
    source = tmp_path / "annotations.json"
    write_coco(source, 3)
    status, body = await api("POST", "datasets", {"source": str(source), "name": "cars"})
    assert (await wait_job(body["job"]))["status"] == "done"
    boxes = await boxes_of(api, "cars")
    (first_sample, first_box), (last_sample, last_box) = boxes[0], boxes[-1]
    assert first_sample != last_sample
    socket = await jp_ws_fetch("api", "events", "subscribe")

    ops = tmp_path / "ops.json"
    ops.write_text(json.dumps([{"op": "delete", "annotation_id": first_box}]))
    await run_cli("edit", "cars", "--ops", str(ops), data_dir=vl_data_dir)
    event = await next_event(socket, LABELS_EVENT_SCHEMA_ID)
    assert (event["dataset"], event["kind"], event["sample_ids"]) == (
        "cars",
        "edit",
        [first_sample],
    )
    cli_batch = event["batch"]

    await run_cli("undo", "cars", data_dir=vl_data_dir)
    event = await next_event(socket, LABELS_EVENT_SCHEMA_ID)
    assert (event["kind"], event["sample_ids"]) == ("undo", [first_sample])
    assert event["batch"] > cli_batch

    # a REST edit is told once: the event after it is the next batch's, not a second copy
    tag = [{"op": "tag", "annotation_id": last_box, "tag": "check"}]
    status, tagged = await api("POST", "datasets/cars/edits", {"operations": tag})
    assert status == 200, tagged
    event = await next_event(socket, LABELS_EVENT_SCHEMA_ID)
    assert (event["batch"], event["sample_ids"]) == (tagged["batch"], [last_sample])
    ops.write_text(json.dumps([{"op": "untag", "annotation_id": last_box, "tag": "check"}]))
    await run_cli("edit", "cars", "--ops", str(ops), data_dir=vl_data_dir)
    event = await next_event(socket, LABELS_EVENT_SCHEMA_ID)
    assert event["batch"] > tagged["batch"]
    assert event["sample_ids"] == [last_sample]
    socket.close()


def test_every_cli_command_opens_the_catalog_only_where_no_server_runs() -> None:
    # the events above hold because a CLI write goes through the server whenever one runs:
    # run_local_or_remote (cli/common.py) is the only place that opens the catalog
    cli = Path(visionlens_jlab.cli.__file__).parent
    openers = [
        path.name
        for path in sorted(cli.glob("*.py"))
        for line in path.read_text().splitlines()
        if ("Catalog(" in line or "open_catalog(" in line or "duckdb.connect" in line)
        and not line.lstrip().startswith("def ")
    ]
    assert openers == ["common.py", "common.py"]  # Catalog() in open_catalog, its one call
