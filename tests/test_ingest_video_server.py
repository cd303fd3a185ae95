"""Video sources through the server's ingest jobs (importing/: the parser in a worker
process, the writer in the server): the job's result carries the video counts, the feature
rows arrive from the worker, MOT results import as predictions, and a video or ``gt.txt``
that links out of the allowed roots is refused, though FFmpeg and Arrow open files in C."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.ingest_fixtures import allowed_settings, queued_job
from tests.video_fixtures import write_mot, write_video
from tests.vis_fixtures import HEIGHT, WIDTH, compressed_rle, write_youtube_vis


@pytest.fixture
def vl_settings(tmp_path: Path, jp_root_dir: Path) -> dict[str, Any]:
    return allowed_settings(tmp_path, jp_root_dir)


async def test_a_mot_folder_and_its_results_ingest_through_jobs(
    api: Any, wait_job: Any, tmp_path: Path, vl_app: Any
) -> None:
    allowed = tmp_path / "allowed"
    seqs = write_mot(allowed / "mot", {"S1": 6, "S2": 4}, tracks=3)
    job = await queued_job(api, wait_job, "datasets", {"source": str(allowed / "mot"), "name": "m"})
    assert job["status"] == "done", job
    result = job["result"]
    assert (result["videos"], result["frames"]) == (2, 10)
    assert result["tracks"] == sum(s.tracks for s in seqs)
    assert result["annotations"] == sum(len(s.rows) for s in seqs)
    with vl_app.catalog.cursor() as cur:
        videos = cur.execute("SELECT name, num_frames FROM videos ORDER BY video_id").fetchall()
        frames = cur.execute("SELECT count(*) FROM video_frames").fetchall()
    assert (videos, frames) == ([("S1", 6), ("S2", 4)], [(10,)])
    status, detail = await api("GET", "datasets/m")
    assert (status, detail["num_videos"]) == (200, 2)
    assert detail["num_tracks"] == result["tracks"]  # the lab offers the tracks view by it
    (allowed / "trk").mkdir()
    (allowed / "trk" / "S1.txt").write_text("1,4,1,1,5,5,0.9,-1,-1,-1\n2,4,2,2,5,5,0.8,-1,-1,-1\n")
    body = {"source": str(allowed / "trk"), "model": "trk", "format": "mot"}
    job = await queued_job(api, wait_job, "datasets/m/predictions", body)
    assert job["status"] == "done", job
    assert job["result"]["predictions"] == 2
    with vl_app.catalog.cursor() as cur:
        tracks = cur.execute(
            "SELECT DISTINCT track_id FROM annotations WHERE source = 'trk'"
        ).fetchall()
    assert tracks == [(1,)]
    status, detail = await api("GET", "datasets/m")  # the tracker's track counts too
    assert (status, detail["num_tracks"]) == (200, result["tracks"] + 1)


async def test_youtube_vis_and_its_results_ingest_through_jobs(
    api: Any, wait_job: Any, tmp_path: Path, vl_app: Any
) -> None:
    """The worker process gets the dataset's video ids with the results (``videos``)."""
    allowed = tmp_path / "allowed"
    written = write_youtube_vis(allowed / "vis", {5: 4, 9: 3}, tracks=4, seed=2)
    job = await queued_job(api, wait_job, "datasets", {"source": str(written.path), "name": "yv"})
    assert job["status"] == "done", job
    tracks = len({o.track for o in written.objects})
    assert (job["result"]["videos"], job["result"]["frames"], job["result"]["tracks"]) == (
        2,
        7,
        tracks,
    )
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[2:6, 3:9] = 1
    results = [{"video_id": 9, "category_id": 7, "score": 0.75,
                "segmentations": [None, compressed_rle(mask), compressed_rle(mask)]}]  # fmt: skip
    (allowed / "res.json").write_text(json.dumps(results))
    body = {"source": str(allowed / "res.json"), "model": "seg", "format": "vis"}
    job = await queued_job(api, wait_job, "datasets/yv/predictions", body)
    assert job["status"] == "done", job
    assert (job["result"]["predictions"], job["result"]["tracks"]) == (2, 1)
    with vl_app.catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT s.source_image_id, a.x, a.y, a.w, a.h, a.area, a.label FROM annotations a "
            "JOIN samples s USING (sample_id) WHERE a.source = 'seg' ORDER BY 1"
        ).fetchall()
    assert rows == [(f"v009/{n}", 3.0, 2.0, 6.0, 4.0, 24.0, "dog") for n in (2, 3)]


async def test_video_files_ingest_and_links_out_of_the_roots_are_refused(
    api: Any, wait_job: Any, tmp_path: Path, vl_app: Any
) -> None:
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    outside.mkdir()
    write_video(outside / "secret.mp4", 8, gop=4)
    (allowed / "clips").mkdir()
    write_video(allowed / "clips" / "a.mp4", 12, gop=4)
    job = await queued_job(
        api, wait_job, "datasets", {"source": str(allowed / "clips"), "name": "v"}
    )
    assert job["status"] == "done", job
    assert (job["result"]["videos"], job["result"]["frames"]) == (1, 12)
    (allowed / "linked").mkdir()
    (allowed / "linked" / "b.mp4").symlink_to(outside / "secret.mp4")
    write_mot(outside / "mot", {"S": 3})
    write_mot(allowed / "mot", {"S": 3}, gt=False)
    (allowed / "mot" / "S" / "gt").mkdir()
    (allowed / "mot" / "S" / "gt" / "gt.txt").symlink_to(outside / "mot" / "S" / "gt" / "gt.txt")
    for name in ("linked", "mot"):
        job = await queued_job(
            api, wait_job, "datasets", {"source": str(allowed / name), "name": name}
        )
        assert job["status"] == "failed", job
        assert "outside the folders this server may ingest from" in job["error"], job
    assert [d["name"] for d in vl_app.catalog.list_datasets()] == ["v"]


async def test_an_ingested_video_serves_exactly_frame_n_through_the_media_route(
    api: Any, wait_job: Any, jp_fetch: Any, tmp_path: Path, vl_app: Any
) -> None:
    import io

    import numpy as np
    from PIL import Image

    from tests.video_fixtures import read_number

    clips = tmp_path / "allowed" / "clips"
    clips.mkdir()
    write_video(clips / "walk.mp4", 40, gop=10, bframes=3)
    job = await queued_job(api, wait_job, "datasets", {"source": str(clips), "name": "v"})
    assert job["status"] == "done" and job["result"]["frames"] == 40, job
    with vl_app.catalog.cursor() as cur:
        frames = dict(
            cur.execute(
                "SELECT f.frame_number, f.sample_id FROM video_frames f "
                "WHERE f.frame_number IN (1, 17, 40)"
            ).fetchall()
        )
    for number, sample_id in frames.items():
        got = await jp_fetch(
            "visionlens", "api", "datasets", "v", "samples", str(sample_id), "image"
        )
        assert "X-VisionLens-Media-Error" not in got.headers
        pixels = np.asarray(Image.open(io.BytesIO(got.body)).convert("RGB"))
        assert read_number(pixels) == number
    # the timeline says what the original streams as, for the browser to play it itself
    status, timeline = await api("GET", f"datasets/v/samples/{frames[17]}/timeline")
    assert status == 200, timeline
    assert (timeline["video"]["codec"], timeline["video"]["content_type"]) == (
        "h264",
        "video/mp4",
    )
