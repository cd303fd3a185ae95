"""The video contract: frame locations round-trip, and a probe counts the frames a real
encoder wrote (B-frames and a fixed GOP), finds its keyframes and reports an unreadable file."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from visionlens_jlab.video.locator import frame_location, parse_frame_location
from visionlens_jlab.video.probe import VideoError, probe_video


def write_video(path: Path, frames: int, *, gop: int, fps: int = 25) -> None:
    """Encode ``frames`` frames of a bar growing by one step a frame with libx264."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.options = {"bf": "2", "g": str(gop)}
        for i in range(frames):
            pixels = np.zeros((48, 64, 3), np.uint8)
            pixels[:, : i % 64] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def test_a_frame_location_round_trips_and_plain_names_stay_images() -> None:
    location = frame_location("/data/clip one.MP4", 17)
    parsed = parse_frame_location(location)
    assert parsed is not None
    assert (parsed.video, parsed.frame_number) == ("/data/clip one.MP4", 17)
    assert parse_frame_location("/data/img#frame=3.jpg") is None
    assert parse_frame_location("/data/a.jpg#frame=3") is None
    assert parse_frame_location("/data/a.mp4#frame=0") is None
    with pytest.raises(ValueError, match="start at 1"):
        frame_location("/data/a.mp4", 0)


def test_a_probe_counts_the_encoded_frames_and_finds_the_gop(tmp_path: Path) -> None:
    path = tmp_path / "bar.mp4"
    write_video(path, 60, gop=20)
    probe = probe_video(path)
    with av.open(str(path)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert probe.num_frames == decoded == 60
    assert (probe.width, probe.height, probe.codec) == (64, 48, "h264")
    assert probe.fps == pytest.approx(25.0)
    assert probe.duration == pytest.approx(60 / 25)
    # x264 may start a GOP early, never late: no gap between keyframes exceeds the GOP
    frame_index = {pts: i for i, pts in enumerate(probe.frame_pts)}
    positions = [frame_index[pts] for pts in probe.keyframe_pts] + [60]
    assert positions[0] == 0
    assert (
        3 <= len(positions) - 1
        and max(b - a for a, b in zip(positions, positions[1:], strict=False)) <= 20
    )
    assert not probe.variable_frame_rate
    assert list(probe.frame_pts) == sorted(probe.frame_pts)


def test_an_unreadable_file_is_a_video_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"not a video at all")
    with pytest.raises(VideoError, match="broken.mp4"):
        probe_video(path)
