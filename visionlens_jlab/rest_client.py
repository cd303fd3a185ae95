"""The one Python client of the VisionLens REST API: the CLI, the notebook API and the
kernels of the ``kernel`` runner all talk to a server through :class:`RestClient`.

Every failure is a :class:`VisionLensError` with a message meant for the user (what a
notebook shows), and the HTTP status when the server answered with an error.
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

if TYPE_CHECKING:
    import pyarrow as pa

API_PREFIX = "visionlens/api/"
SERVER_URL_ENV = "VISIONLENS_SERVER_URL"
TOKEN_ENV = "VISIONLENS_TOKEN"
"""Where the server extension puts its URL and token for the kernels it starts."""
HUB_TOKEN_ENV = "JUPYTERHUB_API_TOKEN"
CONNECT_GRACE_S = 5.0
"""How long a client of a server found in ``server.json`` or the environment retries a
refused connection: the file is written while the server starts, before it listens."""
ARROW_STREAM = "application/vnd.apache.arrow.stream"
TIMEOUT_S = 60.0
FINISHED = ("done", "failed", "cancelled")


class VisionLensError(RuntimeError):
    """A call that failed, with a message meant for the user; ``status``: the HTTP status
    the server answered with, 0 when it could not be reached, None when the fault is not
    the server's answer."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RestClient:
    """Talks to ``{url}visionlens/api/`` with a Jupyter token (else JupyterHub's API token).

    ``origin`` says where the URL came from and ``hint`` how to connect otherwise (both
    shown when the server cannot be reached or refuses the credentials);
    ``connect_grace``: how long a refused connection is retried, for a server that wrote
    its ``server.json`` and does not listen yet.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        origin: str = "explicit",
        hint: str = "",
        timeout: float = TIMEOUT_S,
        connect_grace: float = 0.0,
    ) -> None:
        if not url or not url.startswith(("http://", "https://")):
            raise VisionLensError(
                f"the server URL must start with http:// or https:// (got {url!r})"
            )
        self.url = url if url.endswith("/") else url + "/"
        self.api = self.url + API_PREFIX
        self.origin, self.hint = origin, hint
        self.timeout, self.connect_grace = timeout, connect_grace
        self.http = requests.Session()
        self.http.trust_env = False  # a proxy must not see loopback traffic or the token
        token = token or os.environ.get(HUB_TOKEN_ENV)
        if token:
            self.http.headers["Authorization"] = f"token {token}"

    def __repr__(self) -> str:
        return f"RestClient({self.url!r}, from {self.origin})"

    # ----------------------------------------------------------------------------- requests

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send a request to ``path`` (relative to the API root); an error answer, or no
        answer, raises :class:`VisionLensError` with the server's message and status."""
        kwargs.setdefault("timeout", self.timeout)
        deadline = time.monotonic() + self.connect_grace
        while True:
            try:
                response = self.http.request(method, self.api + path.lstrip("/"), **kwargs)
                break
            except requests.ConnectionError:
                if time.monotonic() < deadline:
                    time.sleep(0.25)
                    continue
                raise VisionLensError(
                    f"cannot reach the Jupyter server at {self.url} ({self.origin}): is it "
                    f"running? {self.hint}".rstrip(),
                    status=0,
                ) from None
        if response.status_code >= 400:
            raise VisionLensError(self._error_message(response, path), response.status_code)
        return response

    def _error_message(self, response: requests.Response, path: str) -> str:
        status = response.status_code
        if status in (401, 403):
            return (
                f"the Jupyter server at {self.url} refused the credentials (HTTP {status}). "
                f"{self.hint}"
            ).rstrip()
        if status == 404 and "application/json" not in response.headers.get("Content-Type", ""):
            return (
                f"the server at {self.url} has no VisionLens API (HTTP 404 for {path}): is the "
                "visionlens_jlab server extension enabled? (jupyter server extension list)"
            )
        try:
            body = response.json()
            message = body.get("message") or body.get("reason") or json.dumps(body)
        except ValueError:
            message = response.text[:500] or response.reason
        return f"{message} (HTTP {status})"

    def get_json(self, path: str, **params: Any) -> Any:
        """GET ``path`` with the query ``params`` and decode its JSON."""
        return self.request("GET", path, params=params or None).json()

    def post_json(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """POST a JSON body and decode the JSON answer."""
        return self.request("POST", path, json=body or {}).json()

    def delete(self, path: str) -> Any:
        """DELETE ``path`` and decode the JSON answer (None when there is none)."""
        response = self.request("DELETE", path)
        return response.json() if response.content else None

    def post_arrow(self, path: str, body: dict[str, Any]) -> pa.Table:
        """POST a JSON body and read the Arrow IPC stream that comes back."""
        response = self.request("POST", path, json=body, headers={"Accept": ARROW_STREAM})
        return _arrow_table(response, path)

    def get_arrow(self, path: str, **params: Any) -> pa.Table:
        """GET ``path`` and read the Arrow IPC stream that comes back."""
        return _arrow_table(self.request("GET", path, params=params or None), path)

    # --------------------------------------------------------------------------------- jobs

    def job(self, job_id: str) -> dict[str, Any]:
        """A job's state: ``{id, status, progress, result, error, ...}``."""
        return dict(self.get_json(f"jobs/{quote(job_id, safe='')}"))

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        """Cancel a job (``DELETE jobs/{id}``: its worker processes or kernel are stopped,
        nothing half-written remains); returns its state, cancelled or already finished."""
        return dict(self.delete(f"jobs/{quote(job_id, safe='')}"))

    def wait_job(self, job_id: str, timeout: float = 3600.0, poll: float = 0.2) -> dict[str, Any]:
        """Poll a job until it finishes; return its final state."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["status"] in FINISHED:
                return job
            if time.monotonic() > deadline:
                raise VisionLensError(f"job {job_id} did not finish within {timeout:.0f} s")
            time.sleep(poll)


def dataset_path(name: str, *rest: str) -> str:
    """API path of a dataset resource; the name is URL-quoted, never trusted raw."""
    return "/".join(["datasets", quote(name, safe=""), *rest])


def _arrow_table(response: requests.Response, path: str) -> pa.Table:
    import pyarrow as pa  # here: the CLI's and the kernels' calls need no Arrow

    kind = response.headers.get("Content-Type", "")
    if not kind.startswith(ARROW_STREAM):
        raise VisionLensError(f"expected an Arrow stream from {path}, got {kind!r}")
    return pa.ipc.open_stream(response.content).read_all()
