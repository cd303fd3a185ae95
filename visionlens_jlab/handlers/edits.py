"""Label edits, their log, undo and redo, and named versions of a dataset's labels.

Thin handlers over :mod:`visionlens_jlab.edits`: an invalid operation answers 400 with the
operation's ``index`` and ``reason``; a conflict answers 409 with the object and its state
now (``conflict``); nothing is written in either case. The user recorded in the log is the
Jupyter user making the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..edits import (
    EditConflict,
    EditError,
    apply_edits,
    diff_versions,
    edit_log,
    list_versions,
    redo,
    restore_version,
    snapshot,
    undo,
)
from .base import VisionLensHandler
from .samples import refuse_version_edit


def _answered(call: Callable[..., dict[str, Any]], *args: Any) -> tuple[int, dict[str, Any]]:
    """``call(*args)`` as (HTTP status, body): an invalid batch or a conflict is an answer
    with its details, not a bare message."""
    try:
        return 200, call(*args)
    except EditConflict as exc:
        return 409, exc.to_dict()
    except EditError as exc:
        return 400, exc.to_dict()


class EditsBase(VisionLensHandler):
    """What the edit handlers share: who is editing, and answering an engine call."""

    async def prepare(self, *args: Any, **kwargs: Any) -> None:
        """Refuse a write that names a saved version (a version is read-only)."""
        await super().prepare(*args, **kwargs)
        if self.request.method == "POST":
            named = self.get_query_argument("version", None)
            if named is None and self.request.body:
                body = self.json_body()
                named = body.get("version") if isinstance(body, dict) else None
            refuse_version_edit(named)

    async def answer(self, call: Callable[..., dict[str, Any]], *args: Any) -> None:
        status, body = await self.run_blocking(_answered, call, *args)
        await self.write_json(body, status=status)

    async def answer_batch(
        self, call: Callable[..., dict[str, Any]], name: str, *args: Any
    ) -> None:
        """Answer a call that writes a batch of the log, and tell every open lab of it."""
        status, body = await self.run_blocking(_answered, call, self.catalog, name, *args)
        if status == 200:
            self.app.label_events(name, body)
        await self.write_json(body, status=status)


class EditsHandler(EditsBase):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        limit = self.int_argument("limit", 1000)
        before = self.get_query_argument("before", None)
        before_seq = int(before) if before and before.isdigit() else None
        await self.answer(edit_log, self.catalog, name, limit, before_seq)

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        # the contract: a list of objects with an op; each op is checked by the engine
        # (a 400 naming the operation's index and reason)
        operations = self.json_body()["operations"]
        await self.answer_batch(apply_edits, name, operations, self.user_name)


class UndoHandler(EditsBase):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        await self.answer_batch(undo, name, self.user_name, self.app.vector_store)


class RedoHandler(EditsBase):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        await self.answer_batch(redo, name, self.user_name, self.app.vector_store)


class VersionsHandler(EditsBase):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        versions = await self.run_blocking(list_versions, self.catalog, name)
        await self.write_json({"versions": versions})

    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        message = self.json_body().get("message", "")
        await self.answer(snapshot, self.catalog, name, message, self.user_name)


class DiffHandler(EditsBase):
    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        start = self.get_query_argument("from", None)
        end = self.get_query_argument("to", "current")
        if start is None:
            raise HTTPError(400, "query argument 'from' is required (a version or 'current')")
        source = self.get_query_argument("source", "ground_truth")
        model = self.get_query_argument("model", None) or None
        protocol = self.get_query_argument("protocol", "coco")
        raw_iou = self.get_query_argument("iou", "0.5")
        try:
            iou = float(raw_iou)
        except ValueError:
            raise HTTPError(
                400, f"query argument 'iou' must be a number, got {raw_iou!r}"
            ) from None
        await self.answer(
            diff_versions, self.catalog, name, start, end, source, model, protocol, iou
        )


class RestoreHandler(EditsBase):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str, version: str) -> None:
        await self.answer_batch(restore_version, name, version, self.user_name)


ROUTES = [
    (r"/datasets/(?P<name>[^/]+)/edits", EditsHandler),
    (r"/datasets/(?P<name>[^/]+)/edits/undo", UndoHandler),
    (r"/datasets/(?P<name>[^/]+)/edits/redo", RedoHandler),
    (r"/datasets/(?P<name>[^/]+)/versions", VersionsHandler),
    (r"/datasets/(?P<name>[^/]+)/versions/diff", DiffHandler),
    (r"/datasets/(?P<name>[^/]+)/versions/(?P<version>[0-9]+)/restore", RestoreHandler),
]
