"""The video of ``bench_video_playback.js``: a CVAT for video 1.1 task of one H.264 file made
with a real encoder (libx264 through PyAV), its frames' numbers drawn into their pixels
(``tests.video_fixtures``: a band of 12 black/white blocks across the top, most significant
bit first), and box and polygon (mask) tracks with a shape on every frame.

Where each track's shape lies is a function of its frame, so the benchmark reads back from the
page which frame the boxes drawn belong to: box track 0 has its left edge at
:func:`box_left` of the frame. Written once into ``cache/playback-WxH-FPSfps-Ns/`` (a
``.complete`` marker last) and reused.

    python benchmarks/video_playback_data.py CACHE SECONDS   # prints the task's folder
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT, FPS = 1280, 720, 30
BOX_TRACKS = 3
MASK_TRACKS = 3
POLYGON_POINTS = 16


def box_left(frame: int) -> float:
    """The left edge of box track 0 on VisionLens frame ``frame`` (from 1)."""
    return 20.0 + frame


def _box(track: int, f: int) -> str:
    """Box track ``track`` on CVAT frame ``f`` (from 0): track 0 by :func:`box_left`."""
    left = box_left(f + 1) if track == 0 else 60 + 300 * track + 40 * math.sin(f / 15)
    top = 80 + 150 * track + 30 * math.cos(f / 20)
    return (
        f'<box frame="{f}" outside="0" occluded="0" keyframe="1" xtl="{left:.2f}" '
        f'ytl="{top:.2f}" xbr="{left + 120:.2f}" ybr="{top + 90:.2f}" z_order="0"/>'
    )


def _polygon(track: int, f: int) -> str:
    """Polygon track ``track`` on CVAT frame ``f``: a wobbling disc moving across."""
    cx = 200 + 280 * track + 120 * math.sin(f / 25 + track)
    cy = 420 + 60 * math.cos(f / 18 + track)
    points = ";".join(
        f"{cx + (70 + 12 * math.sin(3 * a + f / 6)) * math.cos(a):.2f},"
        f"{cy + (70 + 12 * math.sin(3 * a + f / 6)) * math.sin(a):.2f}"
        for a in (2 * math.pi * i / POLYGON_POINTS for i in range(POLYGON_POINTS))
    )
    return (
        f'<polygon frame="{f}" outside="0" occluded="0" keyframe="1" points="{points}" '
        f'z_order="0"/>'
    )


def _annotations(frames: int) -> str:
    """CVAT for video 1.1 XML of ``frames`` frames: every track has a shape on each."""
    tracks = []
    for t in range(BOX_TRACKS):
        shapes = "\n    ".join(_box(t, f) for f in range(frames))
        tracks.append(f'  <track id="{t}" label="car" source="manual">\n    {shapes}\n  </track>')
    for t in range(MASK_TRACKS):
        shapes = "\n    ".join(_polygon(t, f) for f in range(frames))
        tracks.append(
            f'  <track id="{BOX_TRACKS + t}" label="blob" source="manual">\n    {shapes}\n  </track>'
        )
    labels = "".join(
        f"<label><name>{n}</name><type>any</type><attributes/></label>" for n in ("car", "blob")
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task>
    <id>1</id><name>playback</name><size>{frames}</size><mode>interpolation</mode>
    <start_frame>0</start_frame><stop_frame>{frames - 1}</stop_frame>
    <labels>{labels}</labels>
    <original_size><width>{WIDTH}</width><height>{HEIGHT}</height></original_size>
    <source>clip.mp4</source>
  </task></meta>
{chr(10).join(tracks)}
</annotations>
"""


def playback_task(cache: Path, seconds: int) -> Path:
    """The task folder of a ``seconds``-long clip (written once, found afterwards)."""
    folder = cache / f"playback-{WIDTH}x{HEIGHT}-{FPS}fps-{seconds}s"
    if (folder / ".complete").exists():
        return folder
    sys.path.insert(0, str(REPO))
    from tests.video_fixtures import write_video  # the tests' encoder and drawn numbers

    folder.mkdir(parents=True, exist_ok=True)
    frames = seconds * FPS
    t0 = time.perf_counter()
    # a keyframe each second and B-frames: what a camera or an export writes
    write_video(folder / "clip.mp4", frames, width=WIDTH, height=HEIGHT, fps=FPS, gop=FPS)
    (folder / "annotations.xml").write_text(_annotations(frames))
    (folder / ".complete").write_text(f"written in {time.perf_counter() - t0:.0f} s\n")
    return folder


if __name__ == "__main__":
    print(playback_task(Path(sys.argv[1]), int(sys.argv[2])))
