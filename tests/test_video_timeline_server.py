"""The video view's timeline through a real server (issue #52 item 3): a MOT folder ingested
by the server's job, then ``GET samples/{id}/timeline`` of one of its frames gives the
sequence's metadata, every frame's sample id in frame order and one track per ground-truth
identity with exactly the frames ``gt.txt`` gives it; the frame's objects carry their
``track_id``; the answers are the document's (``openapi.yaml``)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import tiny_jpeg
from tests.test_wire_answers import assert_answers
from tests.video_fixtures import write_mot

TIMELINE = "/datasets/{name}/samples/{sample_id}/timeline"


@pytest.fixture
def vl_settings(tmp_path: Path, jp_root_dir: Path) -> dict[str, Any]:
    (tmp_path / "allowed").mkdir()
    return {"allowed_roots": [str(tmp_path / "allowed"), str(jp_root_dir)]}


async def test_a_frames_timeline_lists_its_videos_frames_and_tracks(
    api: Any, wait_job: Any, tmp_path: Path, vl_app: Any
) -> None:
    source = tmp_path / "allowed" / "mot"
    seqs = write_mot(source, {"S1": 9, "S2": 5}, tracks=4, seed=3)
    for seq in seqs:  # gaps: each odd track is not seen on every third frame
        seq.rows[:] = [r for r in seq.rows if not (r[1] % 2 and r[0] % 3 == 0)]
        (source / seq.name / "gt" / "gt.txt").write_text(
            "".join(",".join(str(v) for v in r) + "\n" for r in seq.rows)
        )
    status, answer = await api("POST", "datasets", {"source": str(source), "name": "m"})
    assert status == 202, answer
    job = await wait_job(answer["job"], timeout=120)
    assert job["status"] == "done", job
    with vl_app.catalog.cursor() as cur:
        rows = cur.execute(
            """SELECT v.name, f.frame_number, f.sample_id FROM video_frames f
               JOIN videos v USING (dataset_id, video_id) ORDER BY v.name, f.frame_number"""
        ).fetchall()
    by_video: dict[str, list[int]] = {}
    for video, _, sample_id in rows:
        by_video.setdefault(video, []).append(int(sample_id))

    gaps = 0
    for seq in seqs:
        frame_ids = by_video[seq.name]
        asked = frame_ids[2]  # frame 3
        status, timeline = await api("GET", f"datasets/m/samples/{asked}/timeline")
        assert status == 200, timeline
        assert_answers(TIMELINE, "get", timeline)
        video = timeline["video"]
        assert (video["name"], video["kind"], video["num_frames"]) == (
            seq.name,
            "sequence",
            seq.frames,
        )
        assert video["fps"] == 30
        assert (video["codec"], video["content_type"]) == (None, None)  # images: no original
        assert timeline["frame_number"] == 3
        assert timeline["frames"] == frame_ids
        # gt.txt's identities, each with its frames (MOT's id is the object's source_ann_id)
        expected: dict[str, list[int]] = {}
        for frame, mot_id, *_ in seq.rows:
            expected.setdefault(str(mot_id), []).append(frame)
        tracks = timeline["tracks"]
        assert {t["source"] for t in tracks} == {"ground_truth"}
        assert len(tracks) == len(expected)
        assert [t["first_frame"] for t in tracks] == sorted(t["first_frame"] for t in tracks)
        with vl_app.catalog.cursor() as cur:
            mot_ids = dict(
                cur.execute(
                    "SELECT DISTINCT track_id, source_ann_id FROM annotations "
                    "WHERE track_id IS NOT NULL"
                ).fetchall()
            )
        for track in tracks:
            frames = expected[mot_ids[track["track_id"]]]
            runs = track["runs"]  # [first, last] of each run of consecutive frames
            assert [f for a, b in runs for f in range(a, b + 1)] == frames
            assert all(a[1] + 1 < b[0] for a, b in itertools.pairwise(runs))  # maximal
            gaps += len(runs) - 1
            assert (track["first_frame"], track["last_frame"]) == (frames[0], frames[-1])
            assert track["label"] in ("pedestrian", "car")

        # the frame's own objects name the tracks the timeline lists
        status, sample = await api("GET", f"datasets/m/samples/{asked}")
        assert status == 200, sample
        on_frame = {t["track_id"] for t in tracks if any(a <= 3 <= b for a, b in t["runs"])}
        assert {a["track_id"] for a in sample["annotations"]} == on_frame
        assert_answers("/datasets/{name}/samples/{sample_id}", "get", sample)
    assert gaps > 0  # the fixture's gaps split some tracks into runs


async def test_a_sample_that_is_no_frame_has_no_timeline(
    api: Any, wait_job: Any, tmp_path: Path
) -> None:
    images = tmp_path / "allowed" / "imgs"
    for label in ("cat", "dog"):  # a classification tree of still images
        (images / label).mkdir(parents=True)
        (images / label / "a.jpg").write_bytes(tiny_jpeg())
    status, answer = await api("POST", "datasets", {"source": str(images), "name": "still"})
    assert status == 202, answer
    job = await wait_job(answer["job"], timeout=120)
    assert job["status"] == "done", job
    status, page = await api("GET", "datasets/still/samples")
    sample_id = page["samples"][0]["sample_id"]
    status, error = await api("GET", f"datasets/still/samples/{sample_id}/timeline")
    assert status == 404, error
    assert "not a frame of a video" in error["message"]
    assert_answers(TIMELINE, "get", error, "404")
    status, error = await api("GET", "datasets/nope/samples/1/timeline")
    assert status == 404, error
