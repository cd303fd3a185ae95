"""The kernel side of the ``kernel`` runner, shared by every kind of job that has one.

The server (:mod:`.kernel_runner`) starts a headless kernel and executes a job's entry
point there (``embed/kernel_client.py``, ``predict/kernel_client.py``); that code reaches
the server through :func:`server_client`, fetches its work list and posts its messages.
"""

from __future__ import annotations

import os

from ..rest_client import CONNECT_GRACE_S, SERVER_URL_ENV, TOKEN_ENV, RestClient
from ..worker_priority import lower_priority


def server_client() -> RestClient:
    """The client of the server that started this kernel (its URL and token are in the
    kernel's environment).

    The kernel exists for one job alone: it lowers its priority first, as worker
    processes do (:mod:`~visionlens_jlab.worker_priority`), so the server stays responsive.
    """
    lower_priority()
    url = os.environ.get(SERVER_URL_ENV)
    if not url:
        raise RuntimeError(
            f"${SERVER_URL_ENV} is not set: this kernel was not started by a VisionLens server"
        )
    return RestClient(
        url, os.environ.get(TOKEN_ENV), origin=f"${SERVER_URL_ENV}", connect_grace=CONNECT_GRACE_S
    )
