"""Arrow IPC exports of samples and boxes, the tables behind the notebook API.

``POST /datasets/{name}/export/samples`` body ``{filter, sort, order}`` and
``POST /datasets/{name}/export/annotations`` body ``{filter, source, evaluation}`` and
``POST /datasets/{name}/export/classifications`` body ``{filter, source}`` answer with an
``application/vnd.apache.arrow.stream``. Batches are read and serialized off the event loop
one at a time and flushed as they come, so a 700K-box export never sits whole in memory.
With ``"compression": "lz4"`` (what the notebook client asks for) the buffers are LZ4-framed:
the many null and repeated values of a box table shrink ~5x for little CPU.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pyarrow as pa
import tornado.web
from jupyter_server.auth.decorator import authorized

from ..catalog.reads import export_queries
from ..catalog.reads.export_queries import Export
from .base import VisionLensHandler, engine_errors
from .samples import sort_option

ARROW_STREAM = "application/vnd.apache.arrow.stream"


class _Chunks:
    """A write-only file the IPC writer fills; the handler drains it after each batch."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def drain(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


class _ExportHandler(VisionLensHandler):
    async def stream(
        self,
        open_export: Callable[[], AbstractContextManager[Export]],
        compression: str | None = None,
    ) -> None:
        """Run the export's query off the loop and stream its batches as Arrow IPC."""

        def start() -> tuple[AbstractContextManager[Export], Export, Any, _Chunks]:
            manager = open_export()
            export = manager.__enter__()
            chunks = _Chunks()
            options = pa.ipc.IpcWriteOptions(compression=compression)
            writer = pa.ipc.new_stream(
                pa.PythonFile(chunks, mode="w"), export.schema, options=options
            )
            return manager, export, writer, chunks

        manager, export, writer, chunks = await self.run_blocking(start)
        try:
            self.set_header("Content-Type", ARROW_STREAM)
            self.write(chunks.drain())
            while await self.run_blocking(_write_next, export.reader, writer):
                self.write(chunks.drain())
                await self.flush()
            writer.close()
            # APIHandler.finish would otherwise relabel the body as JSON.
            self.finish(chunks.drain(), set_content_type=ARROW_STREAM)
        finally:
            await self.run_blocking(manager.__exit__, None, None, None)

    def body_filter(self) -> tuple[dict[str, Any], Any, str | None]:
        """The body (checked by the contract, ``openapi.yaml``), its filter and compression."""
        body = self.json_body()
        return body, body.get("filter"), body.get("compression")


def _write_next(reader: pa.RecordBatchReader, writer: Any) -> bool:
    """Read the next batch and write it; ``False`` at the end of the result."""
    with engine_errors():
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return False
    writer.write_batch(batch)
    return True


class ExportSamplesHandler(_ExportHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body, spec, compression = self.body_filter()
        sort = sort_option(body.get("sort"), body.get("order"))
        await self.stream(
            lambda: export_queries.export_samples(self.catalog, name, spec, sort),
            compression,
        )


class ExportAnnotationsHandler(_ExportHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body, spec, compression = self.body_filter()
        source, evaluation = body.get("source"), body.get("evaluation")
        await self.stream(
            lambda: export_queries.export_annotations(self.catalog, name, spec, source, evaluation),
            compression,
        )


class ExportClassificationsHandler(_ExportHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body, spec, compression = self.body_filter()
        source = body.get("source")
        await self.stream(
            lambda: export_queries.export_classifications(self.catalog, name, spec, source),
            compression,
        )


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/export/samples", ExportSamplesHandler),
    (r"/datasets/(?P<name>[^/]+)/export/annotations", ExportAnnotationsHandler),
    (r"/datasets/(?P<name>[^/]+)/export/classifications", ExportClassificationsHandler),
]
