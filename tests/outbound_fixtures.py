"""Tiny HTTP servers on loopback standing in for a service the server calls (Label Studio):
each answers every request with what a test gives it, records what it received, and can
accept a request and never answer (until released or :data:`HANG_LIMIT_S` has passed)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG_LIMIT_S = 30.0
"""A hanging answer ends (the connection closes unanswered) at the latest after this."""


@dataclass
class Seen:
    """One request a stub received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = tuple[int, dict[str, str], bytes]
Respond = Callable[[Seen], Answer | None]
"""What a stub answers to a request: (status, headers, body), or ``None`` to hang."""


class StubServer:
    """A threaded HTTP server on ``127.0.0.1`` answering with ``respond``."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.seen: list[Seen] = []
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
                )
                stub.seen.append(seen)
                answer = stub.respond(seen)
                if answer is None:
                    stub._release.wait(HANG_LIMIT_S)
                    return  # the connection closes without an answer
                status, headers, body = answer
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

        return Handler

    def release(self) -> None:
        """End every hanging answer now (their connections close unanswered)."""
        self._release.set()

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def stub_server(respond: Respond) -> Iterator[StubServer]:
    """A :class:`StubServer`, stopped at the end of the block."""
    server = StubServer(respond)
    try:
        yield server
    finally:
        server.close()


def json_answer(payload: Any, status: int = 200) -> Respond:
    """Answer every request with ``payload`` as JSON."""
    body = json.dumps(payload).encode()
    return lambda _: (status, {"Content-Type": "application/json"}, body)


def json_by_path(answers: dict[str, Any]) -> Respond:
    """Answer each request with the JSON whose key is the longest prefix of its path."""
    encoded = {prefix: json.dumps(payload).encode() for prefix, payload in answers.items()}

    def respond(seen: Seen) -> Answer:
        prefix = max((p for p in encoded if seen.path.startswith(p)), key=len, default=None)
        if prefix is None:
            return 404, {"Content-Type": "application/json"}, b"{}"
        return 200, {"Content-Type": "application/json"}, encoded[prefix]

    return respond


def text_answer(body: str, status: int = 200, content_type: str = "text/html") -> Respond:
    """Answer every request with ``body`` (an internal page, a login form)."""
    return lambda _: (status, {"Content-Type": content_type}, body.encode())


def redirect_to(target: str, status: int = 302) -> Respond:
    """Redirect every request to the same path under ``target`` (another origin)."""
    return lambda seen: (status, {"Location": target + seen.path}, b"")


def hang(_: Seen) -> None:
    """Accept the request and never answer it."""
    return None
