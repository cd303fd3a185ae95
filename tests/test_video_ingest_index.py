"""An ingest keeps the frame index of every video file it probes in the server's index store
(``ingest/video_folder.probe_location``), keyed as the server's frame reader reads it: the
first view of a frame after a REST ingest (the parser in a confined worker process) or a
CLI ingest reads the index back and does not probe the file (a ``gs://`` object's too, under
the generation probed: a real GCS emulator); the index stored is exactly a fresh probe's,
and a file replaced since the ingest is probed again."""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.ingest_fixtures import allowed_settings, ingest, queued_job
from tests.media_fixtures import (  # noqa: F401 - gcs_emulator is a fixture
    gcs_bucket,
    gcs_emulator,
    gcs_upload,
)
from tests.test_ingest_exports import cli
from tests.video_fixtures import probes, read_number, write_video  # noqa: F401 - probes is a fixture
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.config import VIDEO_INDEX_DIR
from visionlens_jlab.media.gcs_file import GCSVideoFiles
from visionlens_jlab.video.files import file_version
from visionlens_jlab.video.frame_index import FrameIndex, IndexStore, load_index
from visionlens_jlab.video.frames import FrameReader


@pytest.fixture
def vl_settings(tmp_path: Path, jp_root_dir: Path) -> dict[str, Any]:
    # the data folder (tmp_path / "vl-data") lies outside the roots the worker is held to
    return allowed_settings(tmp_path, jp_root_dir)


def assert_same(stored: FrameIndex | None, probed: FrameIndex) -> None:
    assert stored is not None
    assert np.array_equal(stored.pts, probed.pts)
    assert np.array_equal(stored.keyframes, probed.keyframes)
    assert (stored.width, stored.height, stored.rotation) == (
        probed.width, probed.height, probed.rotation,
    )  # fmt: skip


async def test_the_first_view_after_a_rest_ingest_does_not_probe(
    api: Any,
    wait_job: Any,
    tmp_path: Path,
    vl_app: Any,
    probes: list[str],  # noqa: F811 - the fixture
) -> None:
    clips = tmp_path / "allowed" / "clips"
    clips.mkdir()
    write_video(clips / "a.mp4", 40, gop=12, bframes=3)
    write_video(clips / "b.mp4", 20, gop=10, bframes=2)
    body = {"source": str(clips), "name": "c", "format": "video"}
    job = await queued_job(api, wait_job, "datasets", body)
    assert job["status"] == "done", job
    assert probes == []  # the ingest probed in its worker process, not here
    store = IndexStore(vl_app.resolved_data_dir / VIDEO_INDEX_DIR)
    assert len(list(store.directory.glob("*.npz"))) == 2
    real = os.path.realpath(clips / "a.mp4")
    assert_same(store.get(real, file_version(real, None)), load_index(real))
    with vl_app.catalog.cursor() as cur:
        (sample_id,) = cur.execute(
            "SELECT sample_id FROM samples WHERE location = ?", [f"{real}#frame=29"]
        ).fetchone()
    status, body = await api("GET", f"datasets/c/samples/{sample_id}/image")
    assert status == 200
    assert read_number(np.asarray(Image.open(BytesIO(body)).convert("RGB"))) == 29
    assert probes == []  # the server read the ingest's index back


def test_a_cli_ingest_keeps_the_indexes_and_a_replaced_file_is_probed_again(
    tmp_path: Path,
    probes: list[str],  # noqa: F811 - the fixture
) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    video = clips / "a.mp4"
    write_video(video, 36, gop=12, bframes=3)
    data = tmp_path / "vl"
    assert cli(data, "ingest", str(clips), "--name", "c", "--format", "video")["frames"] == 36
    real = os.path.realpath(video)
    reader = FrameReader(index_store=IndexStore(data / VIDEO_INDEX_DIR))
    for number in (30, 2, 36):
        assert read_number(reader.frame(real, number).to_ndarray(format="rgb24")) == number
    assert probes == []
    write_video(video, 18, gop=6, bframes=2)  # replaced after the ingest
    reader = FrameReader(index_store=IndexStore(data / VIDEO_INDEX_DIR))
    assert reader.index(real).num_frames == 18
    assert probes == [real]  # the ingest's index is of the old version: never served


def test_a_gcs_ingest_keeps_the_index_of_the_generation_it_probed(
    tmp_path: Path,
    probes: list[str],  # noqa: F811 - the fixture
    gcs_emulator: str,  # noqa: F811
) -> None:
    local = tmp_path / "clip.mp4"
    write_video(local, 30, gop=10, bframes=3)
    gcs_upload(gcs_bucket("vl-video"), "indexed/clip.mp4", local.read_bytes(), "video/mp4")
    indexes = tmp_path / "vl" / VIDEO_INDEX_DIR
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(
            catalog, "g", "gs://vl-video/indexed", fmt="video", video_index=str(indexes)
        )
        assert summary.to_dict()["frames"] == 30
    location = "gs://vl-video/indexed/clip.mp4"
    files = GCSVideoFiles()
    assert_same(IndexStore(indexes).get(location, files.version(location)), load_index(str(local)))
    reader = FrameReader(remote=files, index_store=IndexStore(indexes))
    assert read_number(np.asarray(reader.image(location, 23))) == 23
    assert probes == []
