"""Every REST route refuses unauthenticated requests, for every verb its handler implements.

The routes come from the running extension's own handler list, so a new handler is covered
the day it is added. The server runs with ``allow_unauthenticated_access=False`` (see
``conftest.py``), which would also answer 403 for a verb that forgot
``@tornado.web.authenticated``; the decorators are therefore checked in the source too.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from typing import Any

from jupyter_server.utils import url_path_join

from visionlens_jlab.handlers.base import VisionLensHandler

VERBS = ("get", "head", "post", "put", "patch", "delete")
SAMPLE_VALUES = {"name": "no-such-dataset", "sample_id": "1", "job_id": "no-such-job", "key": "k"}
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def implemented_verbs(handler: type) -> list[str]:
    """The verbs that VisionLens code defines for ``handler`` (inherited ones included)."""
    verbs = []
    for verb in VERBS:
        owner = next((c for c in handler.__mro__ if verb in vars(c)), None)
        if owner is not None and owner.__module__.startswith("visionlens_jlab."):
            verbs.append(verb)
    return verbs


def sample_url(pattern: str) -> str:
    """``pattern`` with every path argument replaced by a sample value that it matches."""
    url = _GROUP.sub(lambda m: SAMPLE_VALUES.get(m.group(1), "1"), pattern)
    assert re.fullmatch(pattern, url), (pattern, url)
    return url


def extension_routes(vl_app: Any) -> list[tuple[str, type]]:
    routes = [(str(r[0]), r[1]) for r in vl_app.handlers]
    assert len(routes) >= 10 and any(p == "visionlens/api/datasets" for p, _ in routes)
    return routes


def test_every_handler_derives_from_the_base_handler(vl_app: Any) -> None:
    for pattern, handler in extension_routes(vl_app):
        assert issubclass(handler, VisionLensHandler), (pattern, handler)
        assert implemented_verbs(handler), f"{handler.__name__} answers no verb"


def test_every_verb_is_authenticated_then_authorized(vl_app: Any) -> None:
    for _, handler in extension_routes(vl_app):
        for verb in implemented_verbs(handler):
            func = inspect.unwrap(getattr(handler, verb))
            tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
            decorators = [ast.unparse(d) for d in tree.body[0].decorator_list]  # type: ignore[attr-defined]
            assert decorators == ["tornado.web.authenticated", "authorized"], (
                f"{handler.__name__}.{verb}: {decorators}"
            )


async def test_every_route_refuses_unauthenticated_requests(
    vl_app: Any, jp_fetch: Any, http_server_client: Any, jp_base_url: str
) -> None:
    checked = 0
    for pattern, handler in extension_routes(vl_app):
        url = sample_url(pattern)
        for verb in implemented_verbs(handler):
            body = "{}" if verb in ("post", "put", "patch") else None
            response = await http_server_client.fetch(
                url_path_join(jp_base_url, url),
                method=verb.upper(),
                body=body,
                raise_error=False,
                follow_redirects=False,
            )
            assert response.code == 403, f"{verb.upper()} {url}: {response.code}"
            # The same request with the token reaches the handler: the 403 was the missing
            # authentication, not the URL. GET /models waits for a worker that imports torch:
            # over 20 s (the default timeout) on a busy 2-core machine.
            authed = await jp_fetch(
                url, method=verb.upper(), body=body, raise_error=False, request_timeout=180
            )
            assert authed.code != 403, f"{verb.upper()} {url} with a token: {authed.code}"
            checked += 1
    assert checked >= 20
