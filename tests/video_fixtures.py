"""Real video sources written in a temporary folder for the video ingest tests and the MOT
ingest benchmark: MOT Challenge sequences (small JPEG frames made with Pillow, ``gt.txt`` of
moving boxes with known tracks) and video files encoded with PyAV."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from tests.ingest_fixtures import tiny_jpeg
from tests.test_video_probe import write_video

__all__ = ["MotSequence", "write_mot", "write_video"]


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
