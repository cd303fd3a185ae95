"""Frames of video files through a real Jupyter server: a frame sample (an ordinary samples
row whose location is ``<video>#frame=N``) has a thumbnail and an original showing exactly
frame N, bad videos answer the media placeholders, frame locations stay confined to the
dataset's media root, and the video file streams with HTTP ranges."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from tornado.httpclient import HTTPClientError

from visionlens_jlab.video.locator import frame_location

from .media_fixtures import add_dataset
from .video_fixtures import read_number, write_video

WIDTH, HEIGHT = 384, 224
FRAMES = 60


@pytest.fixture
def frames(tmp_path: Path, vl_app: Any) -> dict[str, Any]:
    """Dataset ``clips``: frames of a B-frame video, of a truncated one, of a video reached
    through a symlink out of the root, and a stored ``..`` location."""
    root = tmp_path / "media"
    root.mkdir()
    video = root / "clip.mp4"
    write_video(video, FRAMES, width=WIDTH, height=HEIGHT, gop=15, bframes=3)
    data = video.read_bytes()
    (root / "cut.mp4").write_bytes(data[: len(data) // 2])
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(data)
    (root / "link.mp4").symlink_to(outside)
    locations = {
        "f1": frame_location(str(video), 1),
        "f37": frame_location(str(video), 37),
        "f60": frame_location(str(video), 60),
        "past": frame_location(str(video), FRAMES + 5),
        "cut": frame_location(str(root / "cut.mp4"), 3),
        "link": frame_location(str(root / "link.mp4"), 3),
        "dotdot": frame_location(str(root / ".." / "outside.mp4"), 3),
    }
    ids = add_dataset(vl_app.catalog, "clips", str(root), list(locations.values()))
    return {"ids": dict(zip(locations, ids, strict=True)), "video": video}


def route(sample_id: int, what: str = "image") -> tuple[str, ...]:
    return ("visionlens", "api", "datasets", "clips", "samples", str(sample_id), what)


def picture(body: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))


async def test_thumbnails_and_originals_show_exactly_frame_n(
    jp_fetch: Any, frames: dict[str, Any]
) -> None:
    for key, number in (("f1", 1), ("f37", 37), ("f60", 60)):
        original = await jp_fetch(*route(frames["ids"][key]))
        assert original.headers["Content-Type"] == "image/jpeg"
        assert "X-VisionLens-Media-Error" not in original.headers
        pixels = picture(original.body)
        assert pixels.shape == (HEIGHT, WIDTH, 3)
        assert read_number(pixels) == number
        thumb = await jp_fetch(*route(frames["ids"][key]), params={"size": "256"})
        assert "X-VisionLens-Media-Error" not in thumb.headers
        small = picture(thumb.body)
        assert small.shape[1] == 256
        assert read_number(small, scale=256 / WIDTH) == number
    # The ETag follows the frame: frames of one file differ, a 304 for the same one.
    a = await jp_fetch(*route(frames["ids"]["f1"]), params={"size": "128"})
    b = await jp_fetch(*route(frames["ids"]["f37"]), params={"size": "128"})
    assert a.headers["ETag"] != b.headers["ETag"]
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            *route(frames["ids"]["f1"]),
            params={"size": "128"},
            headers={"If-None-Match": a.headers["ETag"]},
        )
    assert info.value.code == 304


async def test_bad_videos_answer_media_placeholders(jp_fetch: Any, frames: dict[str, Any]) -> None:
    for key, code in (("past", "missing"), ("cut", "corrupt")):
        for params in ({}, {"size": "128"}):
            resp = await jp_fetch(*route(frames["ids"][key]), params=params)
            assert resp.code == 200
            assert resp.headers["X-VisionLens-Media-Error"] == code
            assert resp.headers["Cache-Control"] == "no-store"


async def test_frame_locations_cannot_leave_the_media_root(
    jp_fetch: Any, frames: dict[str, Any]
) -> None:
    for key in ("link", "dotdot"):
        for what, params in (("image", {}), ("image", {"size": "128"}), ("video", {})):
            with pytest.raises(HTTPClientError) as info:
                await jp_fetch(*route(frames["ids"][key], what), params=params)
            assert info.value.code == 403, (key, what)


async def test_the_video_file_streams_with_ranges(jp_fetch: Any, frames: dict[str, Any]) -> None:
    data = frames["video"].read_bytes()
    sid = frames["ids"]["f37"]
    whole = await jp_fetch(*route(sid, "video"))
    assert whole.code == 200 and whole.body == data
    assert whole.headers["Content-Type"] == "video/mp4"
    assert whole.headers["Accept-Ranges"] == "bytes"
    etag = whole.headers["ETag"]
    part = await jp_fetch(*route(sid, "video"), headers={"Range": "bytes=100-1099"})
    assert part.code == 206 and part.body == data[100:1100]
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(data)}"
    tail = await jp_fetch(*route(sid, "video"), headers={"Range": "bytes=-500"})
    assert tail.code == 206 and tail.body == data[-500:]
    opened = await jp_fetch(*route(sid, "video"), headers={"Range": f"bytes={len(data) - 10}-"})
    assert opened.body == data[-10:]
    same = await jp_fetch(*route(sid, "video"), headers={"Range": "bytes=0-9", "If-Range": etag})
    assert same.code == 206 and same.body == data[:10]
    stale = await jp_fetch(
        *route(sid, "video"), headers={"Range": "bytes=0-9", "If-Range": '"other"'}
    )
    assert stale.code == 200 and stale.body == data
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*route(sid, "video"), headers={"Range": f"bytes={len(data)}-"})
    assert info.value.code == 416
    assert info.value.response is not None
    assert info.value.response.headers["Content-Range"] == f"bytes */{len(data)}"


async def test_the_video_route_needs_a_frame_sample_and_a_login(
    jp_fetch: Any, frames: dict[str, Any], vl_app: Any, tmp_path: Path
) -> None:
    image = tmp_path / "media" / "still.jpg"
    Image.new("RGB", (8, 8)).save(image)
    (still,) = add_dataset(vl_app.catalog, "stills", str(image.parent), [str(image)])
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("visionlens", "api", "datasets", "stills", "samples", str(still), "video")
    assert info.value.code == 404
    for headers in ({"Authorization": ""}, {"Authorization": "token wrong"}):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(*route(frames["ids"]["f1"], "video"), headers=headers)
        assert info.value.code in (401, 403)
    os.remove(frames["video"])
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*route(frames["ids"]["f1"], "video"))
    assert info.value.code == 404
