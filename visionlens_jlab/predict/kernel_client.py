"""The kernel side of a model job's ``kernel`` runner: runs inside a headless Jupyter kernel.

The server starts a kernel of the chosen kernelspec and executes
``run_kernel_job(job_id, request)`` there (:mod:`visionlens_jlab.jobs.kernel_runner`). This
fetches the work list, runs :func:`~.stream.predict_stream` with whatever torch/GPU that
kernel's environment has, and POSTs each message back (:mod:`.wire`). It never opens the
catalog: the server alone writes.
"""

from __future__ import annotations

from typing import Any

from ..jobs.kernel_client import server_client
from .stream import predict_stream
from .wire import decode_items, encode_message

JSON = {"Content-Type": "application/json"}


def predictions_path(job_id: str) -> str:
    """The REST path (under ``visionlens/api/``) of a kernel model job's work list and uploads."""
    return f"jobs/{job_id}/predictions"


def run_kernel_job(job_id: str, request: dict[str, Any]) -> int:
    """Run the model over the job's work list, sending every message to the server;
    returns how many images were processed."""
    client = server_client()
    path = predictions_path(job_id)
    items = decode_items(client.request("GET", path).content)
    processed = 0
    for message in predict_stream(request, items):
        client.request("POST", path, data=encode_message(message), headers=JSON)
        if message[0] in ("boxes", "captions", "labels"):
            processed += len(message[1])
    return processed
