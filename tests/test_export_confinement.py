"""Exports confined at the moment they read and write (issue #46), on a real Jupyter server
with ``allowed_roots`` set, against the hostile dataset of :mod:`tests.hostile_fixtures`:

* images are copied or linked only when the image route serves them: a ``..`` climb, an
  absolute path elsewhere and a symlink out are left out, each named in the result;
* ``out`` is resolved and checked again when the job starts, and its parent is held while
  the job writes: a symlink swapped in after the request makes the job fail, nothing is
  written or replaced outside;
* no export writes into or replaces a dataset's image folder;
* an ``out`` no file system can hold is a 400, not a 500.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.export_fixtures import hold_image_copies, leftovers
from tests.hostile_fixtures import BAD_NAMES, READABLE, HostileDataset, write_hostile_dataset
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset
from visionlens_jlab.ingest.open import open_dataset
from visionlens_jlab.jobs import JobEffects, JobKind


@pytest.fixture
def vl_settings(tmp_path: Path) -> dict[str, Any]:
    # one job at a time: a job queued behind another waits while the test swaps a folder
    return {"allowed_roots": [str(tmp_path / "allowed")], "job_workers": 1}


@pytest.fixture
def hostile(tmp_path: Path, vl_app: Any) -> tuple[HostileDataset, dict[str, int]]:
    """The hostile dataset ingested as ``hostile``: its files and sample id by file name."""
    data = write_hostile_dataset(tmp_path)
    write_dataset(vl_app.catalog, "hostile", open_dataset(str(data.annotations), "coco"))
    with vl_app.catalog.cursor() as cur:
        rows = cur.execute("SELECT file_name, sample_id FROM samples").fetchall()
    return data, {str(name): int(sid) for name, sid in rows}


async def _export(api: Any, wait_job: Any, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = await api("POST", "datasets/hostile/exports", body)
    assert status == 202, answer
    return dict(await wait_job(answer["job"]))


def _outside_bytes(data: HostileDataset) -> set[bytes]:
    return {p.read_bytes() for p in data.outside.iterdir()}


@pytest.mark.parametrize("images", ["copy", "symlink"])
async def test_only_images_the_image_route_serves_are_exported(
    api: Any, wait_job: Any, hostile: Any, tmp_path: Path, images: str
) -> None:
    data, ids = hostile
    for name in data.refused:  # the image route's answer for the three ways out
        status, _ = await api("GET", f"datasets/hostile/samples/{ids[name]}/image")
        assert status == 403, name
    out = tmp_path / "allowed" / f"out-{images}"
    job = await _export(api, wait_job, {"format": "coco", "out": str(out), "images": images})
    assert job["status"] == "done", job
    result = job["result"]
    assert (result["samples"], result["refused"], result["bad_names"]) == (len(READABLE), 3, 2)
    refused_ids = {ids[name] for name in data.refused}
    bad_ids = {ids[name] for name in BAD_NAMES}
    by_id = {s["sample_id"]: s["error"] for s in result["skipped"]}
    assert set(by_id) == refused_ids | bad_ids
    assert all("outside the dataset's media root" in by_id[i] for i in refused_ids)
    assert all("cannot exist on a file system" in by_id[i] for i in bad_ids)
    assert "secret.jpg" not in json.dumps(result)  # a refused file is never named
    # the label file and the images agree: only the exported samples
    labels = json.loads((out / "labels.json").read_text())
    assert sorted(im["file_name"] for im in labels["images"]) == sorted(READABLE)
    placed = sorted((out / "data").iterdir())
    assert sorted(p.name for p in placed) == sorted(READABLE)
    secrets = _outside_bytes(data)
    for path in placed:
        assert path.read_bytes() not in secrets
        if images == "symlink":  # a link points at the file inside the media root
            assert path.resolve().parent == data.images.resolve()


@pytest.mark.parametrize("which", ["dotdot", "absolute", "symlink"])
async def test_each_way_out_alone_is_refused(
    api: Any, wait_job: Any, hostile: Any, tmp_path: Path, which: str
) -> None:
    data, ids = hostile
    name = dict(zip(["dotdot", "absolute", "symlink"], data.refused, strict=True))[which]
    out = tmp_path / "allowed" / f"alone-{which}"
    body = {"format": "coco", "out": str(out), "filter": {"ids": [ids[name], ids[READABLE[0]]]}}
    job = await _export(api, wait_job, body)
    assert job["status"] == "done", job
    assert job["result"]["refused"] == 1 and job["result"]["samples"] == 1
    assert [s["sample_id"] for s in job["result"]["skipped"]] == [ids[name]]
    assert [p.name for p in (out / "data").iterdir()] == [READABLE[0]]
    # nothing but refused samples: nothing to copy, a clear error, nothing written
    body = {"format": "yolo", "out": str(out) + "-only", "filter": {"ids": [ids[name]]}}
    job = await _export(api, wait_job, body)
    assert job["status"] == "failed" and "--images none" in job["error"], job
    assert leftovers(out.parent, out.name + "-only") == []


def _hold_jobs(vl_app: Any) -> threading.Event:
    """Queue a job that waits until the event is set: with one job worker, the next job
    (the export) stays queued until then."""
    release, started = threading.Event(), threading.Event()

    def wait(ctx: Any) -> None:
        started.set()
        release.wait(60)

    vl_app.jobs.submit(JobKind("hold", JobEffects()), wait, title="hold")
    assert started.wait(30)
    return release


@pytest.mark.parametrize("overwrite", [False, True])
async def test_a_folder_swapped_for_a_symlink_after_the_request_is_refused(
    api: Any, wait_job: Any, vl_app: Any, hostile: Any, tmp_path: Path, overwrite: bool
) -> None:
    data, _ids = hostile
    parent = tmp_path / "allowed" / "exports"
    (parent / "mine").mkdir(parents=True)
    (parent / "mine" / "old.txt").write_text("an earlier export")
    victim = tmp_path / "victim"  # outside the allowed root
    (victim / "mine").mkdir(parents=True)
    (victim / "mine" / "precious.txt").write_text("not the server's to replace")
    release = _hold_jobs(vl_app)
    try:
        body = {"format": "voc", "out": str(parent / "mine"), "overwrite": overwrite}
        if not overwrite:
            body["out"] = str(parent / "new")
        status, answer = await api("POST", "datasets/hostile/exports", body)
        assert status == 202, answer  # the folder was inside the allowed root then
        shutil.rmtree(parent)
        parent.symlink_to(victim, target_is_directory=True)
    finally:
        release.set()
    job = await wait_job(answer["job"])
    assert job["status"] == "failed", job
    assert "outside the folders this server may write to" in job["error"]
    assert sorted(p.name for p in victim.iterdir()) == ["mine"]  # nothing new there
    assert [p.name for p in (victim / "mine").iterdir()] == ["precious.txt"]


async def test_a_folder_swapped_while_the_job_writes_is_refused_at_the_rename(
    api: Any, wait_job: Any, hostile: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ids = hostile
    started, release = hold_image_copies(monkeypatch)  # until the folder is swapped
    parent = tmp_path / "allowed" / "exports"
    parent.mkdir()
    victim = tmp_path / "victim"
    victim.mkdir()
    status, answer = await api(
        "POST", "datasets/hostile/exports", {"format": "coco", "out": str(parent / "x")}
    )
    assert status == 202, answer
    assert await asyncio.to_thread(started.wait, 30)  # the job writes into its staging
    parent.rename(tmp_path / "allowed" / "moved")
    parent.symlink_to(victim, target_is_directory=True)
    release.set()
    job = await wait_job(answer["job"])
    assert job["status"] == "failed", job
    assert "was replaced or moved while the export ran" in job["error"]
    assert list(victim.iterdir()) == []
    assert list((tmp_path / "allowed" / "moved").iterdir()) == []  # its staging removed


async def test_no_export_writes_into_or_replaces_a_datasets_images(
    api: Any, hostile: Any, tmp_path: Path
) -> None:
    data, _ids = hostile
    for out, needle in [
        (data.images, "holds the images of a dataset"),
        (data.images.parent, "holds the images of a dataset"),
    ]:
        body = {"format": "coco", "out": str(out), "overwrite": True}
        status, answer = await api("POST", "datasets/hostile/exports", body)
        assert status == 400, (out, answer)
        assert needle in answer["message"], answer
    assert sorted(p.name for p in data.images.iterdir()) == sorted([*READABLE, "link-out.jpg"])


@pytest.mark.parametrize(
    ("out", "needle"),
    [
        ("exports/nul\x00name", "holds a NUL byte"),
        ("exports/" + "x" * 300, "bytes long: a file system allows 255 at most"),
        ("exports/" + "y/" * 2100, "path is longer than a file system allows"),
        ("exports/\ud800", "cannot be a folder name"),
    ],
)
async def test_an_out_no_file_system_holds_is_a_400(
    api: Any, hostile: Any, tmp_path: Path, out: str, needle: str
) -> None:
    out = str(tmp_path / "allowed" / out)
    status, answer = await api("POST", "datasets/hostile/exports", {"format": "coco", "out": out})
    assert status == 400, answer
    assert needle in answer["message"], answer


async def test_a_min_score_that_is_not_a_number_is_a_400(api: Any, hostile: Any) -> None:
    body = {"format": "coco", "out": "x", "source": "m", "min_score": "abc"}
    status, answer = await api("POST", "datasets/hostile/exports", body)
    assert status == 400, answer
    assert "'min_score': 'abc' is not of type 'number'" in answer["message"]
