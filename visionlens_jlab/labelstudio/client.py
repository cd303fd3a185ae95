"""The few calls of Label Studio's REST API a round trip needs, through
:mod:`visionlens_jlab.outbound` (its timeouts, redirect and error rules).

Why not ``label-studio-sdk``: it pins numpy below 2.3 and pulls OpenCV, NLTK and black into
the server's environment; a round trip needs four endpoints (create a project, import
tasks, list a project's tasks with their annotations, who am I). The tests drive the same
server with the SDK as the annotator's side, so the two clients check each other.

Tokens: a legacy token (40 hex characters) goes as ``Authorization: Token``; a personal
access token (a JWT refresh token) is exchanged once at ``/api/token/refresh`` for a
short-lived access token sent as ``Bearer``.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from ..outbound import OutboundError, ServiceClient
from .errors import LabelStudioError, LabelStudioUnavailableError

PAGE_SIZE = 100
IMPORT_READ_TIMEOUT_S = 300.0
"""Label Studio imports tasks within the request (up to ``tasks.MAX_TASKS`` of them)."""


class LabelStudioClient:
    """A Label Studio server at ``url`` (``http://host:port``) as the user of ``token``.

    The calls go through :class:`~visionlens_jlab.outbound.ServiceClient`: short timeouts,
    no token sent to another origin, Label Studio's answers never repeated in an error."""

    def __init__(self, url: str, token: str) -> None:
        try:
            self._http = ServiceClient("Label Studio", url)
        except ValueError as exc:
            raise LabelStudioError(str(exc)) from exc
        if not token:
            raise LabelStudioError(
                "a Label Studio API token is needed: --token, or LABEL_STUDIO_API_KEY "
                "(Account & Settings → Access Token in Label Studio)"
            )
        self.url = self._http.base_url
        self._token = token
        self._authorization: str | None = None

    def _auth(self) -> str:
        if self._authorization is None:
            if self._token.count(".") == 2:  # a personal access token (JWT)
                access = self._call("POST", "/api/token/refresh", {"refresh": self._token}, "")
                if not isinstance(access, dict) or not isinstance(access.get("access"), str):
                    raise LabelStudioUnavailableError(
                        f"Label Studio at {self.url} gave no access token for the personal "
                        "access token: check that it is one of this server's"
                    )
                self._authorization = f"Bearer {access['access']}"
            else:
                self._authorization = f"Token {self._token}"
        return self._authorization

    def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        auth: str | None = None,
        read_timeout: float | None = None,
    ) -> Any:
        authorization = self._auth() if auth is None else auth
        headers = {"Authorization": authorization} if authorization else {}
        try:
            return self._http.request_json(
                method, path, body, headers=headers, read_timeout=read_timeout
            )
        except OutboundError as exc:
            if exc.status in (401, 403):
                raise LabelStudioUnavailableError(
                    f"Label Studio at {self.url} refused the token ({exc.status}): check it "
                    "(Account & Settings → Access Token in Label Studio)",
                    status=exc.status,
                ) from exc
            raise LabelStudioUnavailableError(str(exc), status=exc.status) from exc

    def _object(self, answer: Any, what: str, *keys: str) -> dict[str, Any]:
        """``answer`` when it is a JSON object with ``keys``; otherwise Label Studio (or what
        answers at its URL) did not say what was asked: a clear error, not a ``KeyError``."""
        if not isinstance(answer, dict) or any(k not in answer for k in keys):
            raise self._shape_error(what)
        return answer

    def _shape_error(self, what: str) -> LabelStudioUnavailableError:
        return LabelStudioUnavailableError(
            f"Label Studio at {self.url} answered {what} with JSON of an unexpected shape: "
            "check that the URL is Label Studio's own address"
        )

    def whoami(self) -> dict[str, Any]:
        """The token's user (checks the URL and the token)."""
        return self._object(self._call("GET", "/api/current-user/whoami"), "who am I")

    def create_project(self, title: str, label_config: str) -> dict[str, Any]:
        """A new project; its ``id``."""
        body = {"title": title, "label_config": label_config}
        return self._object(self._call("POST", "/api/projects", body), "a new project", "id")

    def delete_project(self, project_id: int) -> None:
        """Remove a project (a send that failed half-way takes its project back)."""
        self._call("DELETE", f"/api/projects/{int(project_id)}")

    def project(self, project_id: int) -> dict[str, Any]:
        """One project (title, label config, counts)."""
        return self._object(self._call("GET", f"/api/projects/{int(project_id)}"), "a project")

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> int:
        """Add ``tasks`` (with their annotations and predictions) to a project; how many."""
        answer = self._call(
            "POST", f"/api/projects/{int(project_id)}/import", tasks,
            read_timeout=IMPORT_READ_TIMEOUT_S,
        )  # fmt: skip
        answer = self._object(answer, "an import")
        return int(answer.get("task_count", len(tasks)))

    def tasks(self, project_id: int) -> list[dict[str, Any]]:
        """Every task of a project with its annotations, page by page."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            query = urllib.parse.urlencode(
                {"project": int(project_id), "page": page, "page_size": PAGE_SIZE,
                 "fields": "all"}
            )  # fmt: skip
            try:
                answer = self._call("GET", f"/api/tasks?{query}")
            except LabelStudioUnavailableError as exc:
                if exc.status == 404 and out:  # past the last page
                    return out
                raise
            batch = answer.get("tasks") if isinstance(answer, dict) else answer
            if not isinstance(batch, list):
                raise self._shape_error("a page of tasks")
            out.extend(batch)
            total = answer.get("total") if isinstance(answer, dict) else None
            if not batch or len(batch) < PAGE_SIZE or (total is not None and len(out) >= total):
                return out
            page += 1
