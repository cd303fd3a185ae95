"""Calls to other services (the Label Studio client, through ``visionlens_jlab.outbound``)
against real HTTP servers on loopback: no token to another origin, no answer echoed in an
error, a clear error for an answer that is not JSON, bounded waits, http(s) URLs only."""

from __future__ import annotations

import json
import time

import pytest

from visionlens_jlab import outbound
from visionlens_jlab.labelstudio import LabelStudioClient, LabelStudioError
from visionlens_jlab.labelstudio.errors import LabelStudioUnavailableError
from visionlens_jlab.outbound import OutboundError, ServiceClient, http_url

from .outbound_fixtures import (
    Answer,
    Seen,
    hang,
    json_answer,
    redirect_to,
    stub_server,
    text_answer,
)

pytestmark = pytest.mark.timeout(120)
TOKEN = "f" * 40
SECRET = "INTERNAL-ONLY-7f3a"  # what an internal page holds: no error may repeat it


def test_a_redirect_to_another_origin_is_refused_and_the_token_never_reaches_it() -> None:
    with (
        stub_server(json_answer({"id": 1, "email": "x@y"})) as elsewhere,
        stub_server(redirect_to(elsewhere.url)) as label_studio,
    ):
        client = LabelStudioClient(label_studio.url, TOKEN)
        with pytest.raises(LabelStudioUnavailableError, match="another origin") as raised:
            client.whoami()
        assert [s.headers.get("Authorization") for s in label_studio.seen] == [f"Token {TOKEN}"]
        assert elsewhere.seen == []  # not even asked: no header of ours went there
        assert elsewhere.url.split("//")[1] in str(raised.value) and TOKEN not in str(raised.value)


def test_a_redirect_within_the_origin_is_followed_with_the_token_and_the_body() -> None:
    def respond(seen: Seen) -> Answer:
        if not seen.path.endswith("/"):  # Django's APPEND_SLASH, keeping the method (307)
            return 307, {"Location": seen.path + "/"}, b""
        return 201, {"Content-Type": "application/json"}, b'{"id": 3}'

    with stub_server(respond) as label_studio:
        client = LabelStudioClient(label_studio.url, TOKEN)
        assert client.create_project("t", "<View/>") == {"id": 3}
        first, second = label_studio.seen
        assert (first.path, second.path) == ("/api/projects", "/api/projects/")
        assert second.method == "POST" and json.loads(second.body)["title"] == "t"
        assert second.headers["Authorization"] == f"Token {TOKEN}"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (500, "answered 500 (Internal Server Error) to GET /api/current-user/whoami"),
        (404, "answered 404 (Not Found)"),
        (401, "refused the token (401)"),
        (403, "refused the token (403)"),
    ],
)
def test_an_error_answer_says_the_status_and_never_repeats_the_body(
    status: int, expected: str
) -> None:
    page = f"<html><body>{SECRET} db=postgres://admin@10.0.0.5</body></html>"
    with stub_server(text_answer(page, status=status)) as internal:
        with pytest.raises(LabelStudioUnavailableError) as raised:
            LabelStudioClient(internal.url, TOKEN).whoami()
    message = str(raised.value)
    assert expected in message and raised.value.status == status
    assert SECRET not in message and "postgres" not in message and TOKEN not in message


def test_an_answer_that_is_not_json_is_a_clear_error_without_the_answer() -> None:
    page = f"<html><form>Sign in {SECRET}</form></html>"
    with stub_server(text_answer(page)) as login_page:
        with pytest.raises(LabelStudioUnavailableError, match="text/html that is not JSON") as e:
            LabelStudioClient(login_page.url, TOKEN).whoami()
    assert SECRET not in str(e.value) and "Label Studio's own address" in str(e.value)


def test_json_of_the_wrong_shape_is_a_clear_error_not_a_crash() -> None:
    with stub_server(json_answer(["not", "a", "project"])) as odd:
        client = LabelStudioClient(odd.url, TOKEN)
        with pytest.raises(LabelStudioUnavailableError, match="unexpected shape"):
            client.create_project("t", "<View/>")
        with pytest.raises(LabelStudioUnavailableError, match="unexpected shape"):
            client.whoami()


def test_a_host_that_never_answers_costs_the_read_timeout_not_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outbound, "READ_TIMEOUT_S", 1.0)
    with stub_server(hang) as silent:
        start = time.monotonic()
        with pytest.raises(LabelStudioUnavailableError, match="did not answer GET") as raised:
            LabelStudioClient(silent.url, TOKEN).whoami()
        waited = time.monotonic() - start
    assert "within 1 s" in str(raised.value)
    assert waited < 20  # generous: the hang itself lasts 30 s


def test_the_default_timeouts_are_short() -> None:
    client = ServiceClient("Label Studio", "http://127.0.0.1:9")
    assert client.connect_timeout <= 10 and client.read_timeout <= 60


def test_a_refused_connection_says_so_without_library_noise() -> None:
    with stub_server(hang) as gone:
        url = gone.url
    with pytest.raises(OutboundError, match="connection refused") as raised:
        ServiceClient("Label Studio", url).request_json("GET", "/api/x")
    assert "HTTPConnectionPool" not in str(raised.value)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "javascript://127.0.0.1/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://127.0.0.1/",
        "http://",
        "http:///api",
        "//127.0.0.1:8080",
        "127.0.0.1:8080",
        "http://127.0.0.1:notaport/",
        "",
    ],
)
def test_only_http_urls_with_a_host_are_taken(url: str) -> None:
    with pytest.raises(ValueError, match=r"must be an http\(s\)://host\[:port\] URL"):
        http_url(url, "the URL")
    with pytest.raises(LabelStudioError, match="the Label Studio URL must be"):
        LabelStudioClient(url, TOKEN)


def test_a_url_holding_a_password_is_refused_without_repeating_it() -> None:
    with pytest.raises(LabelStudioError, match="user name or password") as raised:
        LabelStudioClient("http://admin:hunter2@127.0.0.1:8080", TOKEN)
    assert "hunter2" not in str(raised.value)


def test_http_and_https_urls_with_a_host_are_taken() -> None:
    for url in ("http://127.0.0.1:8888/lab-base/", "https://Label.Example.org", "http://h"):
        assert http_url(url, "the URL") == url
