"""A phone video's display matrix turns its picture: the probe reads the turn, every frame is
served turned (as players show it), and the frame samples have the turned size, so that
labels drawn on the frames and the grid's tiles fit them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.ingest_fixtures import ingest
from tests.video_fixtures import decode_all, read_number, set_display_rotation, write_video
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.media import sources
from visionlens_jlab.video.frames import FrameReader
from visionlens_jlab.video.locator import frame_location
from visionlens_jlab.video.probe import probe_video

W, H = 96, 48  # the frame number drawn in 12 blocks of 8 pixels


@pytest.mark.parametrize("clockwise", [90, 180, 270])
def test_a_turned_video_is_probed_served_and_ingested_turned(
    tmp_path: Path, clockwise: int
) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    path = clips / "phone.mp4"
    write_video(path, 6, width=W, height=H, gop=3)
    coded = decode_all(path)  # FFmpeg's frames as coded: the matrix does not change them
    set_display_rotation(path, clockwise)

    probe = probe_video(path)
    assert (probe.width, probe.height) == (W, H)
    assert probe.rotation == (360 - clockwise) % 360  # counterclockwise, as FFmpeg says it
    shown_size = (H, W) if clockwise in (90, 270) else (W, H)

    reader = FrameReader()
    try:
        assert reader.index(str(path)).display_size() == shown_size
        for number in (1, 4, 6):
            shown = np.asarray(reader.image(str(path), number).convert("RGB"))
            # np.rot90 with a negative k turns clockwise: the oracle is the matrix's meaning
            assert np.array_equal(shown, np.rot90(coded[number - 1], k=-clockwise // 90))
            upright = np.rot90(shown, k=clockwise // 90)
            assert read_number(np.ascontiguousarray(upright)) == number
    finally:
        reader.close()
    assert sources.image_size(frame_location(str(path), 2)) == shown_size

    with Catalog(tmp_path / "vl") as catalog:
        ingest(catalog, "clips", clips, fmt="video")
        with catalog.cursor() as cur:
            sizes = cur.execute("SELECT DISTINCT width, height FROM samples").fetchall()
            video = cur.execute("SELECT width, height, rotation FROM videos").fetchall()
    assert sizes == [shown_size]
    assert video == [(W, H, probe.rotation)]  # the videos table keeps the coded size
