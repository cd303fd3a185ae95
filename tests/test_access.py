"""Hostile input and access: XSRF on cookie-authenticated POSTs, allowed ingest roots, and
running jobs counted as server activity (so idle culling stops only idle servers)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError
from tornado.web import HTTPError

from visionlens_jlab.app import ACTIVITY_SETTING
from visionlens_jlab.catalog import Catalog, CatalogBusyError
from visionlens_jlab.handlers.base import engine_errors
from visionlens_jlab.importing.jobs import INGEST_JOB
from visionlens_jlab.ingest.allowed_roots import SourceNotAllowedError, check_allowed_source
from visionlens_jlab.jobs import JobEffects, JobKind, JobManager
from visionlens_jlab.jobs.journal import INTERRUPTED, JobJournal


@pytest.fixture
def vl_settings(tmp_path: Path) -> dict[str, Any]:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    return {"allowed_roots": [str(allowed)]}


async def login_cookie(jp_fetch: Any) -> str:
    """The login cookie a browser gets after opening the server with its token."""
    response = await jp_fetch("visionlens", "api", "jobs")
    cookies = response.headers.get_list("Set-Cookie")
    login = [c.split(";")[0] for c in cookies if c.startswith("username-")]
    assert login, cookies
    return login[0]


async def test_cookie_authenticated_posts_need_xsrf(jp_fetch: Any) -> None:
    cookie = await login_cookie(jp_fetch)
    body = json.dumps({"source": "/nowhere", "name": "x"})
    # the cookie alone authenticates a GET ...
    ok = await jp_fetch(
        "visionlens", "api", "jobs", headers={"Authorization": "", "Cookie": cookie}
    )
    assert ok.code == 200
    # ... but a POST or DELETE without the XSRF token is refused before any handler code runs
    for method, path in (
        ("POST", ("datasets",)),
        ("POST", ("datasets", "x", "samples", "query")),
        ("DELETE", ("datasets", "x")),
        ("DELETE", ("jobs", "1")),
    ):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(
                "visionlens",
                "api",
                *path,
                method=method,
                body=body if method == "POST" else None,
                headers={"Authorization": "", "Cookie": cookie},
            )
        assert info.value.code == 403, path
        assert info.value.response is not None
        assert b"XSRF" in info.value.response.body or b"_xsrf" in info.value.response.body
    # with the token in both the cookie and the header, the same POST reaches the handler
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "visionlens",
            "api",
            "datasets",
            method="POST",
            body=body,
            headers={
                "Authorization": "",
                "Cookie": f"{cookie}; _xsrf=abc123",
                "X-XSRFToken": "abc123",
            },
        )
    assert info.value.code == 403  # refused by allowed_roots this time, not by XSRF
    assert info.value.response is not None and b"allowed_roots" in info.value.response.body


async def test_ingest_outside_the_allowed_roots_is_refused(
    api: Any, tmp_path: Path, vl_app: Any
) -> None:
    allowed = tmp_path / "allowed"
    (tmp_path / "elsewhere").mkdir()
    (allowed / "link").symlink_to(tmp_path / "elsewhere")
    cases = [
        {"source": str(tmp_path / "elsewhere"), "name": "a"},
        {"source": str(allowed / "link"), "name": "a"},  # a symlink out of the root
        {"source": str(allowed / ".." / "elsewhere"), "name": "a"},
        {"source": str(allowed), "name": "a", "images": "/etc"},  # the images folder too
        {"source": "gs://bucket/data", "name": "a"},
    ]
    for body in cases:
        status, answer = await api("POST", "datasets", body)
        assert status == 403, (body, answer)
        assert "allowed_roots" in answer["message"]
    status, answer = await api("POST", "datasets/any/predictions", {"source": "/etc", "model": "m"})
    assert status == 403, answer
    # inside the root, the request gets past the check (and fails on the empty folder later)
    status, answer = await api("POST", "datasets", {"source": str(allowed), "name": "a"})
    assert status == 202, answer
    assert vl_app.jobs.wait(answer["job"]["id"]).status == "failed"


def test_allowed_roots_rules(tmp_path: Path) -> None:
    check_allowed_source("/anything", [])  # no roots: a laptop, no restriction
    roots = [str(tmp_path / "data"), "gs://bucket/team"]
    for ok in (
        str(tmp_path / "data"),
        str(tmp_path / "data" / "x" / "y.json"),
        "gs://bucket/team/a",
    ):
        check_allowed_source(ok, roots)
    for refused in (
        str(tmp_path / "data-other"),  # a sibling sharing the prefix
        str(tmp_path / "data" / ".." / "x"),
        "gs://bucket/teammate/a",
        "gs://bucket/team/../other",
        "gs://other/team",
        "/etc/passwd",
    ):
        with pytest.raises(SourceNotAllowedError):
            check_allowed_source(refused, roots)


async def test_running_jobs_count_as_server_activity(vl_app: Any, jp_serverapp: Any) -> None:
    settings = jp_serverapp.web_app.settings
    settings.pop(ACTIVITY_SETTING, None)
    vl_app.mark_job_activity()  # nothing running: nothing to report
    assert ACTIVITY_SETTING not in settings
    release = threading.Event()
    job = vl_app.jobs.submit(JobKind("test", JobEffects()), lambda ctx: release.wait(30))
    try:
        while job.status != "running":
            release.wait(0.01)
        before = jp_serverapp.web_app.last_activity()
        settings["api_last_activity"] = before - timedelta(hours=1)  # pretend a quiet hour
        vl_app.mark_job_activity()
        assert jp_serverapp.web_app.last_activity() >= before
    finally:
        release.set()
    vl_app.jobs.wait(job.id)
    assert vl_app._job_activity.is_running()


def test_the_journal_shows_interrupted_jobs_after_a_restart(tmp_path: Path) -> None:
    journal = JobJournal(tmp_path)
    first = JobManager(max_workers=1, journal=journal)
    release = threading.Event()
    done = first.submit(JobKind("quick", JobEffects()), lambda ctx: 42, title="Quick")
    first.wait(done.id)
    hung = first.submit(INGEST_JOB, lambda ctx: release.wait(30), title="Ingest big")
    while hung.status != "running":
        release.wait(0.01)
    # a kill -9 now: the journal on disk is all that is left of this manager
    second = JobManager(max_workers=1, journal=JobJournal(tmp_path))
    release.set()
    jobs = {j.id: j for j in second.list()}
    assert jobs[done.id].status == "done" and jobs[done.id].result == 42
    assert jobs[hung.id].status == "failed" and jobs[hung.id].error == INTERRUPTED
    assert jobs[hung.id].title == "Ingest big"
    first.shutdown(timeout=5)


async def test_the_loop_lag_probe_is_off_by_default(api: Any) -> None:
    status, body = await api("GET", "debug/loop-lag")
    assert status == 404 and "loop_lag_probe_ms" in body["message"]


def test_a_read_out_of_duckdb_memory_is_a_503(tmp_path: Path) -> None:
    """Found by the load benchmark: reads during an ingest (catalog memory limit lowered) ran
    out of DuckDB memory and answered 500 'Unhandled error'."""
    with Catalog(tmp_path / "data") as catalog:
        catalog._con.execute("SET memory_limit = '2MB'")
        with pytest.raises(CatalogBusyError, match="try again") as busy, catalog.cursor() as cur:
            cur.execute("SELECT list(range) FROM range(3000000)").fetchall()
    with pytest.raises(HTTPError) as http, engine_errors():
        raise busy.value
    assert http.value.status_code == 503
