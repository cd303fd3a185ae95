"""Frames of ``gs://`` videos (a real GCS emulator, real libx264 files): frame N decoded from
ranged reads of the object equals frame N of the same local file, a read fetches a part of
the object (never the whole), a replaced object is probed again, a missing object is
``missing``, a truncated one ``corrupt``, an unreachable store unavailable within the
timeouts, the media routes serve a frame and stream the file, an export writes the frames. A ``gs://`` folder of videos ingests (each
video probed from the object), and serves its frames."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pytest
from PIL import Image

from visionlens_jlab.catalog import Catalog
from visionlens_jlab.export.errors import ExportError
from visionlens_jlab.export.frame_images import write_frames
from visionlens_jlab.ingest.open import open_dataset
from visionlens_jlab.media import gcs_file, gcs_source, sources
from visionlens_jlab.media.errors import MediaError, MediaUnavailableError
from visionlens_jlab.media.gcs_file import GCSVideoFiles
from visionlens_jlab.media.video_source import VideoFrameSource
from visionlens_jlab.records.report import IngestError
from visionlens_jlab.video.frames import FrameReader
from visionlens_jlab.video.locator import frame_location

from .ingest_fixtures import count, ingest, tiny_jpeg
from .media_fixtures import (  # noqa: F401 - gcs_emulator is a fixture
    add_dataset,
    gcs_bucket,
    gcs_emulator,
    gcs_upload,
)
from .test_ingest_cvat_video import cvat_video_xml
from .video_fixtures import read_number, write_video

FRAMES = 90


class CountingFiles(GCSVideoFiles):
    """The GCS files of a reader, kept to count the bytes they fetched."""

    def __init__(self) -> None:
        self.files: list[Any] = []

    def open(self, location: str, version: str) -> BinaryIO:
        file = super().open(location, version)
        self.files.append(file)
        return file

    def fetched(self) -> int:
        return sum(f.fetched_bytes for f in self.files)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A B-frame video (3 consecutive B-frames, a keyframe every 15 frames)."""
    path = tmp_path_factory.mktemp("gcs-video") / "clip.mp4"
    write_video(path, FRAMES, width=320, height=192, gop=15, bframes=3)
    return path


def test_gcs_frames_equal_the_local_frames(
    clip: Path,
    gcs_emulator: str,  # noqa: F811
) -> None:
    gcs_upload(gcs_bucket("vl-video"), "clips/clip.mp4", clip.read_bytes(), "video/mp4")
    local = FrameReader()
    for number in (1, 17, 16, 60, 59, FRAMES):  # jumps, steps back, the last frame
        location = frame_location("gs://vl-video/clips/clip.mp4", number)
        source = sources.source_for(location)
        assert isinstance(source, VideoFrameSource)
        got = np.asarray(source.image(location))
        want = np.asarray(local.image(str(clip), number))
        assert read_number(got) == number
        assert np.array_equal(got, want)
    size = sources.image_size(frame_location("gs://vl-video/clips/clip.mp4", 5))
    assert size == (320, 192)


def test_a_frame_read_fetches_a_part_of_the_object(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    gcs_emulator: str,  # noqa: F811
) -> None:
    path = tmp_path / "long.mp4"
    write_video(path, 1200, width=320, height=192, gop=15, bframes=2, preset="veryfast")
    data = path.read_bytes()
    gcs_upload(gcs_bucket("vl-video"), "clips/long.mp4", data, "video/mp4")
    monkeypatch.setattr(gcs_file, "BLOCK_BYTES", 8192)  # blocks far smaller than the file
    files = CountingFiles()
    reader = FrameReader(remote=files)
    index = reader.index("gs://vl-video/clips/long.mp4")  # the probe demuxes every packet
    assert index.num_frames == 1200
    probed = files.fetched()
    image = reader.image("gs://vl-video/clips/long.mp4", 1000)
    assert read_number(np.asarray(image)) == 1000
    fetched = files.fetched() - probed
    assert 0 < fetched < len(data) / 2, (fetched, len(data))


def test_a_replaced_object_is_probed_again(
    tmp_path: Path,
    gcs_emulator: str,  # noqa: F811
) -> None:
    bucket = gcs_bucket("vl-video")
    short, long = tmp_path / "short.mp4", tmp_path / "long.mp4"
    write_video(short, 20, gop=10)
    write_video(long, 45, gop=10)
    gcs_upload(bucket, "clips/changing.mp4", short.read_bytes(), "video/mp4")
    reader = FrameReader(remote=GCSVideoFiles())
    location = "gs://vl-video/clips/changing.mp4"
    assert reader.index(location).num_frames == 20
    assert read_number(np.asarray(reader.image(location, 12))) == 12
    gcs_upload(bucket, "clips/changing.mp4", long.read_bytes(), "video/mp4")  # new generation
    assert reader.index(location).num_frames == 45
    assert read_number(np.asarray(reader.image(location, 40))) == 40


def test_missing_truncated_and_unreachable_objects(
    clip: Path,
    monkeypatch: pytest.MonkeyPatch,
    gcs_emulator: str,  # noqa: F811
) -> None:
    data = clip.read_bytes()
    gcs_upload(gcs_bucket("vl-video"), "clips/cut.mp4", data[: len(data) // 2], "video/mp4")
    with pytest.raises(MediaError) as info:
        sources.read_bytes(frame_location("gs://vl-video/clips/gone.mp4", 3))
    assert info.value.code == "missing"
    with pytest.raises(MediaError) as info:
        sources.read_bytes(frame_location("gs://vl-video/clips/cut.mp4", 3))
    assert info.value.code == "corrupt"
    # A store that does not answer: unavailable (transient) within the bounded timeouts.
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    monkeypatch.setattr(gcs_source, "GCS_TIMEOUT_S", 0.5)
    reader = FrameReader(remote=GCSVideoFiles())
    start = time.monotonic()
    with pytest.raises(MediaUnavailableError):
        reader.image("gs://vl-video/clips/clip.mp4", 3)
    assert time.monotonic() - start < 10


async def test_the_media_route_serves_a_frame_of_a_gcs_video(
    clip: Path,
    jp_fetch: Any,
    vl_app: Any,
    gcs_emulator: str,  # noqa: F811
) -> None:
    gcs_upload(gcs_bucket("vl-video"), "route/clip.mp4", clip.read_bytes(), "video/mp4")
    locations = [
        frame_location("gs://vl-video/route/clip.mp4", 42),
        frame_location("gs://vl-video/route/gone.mp4", 1),
    ]
    ids = add_dataset(vl_app.catalog, "gclips", "gs://vl-video/route", locations)
    path = ("visionlens", "api", "datasets", "gclips", "samples")
    original = await jp_fetch(*path, str(ids[0]), "image")
    assert original.headers["Content-Type"] == "image/jpeg"
    assert "X-VisionLens-Media-Error" not in original.headers
    assert read_number(np.asarray(Image.open(io.BytesIO(original.body)).convert("RGB"))) == 42
    missing = await jp_fetch(*path, str(ids[1]), "image", params={"size": "128"})
    assert missing.headers["X-VisionLens-Media-Error"] == "missing"
    # The original streams for playback with HTTP ranges, read in ranges from the object.
    data = clip.read_bytes()
    part = await jp_fetch(*path, str(ids[0]), "video", headers={"Range": "bytes=100-4099"})
    assert part.code == 206 and part.body == data[100:4100]
    assert part.headers["Content-Range"] == f"bytes 100-4099/{len(data)}"
    assert part.headers["Content-Type"] == "video/mp4"
    whole = await jp_fetch(*path, str(ids[0]), "video")
    assert whole.code == 200 and whole.body == data


def test_a_gcs_folder_of_videos_ingests_and_serves_its_frames(
    clip: Path,
    tmp_path: Path,
    gcs_emulator: str,  # noqa: F811
) -> None:
    bucket = gcs_bucket("vl-video")
    gcs_upload(bucket, "ingest/a.mp4", clip.read_bytes(), "video/mp4")
    gcs_upload(bucket, "ingest/bad.mp4", b"not a video" * 100, "video/mp4")
    gcs_upload(bucket, "ingest/notes.txt", b"x", "text/plain")
    for n in (1, 2, 3):
        gcs_upload(bucket, f"ingest/seq/{n:04d}.jpg", tiny_jpeg(64, 48))
    gcs_upload(bucket, "ingest2/other.mp4", clip.read_bytes(), "video/mp4")  # not inside
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "gv", "gs://vl-video/ingest").to_dict()
        assert (summary["videos"], summary["frames"]) == (2, FRAMES + 3)
        assert [e["code"] for e in summary["errors"]] == ["video_unreadable"]
        with catalog.cursor() as cur:
            videos = cur.execute(
                "SELECT name, location, kind, num_frames, codec, width, height FROM videos "
                "ORDER BY video_id"
            ).fetchall()
        root = count(catalog, "SELECT media_root FROM datasets WHERE name = 'gv'")
        stored = count(
            catalog,
            "SELECT s.location FROM video_frames f JOIN samples s USING (sample_id) "
            "JOIN videos v ON v.video_id = f.video_id "
            "WHERE v.name = 'a.mp4' AND f.frame_number = 42",
        )
    assert [tuple(v) for v in videos] == [
        ("a.mp4", "gs://vl-video/ingest/a.mp4", "file", FRAMES, "h264", 320, 192),
        ("seq", "gs://vl-video/ingest/seq", "sequence", 3, None, 64, 48),
    ]
    location = sources.resolve_within(stored, root)  # confined to the gs:// media root
    source = sources.source_for(location)
    assert isinstance(source, VideoFrameSource)
    assert read_number(np.asarray(source.image(location))) == 42


def test_a_cvat_video_task_reads_its_video_from_gcs(
    tmp_path: Path,
    gcs_emulator: str,  # noqa: F811
) -> None:
    video = tmp_path / "street.mp4"
    write_video(video, 10, gop=5)
    gcs_upload(gcs_bucket("vl-video"), "tasks/street.mp4", video.read_bytes(), "video/mp4")
    task = tmp_path / "task"
    task.mkdir()
    (task / "annotations.xml").write_text(cvat_video_xml("street.mp4", 10))
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "street", task, images="gs://vl-video/tasks/street.mp4")
        assert (summary.to_dict()["videos"], summary.to_dict()["frames"]) == (1, 10)
        root = count(catalog, "SELECT media_root FROM datasets")
        stored = count(
            catalog,
            "SELECT s.location FROM video_frames f JOIN samples s USING (sample_id) "
            "WHERE f.frame_number = 7",
        )
    assert stored == frame_location("gs://vl-video/tasks/street.mp4", 7)
    location = sources.resolve_within(stored, root)
    source = sources.source_for(location)
    assert isinstance(source, VideoFrameSource)
    assert read_number(np.asarray(source.image(location))) == 7


def test_a_labelled_gcs_dataset_source_is_refused_with_what_to_do() -> None:
    for fmt in ("coco", "mot", "cvat"):
        with pytest.raises(IngestError, match="gcsfuse"):
            open_dataset("gs://vl-video/clips", fmt)


def test_export_writes_the_exact_frames_of_a_gcs_video(
    clip: Path,
    tmp_path: Path,
    gcs_emulator: str,  # noqa: F811
) -> None:
    gcs_upload(gcs_bucket("vl-video"), "export/clip.mp4", clip.read_bytes(), "video/mp4")
    numbers = (3, 4, 31, 88)
    pairs = [
        (frame_location("gs://vl-video/export/clip.mp4", n), tmp_path / f"{n}.jpg") for n in numbers
    ]
    with ThreadPoolExecutor(2) as pool:
        write_frames(pairs, pool, lambda: None)
    for n in numbers:
        assert read_number(np.asarray(Image.open(tmp_path / f"{n}.jpg").convert("RGB"))) == n
    gone = [(frame_location("gs://vl-video/export/gone.mp4", 1), tmp_path / "gone.jpg")]
    with ThreadPoolExecutor(1) as pool, pytest.raises(ExportError, match="gone.mp4"):
        write_frames(gone, pool, lambda: None)
