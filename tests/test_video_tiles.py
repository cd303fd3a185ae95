"""The videos of a view as tiles (``POST datasets/{name}/videos/query``, the lab's videos
view) on a real Jupyter server whose catalog holds MOT sequences: which videos a filter
keeps, their matching frame counts and scrub frames, checked against the ``gt.txt`` files
read with pandas; paging and bad requests."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.ingest_fixtures import ingest
from tests.test_video_facets import gt_rows, three_sequences

SEQUENCES = {"A": 30, "B": 20, "C": 12}
"""The frames of each sequence :func:`tests.test_video_facets.three_sequences` writes."""
ROUTE = "datasets/mot/videos/query"


@pytest.fixture
def mot(vl_app: Any, tmp_path: Path) -> pd.DataFrame:
    """The sequences in the server's catalog, and their gt rows."""
    root = three_sequences(tmp_path / "mot")
    ingest(vl_app.catalog, "mot", root)
    return gt_rows(root)


def evenly_spread(frames: list[int], scrub: int) -> list[int]:
    """The oracle of the scrub frames: the first of each of ``scrub`` equal parts of
    ``frames`` (all of them when there are no more than ``scrub``)."""
    n = len(frames)
    if n <= scrub:
        return frames
    return [frames[math.ceil(b * n / scrub)] for b in range(scrub)]


async def test_every_video_with_its_counts_and_scrub_frames(api: Any, mot: pd.DataFrame) -> None:
    status, page = await api("POST", ROUTE, {"scrub": 7})
    assert status == 200, page
    assert page["total"] == 3 and page["offset"] == 0
    tracks = mot.groupby("seq")["id"].nunique()
    assert [(v["name"], v["tracks"]) for v in page["videos"]] == list(tracks.items())
    for video in page["videos"]:
        frames = list(range(1, SEQUENCES[video["name"]] + 1))
        assert video["matching_frames"] == video["num_frames"] == len(frames)
        assert video["duration"] == pytest.approx(len(frames) / 30)
        picks = [f["frame_number"] for f in video["scrub_frames"]]
        assert picks == evenly_spread(frames, 7)
        # each scrub frame names the sample of that frame of that video
        for pick in video["scrub_frames"][:3]:
            status, sample = await api("GET", f"datasets/mot/samples/{pick['sample_id']}")
            assert status == 200
            assert sample["fields"]["video"] == video["name"]
            assert sample["fields"]["frame_number"] == pick["frame_number"]


async def test_a_filtered_view_shows_the_videos_with_matching_frames(
    api: Any, mot: pd.DataFrame
) -> None:
    cars = mot[mot["cls"] == 3]  # class 3 is MOT17's car
    expected = {str(seq): sorted(set(rows["frame"])) for seq, rows in cars.groupby("seq")}
    assert 0 < len(expected) < 3 or any(len(f) < SEQUENCES[s] for s, f in expected.items())
    flt: dict[str, Any] = {"labels": {"source": "ground_truth", "classes": ["car"]}}
    status, page = await api("POST", ROUTE, {"filter": flt, "scrub": 5})
    assert status == 200, page
    assert page["total"] == len(expected)
    assert {v["name"]: v["matching_frames"] for v in page["videos"]} == {
        seq: len(frames) for seq, frames in expected.items()
    }
    for video in page["videos"]:
        picks = [f["frame_number"] for f in video["scrub_frames"]]
        assert picks == evenly_spread(expected[video["name"]], 5)
    # a frame range: every video keeps the frames of the range it has
    flt = {"sample": {"fields.frame_number": {"min": 15, "max": 25}}}
    status, page = await api("POST", ROUTE, {"filter": flt})
    assert status == 200, page
    assert {v["name"]: v["matching_frames"] for v in page["videos"]} == {"A": 11, "B": 6}
    assert [v["scrub_frames"][0]["frame_number"] for v in page["videos"]] == [15, 15]
    # no frame matches: no video, and the page says so
    flt = {"sample": {"fields.frame_number": {"min": 1000}}}
    status, page = await api("POST", ROUTE, {"filter": flt})
    assert status == 200 and page["total"] == 0 and page["videos"] == []


async def test_pages_and_bad_requests(api: Any, mot: pd.DataFrame) -> None:
    status, page = await api("POST", ROUTE, {"offset": 1, "limit": 1})
    assert status == 200, page
    assert page["total"] == 3 and [v["name"] for v in page["videos"]] == ["B"]
    status, page = await api("POST", ROUTE, {"offset": 5})
    assert status == 200 and page["total"] == 3 and page["videos"] == []
    for body, needle in (
        ({"limit": 501}, "limit"),
        ({"scrub": 0}, "scrub"),
        ({"offset": -1}, "offset"),
        ({"filter": {"sample": {"nope": {"eq": 1}}}}, "nope"),
    ):
        status, answer = await api("POST", ROUTE, body)
        assert status == 400 and needle in answer["message"], (body, answer)
    status, answer = await api("POST", "datasets/none/videos/query", {})
    assert status == 404, answer
