"""The kernel side of an embedding job's ``kernel`` runner: runs inside a headless kernel.

The server starts a kernel of the chosen kernelspec and executes ``run_kernel_job(job_id,
options)`` there (:mod:`visionlens_jlab.jobs.kernel_runner`). This code fetches the work
list from the server, reads and decodes the images itself (local or GCS), embeds them with
whatever torch/GPU that kernel's environment has, and POSTs each message back as Arrow IPC.
It never opens the catalog or the vector store: the server alone writes them.
"""

from __future__ import annotations

from typing import Any

from ..jobs.kernel_client import server_client
from .stream import embed_stream
from .wire import ARROW_STREAM, decode_items, encode_message


def embedding_path(job_id: str) -> str:
    """The REST path (under ``visionlens/api/``) of a kernel job's work list and uploads."""
    return f"jobs/{job_id}/embeddings"


def run_kernel_job(job_id: str, options: dict[str, Any]) -> int:
    """Embed the job's work list and send the vectors to the server; returns how many."""
    client = server_client()
    path = embedding_path(job_id)
    items = decode_items(client.request("GET", path, headers={"Accept": ARROW_STREAM}).content)
    sent = 0
    headers = {"Content-Type": ARROW_STREAM}
    for message in embed_stream(
        options["spec"],
        items,
        device=options.get("device", "auto"),
        batch_size=options.get("batch_size"),
        dtype=options.get("dtype", "auto"),
    ):
        client.request("POST", path, data=encode_message(message), headers=headers)
        if message[0] == "vectors":
            sent += len(message[1])
    return sent
