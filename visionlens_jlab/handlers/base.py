"""The one base class every VisionLens REST handler derives from."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from jupyter_server.auth.identity import (
    IdentityProvider,
    LegacyIdentityProvider,
    PasswordIdentityProvider,
)
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop
from tornado.web import HTTPError

from ..catalog import (
    CatalogBusyError,
    CatalogError,
    CatalogLockedError,
    ConflictError,
    FilterError,
    NotFoundError,
)
from ..catalog.store.read_cancel import ReadCancelledError, ReadScope, ReadTimedOutError
from ..config import os_user
from ..embed.base import EmbedError
from ..export import ExportError, OutNotAllowedError
from ..ingest.allowed_roots import SourceNotAllowedError, confine_local_path
from ..jobs.kinds import JobKind
from ..jobs.ray_pipeline import RunnerNotAllowedError
from ..jobs.runners import RunnerError
from ..maps.params import MapError
from ..records.report import IngestError
from ..search.encoders import QueryImageTooLargeError
from ..vectors import SpaceNotFoundError, VectorStoreError, VectorStoreUnavailableError
from . import API_PREFIX, contract
from .services import Services

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..jobs import JobContext, JobManager

T = TypeVar("T")

_TOKEN_PROVIDERS = (IdentityProvider, PasswordIdentityProvider, LegacyIdentityProvider)
"""Jupyter's own identity providers: whoever has the token or password is the one user."""


class VisionLensHandler(ExtensionHandlerMixin, APIHandler):
    """Authenticated + authorized JSON handler with access to the catalog and the jobs.

    Subclasses decorate every verb with ``@tornado.web.authenticated`` then
    ``@authorized`` and keep to parsing the request and calling the engine.
    """

    auth_resource = "visionlens"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._read_scopes: set[ReadScope] = set()  # the engine calls in flight for this request
        super().__init__(*args, **kwargs)

    @property
    def app(self) -> Services:
        """The server extension's parts (the extension app that registered this handler)."""
        return self.extensionapp  # type: ignore[return-value]

    @property
    def catalog(self) -> Catalog:
        return self.app.catalog

    @property
    def user_name(self) -> str:
        """The Jupyter user making the request, as the operation log records it.

        Behind a real identity provider (JupyterHub, a collaboration setup) that is the
        user's name. Jupyter's own token and password providers know only whoever holds the server's
        token and calls them by a random hex id: the person who started the server, so
        their login name is recorded instead (a version table of hex ids tells nobody who
        edited what)."""
        if type(self.identity_provider) in _TOKEN_PROVIDERS:
            return os_user()
        user = self.current_user
        return str(getattr(user, "username", None) or getattr(user, "name", None) or user)

    @property
    def jobs(self) -> JobManager:
        return self.app.jobs

    async def write_json(self, obj: Any, status: int = 200) -> None:
        """Finish the request with ``obj`` as JSON, encoded off the event loop (a page of
        samples or a facet answer takes milliseconds to encode: the largest item on the
        loop under load, benchmarks/results/load.md)."""
        body = await IOLoop.current().run_in_executor(self.app.executor, _encode, obj)
        self.set_status(status)
        self.finish(body)  # APIHandler.finish sets application/json

    async def write_result(self, result: Any | None) -> None:
        """Finish with a stored result as JSON, or 204 No Content while none is computed yet:
        not an error (a panel asks before anything has run), so no 404 in the browser's
        console; an unknown dataset stays a 404."""
        if result is None:
            self.set_status(204)
            self.finish()
        else:
            await self.write_json(result)

    def compute_etag(self) -> str | None:
        """No automatic ETag: hashing every JSON answer on the event loop buys nothing (the
        panels do not revalidate them); images set their own."""
        return None

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object that meets its operation's request schema in
        ``openapi.yaml`` (:mod:`.contract`), or a 400 naming the field and what it takes."""
        if not self.request.body:
            return self._checked({})
        try:
            # orjson parses a 0.7 MB id set in ~1.4 ms against ~3.7 ms; what it refuses and
            # json accepts (integers past 64 bits, NaN) still reaches the filter's own checks
            body = orjson.loads(self.request.body)
        except orjson.JSONDecodeError:
            body = _loads(self.request.body, "request body")
        if not isinstance(body, dict):
            raise HTTPError(400, "request body must be a JSON object")
        return self._checked(body)

    def _checked(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` checked against the documented operation this request is (its optional
        fields sent as null left out)."""
        prefix = url_path_join(self.base_url, API_PREFIX)
        path = self.request.path[len(prefix) :] if self.request.path.startswith(prefix) else ""
        operation = contract.operation_path(path, self.request.method or "")
        if operation is None:
            return body
        try:
            return contract.check_body(operation, self.request.method or "", body)
        except contract.ContractError as exc:
            raise HTTPError(400, str(exc)) from exc

    def json_argument(self, name: str) -> Any:
        """A query argument holding JSON (e.g. ``filter``), or ``None``; 400 if malformed."""
        raw = self.get_query_argument(name, None)
        if raw in (None, ""):
            return None
        return _loads(raw, f"query argument {name!r}")

    def int_argument(self, name: str, default: int) -> int:
        """An integer query argument, or a 400."""
        raw = self.get_query_argument(name, None)
        if raw in (None, ""):
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise HTTPError(400, f"query argument {name!r} must be an integer") from exc

    def local_path(self, value: str) -> str | None:
        """The absolute path a request's model or checkpoint names on this machine, inside
        ``allowed_roots`` (else :class:`SourceNotAllowedError`: a 403); None for a name
        that is no local path (a hub id). Relative paths are read under the server's root
        folder, then its working folder (:func:`~..ingest.allowed_roots.confine_local_path`)."""
        cwd = os.getcwd()
        root = os.path.abspath(os.path.expanduser(self.settings.get("server_root_dir") or cwd))
        return confine_local_path(value, [root, cwd], self.app.allowed_roots)

    async def run_blocking(
        self, fn: Callable[..., T], *args: Any, executor: Executor | None = None
    ) -> T:
        """Run catalog work off the event loop (on the request threads, or ``executor``),
        mapping engine errors to HTTP errors; its reads stop if the client closes the
        connection first (:meth:`on_connection_close`) or when it runs past the server's
        ``max_request_seconds`` (a 503 that says so)."""
        scope = ReadScope()
        self._read_scopes.add(scope)
        loop, bound = IOLoop.current(), self.app.max_request_seconds
        timer = loop.call_later(bound, scope.time_out, bound) if bound > 0 else None
        try:
            with engine_errors():
                return await loop.run_in_executor(
                    executor or self.app.executor, scope.run, fn, *args
                )
        finally:
            if timer is not None:
                loop.remove_timeout(timer)
            self._read_scopes.discard(scope)

    async def submit_job(
        self,
        kind: JobKind,
        run: Callable[[JobContext], Any],
        *,
        title: str,
        dataset: str,
        models: Sequence[str] = (),
    ) -> None:
        """Queue ``run`` as a background job on ``dataset`` (reading or writing the rows of
        its ``models``) and answer 202 with the job."""
        with engine_errors():
            job = self.jobs.submit(kind, run, title=title, dataset=dataset, models=models)
        await self.write_json({"job": job.to_dict()}, status=202)

    def on_connection_close(self) -> None:
        """The client went away (the grid aborts a request when its filter changes again):
        stop the statements still running for it instead of finishing an unread answer."""
        for scope in self._read_scopes:
            scope.cancel()
        super().on_connection_close()


def _loads(raw: str | bytes, what: str) -> Any:
    """``json.loads`` or a 400 naming ``what``; JSON nested deeper than Python's recursion
    limit (orjson stops at 1,024 levels, ``json`` raises ``RecursionError``) is a 400 too."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise HTTPError(400, f"{what} is nested too deeply (JSON depth limit)") from None
    except ValueError as exc:
        raise HTTPError(400, f"{what} is not valid JSON: {exc}") from exc


_ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_PASSTHROUGH_DATETIME
)


def _encode(obj: Any) -> bytes:
    """``obj`` as JSON: with orjson, which writes the stored JSON text an answer carries as
    :class:`orjson.Fragment` (masks, keypoints: ``catalog/reads/label_reads.py``) without
    parsing it; anything else as ``str`` (datetimes as ``json.dumps(default=str)`` did).
    What orjson refuses (an integer past 64 bits, nesting past 255 levels) goes to ``json``."""
    try:
        return orjson.dumps(obj, default=str, option=_ORJSON_OPTIONS)
    except TypeError:
        return json.dumps(obj, default=_json_default).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, orjson.Fragment):
        return json.loads(orjson.dumps(value))
    return str(value)


def required_str(body: dict[str, Any], key: str) -> str:
    """A required string of a body the contract checked (``openapi.yaml``: not blank)."""
    return str(body[key]).strip()


def optional_str(body: dict[str, Any], key: str) -> str | None:
    """An optional string of a checked body; empty is absent."""
    return body.get(key) or None


@contextmanager
def engine_errors() -> Iterator[None]:
    """Turn the engine's user-facing errors into ``HTTPError`` with the same message."""
    try:
        yield
    except ReadCancelledError as exc:  # nobody reads this answer: nginx's name for the case
        raise HTTPError(499, str(exc), reason="Client Closed Request") from exc
    except ReadTimedOutError as exc:
        raise HTTPError(503, str(exc)) from exc
    except (NotFoundError, SpaceNotFoundError) as exc:
        raise HTTPError(404, str(exc)) from exc
    except VectorStoreUnavailableError as exc:  # a store held elsewhere, a server down
        raise HTTPError(503, str(exc)) from exc
    except (SourceNotAllowedError, OutNotAllowedError, RunnerNotAllowedError) as exc:
        raise HTTPError(403, str(exc)) from exc
    except QueryImageTooLargeError as exc:
        raise HTTPError(413, str(exc)) from exc
    except RecursionError as exc:  # a filter or body nested past what the parser/compiler take
        raise HTTPError(400, "the request is nested too deeply") from exc
    except ConflictError as exc:
        raise HTTPError(409, str(exc)) from exc
    except CatalogBusyError as exc:  # transient: the client may retry
        raise HTTPError(503, str(exc)) from exc
    except CatalogLockedError as exc:
        raise HTTPError(503, str(exc)) from exc
    except (
        CatalogError,
        FilterError,
        IngestError,
        VectorStoreError,
        EmbedError,
        RunnerError,
        MapError,
        ExportError,
    ) as exc:
        raise HTTPError(400, str(exc)) from exc
