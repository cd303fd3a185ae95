"""``visionlens export --frames every:K`` of a CVAT for video task as CVAT for video again:
the task folder says which frames its images are (CVAT's ``start_frame``, ``stop_frame`` and
``frame_filter``), so that ingesting it back puts every box on the image of its frame. The
frames are told apart by the number drawn into their pixels and by the boxes themselves (a
track moving 2 pixels a frame)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.export_fixtures import run_cli
from tests.video_fixtures import frame_objects, ingest_cvat_street, read_number

FRAMES = 24
TRACKS = """
  <track id="0" label="car">
    <box frame="0" outside="0" occluded="0" keyframe="1" xtl="0" ytl="0" xbr="10" ybr="10" z_order="0"/>
    <box frame="20" outside="0" occluded="0" keyframe="1" xtl="40" ytl="0" xbr="50" ybr="10" z_order="0"/>
  </track>
  <track id="1" label="car">
    <box frame="3" outside="0" occluded="0" keyframe="1" xtl="5" ytl="20" xbr="15" ybr="30" z_order="0"/>
    <box frame="8" outside="1" occluded="0" keyframe="1" xtl="5" ytl="20" xbr="15" ybr="30" z_order="0"/>
  </track>
"""
"""Track 0 moves 2 pixels a frame (CVAT 0 to 20, then held to the end); track 1 is still
on CVAT frames 3 to 7."""


@pytest.fixture
def street(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Data dir with a CVAT for video task of a 24-frame video ingested as ``street``."""
    return ingest_cvat_street(tmp_path, capsys, TRACKS, FRAMES)


def _objects(data: Path, dataset: str) -> list[tuple[Any, ...]]:
    return frame_objects(data, dataset, "file_name")


def test_cvat_video_every_kth_frame_comes_back_on_its_frames(
    street: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cvat"
    code, result = run_cli(
        capsys, street, "export", "street", "--out", str(out), "--format", "cvat-video",
        "--frames", "every:3",
    )  # fmt: skip
    assert code == 0, result
    task = out / "street"
    meta = ET.parse(task / "annotations.xml").getroot().find("meta/task")
    assert meta is not None
    # to the video's last frame (CVAT 23): the frames 0, 3...21, and the video's length
    assert [meta.findtext(k) for k in ("size", "start_frame", "stop_frame", "frame_filter")] == [
        "8", "0", "23", "step=3",
    ]  # fmt: skip
    code, again = run_cli(
        capsys, street, "ingest", str(task), "--name", "again", "--format", "cvat"
    )
    assert code == 0, again
    assert again["errors"] == [] and again["frames"] == 8
    original = {(r[0], r[3]): r for r in _objects(street, "street")}
    back = _objects(street, "again")
    # the exported frames 1, 4, 7...22 (CVAT 0, 3...21): track 0 on all 8, track 1 on 4, 7
    assert len(back) == 8 + 2
    tracks: dict[int, int] = {}
    for _frame, name, track, x, y, w, h in back:
        number = int(name.removeprefix("frame_").split(".")[0]) + 1  # CVAT's 0-based name
        pixels = np.asarray(Image.open(task / "images" / name).convert("RGB"))
        assert read_number(pixels) == number  # the image is that frame
        was = original[(number, x)]  # the box of that frame, not of another
        assert (x, y, w, h) == pytest.approx(was[3:])
        assert tracks.setdefault(was[2], track) == track
    assert len(set(tracks.values())) == 2
