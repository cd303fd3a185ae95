"""The server's HTTP calls to other services (Label Studio today): one client, one set of rules.

The URL of such a service comes from a user's request, so the server may be pointed at any
host, internal ones included. Every call here therefore keeps these rules:

* **Short timeouts**: :data:`CONNECT_TIMEOUT_S` to connect, :data:`READ_TIMEOUT_S` for each
  read. A host that never answers costs a bounded wait; the handlers also run these calls on
  threads of their own, so a waiting call never holds the threads other requests need.
* **No credentials to another origin**: redirects are followed only within the service's
  own origin (scheme, host, port); a redirect elsewhere is refused, so the headers (the
  token among them) never reach a host the user did not name.
* **No answer echoed**: an error says the status and what to check, never the body (it may
  be an internal page the user should not read through VisionLens).
* **JSON or a clear error**: an answer that is not JSON is an :class:`OutboundError`.
"""

from __future__ import annotations

import http
import http.client
import json
import socket
import ssl
import urllib.parse
from typing import Any

import requests

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 30.0
MAX_REDIRECTS = 5
_SHOWN_URL_CHARS = 80  # a refused URL is shown this far: enough to spot the mistake


class OutboundError(Exception):
    """A call to a service failed: a sentence for the user, without the service's answer and
    without any credential. ``status`` is the HTTP error status it answered (400 or more),
    ``None`` when there was no answer or an unusable one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def http_url(url: str, what: str) -> str:
    """``url`` if it is ``http(s)://host[:port][/path]`` without a user or password in it;
    otherwise a :class:`ValueError` naming ``what`` (``javascript:``, ``file:``, a URL without
    a host: none is a service's address, and none belongs in a link VisionLens hands out)."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except (ValueError, TypeError, AttributeError):
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        shown = url[:_SHOWN_URL_CHARS] if isinstance(url, str) else type(url).__name__
        raise ValueError(f"{what} must be an http(s)://host[:port] URL, got {shown!r}")
    if parts.username is not None or parts.password is not None:
        # not echoed: the part before '@' is a credential
        raise ValueError(f"{what} must not hold a user name or password (give the token apart)")
    return url


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url`` (the default port spelled out), what a redirect must
    keep for credentials to follow it."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a port that is not a number: no origin a call may go to
        return "an unreadable URL"
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"[:_SHOWN_URL_CHARS]


class ServiceClient:
    """JSON calls to the service ``name`` (as messages call it) at ``base_url``; ``headers``
    (credentials among them) go with every call, and only to that origin."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
    ) -> None:
        self.name = name
        self.base_url = http_url(base_url, f"the {name} URL").rstrip("/")
        self.connect_timeout = CONNECT_TIMEOUT_S if connect_timeout is None else connect_timeout
        self.read_timeout = READ_TIMEOUT_S if read_timeout is None else read_timeout
        self._origin = origin(self.base_url)
        self._session = requests.Session()

    def request_json(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        read_timeout: float | None = None,
    ) -> Any:
        """``method`` on ``base_url + path`` with ``body`` as JSON; the answer's JSON (``None``
        for an empty one). ``read_timeout`` replaces the client's for a call the service is
        known to take long over. Raises :class:`OutboundError`."""
        url = self.base_url + path
        data = None if body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        timeout = (
            self.connect_timeout,
            self.read_timeout if read_timeout is None else read_timeout,
        )
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(method, url, data, sent, timeout, path)
            if not response.is_redirect:
                return self._json(response, method, path)
            target = urllib.parse.urljoin(url, response.headers["Location"])
            response.close()
            if origin(target) != self._origin:
                raise OutboundError(
                    f"{self.name} at {self.base_url} redirected {method} {path} to another "
                    f"origin ({origin(target)}); VisionLens does not send the token there: "
                    f"give {self.name}'s own address as its URL"
                )
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method, data = "GET", None  # as browsers do: the body is not re-posted
            url = target
        raise OutboundError(
            f"{self.name} at {self.base_url} redirected {path} more than {MAX_REDIRECTS} times: "
            "check its URL"
        )

    def _send(
        self,
        method: str,
        url: str,
        data: bytes | None,
        headers: dict[str, str],
        timeout: tuple[float, float],
        path: str,
    ) -> requests.Response:
        where = f"{self.name} at {self.base_url}"
        try:
            return self._session.request(
                method, url, data=data, headers=headers, timeout=timeout, allow_redirects=False
            )
        except requests.ConnectTimeout as exc:
            raise OutboundError(
                f"{where} did not accept a connection within {timeout[0]:g} s: check the URL "
                f"and that {self.name} is running"
            ) from exc
        except requests.ReadTimeout as exc:
            raise OutboundError(
                f"{where} did not answer {method} {path} within {timeout[1]:g} s: check that "
                f"{self.name} is running and not overloaded"
            ) from exc
        except requests.RequestException as exc:
            raise OutboundError(
                f"cannot reach {where} ({_reason(exc)}): check the URL and that {self.name} "
                "is running"
            ) from exc

    def _json(self, response: requests.Response, method: str, path: str) -> Any:
        where = f"{self.name} at {self.base_url}"
        status = response.status_code
        if status >= 400:
            raise OutboundError(
                f"{where} answered {status} ({_phrase(status)}) to {method} {path}: check the "
                f"URL, the token's permissions and {self.name}'s log",
                status=status,
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            kind = response.headers.get("Content-Type", "").split(";")[0].strip()[:40]
            raise OutboundError(
                f"{where} answered {method} {path} with {kind or 'a body'} that is not JSON: "
                f"check that the URL is {self.name}'s own address (not a proxy's or a login "
                "page's)"
            ) from exc


def _phrase(status: int) -> str:
    """The standard name of ``status`` (the service's own reason text is not shown)."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "unknown status"


def _reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words (the library's text nests URLs and objects)."""
    seen: BaseException | None = exc
    for _ in range(10):  # a chain of causes is short; a cycle must not loop
        if seen is None:
            break
        if isinstance(seen, ssl.SSLError):
            return "TLS failed: check the certificate, and http against https"
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "the host name does not resolve"
        if isinstance(seen, http.client.RemoteDisconnected | ConnectionResetError):
            return "it closed the connection without an answer"
        seen = seen.__cause__ or seen.__context__ or _wrapped(seen)
    return type(exc).__name__


def _wrapped(exc: BaseException) -> BaseException | None:
    """The error urllib3 keeps as an argument instead of a cause (``MaxRetryError.reason``,
    ``ProtocolError(msg, error)``)."""
    inner = getattr(exc, "reason", None)
    if isinstance(inner, BaseException):
        return inner
    nested = [a for a in exc.args if isinstance(a, BaseException)]
    return nested[0] if nested else None
