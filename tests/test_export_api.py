"""``POST /datasets/{name}/exports`` on a real Jupyter server: the export runs as a job with
progress, its COCO file loads in pycocotools with the view's counts, and what it must refuse
(a folder outside the allowed roots, a non-empty one, bad options, no token) is refused
before anything is written."""

from __future__ import annotations

import asyncio
import contextlib
import io
from pathlib import Path
from typing import Any

import pytest
from pycocotools.coco import COCO

from tests.export_fixtures import hold_image_copies, leftovers, server_source
from visionlens_jlab.export import export_view
from visionlens_jlab.export import view as export_view_module


@pytest.fixture
def vl_settings(tmp_path: Path, jp_root_dir: Path) -> dict[str, Any]:
    """Exports (and the source) may lie under ``tmp_path/allowed`` and the server's root."""
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    return {"allowed_roots": [str(allowed), str(jp_root_dir)]}


@pytest.fixture
def src(vl_app: Any, tmp_path: Path) -> dict[str, Any]:
    """The synthetic 8-image segmentation dataset ``src``, ingested by the server's app."""
    return server_source(vl_app, tmp_path / "allowed" / "src")


def _coco(path: Path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


async def test_export_job_writes_a_coco_that_pycocotools_reads(
    api: Any, wait_job: Any, src: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "allowed" / "exports" / "val"
    body = {"format": "coco", "out": str(out), "filter": {"sample": {"split": {"in": ["val"]}}}}
    status, answer = await api("POST", "datasets/src/exports", body)
    assert status == 202, answer
    assert answer["job"]["kind"] == "export" and answer["job"]["dataset"] == "src"
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    val_ids = {im["id"] for im in src["images"] if im["split"] == "val"}
    anns = [a for a in src["annotations"] if a["image_id"] in val_ids]
    assert job["result"] == {
        "out": str(out), "format": "coco", "samples": len(val_ids), "annotations": len(anns),
        "files": len(val_ids) + 1, "refused": 0, "bad_names": 0, "skipped": [],
    }  # fmt: skip
    assert job["progress"] == 1.0 and job["stage"] == "images"
    coco = _coco(out / "labels.json")
    assert len(coco.getImgIds()) == len(val_ids) and len(coco.getAnnIds()) == len(anns)
    assert sorted(c["name"] for c in coco.loadCats(coco.getCatIds())) == sorted(
        c["name"] for c in src["categories"]
    )
    for image in coco.loadImgs(coco.getImgIds()):
        assert (out / "data" / image["file_name"]).is_file()  # FiftyOne's COCO layout
    assert leftovers(out.parent, "val") == ["val"]  # no staging folder left


async def test_a_relative_out_lies_under_the_server_root(
    api: Any, wait_job: Any, src: dict[str, Any], jp_root_dir: Path
) -> None:
    body = {"format": "yolo", "out": "exports/yolo", "images": "none", "classes": ["class1"]}
    status, answer = await api("POST", "datasets/src/exports", body)
    assert status == 202, answer
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    assert job["result"]["out"] == str(jp_root_dir / "exports" / "yolo")
    assert (jp_root_dir / "exports" / "yolo" / "data.yaml").is_file()
    cat1 = next(c["id"] for c in src["categories"] if c["name"] == "class1")
    assert job["result"]["annotations"] == sum(a["category_id"] == cat1 for a in src["annotations"])


async def test_out_outside_the_allowed_roots_is_refused(
    api: Any, src: dict[str, Any], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / "allowed" / "link").symlink_to(elsewhere, target_is_directory=True)
    for out in (
        elsewhere / "out",
        tmp_path / "allowed" / ".." / "out2",
        tmp_path / "allowed" / "link" / "x",
    ):
        status, answer = await api(
            "POST", "datasets/src/exports", {"format": "coco", "out": str(out)}
        )
        assert status == 403, (out, answer)
        assert "outside the folders this server may write to" in answer["message"]
        assert "allowed_roots" in answer["message"]
    assert not elsewhere.exists() and not (tmp_path / "out2").exists()
    status, answer = await api("GET", "jobs")
    assert not [j for j in answer["jobs"] if j["kind"] == "export"]  # no job was queued


async def test_a_non_empty_out_needs_overwrite(
    api: Any, wait_job: Any, src: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "allowed" / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    status, answer = await api("POST", "datasets/src/exports", {"format": "voc", "out": str(out)})
    assert status == 400, answer
    assert "is not empty" in answer["message"] and "overwrite" in answer["message"]
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    body = {"format": "voc", "out": str(out), "overwrite": True, "images": "symlink"}
    status, answer = await api("POST", "datasets/src/exports", body)
    assert status == 202, answer
    job = await wait_job(answer["job"])
    assert job["status"] == "done", job
    assert not (out / "keep.txt").exists() and job["result"]["samples"] == 8


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"format": "kitti", "out": "x"}, 400, "'format' is required: one of coco"),
        ({"format": "coco"}, 400, "'out' is a required property"),
        ({"format": "coco", "out": "x", "colour": 1}, 400, "('colour' was unexpected)"),
        (
            {"format": "coco", "out": "x", "classes": "a,b"},
            400,
            "'classes': 'a,b' is not of type 'array'",
        ),
        ({"format": "coco", "out": "x", "classes": ["nope"]}, 400, "unknown classes 'nope'"),
        ({"format": "coco", "out": "x", "source": "m9"}, 400, "unknown source 'm9'"),
        ({"format": "coco", "out": "x", "min_score": 0.5}, 400, "applies to a model's labels"),
        ({"format": "coco", "out": "x", "splits": "train=a"}, 400, "name=ratio pairs"),
        (
            {"format": "coco", "out": "x", "seed": True},
            400,
            "'seed': True is not of type 'integer'",
        ),
        ({"format": "coco", "out": "x", "images": "move"}, 400, "'images': 'move' is not one of"),
        ({"format": "coco", "out": "gs://b/x"}, 400, "not a URL"),
        ({"format": "coco", "out": ".", "overwrite": True}, 400, "export to a folder of its own"),
    ],
)
async def test_bad_requests_are_refused_before_a_job(
    api: Any, src: dict[str, Any], body: dict[str, Any], status: int, needle: str
) -> None:
    got, answer = await api("POST", "datasets/src/exports", body)
    assert got == status, answer
    assert needle in answer["message"]


async def test_a_video_format_for_still_images_is_refused_before_a_job(
    api: Any, src: dict[str, Any], tmp_path: Path
) -> None:
    # what the lab's dialog reads to hide these formats: the dataset has no videos and
    # GET formats marks the formats that write videos
    status, detail = await api("GET", "datasets/src")
    assert status == 200 and detail["num_videos"] == 0, detail
    status, formats = await api("GET", "formats")
    assert status == 200
    videos = [f["name"] for f in formats["exports"] if f.get("videos")]
    assert videos == ["mot", "cvat-video"], formats["exports"]
    for fmt in videos:
        out = tmp_path / "allowed" / "exports" / fmt
        status, answer = await api("POST", "datasets/src/exports", {"format": fmt, "out": str(out)})
        assert status == 400, answer
        assert f"--format {fmt} writes videos and 'src' has none" in answer["message"]
        assert "coco|yolo|voc|dota|classification|parquet" in answer["message"]
        assert not out.exists()
    assert not (tmp_path / "allowed" / "exports").exists()  # nor a staging folder
    status, answer = await api("GET", "jobs")
    assert not [j for j in answer["jobs"] if j["kind"] == "export"]  # no job was queued


async def test_an_unknown_dataset_is_a_404(api: Any, vl_app: Any) -> None:
    status, answer = await api("POST", "datasets/nope/exports", {"format": "coco", "out": "x"})
    assert status == 404 and "no dataset named 'nope'" in answer["message"]


async def test_an_unauthenticated_export_is_refused(
    http_server_client: Any, jp_base_url: str, tmp_path: Path, vl_app: Any
) -> None:
    out = tmp_path / "allowed" / "anon"
    response = await http_server_client.fetch(
        f"{jp_base_url.rstrip('/')}/visionlens/api/datasets/src/exports",
        method="POST",
        body=f'{{"format": "coco", "out": "{out}"}}',
        raise_error=False,
    )
    assert response.code == 403
    assert not out.exists()


async def test_a_failing_export_is_the_jobs_clear_error(
    api: Any, wait_job: Any, src: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "allowed" / "src" / "images" / src["images"][0]["file_name"]).unlink()
    out = tmp_path / "allowed" / "broken"
    status, answer = await api("POST", "datasets/src/exports", {"format": "coco", "out": str(out)})
    assert status == 202, answer  # the image goes missing only once the job copies it
    job = await wait_job(answer["job"])
    assert job["status"] == "failed"
    assert job["error"].startswith("cannot copy the image ") and "--images none" in job["error"]
    assert leftovers(out.parent, "broken") == []  # nothing half written


def test_progress_reports_the_stages_and_can_stop_the_export(
    vl_app: Any, src: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int, int, float]] = []

    def progress(stage: str, done: int, total: int, fraction: float) -> None:
        seen.append((stage, done, total, fraction))

    out = tmp_path / "allowed" / "p"
    monkeypatch.setattr(export_view_module, "BATCH_SAMPLES", 3)
    export_view(vl_app.catalog, "src", "coco", out, progress=progress)
    stages = [s[0] for s in seen]
    assert stages == sorted(stages, key=["reading", "writing", "images"].index)
    # the label files' stage counts its samples batch by batch, then the images follow
    assert [s[1:3] for s in seen if s[0] == "writing"] == [(0, 0), (3, 8), (6, 8), (8, 8)]
    assert seen[-1] == ("images", 8, 8, 1.0)
    fractions = [s[3] for s in seen]
    assert fractions == sorted(fractions)

    def stop_writing(stage: str, done: int, total: int, fraction: float) -> None:
        if stage == "writing" and done:
            raise KeyboardInterrupt  # a cancel while the label files are written

    with pytest.raises(KeyboardInterrupt):
        export_view(vl_app.catalog, "src", "voc", tmp_path / "allowed" / "w", progress=stop_writing)
    assert leftovers(tmp_path / "allowed", "w") == []

    def stop(stage: str, done: int, total: int, fraction: float) -> None:
        if stage == "images" and done:
            raise KeyboardInterrupt  # what a cancelled job raises, as a BaseException

    with pytest.raises(KeyboardInterrupt):
        export_view(vl_app.catalog, "src", "yolo", tmp_path / "allowed" / "q", progress=stop)
    assert leftovers(tmp_path / "allowed", "q") == []


async def test_cancelling_an_export_job_leaves_nothing(
    api: Any, wait_job: Any, src: dict[str, Any], tmp_path: Path, monkeypatch: Any
) -> None:
    started, release = hold_image_copies(monkeypatch)  # until the job is cancelled
    out = tmp_path / "allowed" / "cancelled"
    status, answer = await api("POST", "datasets/src/exports", {"format": "coco", "out": str(out)})
    assert status == 202, answer
    assert await asyncio.to_thread(started.wait, 30)  # the job is copying images
    status, state = await api("DELETE", f"jobs/{answer['job']['id']}")
    assert status == 200, state
    release.set()
    job = await wait_job(answer["job"])
    assert job["status"] == "cancelled"
    assert leftovers(out.parent, "cancelled") == []
