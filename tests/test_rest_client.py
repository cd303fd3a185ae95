"""The one Python client of the REST API (rest_client.py) against a real Jupyter server:
found from ``server.json`` as the CLI finds it, called off the server's event loop (the
server runs on this test's loop)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab.cli.common import server_client
from visionlens_jlab.jobs import JobContext, JobEffects, JobKind
from visionlens_jlab.notebook.progress import follow_job
from visionlens_jlab.rest_client import RestClient, VisionLensError
from visionlens_jlab.server_info import read_server_info


def waiting_job(vl_app: Any) -> tuple[Any, threading.Event]:
    """A job that runs until it is cancelled, and the event set once it runs."""
    running = threading.Event()

    def run(ctx: JobContext) -> None:
        running.set()
        while not ctx.cancelled:
            time.sleep(0.02)
        ctx.check_cancelled()

    return vl_app.jobs.submit(
        JobKind("test", JobEffects()), run, title="waits for a cancel"
    ), running


async def test_cancel_job_cancels_a_running_job(
    vl_app: Any, vl_data_dir: Path, http_server_client: Any
) -> None:
    # http_server_client makes pytest-jupyter serve on the port in server.json
    client = server_client(vl_data_dir)
    assert isinstance(client, RestClient)
    job, running = waiting_job(vl_app)
    assert await asyncio.to_thread(running.wait, 10)
    answer = await asyncio.to_thread(client.cancel_job, job.id)
    assert answer["id"] == job.id
    final = await asyncio.to_thread(client.wait_job, job.id, 30)
    assert final["status"] == "cancelled"
    again = await asyncio.to_thread(client.cancel_job, job.id)  # finished: left as it was
    assert again["status"] == "cancelled"
    with pytest.raises(VisionLensError) as missing:
        await asyncio.to_thread(client.cancel_job, "no-such-job")
    assert missing.value.status == 404 and str(missing.value) == "no job 'no-such-job' (HTTP 404)"


class InterruptedWhilePolling(RestClient):
    """The user interrupts the cell while the notebook polls the job."""

    def get_json(self, path: str, **params: Any) -> Any:
        raise KeyboardInterrupt


async def test_an_interrupted_notebook_cell_cancels_its_job(
    vl_app: Any, vl_data_dir: Path, http_server_client: Any
) -> None:
    info = read_server_info(vl_data_dir)
    assert info is not None
    client = InterruptedWhilePolling(info["url"], info["token"])
    job, running = waiting_job(vl_app)
    assert await asyncio.to_thread(running.wait, 10)
    with pytest.raises(VisionLensError, match=f"interrupted: job {job.id} cancelled"):
        await asyncio.to_thread(follow_job, client, {"id": job.id}, show=False)
    assert (await asyncio.to_thread(vl_app.jobs.wait, job.id, 30)).status == "cancelled"


async def test_a_refused_token_says_how_to_connect(
    vl_app: Any, vl_data_dir: Path, http_server_client: Any
) -> None:
    found = server_client(vl_data_dir)
    wrong = RestClient(found.url, "wrong", origin="a test", hint="Use the right token.")
    with pytest.raises(VisionLensError) as refused:
        await asyncio.to_thread(wrong.get_json, "datasets")
    assert refused.value.status in (401, 403)
    assert str(refused.value).endswith(
        f"refused the credentials (HTTP {refused.value.status}). Use the right token."
    )
