"""VisionLens' metrics on jupyter_server's ``/metrics``, scraped from a real server after a
real ingest, thumbnails, an embedding job and jobs held on purpose, parsed with
prometheus_client's own parser; the vector counts' bounded wait on a real Edge store."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tornado.httpclient import HTTPClientError

from visionlens_jlab.app_metrics import catalog_bytes
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.jobs import JobContext, JobEffects, JobKind
from visionlens_jlab.vectors import EdgeVectorStore, LazyVectorStore
from visionlens_jlab.vectors.space_counts import SpaceCounts

from .paths import DATASETS

TOY = DATASETS / "padilla-review-toy"
PROBE = JobKind("metrics-probe", JobEffects())
"""A job this test holds running (or queued) for as long as it likes."""

BROWSER = {"Accept": "image/avif,image/webp,*/*"}

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(jp_fetch: Any) -> Samples:
    """Every sample of ``/metrics``, by name and sorted labels (the server's token sent)."""
    response = await jp_fetch("metrics")
    assert response.code == 200
    text = response.body.decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 for a series not exposed (a counter never incremented)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_metrics_need_the_token_by_default(jp_fetch: Any) -> None:
    """jupyter_server's ``authenticate_prometheus`` (default on) guards ours too."""
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("metrics", headers={"Authorization": ""})
    assert info.value.code == 403
    response = await jp_fetch("metrics")
    assert b"# HELP visionlens_jobs_finished_total" in response.body


async def test_ingest_thumbnails_caches_and_embedding_move_the_metrics(
    jp_fetch: Any, api: Any, wait_job: Any, vl_app: Any, vl_data_dir: Path
) -> None:
    before = await scrape(jp_fetch)
    body = {
        "source": str(TOY / "gts_vocpascal_format"),
        "name": "toy",
        "format": "voc",
        "images": str(TOY / "images"),
    }
    status, answer = await api("POST", "datasets", body)
    assert status == 202
    job = await wait_job(answer["job"], timeout=300)
    assert job["status"] == "done", job["error"]
    assert (job["result"]["samples"], job["result"]["annotations"]) == (12, 12)
    _, jobs = await api("GET", "jobs")
    (thumbs,) = [j for j in jobs["jobs"] if j["kind"] == "thumbnails"]
    assert (await wait_job(thumbs, timeout=300))["status"] == "done"

    smallest = catalog_bytes(vl_app.catalog)
    after = await scrape(jp_fetch)
    smallest, largest = sorted((smallest, catalog_bytes(vl_app.catalog)))
    rows = "visionlens_ingest_rows_total"
    assert moved(before, after, rows, kind="dataset", table="samples") == 12
    assert moved(before, after, rows, kind="dataset", table="annotations") == 12
    assert moved(before, after, rows, kind="dataset", table="classifications") == 0
    assert moved(before, after, "visionlens_ingest_bytes_total", kind="dataset") > 12 * 100
    for kind in ("ingest", "thumbnails"):
        submitted = "visionlens_jobs_submitted_total"
        assert moved(before, after, submitted, kind=kind, lane="default") == 1
        assert moved(before, after, "visionlens_jobs_finished_total", kind=kind, status="done") == 1
        count = moved(
            before, after, "visionlens_job_duration_seconds_count", kind=kind, status="done"
        )
        assert count == 1
    assert moved(before, after, "visionlens_job_queue_wait_seconds_count", lane="default") == 2
    # the file's size as the scrape read it (a background index write may change it)
    size = value(after, "visionlens_catalog_bytes", data_dir=str(vl_data_dir.resolve()))
    assert 0 < smallest <= size <= largest

    # caches: the thumbnails were pre-generated at 256 px, not at 128; the answers cache's
    # own tally is the reference for its counters
    _, page = await api("GET", "datasets/toy/samples", params={"limit": "5"})
    sample_id = page["samples"][0]["sample_id"]
    answers = vl_app.catalog.results.stats()
    before = await scrape(jp_fetch)
    for px in ("256", "128", "128"):
        path = f"datasets/toy/samples/{sample_id}/image"
        # a browser's Accept: the variant the thumbnails job pre-generated
        status, _ = await api("GET", path, params={"size": px}, headers=BROWSER)
        assert status == 200
    for _ in range(2):
        assert (await api("GET", "datasets/toy/samples", params={"limit": "7"}))[0] == 200
    after = await scrape(jp_fetch)
    assert moved(before, after, "visionlens_cache_hits_total", cache="thumbnails") == 2
    assert moved(before, after, "visionlens_cache_misses_total", cache="thumbnails") == 1
    answered = vl_app.catalog.results.stats()
    hits = moved(before, after, "visionlens_cache_hits_total", cache="answers")
    misses = moved(before, after, "visionlens_cache_misses_total", cache="answers")
    assert (hits, misses) == (
        answered["hits"] - answers["hits"],
        answered["misses"] - answers["misses"],
    )
    assert hits >= 1 and misses >= 1  # the second page was the first's answer again

    # an embedding job on the GPU lane: its stages, the lane's busy time, the vectors
    before = after
    scraped = time.monotonic()
    status, answer = await api("POST", "datasets/toy/embed", {"model": "builtin-color-gradient"})
    assert status == 202
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job["error"]
    after = await scrape(jp_fetch)
    between_scrapes = time.monotonic() - scraped
    assert moved(before, after, "visionlens_jobs_finished_total", kind="embed", status="done") == 1
    for stage in ("loading", "embedding", "writing"):
        stage_count = "visionlens_job_stage_duration_seconds_count"
        assert moved(before, after, stage_count, kind="embed", stage=stage) == 1
    ran = moved(before, after, "visionlens_job_duration_seconds_sum", kind="embed", status="done")
    busy = moved(before, after, "visionlens_gpu_lane_busy_seconds_total")
    # the lane is busy from the job's start until after it reads as done, and no longer
    # than the time between the two scrapes (containments, not tolerances)
    assert 0 < ran <= busy <= between_scrapes
    assert value(after, "visionlens_vectors", space=job["result"]["space"]) == 12
    assert value(after, "visionlens_vector_counts_age_seconds") == 0


async def test_running_and_queued_jobs_and_the_lanes(jp_fetch: Any, vl_app: Any) -> None:
    release = threading.Event()

    def held(ctx: JobContext) -> None:
        ctx.stage("holding")
        release.wait(30)
        ctx.items("finishing", 1, 1)

    before = await scrape(jp_fetch)
    first = vl_app.jobs.submit(PROBE, held, lane="gpu", runner="process")
    second = vl_app.jobs.submit(PROBE, held, lane="gpu", runner="ray")
    third = vl_app.jobs.submit(PROBE, held)
    deadline = time.monotonic() + 10
    while first.status != "running" or third.status != "running":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.3)  # the GPU lane busy at least this long
    during = await scrape(jp_fetch)
    jobs = "visionlens_jobs"
    probe = {"kind": PROBE.name}
    assert value(during, jobs, **probe, lane="gpu", runner="process", status="running") == 1
    assert value(during, jobs, **probe, lane="gpu", runner="ray", status="queued") == 1
    assert value(during, jobs, **probe, lane="default", runner="", status="running") == 1
    assert value(during, "visionlens_job_queue_depth", lane="gpu") == 1
    assert value(during, "visionlens_job_queue_depth", lane="default") == 0
    assert moved(before, during, "visionlens_gpu_lane_busy_seconds_total") >= 0.3

    release.set()
    for job in (first, second, third):
        assert vl_app.jobs.wait(job.id, timeout=30).status == "done"
    after = await scrape(jp_fetch)
    assert not any(name == jobs and ("kind", PROBE.name) in labels for name, labels in after)
    assert value(after, "visionlens_job_queue_depth", lane="gpu") == 0
    assert moved(before, after, "visionlens_jobs_finished_total", **probe, status="done") == 3
    assert moved(before, after, "visionlens_jobs_submitted_total", **probe, lane="gpu") == 2
    count = "visionlens_job_stage_duration_seconds_count"
    assert moved(before, after, count, **probe, stage="holding") == 3
    assert moved(before, after, count, **probe, stage="finishing") == 3
    # the second gpu job waited for the first, which held the lane for 0.3 s and more
    wait_sum = moved(before, after, "visionlens_job_queue_wait_seconds_sum", lane="gpu")
    assert wait_sum >= 0.3
    held_sum = moved(
        before, after, "visionlens_job_stage_duration_seconds_sum", **probe, stage="holding"
    )
    assert held_sum >= 0.3


def test_vector_counts_wait_boundedly_while_the_store_is_busy(tmp_path: Path) -> None:
    """A scrape waits ``wait_s`` at most for a count the store's lock holds up (an index
    build copying the shard holds it), then serves the last counts with their age."""
    import numpy as np

    with Catalog(tmp_path / "data") as catalog:
        lazy = LazyVectorStore(catalog, tmp_path / "data")
        counts = SpaceCounts(lazy, wait_s=0.2)
        assert counts.read() is None  # never opened: a scrape does not open it
        store = lazy.get()
        assert isinstance(store, EdgeVectorStore)  # the data dir's embedded store
        store.ensure_space("m", "1", 4, "cosine")
        space = store.spaces()[0].name
        rng = np.random.default_rng(0)
        store.upsert(space, list(range(1, 11)), rng.random((10, 4)), dataset_ids=1)
        first = counts.read()
        assert first is not None and (first.counts, first.age_seconds) == ({space: 10}, 0.0)
        store.upsert(space, list(range(11, 16)), rng.random((5, 4)), dataset_ids=1)
        with store._lock:  # what an index build's shard copy holds
            start = time.monotonic()
            stale = counts.read()
            waited = time.monotonic() - start
        assert stale is not None and stale.counts == {space: 10} and stale.age_seconds > 0
        assert waited < 1.0
        deadline = time.monotonic() + 10
        while (fresh := counts.read()) is None or fresh.age_seconds > 0:
            assert time.monotonic() < deadline
        assert fresh.counts == {space: 15}
        lazy.close()
        assert counts.read() is None


def test_a_failing_source_of_readings_never_fails_the_scrape() -> None:
    """A source that raises, or names a gauge that is not declared, is logged and left out;
    the other sources' readings and every declared series are still served."""
    from prometheus_client import REGISTRY, generate_latest

    from visionlens_jlab.metrics import Reading, watch

    def broken() -> list[Reading]:
        raise RuntimeError("the catalog is gone")

    def good() -> list[Reading]:
        return [Reading("visionlens_job_queue_depth", ("test-lane",), 3)]

    stops = [
        watch(broken),
        watch(lambda: [Reading("visionlens_no_such_gauge", (), 1)]),
        watch(lambda: [Reading("visionlens_jobs", ("too", "few"), 1)]),
        watch(good),
    ]
    try:
        text = generate_latest(REGISTRY).decode()
    finally:
        for stop in stops:
            stop()
    assert 'visionlens_job_queue_depth{lane="test-lane"} 3.0' in text
    assert "visionlens_no_such_gauge" not in text and 'kind="too"' not in text
    assert "# TYPE visionlens_gpu_lane_busy_seconds_total counter" in text
    assert "test-lane" not in generate_latest(REGISTRY).decode()  # unwatched
