"""Synthetic datasets for the notebook API tests and benchmarks.

Rows are written through the real ingest writer (``write_dataset`` / ``write_predictions``)
from Arrow batches with the parser schemas, so the catalog holds exactly what an ingest
would produce, at any size, in seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset, write_predictions
from visionlens_jlab.records.batches import ANNOTATION_SCHEMA, SAMPLE_SCHEMA, Batch
from visionlens_jlab.records.report import IngestReport

CLASSES = ["cat", "dog", "person", "car", "bus"]


@dataclass
class SyntheticSource:
    """A ``ParsedSource`` of ``n`` images (``width`` x ``height``) with ``boxes_per_image``
    boxes each (predictions when ``predictions`` is true: they name their image by file name
    and carry a score)."""

    n: int
    boxes_per_image: int
    predictions: bool = False
    batch_rows: int = 20_000
    segmentation: bool = False
    format: str = "coco"
    source: str = "synthetic.json"
    media_root: str = "/nonexistent"
    json_checked: bool = False
    report: IngestReport = field(default_factory=IngestReport)
    width: int = 640
    height: int = 480

    def batches(self) -> Iterator[Batch]:
        rng = np.random.default_rng(7 if self.predictions else 3)
        for start in range(0, self.n, self.batch_rows):
            idx = np.arange(start, min(self.n, start + self.batch_rows), dtype=np.int64)
            samples = None
            if not self.predictions:
                samples = pa.table(
                    {
                        "sample_index": idx,
                        "file_name": [f"img_{i:07d}.jpg" for i in idx],
                        "location": [f"/nonexistent/img_{i:07d}.jpg" for i in idx],
                        "width": np.full(len(idx), self.width, dtype=np.int32),
                        "height": np.full(len(idx), self.height, dtype=np.int32),
                        "split": ["train" if i % 5 else "val" for i in idx],
                        "source_image_id": [str(i) for i in idx],
                        "fields": [
                            json.dumps(
                                {"weather": "rain" if i % 3 == 0 else "sun", "quality": int(i % 10)}
                            )
                            for i in idx
                        ],
                    },
                    schema=SAMPLE_SCHEMA,
                )
            k = self.boxes_per_image
            rows = len(idx) * k
            owner = np.repeat(idx, k)
            xy = rng.uniform(0, 400, size=(rows, 2))
            wh = rng.uniform(5, 200, size=(rows, 2))
            labels = np.array(CLASSES, dtype=object)[(owner + np.tile(np.arange(k), len(idx))) % 5]
            seg = (
                [
                    json.dumps(
                        [[float(a), float(b), float(a) + 5, float(b), float(a), float(b) + 5]]
                    )
                    for a, b in xy
                ]
                if self.segmentation
                else None
            )
            columns = {
                "sample_index": None if self.predictions else owner,
                "image_ref": [f"img_{i:07d}.jpg" for i in owner] if self.predictions else None,
                "label": labels,
                "x": xy[:, 0],
                "y": xy[:, 1],
                "w": wh[:, 0],
                "h": wh[:, 1],
                "score": rng.uniform(0, 1, rows) if self.predictions else None,
                "area": wh[:, 0] * wh[:, 1],
                "iscrowd": np.zeros(rows, dtype=bool),
                "difficult": np.zeros(rows, dtype=bool),
                "source_ann_id": None,
                "segmentation": seg,
                "attributes": None,
                "normalized": np.zeros(rows, dtype=bool),
            }
            ann = None
            if rows:
                ann = pa.table(
                    {
                        name: pa.nulls(rows, ANNOTATION_SCHEMA.field(name).type)
                        if value is None
                        else value
                        for name, value in columns.items()
                    },
                    schema=ANNOTATION_SCHEMA,
                )
            yield Batch(samples=samples, annotations=ann)

    def categories(self) -> list[tuple[str, str | None]]:
        return [(c, None) for c in CLASSES]


def write_synthetic(
    catalog: Catalog,
    name: str,
    n: int,
    boxes_per_image: int,
    *,
    model: str | None = None,
    preds_per_image: int = 0,
    segmentation: bool = False,
) -> None:
    """Write a synthetic dataset (and optionally one model's predictions) into ``catalog``."""
    write_dataset(catalog, name, SyntheticSource(n, boxes_per_image, segmentation=segmentation))
    if model:
        write_predictions(
            catalog, name, model, SyntheticSource(n, preds_per_image, predictions=True)
        )


# ------------------------------------------------------------------------- a real kernel

REPO = Path(__file__).resolve().parents[1]


class KernelHarness:
    """A real ipykernel driven with jupyter_client; the test plays the JupyterLab frontend.

    Everything is awaited, so the in-process Jupyter server keeps serving the kernel's REST
    calls while the test waits for the kernel.
    """

    def __init__(self, km: AsyncKernelManager, kc: AsyncKernelClient) -> None:
        self.km, self.kc = km, kc
        self.comm_opens: list[dict[str, Any]] = []
        self.comm_msgs: list[dict[str, Any]] = []
        self.comm_closes: list[dict[str, Any]] = []
        self.displays: list[dict[str, Any]] = []

    def _route(self, msg: dict[str, Any]) -> None:
        kind = msg["header"]["msg_type"]
        if kind == "comm_open":
            self.comm_opens.append(msg)
        elif kind == "comm_msg":
            self.comm_msgs.append(msg)
        elif kind == "comm_close":
            self.comm_closes.append(msg)
        elif kind in ("display_data", "update_display_data"):
            self.displays.append(msg)

    async def execute(self, code: str, timeout: float = 60.0) -> dict[str, Any]:
        """Run ``code``; return its stdout, last expression value and error (if any)."""
        msg_id = self.kc.execute(code)
        out: dict[str, Any] = {"stdout": "", "result": None, "error": None}
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"kernel did not finish: {code!r}")
            msg = await self.kc.get_iopub_msg(timeout=remaining)
            self._route(msg)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "stream":
                out["stdout"] += content["text"]
            elif kind == "execute_result":
                out["result"] = content["data"].get("text/plain")
            elif kind == "error":
                out["error"] = f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                return out

    async def check(self, code: str) -> str:
        """Run ``code``; fail on an error; return stdout."""
        out = await self.execute(code)
        assert out["error"] is None, out["error"]
        return str(out["stdout"])

    async def drain(self, seconds: float = 0.2) -> None:
        """Collect the iopub messages that arrive within ``seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            try:
                self._route(await self.kc.get_iopub_msg(timeout=remaining))
            except queue.Empty:
                return

    async def wait_comm_msg(self, pred: Any, timeout: float = 30.0) -> dict[str, Any]:
        """The first comm message (from the kernel) whose data satisfies ``pred``."""
        return await self._wait(self.comm_msgs, lambda m: pred(m["content"]["data"]), timeout)

    async def wait_display(self, pred: Any, timeout: float = 30.0) -> dict[str, Any]:
        """The first ``display_data`` or ``update_display_data`` that satisfies ``pred``."""
        return await self._wait(self.displays, pred, timeout)

    async def _wait(self, seen: list[dict[str, Any]], pred: Any, timeout: float) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for msg in seen:
                if pred(msg):
                    seen.remove(msg)
                    return msg
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError("no matching message from the kernel")
            try:
                self._route(await self.kc.get_iopub_msg(timeout=remaining))
            except queue.Empty:
                pass

    def send_comm(
        self, comm_id: str, data: dict[str, Any], buffers: list[bytes] | None = None
    ) -> None:
        """Send a comm message to the kernel, as the frontend would."""
        msg = self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.kc.session.send(self.kc.shell_channel.socket, msg, buffers=buffers or [])


@asynccontextmanager
async def running_kernel(extra_env: dict[str, str] | None = None) -> AsyncIterator[KernelHarness]:
    """Start a python3 kernel that imports this checkout and inherits the server's variables."""
    env = {**os.environ, **(extra_env or {})}
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO), env.get("PYTHONPATH", "")] if p)
    km = AsyncKernelManager(kernel_name="python3")
    await km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        yield KernelHarness(km, kc)
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)
