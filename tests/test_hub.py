"""VisionLens under a real JupyterHub (tests/hub_fixtures.py), through the hub's proxy and
under the awkward prefix ``/@/space%20word/``: per-user catalogs, ingest, thumbnails, pages,
jobs, a kernel reading a DataFrame, users kept apart, named servers."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from tests.hub_fixtures import Hub
from tests.ingest_fixtures import write_yolo

pytestmark = pytest.mark.slow

N_IMAGES = 12


def vl(session: requests.Session, server: str, method: str, path: str, **kw: Any) -> Any:
    """A VisionLens API call through the proxy (redirects not followed: a redirect to the
    hub's login is a refusal too)."""
    return session.request(
        method, f"{server}visionlens/api/{path}", timeout=60, allow_redirects=False, **kw
    )


def wait_job(session: requests.Session, server: str, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        state = vl(session, server, "GET", f"jobs/{job['id']}").json()
        if state["status"] in ("done", "failed", "cancelled"):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.1)


def ingest(hub: Hub, user: str, server: str, root: Path, name: str) -> dict[str, Any]:
    session = hub.session(user)
    response = vl(session, server, "POST", "datasets", json={"source": str(root), "name": name})
    assert response.status_code == 202, response.text
    job = wait_job(session, server, response.json()["job"])
    assert job["status"] == "done", job
    return job


@pytest.fixture(scope="module")
def servers(hub: Hub) -> dict[str, str]:
    """Both users' default servers, each with a dataset ingested through the proxy: alice's
    from her home, bob's from the shared datasets folder (both allowed roots)."""
    urls = {user: hub.start_server(user) for user in ("alice", "bob")}
    write_yolo(hub.home("alice") / "alice-yolo", N_IMAGES, 3, splits=("train",))
    write_yolo(hub.shared / "bob-yolo", N_IMAGES, 2, splits=("train",))
    ingest(hub, "alice", urls["alice"], hub.home("alice") / "alice-yolo", "alice_ds")
    ingest(hub, "bob", urls["bob"], hub.shared / "bob-yolo", "bob_ds")
    return urls


def test_each_user_browses_their_own_catalog(hub: Hub, servers: dict[str, str]) -> None:
    for user, own, boxes in (("alice", "alice_ds", 3), ("bob", "bob_ds", 2)):
        session, server = hub.session(user), servers[user]
        listing = vl(session, server, "GET", "datasets").json()["datasets"]
        assert [d["name"] for d in listing] == [own]
        assert listing[0]["num_annotations"] == N_IMAGES * boxes
        # pages of samples
        first = vl(session, server, "GET", f"datasets/{own}/samples", params={"limit": 5})
        second = vl(
            session, server, "GET", f"datasets/{own}/samples", params={"limit": 5, "offset": 5}
        )
        assert first.status_code == second.status_code == 200
        ids = [s["sample_id"] for s in first.json()["samples"] + second.json()["samples"]]
        assert len(set(ids)) == 10 and first.json()["total"] == N_IMAGES
        # thumbnails, served through the proxy with cache headers
        thumb = vl(session, server, "GET", f"datasets/{own}/samples/{ids[0]}/image?size=128")
        assert thumb.status_code == 200, thumb.text
        assert (
            thumb.headers["Content-Type"].startswith("image/") and thumb.content[:2] == b"\xff\xd8"
        )
        assert thumb.headers.get("ETag")
        # the ingest ran as a job; its thumbnails job followed it
        kinds = {j["kind"]: j["status"] for j in vl(session, server, "GET", "jobs").json()["jobs"]}
        assert kinds.get("ingest") == "done" and "thumbnails" in kinds
        # each user's catalog is in that user's own data directory (Spawner.environment)
        catalog = hub.home(user) / ".local/share/visionlens/default/catalog.duckdb"
        assert catalog.exists()


def test_a_user_cannot_reach_another_users_visionlens(hub: Hub, servers: dict[str, str]) -> None:
    alice = hub.session("alice")
    bob_server = servers["bob"]
    bob_ids = [
        s["sample_id"]
        for s in vl(hub.session("bob"), bob_server, "GET", "datasets/bob_ds/samples").json()[
            "samples"
        ]
    ]
    attempts: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "datasets", {}),
        ("GET", "datasets/bob_ds", {}),
        ("GET", "datasets/bob_ds/samples", {}),
        ("GET", f"datasets/bob_ds/samples/{bob_ids[0]}", {}),
        ("GET", f"datasets/bob_ds/samples/{bob_ids[0]}/image?size=128", {}),
        ("GET", "datasets/bob_ds/facets", {}),
        ("POST", "datasets/bob_ds/export/samples", {"json": {}}),
        ("GET", "jobs", {}),
        ("POST", "datasets", {"json": {"source": "/tmp", "name": "x"}}),
        ("DELETE", "datasets/bob_ds", {}),
    ]
    for method, path, kw in attempts:
        response = vl(alice, bob_server, method, path, **kw)
        assert response.status_code in (302, 403, 404), (method, path, response.status_code)
        if response.status_code == 302:  # to the hub's login: no data either
            assert "/hub/" in response.headers["Location"]
        assert b"bob_ds" not in response.content and b"bob-yolo" not in response.content
    # bob's data is intact
    listing = vl(hub.session("bob"), bob_server, "GET", "datasets").json()["datasets"]
    assert [d["name"] for d in listing] == ["bob_ds"]


def test_ingest_outside_the_allowed_roots_is_refused(hub: Hub, servers: dict[str, str]) -> None:
    alice, server = hub.session("alice"), servers["alice"]
    for source in ("/etc", str(hub.home("bob")), str(hub.home("alice") / ".." / "bob")):
        response = vl(alice, server, "POST", "datasets", json={"source": source, "name": "x"})
        assert response.status_code == 403, (source, response.text)
        assert "allowed_roots" in response.json()["message"]
    assert [d["name"] for d in vl(alice, server, "GET", "datasets").json()["datasets"]] == [
        "alice_ds"
    ]


async def run_in_kernel(hub: Hub, user: str, server: str, code: str) -> str:
    """Start a kernel through the proxy, run ``code`` over the kernel websocket, return its
    stdout (the error's traceback if it raised)."""
    session = hub.session(user)
    kernel = session.post(f"{server}api/kernels", json={"name": "python3"}, timeout=60)
    assert kernel.status_code == 201, kernel.text
    kernel_id = kernel.json()["id"]
    ws_url = server.replace("http://", "ws://") + f"api/kernels/{kernel_id}/channels"
    request = HTTPRequest(ws_url, headers={"Authorization": f"token {hub.token(user)}"})
    conn = await websocket_connect(request)
    msg_id = uuid.uuid4().hex
    conn.write_message(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "execute_request",
                    "username": user,
                    "session": uuid.uuid4().hex,
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "channel": "shell",
                "content": {"code": code, "silent": False, "allow_stdin": False},
            }
        )
    )
    out: list[str] = []
    try:
        while True:
            raw = await asyncio.wait_for(conn.read_message(), timeout=120)
            assert raw is not None, "kernel websocket closed"
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                out.append("\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)
    finally:
        conn.close()
        session.delete(f"{server}api/kernels/{kernel_id}", timeout=60)


async def test_a_kernel_under_the_hub_reads_a_dataframe(hub: Hub, servers: dict[str, str]) -> None:
    code = (
        "import visionlens_jlab as vl\n"
        "df = vl.dataset('alice_ds').samples()\n"
        "print('ROWS', len(df), type(df).__name__)\n"
    )
    out = await run_in_kernel(hub, "alice", servers["alice"], code)
    assert f"ROWS {N_IMAGES} DataFrame" in out, out


def test_named_servers_have_their_own_catalog(hub: Hub, servers: dict[str, str]) -> None:
    url = hub.start_server("alice", "second")
    assert url.endswith("/user/alice/second/")
    alice = hub.session("alice")
    assert vl(alice, url, "GET", "datasets").json()["datasets"] == []
    ingest(hub, "alice", url, hub.home("alice") / "alice-yolo", "again")
    assert [d["name"] for d in vl(alice, url, "GET", "datasets").json()["datasets"]] == ["again"]
    assert (hub.home("alice") / ".local/share/visionlens/second/catalog.duckdb").exists()
    # the default server's catalog is untouched
    listing = vl(alice, servers["alice"], "GET", "datasets").json()["datasets"]
    assert [d["name"] for d in listing] == ["alice_ds"]


def test_a_server_stopped_by_the_hub_runs_the_shutdown(hub: Hub, servers: dict[str, str]) -> None:
    """The local spawner stops a server with SIGINT; VisionLens's shutdown must run."""
    url = hub.start_server("bob", "stopme")
    data_dir = hub.home("bob") / ".local/share/visionlens/stopme"
    assert vl(hub.session("bob"), url, "GET", "datasets").status_code == 200
    assert (data_dir / "server.json").exists()
    response = hub.hub_api("DELETE", "users/bob/servers/stopme")
    assert response.status_code in (202, 204), response.text
    deadline = time.monotonic() + 60
    while hub.hub_api("GET", "users/bob").json()["servers"].get("stopme"):
        assert time.monotonic() < deadline, "server did not stop"
        time.sleep(0.25)
    assert not (data_dir / "server.json").exists(), hub.log()


def test_metrics_through_the_proxy_with_a_service_token(hub: Hub, servers: dict[str, str]) -> None:
    """What docs/deploy-jupyterhub.md tells a Prometheus to do: a hub service token with
    ``access:servers`` scrapes a user's ``/metrics`` through the proxy (Bearer, Prometheus'
    default); nobody else does. The counters move by one ingest's rows."""
    from prometheus_client.parser import text_string_to_metric_families

    url = f"{servers['alice']}metrics"
    scraper = requests.Session()
    scraper.trust_env = False
    service = hub.service.headers["Authorization"]  # "token <the service's token>"
    assert isinstance(service, str)
    scraper.headers["Authorization"] = f"Bearer {service.split()[1]}"

    def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        response = scraper.get(url, timeout=60, allow_redirects=False)
        assert response.status_code == 200, response.status_code
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples
        }

    for who in (requests.Session(), hub.session("bob")):
        who.trust_env = False
        refused = who.get(url, timeout=60, allow_redirects=False)
        assert refused.status_code in (302, 403), refused.status_code
        assert b"visionlens_" not in refused.content
    samples = ("visionlens_ingest_rows_total", (("kind", "dataset"), ("table", "samples")))
    done = ("visionlens_jobs_finished_total", (("kind", "ingest"), ("status", "done")))
    before = scrape()
    ingest(hub, "alice", servers["alice"], hub.home("alice") / "alice-yolo", "scraped")
    after = scrape()
    assert after[samples] - before.get(samples, 0.0) == N_IMAGES
    assert after[done] - before.get(done, 0.0) == 1
    alice = hub.session("alice")
    assert vl(alice, servers["alice"], "DELETE", "datasets/scraped").status_code in (200, 204)
