"""Videos made by the tests with a real encoder (PyAV's libx264): moving shapes, and each
frame's number drawn into its pixels, so a test reads back from decoded pixels which frame a
reader returned.

The number is written in binary as a row of :data:`BITS` black/white blocks across the top
of the frame (most significant bit first), each block at least 16 pixels wide and tall: far
larger than any compression artefact, so the blocks survive the encoder at its default
quality and a decoded frame's number is read by thresholding each block's mean.

MOT Challenge folders (:func:`write_mot`): image sequences with ground truth of known tracks.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import numpy as np
import pytest

from tests.ingest_fixtures import tiny_jpeg
from visionlens_jlab.video import frames as frames_module
from visionlens_jlab.video.frame_index import load_index

if TYPE_CHECKING:  # the UI tests import this module with only the package's dependencies
    import pytest

BITS = 12
"""Bits of the drawn frame number (frames 1..4095)."""
BAND = 24
"""Height in pixels of the band of number blocks at the top of each frame."""


def frame_pixels(number: int, width: int, height: int) -> np.ndarray:
    """The RGB picture of frame ``number``: its number's blocks, a moving square below."""
    pixels = np.full((height, width, 3), 96, np.uint8)
    block = width // BITS
    for bit in range(BITS):
        on = (number >> (BITS - 1 - bit)) & 1
        pixels[:BAND, bit * block : (bit + 1) * block] = 255 if on else 0
    side = max(8, height // 5)
    x = (number * 3) % max(1, width - side)
    y = BAND + (number * 2) % max(1, height - BAND - side)
    pixels[y : y + side, x : x + side] = (220, 40, 40)
    return pixels


def read_number(rgb: np.ndarray, scale: float = 1.0) -> int:
    """The frame number drawn into a decoded RGB picture (``height x width x 3``) that was
    scaled by ``scale`` (a thumbnail) from the frame written."""
    block = rgb.shape[1] / BITS
    band = BAND * scale
    number = 0
    for bit in range(BITS):
        # The middle of the block: edges blur across block boundaries (chroma, scaling).
        left = int(bit * block + block / 4)
        patch = rgb[int(band / 4) : int(band * 3 / 4), left : int(left + block / 2)]
        number = number * 2 + int(patch.mean() > 128)
    return number


def write_video(
    path: Path,
    frames: int,
    *,
    width: int = 192,
    height: int = 112,
    fps: int = 25,
    gop: int = 25,
    bframes: int = 2,
    vfr_steps: list[int] | None = None,
    preset: str = "medium",
    first_pts: int = 0,
) -> list[int]:
    """Encode ``frames`` frames (numbers 1..frames) with libx264; returns their timestamps.

    ``gop``: keyframe interval (x264 may start one early at a scene cut, never late);
    ``bframes``: consecutive B-frames (0 for none). ``vfr_steps``: a variable frame rate,
    each frame lasting the next step (cycled) in milliseconds instead of ``1 / fps``.
    ``first_pts``: the first frame's timestamp in the time base (a file that starts later
    than 0, as cut or streamed recordings do).
    """
    time_base = Fraction(1, 1000) if vfr_steps else Fraction(1, fps)
    stamps: list[int] = []
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = time_base
        stream.codec_context.options = {
            "bf": str(bframes),
            "g": str(gop),
            "preset": preset,
            "sc_threshold": "0",  # keyframes only every ``gop`` frames: seeks do real work
        }
        t = first_pts
        for n in range(1, frames + 1):
            frame = av.VideoFrame.from_ndarray(frame_pixels(n, width, height), format="rgb24")
            frame.pts, frame.time_base = t, time_base
            stamps.append(t)
            t += vfr_steps[(n - 1) % len(vfr_steps)] if vfr_steps else 1
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return stamps


def set_display_rotation(path: Path, clockwise: int) -> None:
    """Give MP4 file ``path`` the display matrix of a picture turned ``clockwise`` degrees (90,
    180 or 270), as a phone writes it: the track header's (``tkhd``) matrix, QuickTime's
    ``[a b u; c d v; x y w]`` in 16.16 fixed point, mapping ``(x, y)`` to
    ``(a x + c y, b x + d y)``; 90 degrees clockwise is ``a=0 b=1 c=-1 d=0``."""
    turns = {90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}
    a, b, c, d = (v * 0x10000 for v in turns[clockwise])
    data = bytearray(path.read_bytes())
    at = data.index(b"tkhd")
    # after the box type: version and flags (4), times, track id, reserved and duration
    # (20 bytes in version 0, 32 in version 1), reserved (8), layer to volume (8)
    matrix = at + 4 + 4 + (32 if data[at + 4] == 1 else 20) + 16
    data[matrix : matrix + 36] = struct.pack(">9i", a, b, 0, c, d, 0, 0, 0, 0x40000000)
    path.write_bytes(bytes(data))


def decode_all(path: Path) -> list[np.ndarray]:
    """Every frame of ``path`` decoded straight through, in display order (the oracle)."""
    with av.open(str(path)) as container:
        decoded = [
            (int(f.pts or 0), f.to_ndarray(format="rgb24")) for f in container.decode(video=0)
        ]
    decoded.sort(key=lambda item: item[0])
    return [np.asarray(rgb, np.uint8) for _, rgb in decoded]


@dataclass
class MotSequence:
    """What :func:`write_mot` wrote of one sequence: its frames and gt rows."""

    name: str
    frames: int
    rows: list[tuple[int, int, float, float, float, float, int, int, float]] = field(
        default_factory=list
    )
    """``(frame, id, x, y, w, h, conf, class, visibility)`` in file order."""

    @property
    def tracks(self) -> int:
        return len({r[1] for r in self.rows})


def write_mot(
    root: Path,
    sequences: dict[str, int],
    *,
    tracks: int = 3,
    seed: int = 0,
    gt: bool = True,
    width: int = 64,
    height: int = 48,
) -> list[MotSequence]:
    """Write MOT17-style sequences ``{name: frames}`` under ``root``: ``seqinfo.ini``,
    ``img1/000001.jpg``..., and ``gt/gt.txt`` with ``tracks`` identities each seen on a
    random run of frames (every 4th object not to be considered, class pedestrian or car)."""
    rng = random.Random(seed)
    written = []
    for name, frames in sequences.items():
        seq = root / name
        (seq / "img1").mkdir(parents=True)
        (seq / "seqinfo.ini").write_text(
            "[Sequence]\n"
            f"name={name}\nimDir=img1\nframeRate=30\nseqLength={frames}\n"
            f"imWidth={width}\nimHeight={height}\nimExt=.jpg\n"
        )
        jpeg = tiny_jpeg(width, height)
        for i in range(1, frames + 1):
            (seq / "img1" / f"{i:06d}.jpg").write_bytes(jpeg)
        sequence = MotSequence(name, frames)
        for track in range(1, tracks + 1):
            start = rng.randint(1, frames)
            end = rng.randint(start, frames)
            cls = 1 if track % 3 else 3
            for f in range(start, end + 1):
                x, y = float(rng.randint(0, width - 10)), float(rng.randint(0, height - 10))
                conf = 0 if len(sequence.rows) % 4 == 3 else 1
                vis = round(rng.random(), 3)
                sequence.rows.append((f, track, x, y, 8.0, 9.0, conf, cls, vis))
        if gt:
            (seq / "gt").mkdir()
            (seq / "gt" / "gt.txt").write_text(
                "".join(",".join(str(v) for v in r) + "\n" for r in sequence.rows)
            )
        written.append(sequence)
    return written


def index_first(source: Path, target: Path) -> None:
    """Remux the MP4 ``source`` into ``target`` with its index before its frames (FFmpeg's
    ``movflags=faststart``, as web videos are written): cut short, such a file still opens
    and demuxes, without the frames past the cut."""
    with (
        av.open(str(source)) as src,
        av.open(str(target), "w", options={"movflags": "faststart"}) as dst,
    ):
        stream = src.streams.video[0]
        out = dst.add_stream_from_template(stream)
        for packet in src.demux(stream):
            if packet.dts is None:  # the demuxer's flush packet
                continue
            packet.stream = out
            dst.mux(packet)


SCENE_COLOURS = ((200, 60, 40), (240, 240, 230), (20, 20, 20), (30, 90, 200))
"""Backgrounds of the scenes :func:`scene_pixels` draws, consecutive ones far apart in gray
level (99, 239, 20, 85)."""


def scene_pixels(scene: int, step: int, width: int, height: int) -> np.ndarray:
    """Frame ``step`` of scene ``scene``: a plain background of its own colour with stripes,
    and a small square moving within the scene (motion that is not a cut)."""
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[:] = SCENE_COLOURS[scene % len(SCENE_COLOURS)]
    pixels[:, (scene * 7) % 16 :: 16] //= 2
    side = max(6, height // 8)
    x, y = (step * 4) % (width - side), (step * 3) % (height - side)
    pixels[y : y + side, x : x + side] = (250, 200, 0)
    return pixels


def write_scenes_video(
    path: Path, scene_lengths: list[int], *, width: int = 128, height: int = 72, fps: int = 25
) -> list[int]:
    """A video of visibly different scenes of the given lengths (libx264, B-frames);
    returns the frame numbers (from 1) where each scene starts."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.options = {"bf": "2", "g": "12"}
        for scene, length in enumerate(scene_lengths):
            for step in range(length):
                rgb = scene_pixels(scene, step, width, height)
                for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return [1 + sum(scene_lengths[:i]) for i in range(len(scene_lengths))]


def write_scenes_sequence(
    folder: Path, scene_lengths: list[int], *, width: int = 128, height: int = 72
) -> list[int]:
    """The same scenes as :func:`write_scenes_video` as a folder of JPEG frames
    (``1.jpg``, ``2.jpg``, ...); returns the frame numbers where each scene starts."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    number = 0
    for scene, length in enumerate(scene_lengths):
        for step in range(length):
            number += 1
            Image.fromarray(scene_pixels(scene, step, width, height)).save(
                folder / f"{number}.jpg", quality=90
            )
    return [1 + sum(scene_lengths[:i]) for i in range(len(scene_lengths))]


def ingest_cvat_street(
    root: Path, capsys: pytest.CaptureFixture[str], tracks: str, frames: int
) -> Path:
    """A data dir (under ``root``) with a CVAT for video task of a ``frames``-frame video
    (192x48, its numbers in its pixels) and the ``<track>`` elements ``tracks``, ingested
    through the CLI as ``street``."""
    from tests.export_fixtures import run_cli

    task = root / "task"
    task.mkdir()
    write_video(task / "street.mp4", frames, width=192, height=48, gop=6)
    (task / "annotations.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<annotations><version>1.1</version><meta><task>'
        f"<name>street</name><size>{frames}</size><mode>interpolation</mode>"
        "<labels><label><name>car</name></label></labels>"
        f"<source>street.mp4</source></task></meta>{tracks}</annotations>"
    )
    data = root / "vl"
    code, result = run_cli(capsys, data, "ingest", str(task), "--name", "street")
    assert code == 0 and result["errors"] == [], result
    return data


def frame_objects(data: Path, dataset: str, place: str = "file_name") -> list[tuple[Any, ...]]:
    """``(frame number, the sample's place, track, x, y, w, h)`` of the ground truth of
    ``dataset``, by frame; ``place``: ``file_name`` or ``location``."""
    from visionlens_jlab.catalog import Catalog

    if place not in ("file_name", "location"):
        raise ValueError(f"not a sample place: {place!r}")
    with Catalog(data) as catalog, catalog.cursor() as cur:
        rows = cur.execute(
            f"SELECT f.frame_number, s.{place}, a.track_id, a.x, a.y, a.w, a.h "  # noqa: S608 - checked column
            "FROM annotations a JOIN video_frames f USING (sample_id) "
            "JOIN samples s USING (sample_id) JOIN datasets d ON d.dataset_id = a.dataset_id "
            "WHERE d.name = ? ORDER BY f.frame_number, a.x",
            [dataset],
        ).fetchall()
    return [tuple(r) for r in rows]


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths this process's frame readers probe, in order (the probe itself still runs)."""
    seen: list[str] = []

    def counted(path: str, file: Any = None) -> Any:
        seen.append(path)
        return load_index(path, file)

    monkeypatch.setattr(frames_module, "load_index", counted)
    return seen
