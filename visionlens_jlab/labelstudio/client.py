"""The few calls of Label Studio's REST API a round trip needs, over the standard library.

Why not ``label-studio-sdk``: it pins numpy below 2.3 and pulls OpenCV, NLTK and black into
the server's environment; a round trip needs four endpoints (create a project, import
tasks, list a project's tasks with their annotations, who am I). The tests drive the same
server with the SDK as the annotator's side, so the two clients check each other.

Tokens: a legacy token (40 hex characters) goes as ``Authorization: Token``; a personal
access token (a JWT refresh token) is exchanged once at ``/api/token/refresh`` for a
short-lived access token sent as ``Bearer``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from .errors import LabelStudioError, LabelStudioUnavailableError

TIMEOUT_S = 60.0
PAGE_SIZE = 100


class LabelStudioClient:
    """A Label Studio server at ``url`` (``http://host:port``) as the user of ``token``."""

    def __init__(self, url: str, token: str) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise LabelStudioError(f"a Label Studio URL is http(s)://host[:port], got {url!r}")
        if not token:
            raise LabelStudioError(
                "a Label Studio API token is needed: --token, or LABEL_STUDIO_API_KEY "
                "(Account & Settings → Access Token in Label Studio)"
            )
        self.url = url.rstrip("/")
        self._token = token
        self._authorization: str | None = None

    def _auth(self) -> str:
        if self._authorization is None:
            if self._token.count(".") == 2:  # a personal access token (JWT)
                access = self._call("POST", "/api/token/refresh", {"refresh": self._token}, "")
                self._authorization = f"Bearer {access['access']}"
            else:
                self._authorization = f"Token {self._token}"
        return self._authorization

    def _call(self, method: str, path: str, body: Any = None, auth: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        authorization = self._auth() if auth is None else auth
        if authorization:
            request.add_header("Authorization", authorization)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode("utf-8", "replace")
            if exc.code in (401, 403):
                raise LabelStudioUnavailableError(
                    f"Label Studio at {self.url} refused the token ({exc.code}): {detail}"
                ) from exc
            raise LabelStudioUnavailableError(
                f"Label Studio {method} {path} answered {exc.code}: {detail}"
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise LabelStudioUnavailableError(
                f"cannot reach Label Studio at {self.url}: {exc}"
            ) from exc
        return json.loads(raw) if raw else None

    def whoami(self) -> dict[str, Any]:
        """The token's user (checks the URL and the token)."""
        return dict(self._call("GET", "/api/current-user/whoami"))

    def create_project(self, title: str, label_config: str) -> dict[str, Any]:
        """A new project; its ``id``."""
        body = {"title": title, "label_config": label_config}
        return dict(self._call("POST", "/api/projects", body))

    def delete_project(self, project_id: int) -> None:
        """Remove a project (a send that failed half-way takes its project back)."""
        self._call("DELETE", f"/api/projects/{int(project_id)}")

    def project(self, project_id: int) -> dict[str, Any]:
        """One project (title, label config, counts)."""
        return dict(self._call("GET", f"/api/projects/{int(project_id)}"))

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> int:
        """Add ``tasks`` (with their annotations and predictions) to a project; how many."""
        answer = self._call("POST", f"/api/projects/{int(project_id)}/import", tasks)
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
                if " 404:" in str(exc) and out:  # past the last page
                    return out
                raise
            batch = answer["tasks"] if isinstance(answer, dict) else answer
            out.extend(batch)
            total = answer.get("total") if isinstance(answer, dict) else None
            if not batch or len(batch) < PAGE_SIZE or (total is not None and len(out) >= total):
                return out
            page += 1
