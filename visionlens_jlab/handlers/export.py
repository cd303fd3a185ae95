"""Arrow IPC exports of samples and boxes, the tables behind the notebook API.

``POST /datasets/{name}/export/samples`` body ``{filter}`` and
``POST /datasets/{name}/export/annotations`` body ``{filter, source}`` answer with an
``application/vnd.apache.arrow.stream``. Batches are read and serialized off the event loop
one at a time and flushed as they come, so a 700K-box export never sits whole in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pyarrow as pa
import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..catalog import export_queries
from ..catalog.export_queries import Export
from .base import VisionLensHandler, engine_errors

ARROW_STREAM = "application/vnd.apache.arrow.stream"
END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"


class _ExportHandler(VisionLensHandler):
    async def stream(self, open_export: Callable[[], AbstractContextManager[Export]]) -> None:
        """Run the export's query off the loop and stream its batches as Arrow IPC."""

        def start() -> tuple[AbstractContextManager[Export], Export]:
            manager = open_export()
            return manager, manager.__enter__()

        manager, export = await self.run_blocking(start)
        try:
            self.set_header("Content-Type", ARROW_STREAM)
            self.write(export.schema.serialize().to_pybytes())
            while True:
                chunk = await self.run_blocking(_next_chunk, export.reader)
                if chunk is None:
                    break
                self.write(chunk)
                await self.flush()
            # APIHandler.finish would otherwise relabel the body as JSON.
            self.finish(END_OF_STREAM, set_content_type=ARROW_STREAM)
        finally:
            await self.run_blocking(manager.__exit__, None, None, None)

    def body_filter(self) -> tuple[dict[str, Any], Any]:
        body = self.json_body()
        spec = body.get("filter")
        if spec is not None and not isinstance(spec, dict):
            raise HTTPError(400, "'filter' must be a JSON object")
        return body, spec


def _next_chunk(reader: pa.RecordBatchReader) -> bytes | None:
    with engine_errors():
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return None
    return batch.serialize().to_pybytes()


class ExportSamplesHandler(_ExportHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        _, spec = self.body_filter()
        await self.stream(lambda: export_queries.export_samples(self.catalog, name, spec))


class ExportAnnotationsHandler(_ExportHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body, spec = self.body_filter()
        source = body.get("source")
        if source is not None and not isinstance(source, str):
            raise HTTPError(400, "'source' must be 'ground_truth', 'predictions' or a model name")
        await self.stream(
            lambda: export_queries.export_annotations(self.catalog, name, spec, source)
        )


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/export/samples", ExportSamplesHandler),
    (r"/datasets/(?P<name>[^/]+)/export/annotations", ExportAnnotationsHandler),
]
