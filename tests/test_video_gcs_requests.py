"""Requests a frame of a ``gs://`` video costs (a real GCS emulator): the object's version
is asked once per frame request in the reader (index, then frame), and through the image
route once per video FILE within the revalidation period (the route's version cache is
keyed by the file, the read pinned to it); a read pinned to a generation replaced since
still sees the object (the current generation), and past the period every frame is the
new generation's."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
from PIL import Image

from visionlens_jlab.media import sources
from visionlens_jlab.media.gcs_file import GCSVideoFiles
from visionlens_jlab.media.video_source import VideoFrameSource
from visionlens_jlab.video.frames import FrameReader
from visionlens_jlab.video.locator import frame_location

from .media_fixtures import (  # noqa: F401 - gcs_emulator is a fixture
    add_dataset,
    gcs_bucket,
    gcs_emulator,
    gcs_upload,
)
from .video_fixtures import read_number, write_video


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """HTTP requests about objects from here on: ``metadata`` and ``bytes`` (downloads)."""
    counts: Counter[str] = Counter()
    request = requests.Session.request

    def counted(session: requests.Session, method: str, url: str, **kw: Any) -> Any:
        if "/storage/v1/b/" in url and "/o/" in url:
            media = "alt=media" in url or (kw.get("params") or {}).get("alt") == "media"
            counts["bytes" if media else "metadata"] += 1
        return request(session, method, url, **kw)

    monkeypatch.setattr(requests.Session, "request", counted)
    return counts


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    write_video(path, 30, gop=10, bframes=3)
    return path


def test_a_frame_read_asks_the_version_once(
    clip: Path,
    sent: Counter[str],
    gcs_emulator: str,  # noqa: F811
) -> None:
    gcs_upload(gcs_bucket("vl-video"), "counted/clip.mp4", clip.read_bytes(), "video/mp4")
    reader = FrameReader(remote=GCSVideoFiles())
    source = VideoFrameSource(sources.source_for, lambda: reader)
    for number in (20, 21, 7):  # a cold read (the probe too), a step, a jump back
        sent.clear()
        image = source.image(frame_location("gs://vl-video/counted/clip.mp4", number))
        assert read_number(np.asarray(image)) == number
        assert sent["metadata"] == 1, (number, sent)
        if number == 20:  # the counter sees the object's ranged reads too (probe, GOP)
            assert sent["bytes"] > 0, sent


async def test_the_image_route_asks_the_version_once_per_video_file(
    clip: Path,
    tmp_path: Path,
    sent: Counter[str],
    jp_fetch: Any,
    vl_app: Any,
    gcs_emulator: str,  # noqa: F811
) -> None:
    bucket = gcs_bucket("vl-video")
    gcs_upload(bucket, "routed/clip.mp4", clip.read_bytes(), "video/mp4")
    numbers = (5, 6, 25, 12, 30)
    locations = [frame_location("gs://vl-video/routed/clip.mp4", n) for n in numbers]
    ids = add_dataset(vl_app.catalog, "counted", "gs://vl-video/routed", locations)
    path = ("visionlens", "api", "datasets", "counted", "samples")
    sizes: tuple[dict[str, str], ...] = ({"size": "128"}, {"size": "128"}, {}, {"size": "256"}, {})
    for sample_id, number, params in zip(ids, numbers, sizes, strict=True):
        response = await jp_fetch(*path, str(sample_id), "image", params=params)
        assert "X-VisionLens-Media-Error" not in response.headers
        if not params:  # an original: the frame itself
            assert read_number(_pixels(response.body)) == number
    # five different frames (thumbnails and originals) of one video, one metadata request
    assert sent["metadata"] == 1, sent
    # Replaced by a longer, wider video: within the revalidation period a frame only the
    # new generation has is still found (the read pinned to the old one fails, and the
    # current one is read); past the period every frame is the new generation's.
    wider = tmp_path / "wider.mp4"
    write_video(wider, 45, width=256, gop=10)
    gcs_upload(bucket, "routed/clip.mp4", wider.read_bytes(), "video/mp4")
    more = add_dataset(
        vl_app.catalog,
        "replaced",
        "gs://vl-video/routed",
        [frame_location("gs://vl-video/routed/clip.mp4", 40)],
    )
    late = await jp_fetch(*path[:3], "replaced", "samples", str(more[0]), "image")
    assert read_number(_pixels(late.body)) == 40
    vl_app.media.cache.gcs_revalidate_s = 0.0  # the period has passed
    sent.clear()
    for sample_id, number in zip(ids, numbers, strict=True):
        response = await jp_fetch(*path, str(sample_id), "image")
        pixels = _pixels(response.body)
        assert read_number(pixels) == number and pixels.shape[1] == 256  # the new file's
    assert sent["metadata"] == len(numbers)  # revalidated on every request (period 0)


def test_a_read_pinned_to_a_replaced_generation_reads_the_current_one(
    tmp_path: Path,
    gcs_emulator: str,  # noqa: F811
) -> None:
    bucket = gcs_bucket("vl-video")
    short, long = tmp_path / "short.mp4", tmp_path / "long.mp4"
    write_video(short, 20, gop=10)
    write_video(long, 45, gop=10)
    gcs_upload(bucket, "pinned/clip.mp4", short.read_bytes(), "video/mp4")
    old = sources.version(frame_location("gs://vl-video/pinned/clip.mp4", 1))
    reader = FrameReader(remote=GCSVideoFiles())
    source = VideoFrameSource(sources.source_for, lambda: reader)
    first = source.read_bytes_at(frame_location("gs://vl-video/pinned/clip.mp4", 12), old)
    assert read_number(_pixels(first)) == 12
    gcs_upload(bucket, "pinned/clip.mp4", long.read_bytes(), "video/mp4")  # new generation
    # Frame 40 is only in the new generation: a version cached before the upload still
    # gets it, not "missing".
    data = source.read_bytes_at(frame_location("gs://vl-video/pinned/clip.mp4", 40), old)
    assert read_number(_pixels(data)) == 40
    # A reader that never saw the old generation: its probe of it fails (GCS answers 404
    # for a generation that is gone), and the current one is read.
    fresh = FrameReader(remote=GCSVideoFiles())
    source = VideoFrameSource(sources.source_for, lambda: fresh)
    data = source.read_bytes_at(frame_location("gs://vl-video/pinned/clip.mp4", 12), old)
    assert read_number(_pixels(data)) == 12
    assert fresh.index("gs://vl-video/pinned/clip.mp4").num_frames == 45


def _pixels(jpeg: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
