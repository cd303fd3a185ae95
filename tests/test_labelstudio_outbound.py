"""The Label Studio routes of a running Jupyter server against stand-ins on loopback (no
Label Studio needed): a ``server_url`` that is not http(s) is refused before Label Studio is
called, an answer that is not JSON is a 502 that does not repeat it, and a Label Studio that
never answers holds none of the threads the other requests need."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from .outbound_fixtures import hang, json_answer, stub_server, text_answer
from .test_edits_server import write_toy

pytestmark = pytest.mark.timeout(180)
TOKEN = "e" * 40
REQUEST_THREADS = 2
SECRET = "INTERNAL-ONLY-51c0"


@pytest.fixture
def vl_settings() -> dict[str, Any]:
    # few request threads, so that calls holding them would show at once
    return {"request_threads": REQUEST_THREADS}


@pytest.fixture
def toy(vl_app: Any) -> str:
    write_toy(vl_app.catalog, "toy")
    return "toy"


@pytest.mark.parametrize(
    "server_url", ["javascript:alert(document.cookie)//", "data:text/html,x", "http://"]
)
async def test_a_server_url_other_than_http_is_refused_before_label_studio_is_called(
    api: Any, toy: str, server_url: str
) -> None:
    with stub_server(json_answer({"id": 1, "task_count": 6})) as label_studio:
        body = {"label_studio": {"url": label_studio.url, "token": TOKEN}, "server_url": server_url}
        status, answer = await api("POST", f"datasets/{toy}/labelstudio/projects", body)
    assert status == 400, answer
    assert "server_url" in answer["message"] and "http(s)://host" in answer["message"]
    assert label_studio.seen == []  # no project made with links nobody should follow


async def test_an_answer_that_is_not_json_is_a_502_that_does_not_repeat_it(
    api: Any, toy: str
) -> None:
    page = f"<html><h1>Corporate SSO</h1>{SECRET}</html>"
    with stub_server(text_answer(page)) as not_label_studio:
        body = {"label_studio": {"url": not_label_studio.url, "token": TOKEN}}
        status, answer = await api("POST", f"datasets/{toy}/labelstudio/projects/1/pull", body)
    assert status == 502, answer
    assert "not JSON" in answer["message"] and "Label Studio's own address" in answer["message"]
    assert SECRET not in answer["message"] and TOKEN not in answer["message"]


async def test_an_error_answer_is_a_502_naming_the_status_not_the_body(api: Any, toy: str) -> None:
    with stub_server(text_answer(f"Traceback ... {SECRET}", status=500)) as broken:
        body = {"label_studio": {"url": broken.url, "token": TOKEN}}
        status, answer = await api("POST", f"datasets/{toy}/labelstudio/projects/1/pull", body)
    assert status == 502 and "answered 500" in answer["message"], answer
    assert SECRET not in answer["message"]


async def test_a_label_studio_that_never_answers_holds_no_thread_other_requests_need(
    api: Any, toy: str
) -> None:
    calls = REQUEST_THREADS + 2
    with stub_server(hang) as silent:
        body = {"label_studio": {"url": silent.url, "token": TOKEN}}
        pulls = [
            asyncio.ensure_future(
                api("POST", f"datasets/{toy}/labelstudio/projects/1/pull", body, timeout=120)
            )
            for _ in range(calls)
        ]
        deadline = time.monotonic() + 30
        while len(silent.seen) < REQUEST_THREADS:  # as many waiting as there are threads
            assert time.monotonic() < deadline, f"{len(silent.seen)} calls reached the stub"
            await asyncio.sleep(0.05)
        start = time.monotonic()
        status, datasets = await api("GET", "datasets", timeout=10)
        answered_in = time.monotonic() - start
        assert status == 200 and [d["name"] for d in datasets["datasets"]] == ["toy"]
        status, _ = await api("GET", f"datasets/{toy}", timeout=10)
        assert status == 200
        assert answered_in < 5, answered_in  # generous: the hang lasts 30 s
        silent.release()  # the waiting calls end: Label Studio closed without answering
        answers = await asyncio.gather(*pulls)
    for status, answer in answers:
        assert status == 502, answer
        assert "without an answer" in answer["message"] and TOKEN not in answer["message"]
