"""An export of some of a video's frames (``--frames every:3``, and the default
``labelled`` where frames without a label leave gaps), as MOT or CVAT for video, ingests back
with every box on its own frame: its frame number the original's, the image of that sample
showing that frame (the number drawn into its pixels), and the boxes of that frame (a track
moving 2 pixels a frame tells frames apart)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.export_fixtures import run_cli
from tests.ingest_fixtures import ingest, tiny_jpeg
from tests.video_fixtures import frame_objects, ingest_cvat_street, read_number
from visionlens_jlab.catalog import Catalog

FRAMES = 24
TRACKS = """
  <track id="0" label="car">
    <box frame="0" outside="0" occluded="0" keyframe="1" xtl="0" ytl="0" xbr="10" ybr="10" z_order="0"/>
    <box frame="9" outside="0" occluded="0" keyframe="1" xtl="18" ytl="0" xbr="28" ybr="10" z_order="0"/>
    <box frame="10" outside="1" occluded="0" keyframe="1" xtl="18" ytl="0" xbr="28" ybr="10" z_order="0"/>
  </track>
  <track id="1" label="car">
    <box frame="3" outside="0" occluded="0" keyframe="1" xtl="5" ytl="20" xbr="15" ybr="30" z_order="0"/>
    <box frame="8" outside="1" occluded="0" keyframe="1" xtl="5" ytl="20" xbr="15" ybr="30" z_order="0"/>
    <box frame="14" outside="0" occluded="0" keyframe="1" xtl="60" ytl="20" xbr="70" ybr="30" z_order="0"/>
    <box frame="17" outside="0" occluded="0" keyframe="1" xtl="66" ytl="20" xbr="76" ybr="30" z_order="0"/>
    <box frame="18" outside="1" occluded="0" keyframe="1" xtl="66" ytl="20" xbr="76" ybr="30" z_order="0"/>
  </track>
"""
"""Track 0 moves 2 pixels a frame on CVAT frames 0 to 9; track 1 is still on 3 to 7, then
moves 2 pixels a frame on 14 to 17. Frames 11 to 14 and 19 to 24 (from 1) have no label."""
LABELLED = [*range(1, 11), *range(15, 19)]


@pytest.fixture
def street(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Data dir with a CVAT for video task of a 24-frame video ingested as ``street``."""
    return ingest_cvat_street(tmp_path, capsys, TRACKS, FRAMES)


def _objects(data: Path, dataset: str) -> list[tuple[Any, ...]]:
    return frame_objects(data, dataset, "location")


def _frame_numbers(data: Path, dataset: str) -> list[int]:
    with Catalog(data) as catalog, catalog.cursor() as cur:
        rows = cur.execute(
            "SELECT f.frame_number FROM video_frames f JOIN datasets d USING (dataset_id) "
            "WHERE d.name = ? ORDER BY f.frame_number",
            [dataset],
        ).fetchall()
    return [r[0] for r in rows]


def _comes_back_on_its_frames(data: Path, dataset: str, frames: list[int]) -> None:
    """Every box of ``dataset`` is the original's on the same frame, on an image showing
    that frame, and every original box of the exported ``frames`` came back."""
    original = [r for r in _objects(data, "street") if r[0] in frames]
    back = _objects(data, dataset)
    assert _frame_numbers(data, dataset) == frames
    with Catalog(data) as catalog, catalog.cursor() as cur:
        ((length,),) = cur.execute(
            "SELECT v.num_frames FROM videos v JOIN datasets d USING (dataset_id) WHERE d.name = ?",
            [dataset],
        ).fetchall()
    assert length == FRAMES  # the original video's length
    assert len(back) == len(original) > 0
    tracks: dict[int, int] = {}
    for (number, location, track, *box), was in zip(back, original, strict=True):
        pixels = np.asarray(Image.open(location).convert("RGB"))
        assert read_number(pixels) == number  # the sample's image is that frame
        assert (number, *box) == pytest.approx((was[0], *was[3:]))
        assert tracks.setdefault(was[2], track) == track
    assert len(set(tracks.values())) == len(tracks) == 2


@pytest.mark.parametrize(
    ("choice", "frames"), [("every:3", list(range(1, FRAMES + 1, 3))), ("labelled", LABELLED)]
)
def test_a_mot_export_of_some_frames_comes_back_on_its_frames(
    street: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    choice: str,
    frames: list[int],
) -> None:
    out = tmp_path / "mot"
    code, result = run_cli(
        capsys, street, "export", "street", "--out", str(out), "--format", "mot",
        "--frames", choice,
    )  # fmt: skip
    assert code == 0, result
    assert sorted(int(p.stem) for p in (out / "street" / "img1").glob("*.jpg")) == frames
    code, again = run_cli(capsys, street, "ingest", str(out), "--name", "again", "--format", "mot")
    assert code == 0, again
    assert again["errors"] == [] and again["warnings"] == [], again
    assert again["frames"] == len(frames)
    _comes_back_on_its_frames(street, "again", frames)


def test_mot_images_named_by_number_are_those_frames_and_rows_without_one_are_reported(
    tmp_path: Path,
) -> None:
    seq = tmp_path / "mot" / "S"
    (seq / "img1").mkdir(parents=True)
    (seq / "gt").mkdir()
    for n in (2, 5, 9):
        (seq / "img1" / f"{n:06d}.jpg").write_bytes(tiny_jpeg())
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=S\nimDir=img1\nseqLength=10\n")
    rows = [(2, 1, 2.0), (5, 1, 5.0), (9, 1, 9.0), (4, 1, 4.0), (10, 1, 10.0), (11, 1, 11.0)]
    (seq / "gt" / "gt.txt").write_text("".join(f"{f},{i},{x},0,5,5,1,1,1\n" for f, i, x in rows))
    # an image sequence of other names: numbered by order, as before
    other = tmp_path / "mot" / "T"
    (other / "img1").mkdir(parents=True)
    for name in ("b.jpg", "c.jpg"):
        (other / "img1" / name).write_bytes(tiny_jpeg())
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "m", tmp_path / "mot", fmt="mot").to_dict()
        with catalog.cursor() as cur:
            back = cur.execute(
                "SELECT v.name, f.frame_number, s.file_name, a.x FROM video_frames f "
                "JOIN videos v USING (dataset_id, video_id) JOIN samples s USING (sample_id) "
                "LEFT JOIN annotations a USING (sample_id) ORDER BY v.name, f.frame_number"
            ).fetchall()
            lengths = cur.execute("SELECT name, num_frames FROM videos ORDER BY name").fetchall()
    assert back == [
        ("S", 2, "S/img1/000002.jpg", 2.0),
        ("S", 5, "S/img1/000005.jpg", 5.0),
        ("S", 9, "S/img1/000009.jpg", 9.0),
        ("T", 1, "T/img1/b.jpg", None),
        ("T", 2, "T/img1/c.jpg", None),
    ]
    assert lengths == [("S", 10), ("T", 2)]  # seqLength: the video's length
    assert summary["frames"] == 5 and summary["warnings"] == []
    errors = {e["code"]: e for e in summary["errors"]}
    assert errors["mot_frame_without_image"]["count"] == 2  # frames 4 and 10
    assert "S: frame 4" in errors["mot_frame_without_image"]["examples"][0]
    assert errors["mot_frame_out_of_range"]["count"] == 1  # 11, past seqLength


@pytest.mark.parametrize(
    ("choice", "frames"), [("every:3", list(range(1, FRAMES + 1, 3))), ("labelled", LABELLED)]
)
def test_a_cvat_video_export_of_some_frames_comes_back_on_its_frames(
    street: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    choice: str,
    frames: list[int],
) -> None:
    out = tmp_path / "cvat"
    code, result = run_cli(
        capsys, street, "export", "street", "--out", str(out), "--format", "cvat-video",
        "--frames", choice,
    )  # fmt: skip
    assert code == 0, result
    images = out / "street" / "images"
    assert sorted(int(p.stem.removeprefix("frame_")) + 1 for p in images.iterdir()) == frames
    code, again = run_cli(
        capsys, street, "ingest", str(out / "street"), "--name", "again", "--format", "cvat"
    )
    assert code == 0, again
    assert again["errors"] == [] and again["frames"] == len(frames), again
    _comes_back_on_its_frames(street, "again", frames)


def test_cvat_images_named_by_frame_are_those_frames_and_shapes_without_one_are_reported(
    tmp_path: Path,
) -> None:
    task = tmp_path / "task"
    (task / "images").mkdir(parents=True)
    for f in (0, 1, 4, 7):  # frames 2, 3, 5, 6 deleted in CVAT: no image
        (task / "images" / f"frame_{f:06d}.jpg").write_bytes(tiny_jpeg(64, 48))
    boxes = [(0, 0, 0), (4, 8, 0), (5, 9, 1), (6, 0, 0)]  # (frame, x, outside)
    track = "".join(
        f'<box frame="{f}" outside="{o}" occluded="0" keyframe="1" xtl="{x}" ytl="0" '
        f'xbr="{x + 5}" ybr="5" z_order="0"/>'
        for f, x, o in boxes
    )
    (task / "annotations.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><annotations><version>1.1</version><meta><task>'
        "<name>s</name><size>10</size><start_frame>0</start_frame><stop_frame>9</stop_frame>"
        "<labels><label><name>car</name></label></labels></task></meta>"
        f'<track id="0" label="car">{track}</track></annotations>'
    )
    with Catalog(tmp_path / "vl") as catalog:
        summary = ingest(catalog, "s", task / "annotations.xml", fmt="cvat").to_dict()
        with catalog.cursor() as cur:
            back = cur.execute(
                "SELECT f.frame_number, s.file_name, a.x FROM video_frames f "
                "JOIN samples s USING (sample_id) LEFT JOIN annotations a USING (sample_id) "
                "ORDER BY f.frame_number"
            ).fetchall()
            ((length,),) = cur.execute("SELECT num_frames FROM videos").fetchall()
    # CVAT 1 interpolated between the boxes of 0 and 4; the outside box on 5 (no image)
    # ends the track; the box on 6 has no image: reported
    assert back == [
        (1, "frame_000000.jpg", 0.0),
        (2, "frame_000001.jpg", 2.0),
        (5, "frame_000004.jpg", 8.0),
        (8, "frame_000007.jpg", None),
    ]
    assert length == 10 and summary["frames"] == 4
    (error,) = summary["errors"]
    assert error["code"] == "cvat_frame_out_of_range" and error["count"] == 1
    assert "frame_000006 is none of the images" in error["examples"][0]
