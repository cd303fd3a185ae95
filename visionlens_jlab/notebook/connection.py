"""How a kernel finds and talks to the Jupyter server that runs VisionLens.

Discovery order: an explicit :func:`connect`, then the environment the server extension puts
into every kernel it starts (``VISIONLENS_SERVER_URL`` + ``VISIONLENS_TOKEN``, or
``JUPYTERHUB_API_TOKEN`` under JupyterHub), then ``{data_dir}/server.json`` written by a
running server on this machine. Kernels never open the DuckDB file: the server owns it.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

import pyarrow as pa
import requests

from ..config import SERVER_INFO_FILE, default_data_dir
from ..server_info import read_server_info

URL_ENV = "VISIONLENS_SERVER_URL"
TOKEN_ENV = "VISIONLENS_TOKEN"
HUB_TOKEN_ENV = "JUPYTERHUB_API_TOKEN"
ARROW_STREAM = "application/vnd.apache.arrow.stream"
API_PREFIX = "visionlens/api/"
TIMEOUT_S = 300.0

HOW_TO_CONNECT = (
    "Open this notebook in JupyterLab with VisionLens installed (its kernels find the server "
    "automatically), or connect explicitly: "
    "vl.connect('http://127.0.0.1:8888/', token='<server token>')"
)


class VisionLensError(RuntimeError):
    """A notebook API call that failed, with a message meant for the user."""


class Client:
    """A REST client of one Jupyter server's VisionLens API."""

    def __init__(self, url: str, token: str | None = None, *, origin: str = "explicit") -> None:
        if not url or not url.startswith(("http://", "https://")):
            raise VisionLensError(
                f"the server URL must start with http:// or https:// (got {url!r})"
            )
        self.url = url if url.endswith("/") else url + "/"
        self.api = self.url + API_PREFIX
        self.origin = origin
        self.http = requests.Session()
        self.http.trust_env = False  # a proxy must not see loopback traffic or the token
        if token:
            self.http.headers["Authorization"] = f"token {token}"

    def __repr__(self) -> str:
        return f"Client({self.url!r}, from {self.origin})"

    # ----------------------------------------------------------------------------- requests

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = self.api + path
        try:
            response = self.http.request(method, url, timeout=TIMEOUT_S, **kwargs)
        except requests.ConnectionError:
            raise VisionLensError(
                f"cannot reach the Jupyter server at {self.url} ({self.origin}): is it "
                f"running? {HOW_TO_CONNECT}"
            ) from None
        if response.status_code in (401, 403):
            raise VisionLensError(
                f"the Jupyter server at {self.url} refused the credentials "
                f"(HTTP {response.status_code}). {HOW_TO_CONNECT}"
            )
        if response.status_code == 404 and "application/json" not in response.headers.get(
            "Content-Type", ""
        ):
            raise VisionLensError(
                f"the server at {self.url} has no VisionLens API (HTTP 404 for {path}): is the "
                "visionlens_jlab server extension enabled? (jupyter server extension list)"
            )
        if response.status_code >= 400:
            raise VisionLensError(_error_message(response))
        return response

    def get_json(self, path: str, **params: Any) -> Any:
        """GET ``path`` (relative to the API root) and decode its JSON."""
        return self._request("GET", path, params=params or None).json()

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        """POST a JSON body and decode the JSON answer."""
        return self._request("POST", path, json=body).json()

    def post_arrow(self, path: str, body: dict[str, Any]) -> pa.Table:
        """POST a JSON body and read the Arrow IPC stream that comes back."""
        response = self._request("POST", path, json=body, headers={"Accept": ARROW_STREAM})
        kind = response.headers.get("Content-Type", "")
        if not kind.startswith(ARROW_STREAM):
            raise VisionLensError(f"expected an Arrow stream from {path}, got {kind!r}")
        return pa.ipc.open_stream(response.content).read_all()

    def get_arrow(self, path: str, **params: Any) -> pa.Table:
        """GET ``path`` and read the Arrow IPC stream that comes back."""
        response = self._request("GET", path, params=params or None)
        kind = response.headers.get("Content-Type", "")
        if not kind.startswith(ARROW_STREAM):
            raise VisionLensError(f"expected an Arrow stream from {path}, got {kind!r}")
        return pa.ipc.open_stream(response.content).read_all()


def dataset_path(name: str, *rest: str) -> str:
    """API path of a dataset resource; the name is URL-quoted, never trusted raw."""
    return "/".join(["datasets", quote(name, safe=""), *rest])


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
        message = body.get("message") or body.get("reason") or json.dumps(body)
    except ValueError:
        message = response.text[:500] or response.reason
    return f"{message} (HTTP {response.status_code})"


# --------------------------------------------------------------------------------- discovery

_client: Client | None = None


def connect(url: str | None = None, token: str | None = None) -> Client:
    """Connect the notebook API to a Jupyter server running VisionLens.

    With no arguments, (re)discovers the server from the environment or ``server.json``.
    ``url`` is the server's URL including its base URL (for example
    ``http://127.0.0.1:8888/user/alice/``); ``token`` its token (or a JupyterHub API token).
    """
    global _client
    if url is None:
        _client = None
        _client = client()
    else:
        _client = Client(url, token, origin="vl.connect()")
    return _client


def client() -> Client:
    """The current client, discovered on first use."""
    global _client
    if _client is None:
        _client = _discover()
    return _client


def _discover() -> Client:
    url = os.environ.get(URL_ENV)
    if url:
        token = os.environ.get(TOKEN_ENV) or os.environ.get(HUB_TOKEN_ENV)
        return Client(url, token, origin=f"${URL_ENV}")
    data_dir = default_data_dir()
    info = read_server_info(data_dir)  # None unless its process is alive
    if info and info.get("url"):
        return Client(
            str(info["url"]), info.get("token") or None, origin=str(data_dir / SERVER_INFO_FILE)
        )
    raise VisionLensError(
        f"no VisionLens server found: ${URL_ENV} is not set and {data_dir / SERVER_INFO_FILE} "
        f"names no running server. {HOW_TO_CONNECT}"
    )
