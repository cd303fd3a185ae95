"""Thumbnail pre-generation as a real background job (JobManager + spawned worker processes)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from visionlens_jlab.app import THUMBNAILS_JOB
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.jobs import JobManager
from visionlens_jlab.media.cache import ThumbnailCache, cache_key
from visionlens_jlab.media.lookup import bad_media_counts
from visionlens_jlab.media.pregen import pregenerate_thumbnails
from visionlens_jlab.media.pregen_tasks import DecodeTimeout, time_limit
from visionlens_jlab.media.sources import list_image_objects, version

from .main_script import run_as_main_script
from .media_fixtures import (  # noqa: F401 - gcs_emulator is a fixture
    CORRUPT_BYTES,
    add_dataset,
    encode,
    gcs_bucket,
    gcs_emulator,
    gcs_upload,
    photo,
    truncated_jpeg,
)
from .paths import DATASETS

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def catalog(tmp_path: Path) -> Any:
    with Catalog(tmp_path / "data") as cat:
        yield cat


@pytest.fixture
def jobs() -> Any:
    manager = JobManager(max_workers=1)
    yield manager
    manager.shutdown()


def local_dataset(catalog: Catalog, root: Path, n_real: int = 8) -> list[str]:
    root.mkdir()
    for path in sorted((DATASETS / "padilla-review-voc100" / "images").glob("*.jpg"))[:n_real]:
        shutil.copy(path, root / path.name)
    (root / "corrupt.jpg").write_bytes(CORRUPT_BYTES)
    (root / "truncated.jpg").write_bytes(truncated_jpeg())
    locations = sorted(str(p) for p in root.iterdir()) + [str(root / "missing.jpg")]
    add_dataset(catalog, "ds", str(root), locations)
    return locations


def test_pregeneration_job_fills_the_cache_and_counts_bad_media(
    tmp_path: Path, catalog: Catalog, jobs: JobManager
) -> None:
    locations = local_dataset(catalog, tmp_path / "media")
    cache = ThumbnailCache(tmp_path / "data" / "thumbnails")
    job = jobs.submit(
        THUMBNAILS_JOB,
        lambda ctx: pregenerate_thumbnails(ctx, catalog, "ds", cache, sizes=(256, 128), workers=2),
    )
    job = jobs.wait(job.id, timeout=120)
    assert job.status == "done", job.error
    result = job.result
    assert result["samples"] == 11
    assert result["generated"] == 16  # 8 good images x 2 sizes
    assert result["bad_media"] == {"missing": 1, "corrupt": 2, "too_large": 0, "unsupported": 0}
    assert job.progress == 1.0 and "11/11" in job.message
    counts = bad_media_counts(catalog, "ds")
    assert counts["total"] == 3 and counts["corrupt"] == 2 and counts["missing"] == 1

    good = [
        loc
        for loc in locations
        if not loc.endswith(("corrupt.jpg", "truncated.jpg", "missing.jpg"))
    ]
    for loc in good:
        for size in (128, 256):
            entry = cache.get(cache_key(loc, version(loc), size, "auto"))
            assert entry is not None and entry.error is None
            with Image.open(cache.path(cache_key(loc, version(loc), size, "auto"))) as im:
                assert max(im.size) == size
    assert cache.usage() > 0

    # A second pass renders nothing new; fixed files leave the counts.
    shutil.copy(good[0], tmp_path / "media" / "corrupt.jpg")
    again = pregenerate_thumbnails(None, catalog, "ds", cache, sizes=(256, 128), workers=1)
    assert again["cached"] == 16 and again["generated"] == 2
    assert bad_media_counts(catalog, "ds")["corrupt"] == 1


def test_decode_time_limit_gives_too_large(tmp_path: Path, catalog: Catalog) -> None:
    root = tmp_path / "slow"
    root.mkdir()
    Image.effect_noise((1500, 1500), 64).save(root / "noise.png")
    add_dataset(catalog, "slow", str(root), [str(root / "noise.png")])
    cache = ThumbnailCache(tmp_path / "thumbs")
    result = pregenerate_thumbnails(None, catalog, "slow", cache, workers=1, timeout_s=0.001)
    assert result["bad_media"]["too_large"] == 1
    examples = bad_media_counts(catalog, "slow")["examples"]
    assert isinstance(examples, list) and "took over" in examples[0]["detail"]


def test_time_limit_holds_when_the_alarm_is_swallowed() -> None:
    # The alarm's exception can land in code that ignores it (an import-lock callback did in
    # CI); the block must still end in a timeout rather than pass as a success.
    started = time.monotonic()
    with pytest.raises(DecodeTimeout), time_limit(0.005):
        while time.monotonic() - started < 0.2:
            try:
                time.sleep(0.01)
            except DecodeTimeout:
                pass
    with time_limit(5):
        pass  # a block that ends in time passes


def test_cancelling_stops_the_job(tmp_path: Path, catalog: Catalog, jobs: JobManager) -> None:
    root = tmp_path / "many"
    root.mkdir()
    data = encode(photo(1280, 720), "JPEG")
    for i in range(100):
        (root / f"{i:04d}.jpg").write_bytes(data)
    add_dataset(catalog, "many", str(root), sorted(str(p) for p in root.iterdir()))
    cache = ThumbnailCache(tmp_path / "thumbs")
    job = jobs.submit(
        THUMBNAILS_JOB, lambda ctx: pregenerate_thumbnails(ctx, catalog, "many", cache, workers=1)
    )
    jobs.cancel(job.id)
    job = jobs.wait(job.id, timeout=60)
    assert job.status == "cancelled"


def test_gcs_images_are_pulled_once_into_the_cache(
    tmp_path: Path,
    catalog: Catalog,
    gcs_emulator: str,  # noqa: F811
) -> None:
    bucket = gcs_bucket("vl-pregen")
    for i in range(4):
        gcs_upload(bucket, f"imgs/{i}.jpg", encode(photo(800, 600, seed=i), "JPEG"))
    locations = [f"gs://vl-pregen/imgs/{i}.jpg" for i in range(4)] + [
        "gs://vl-pregen/imgs/gone.jpg"
    ]
    add_dataset(catalog, "gcs", "gs://vl-pregen/imgs", locations)
    cache = ThumbnailCache(tmp_path / "thumbs")
    result = pregenerate_thumbnails(None, catalog, "gcs", cache, sizes=(256,), workers=1)
    assert result["generated"] == 4 and result["bad_media"]["missing"] == 1
    versions = {o.location: o.version for o in list_image_objects("gs://vl-pregen/imgs")}
    for loc in locations[:4]:
        assert cache.gcs_version(loc) == versions[loc]  # no metadata request needed to serve
        assert cache.get(cache_key(loc, versions[loc], 256, "auto")) is not None


def test_deleting_a_dataset_forgets_its_bad_media(tmp_path: Path, catalog: Catalog) -> None:
    from visionlens_jlab.media.lookup import record_media_errors

    add_dataset(catalog, "gone", str(tmp_path), [str(tmp_path / "a.jpg")])
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, "gone")
    record_media_errors(catalog, dataset_id, [(1, "missing", "no file")])
    assert bad_media_counts(catalog, "gone")["missing"] == 1
    catalog.delete_dataset("gone")
    add_dataset(catalog, "gone", str(tmp_path), [str(tmp_path / "a.jpg")])  # same ids again
    assert bad_media_counts(catalog, "gone")["total"] == 0


def test_a_worker_stuck_on_storage_is_killed(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from visionlens_jlab.media import pregen

    # A "storage server" that accepts connections and never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    silent.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        while not stop.is_set():
            try:
                held.append(silent.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{silent.getsockname()[1]}")
    monkeypatch.setattr(pregen, "LIST_TIMEOUT_S", 0.5)
    add_dataset(catalog, "stuck", "gs://stuck/imgs", ["gs://stuck/imgs/a.jpg"])
    started = time.monotonic()
    try:
        result = pregenerate_thumbnails(
            None,
            catalog,
            "stuck",
            ThumbnailCache(tmp_path / "t"),
            workers=1,
            timeout_s=0.5,
            hang_grace_s=1.0,
        )
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        silent.close()
    assert result["unavailable"] == 1  # given up, not counted as bad media
    assert sum(result["bad_media"].values()) == 0
    assert time.monotonic() - started < 30  # the storage client alone would wait minutes


def test_workers_skip_the_main_script_and_run_at_lower_priority(tmp_path: Path) -> None:
    # In JupyterLab the main script is jupyter-server: re-running it in each worker cost
    # ~1.9 s of CPU per worker per job (more than the thumbnails of a small dataset).
    out, runs = run_as_main_script(
        tmp_path,
        """    from visionlens_jlab.media import pregen

    pool = pregen.new_pool(1)
    try:
        print(os.nice(0), pregen.submit(pool, os.nice, 0).result(timeout=60))
    finally:
        pool.shutdown()
""",
    )
    assert runs == 1  # the parent only
    parent_nice, worker_nice = map(int, out.split())
    if hasattr(os, "nice"):
        assert worker_nice >= parent_nice + 1  # the server's threads get the CPU first


def test_workers_do_not_import_numpy() -> None:
    # Every worker pays its imports at every job; numpy was two thirds of them.
    code = "import sys, visionlens_jlab.media.pregen_tasks; print('numpy' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert done.stdout.strip() == "False"
