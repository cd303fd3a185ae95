"""A small client of the VisionLens REST API, used by the CLI and the notebook API."""

from __future__ import annotations

import os
import time
from typing import Any

import requests

API_PREFIX = "visionlens/api/"
CONNECT_GRACE_SECONDS = 5.0


class ApiError(Exception):
    """The server answered with an error; the message is the server's."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class RestClient:
    """Talks to ``{url}visionlens/api/`` with a Jupyter token (or JupyterHub's API token)."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 60.0) -> None:
        self.base = url.rstrip("/") + "/" + API_PREFIX
        self.token = token or os.environ.get("JUPYTERHUB_API_TOKEN") or ""
        self.timeout = timeout
        self.session = requests.Session()
        if self.token:
            self.session.headers["Authorization"] = f"token {self.token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send a request; raise :class:`ApiError` with the server's message on failure."""
        kwargs.setdefault("timeout", self.timeout)
        deadline = time.monotonic() + CONNECT_GRACE_SECONDS
        while True:
            try:
                response = self.session.request(method, self.base + path.lstrip("/"), **kwargs)
                break
            except requests.ConnectionError as exc:
                # server.json is written while the server starts, before it listens.
                if time.monotonic() > deadline:
                    raise ApiError(
                        0, f"cannot reach the VisionLens server at {self.base}: {exc}"
                    ) from exc
                time.sleep(0.25)
        if response.status_code >= 400:
            try:
                message = response.json().get("message") or response.text
            except ValueError:
                message = response.text
            raise ApiError(response.status_code, message or response.reason)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def post(self, path: str, body: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=body or {}, **kwargs).json()

    def delete(self, path: str) -> None:
        self.request("DELETE", path)

    def wait_job(self, job_id: str, timeout: float = 3600.0, poll: float = 0.2) -> dict[str, Any]:
        """Poll a job until it finishes; return its final state."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(f"jobs/{job_id}")
            if job["status"] in ("done", "failed", "cancelled"):
                return job
            if time.monotonic() > deadline:
                raise ApiError(0, f"job {job_id} did not finish within {timeout:.0f} s")
            time.sleep(poll)
