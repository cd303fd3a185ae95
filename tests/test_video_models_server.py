"""Models on video through a real Jupyter server: ``frames`` in the embedding job's body, and
the tracking route (a job equal to the tracker run on the catalog, bad input refused)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.ingest_fixtures import ingest
from tests.test_video_tracking import SEQUENCES, detect, stored_tracks
from tests.tracking_fixtures import write_moving_mot
from visionlens_jlab.predict.tracking import track_detections


async def test_frames_and_tracks_through_the_server(
    api: Any, wait_job: Any, vl_app: Any, tmp_path: Path
) -> None:
    write_moving_mot(tmp_path / "mot", SEQUENCES, seed=3)
    ingest(vl_app.catalog, "mot", tmp_path / "mot", fmt="mot")
    detect(vl_app.catalog, "clean")

    for bad in ("every:0", "bogus"):
        body = {"model": "builtin-color-gradient", "frames": bad}
        status, answer = await api("POST", "datasets/mot/embed", body)
        assert status == 400 and "frames" in answer["message"], answer
    body = {"model": "builtin-color-gradient", "frames": "every:10"}
    status, answer = await api("POST", "datasets/mot/embed", body, timeout=120)
    assert status == 202, answer
    job = await wait_job(answer["job"], 300)
    assert job["status"] == "done", job
    # frames 1, 11, ... of 60 and of 45 frames
    assert (job["result"]["embedded"], job["result"]["skipped"]) == (6 + 5, 0)

    status, answer = await api("POST", "datasets/mot/track", {"model": "clean", "name": "t"})
    assert status == 202, answer
    job = await wait_job(answer["job"], 120)
    assert job["status"] == "done", job
    assert (job["result"]["model"], job["result"]["tracks"]) == ("t", 8)
    direct = track_detections(vl_app.catalog, "mot", "clean", name="direct")
    assert stored_tracks(vl_app.catalog, "t") == stored_tracks(vl_app.catalog, "direct")
    assert job["result"]["predictions"] == direct["predictions"]

    status, answer = await api("POST", "datasets/mot/track", {"model": "clean", "tracker": "x"})
    assert status == 400
    status, answer = await api("POST", "datasets/none/track", {"model": "clean"})
    assert status == 404
    status, answer = await api("POST", "datasets/mot/track", {"model": "ghost"})
    job = await wait_job(answer["job"], 60)
    assert job["status"] == "failed" and "no predictions named 'ghost'" in job["error"]
