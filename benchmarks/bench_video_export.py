"""Benchmark: exporting 100 frames of a video (issue #52 item 7) against a plain PyAV loop
decoding the same frames and saving them as JPEGs.

    .venv/bin/python benchmarks/bench_video_export.py [--rounds 3]   # takes the bench lock itself

Two 1080p h264 videos are made here (``bench_video_seek.write_video``: a textured picture
panning, 30 fps, a keyframe every 60 frames, 3 B-frames), each ingested as a dataset of its
own (one sample per frame), and 100 frames of each exported:

* **dense**: a 10 s video (300 frames), ``--frames every:3``;
* **sparse**: a 30 s video (900 frames), ``--frames every:9``.

Cases per round (order rotated, each round a fresh output folder):

* **ours**: :func:`~visionlens_jlab.export.export_view` as ``visionlens export NAME --format
  coco --frames every:K`` runs it, in process: the view read, the frames chosen, each frame
  decoded through the frame reader and written as ``<video>/<n>.jpg`` (quality 95), the COCO
  file written;
* **reference**: a plain PyAV loop over the same file: decode every frame in order and save
  every K-th (``frame.to_image().save(..., quality=95)``) as ``<n>.jpg``; no catalog, no
  labels file.

Both write the same 100 JPEGs of the same frames (checked: same names, same decoded
pixels within JPEG rounding). Figures are seconds, the median (min–max) over rounds.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_video_seek import write_video  # noqa: E402
from harness import (  # noqa: E402
    environment,
    header,
    load_average,
    run_locked,
    summary,
    table,
    write_section,
)

from visionlens_jlab import features  # noqa: E402
from visionlens_jlab.catalog import Catalog  # noqa: E402
from visionlens_jlab.catalog.writes.dataset_writer import write_dataset  # noqa: E402
from visionlens_jlab.export import export_view  # noqa: E402
from visionlens_jlab.ingest.open import open_dataset  # noqa: E402

CASES = {"dense": (10.0, 3), "sparse": (30.0, 9)}
"""Case: (video seconds, K of every:K): 100 frames each."""
SECTION = "## Frame export"


def plain_loop(path: Path, step: int, out: Path) -> int:
    """The reference: decode ``path`` straight through, save every ``step``-th frame."""
    out.mkdir(parents=True)
    written = 0
    with av.open(str(path)) as container:
        for number, frame in enumerate(container.decode(video=0), start=1):
            if (number - 1) % step == 0:
                frame.to_image().save(out / f"{number}.jpg", "JPEG", quality=95)
                written += 1
    return written


def ours(catalog: Catalog, name: str, step: int, out: Path) -> int:
    """The export as the CLI runs it, in process."""
    result = export_view(catalog, name, "coco", out, frames=f"every:{step}")
    return result.samples


def same_frames(a: Path, b: Path) -> None:
    """Both folders hold the same frames (names, and pixels within JPEG rounding)."""
    names = sorted(p.name for p in a.glob("*.jpg"))
    assert names == sorted(p.name for p in b.glob("*.jpg")) and len(names) == 100, names[:5]
    for name in names[:: len(names) // 10]:
        x = np.asarray(Image.open(a / name), np.int16)
        y = np.asarray(Image.open(b / name), np.int16)
        assert np.abs(x - y).mean() < 1.0, name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/video.md")
    args = parser.parse_args()
    features.load()  # the catalog's feature tables, as the CLI loads them
    load_start = load_average()
    times: dict[str, dict[str, list[float]]] = {c: {"ours": [], "ref": []} for c in CASES}
    with tempfile.TemporaryDirectory(prefix="vl-video-export-") as tmp_name:
        tmp = Path(tmp_name)
        videos = {}
        with Catalog(tmp / "vl") as catalog:
            for case, (seconds, _) in CASES.items():
                folder = tmp / "media" / case
                folder.mkdir(parents=True)
                videos[case] = folder / f"{case}.mp4"
                write_video(videos[case], seconds)
                write_dataset(catalog, case, open_dataset(str(folder), "video"))
            for r in range(args.rounds):
                order: list[tuple[str, str]] = [(c, w) for c in CASES for w in ("ours", "ref")]
                order = order[r % len(order) :] + order[: r % len(order)]
                for case, who in order:
                    step = CASES[case][1]
                    out = tmp / f"out-{r}-{case}-{who}"
                    t0 = time.perf_counter()
                    if who == "ours":
                        written = ours(catalog, case, step, out)
                    else:
                        written = plain_loop(videos[case], step, out)
                    times[case][who].append(time.perf_counter() - t0)
                    assert written == 100, (case, who, written)
                for case in CASES:
                    same_frames(
                        tmp / f"out-{r}-{case}-ours" / "data" / case, tmp / f"out-{r}-{case}-ref"
                    )
                    for who in ("ours", "ref"):
                        shutil.rmtree(tmp / f"out-{r}-{case}-{who}")
    rows = []
    for case, (seconds, step) in CASES.items():
        o, ref = times[case]["ours"], times[case]["ref"]
        ratio = summary([a / b for a, b in zip(o, ref, strict=True)])
        rows.append([
            f"{case}: {int(seconds * 30)} frames, every:{step}", summary(o).fmt(2),
            summary(ref).fmt(2), ratio.fmt(2),
        ])  # fmt: skip
    lines = [
        header(
            "Frame export: 100 frames of a 1080p video", environment(), load_start, load_average()
        ),
        "Videos: 1920x1080 h264 (libx264 veryfast, CRF 23, 3 B-frames, a keyframe every 60 "
        f"frames, 30 fps), made by `bench_video_seek.write_video`. {args.rounds} rounds, order "
        "rotated. ours: `export_view(..., 'coco', frames='every:K')` in process (view read, "
        "frames chosen, each decoded through the frame reader, JPEG quality 95, labels.json); "
        "reference: a plain PyAV loop decoding every frame and saving every K-th (quality 95). "
        "Both write the same 100 frames (checked: names and pixels).\n",
        table(["case", "ours s", "PyAV loop s", "ours ÷ loop"], rows),
        f"Reproduce: `.venv/bin/python benchmarks/bench_video_export.py --rounds {args.rounds}`.",
    ]
    text = "\n".join(lines) + "\n"
    write_section(args.out, SECTION, text)
    print(text)


if __name__ == "__main__":
    run_locked(main)
