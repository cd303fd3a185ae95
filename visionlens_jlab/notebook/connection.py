"""How a kernel finds the Jupyter server that runs VisionLens, and the client it talks to
it with (:class:`~visionlens_jlab.rest_client.RestClient`, the CLI's too).

Discovery order: an explicit :func:`connect`, then the environment the server extension puts
into every kernel it starts (``VISIONLENS_SERVER_URL`` + ``VISIONLENS_TOKEN``, or
``JUPYTERHUB_API_TOKEN`` under JupyterHub), then ``{data_dir}/server.json`` written by a
running server on this machine. Kernels never open the DuckDB file: the server owns it.
"""

from __future__ import annotations

import os

from ..config import SERVER_INFO_FILE, default_data_dir
from ..rest_client import SERVER_URL_ENV, TOKEN_ENV, RestClient, VisionLensError
from ..server_info import read_server_info

TIMEOUT_S = 300.0
"""A notebook call may wait this long for its answer (a large Arrow table)."""

HOW_TO_CONNECT = (
    "Open this notebook in JupyterLab with VisionLens installed (its kernels find the server "
    "automatically), or connect explicitly: "
    "vl.connect('http://127.0.0.1:8888/', token='<server token>')"
)


def notebook_client(url: str, token: str | None, origin: str) -> RestClient:
    """A client of the server at ``url`` for the notebook API (its errors say how to connect)."""
    return RestClient(url, token, origin=origin, hint=HOW_TO_CONNECT, timeout=TIMEOUT_S)


_client: RestClient | None = None


def connect(url: str | None = None, token: str | None = None) -> RestClient:
    """Connect the notebook API to a Jupyter server running VisionLens.

    With no arguments, (re)discovers the server from the environment or ``server.json``.
    ``url`` is the server's URL including its base URL (for example
    ``http://127.0.0.1:8888/user/alice/``); ``token`` its token (or a JupyterHub API token).
    The client returned also reaches the REST API directly: ``get_json``, ``post_json``,
    ``cancel_job(job_id)``, ...
    """
    global _client
    if url is None:
        _client = None
        _client = client()
    else:
        _client = notebook_client(url, token, "vl.connect()")
    return _client


def client() -> RestClient:
    """The current client, discovered on first use."""
    global _client
    if _client is None:
        _client = _discover()
    return _client


def _discover() -> RestClient:
    url = os.environ.get(SERVER_URL_ENV)
    if url:
        # an empty $VISIONLENS_TOKEN (JupyterHub) falls back to the hub's API token
        return notebook_client(url, os.environ.get(TOKEN_ENV), f"${SERVER_URL_ENV}")
    data_dir = default_data_dir()
    info = read_server_info(data_dir)  # None unless its process is alive
    if info and info.get("url"):
        return notebook_client(
            str(info["url"]), info.get("token") or None, str(data_dir / SERVER_INFO_FILE)
        )
    raise VisionLensError(
        f"no VisionLens server found: ${SERVER_URL_ENV} is not set and "
        f"{data_dir / SERVER_INFO_FILE} names no running server. {HOW_TO_CONNECT}"
    )
