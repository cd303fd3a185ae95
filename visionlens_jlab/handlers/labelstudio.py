"""A Label Studio round trip through the server: the server calls Label Studio (the token
travels in the body, never in a URL) and serves the tasks' images itself.

A view the round trip cannot send, or a project with nothing from the dataset, answers 400;
Label Studio unreachable, refusing, silent past the client's timeouts or answering something
other than its JSON answers 502 (:mod:`visionlens_jlab.outbound`); a pulled edit that
conflicts with one made in VisionLens since the send answers 409 and writes nothing. The
calls run on the outbound threads, so a Label Studio that never answers holds no thread
other requests need.
"""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.web import HTTPError

from ..labelstudio import LabelStudioClient, LabelStudioError, pull_changes, send_view
from ..labelstudio.errors import LabelStudioUnavailableError
from .base import VisionLensHandler
from .edits import EditsBase


class LabelStudioBase(EditsBase):
    """What both handlers share: the Label Studio client of the body, errors as answers."""

    def label_studio(self, body: dict[str, Any]) -> LabelStudioClient:
        """The client of a body the contract checked (``openapi.yaml``: ``label_studio``
        with its ``url``)."""
        ls = body["label_studio"]
        try:
            return LabelStudioClient(ls["url"], str(ls.get("token") or ""))
        except LabelStudioError as exc:
            raise HTTPError(400, str(exc)) from exc

    async def call(self, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """``fn(*args, **kwargs)`` on the outbound threads: it waits on Label Studio."""
        try:
            return dict(
                await self.run_blocking(
                    lambda: fn(*args, **kwargs), executor=self.app.outbound_executor
                )
            )
        except LabelStudioUnavailableError as exc:
            raise HTTPError(502, str(exc)) from exc
        except LabelStudioError as exc:
            raise HTTPError(400, str(exc)) from exc


class ProjectsHandler(LabelStudioBase):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        client = self.label_studio(body)
        server_url = body.get("server_url") or (
            f"{self.request.protocol}://{self.request.host}{self.base_url}"
        )
        min_score = body.get("min_score")
        result = await self.call(
            send_view, self.catalog, name, body.get("filter"), client, str(server_url),
            title=body.get("title"), model=body.get("model"),
            min_score=None if min_score is None else float(min_score),
        )  # fmt: skip
        await self.write_json(result, status=201)


class PullHandler(LabelStudioBase):
    @tornado.web.authenticated
    @authorized
    async def post(self, name: str, project: str) -> None:
        body = self.json_body()
        client = self.label_studio(body)
        result = await self.call(
            pull_changes, self.catalog, name, client, int(project),
            apply=bool(body.get("apply")), user=self.user_name,
        )  # fmt: skip
        if result["batch"] is not None:
            self.app.label_events(name, {**result, "kind": "edit"})
        await self.write_json(result)


ROUTES: list[tuple[str, type[VisionLensHandler]]] = [
    (r"/datasets/(?P<name>[^/]+)/labelstudio/projects", ProjectsHandler),
    (r"/datasets/(?P<name>[^/]+)/labelstudio/projects/(?P<project>[0-9]+)/pull", PullHandler),
]
