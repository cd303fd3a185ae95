"""Benchmark: frame-accurate seeks in a 1080p h264 video with a 2-second GOP (issue #52 item 9).

    flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_video_seek.py \\
        [--seconds 60] [--repeat 1] [--rounds 3] [--seeks 40] [--steps 30] [--out FILE]
        [--gcs [--gcs-frames 25]]

The video is made here (seeded, libx264 ``--preset veryfast``, CRF 23, 3 B-frames, a
keyframe every 60 frames at 30 fps, no scene-cut keyframes): a textured picture panning
under the camera, so the stream carries real detail (~4 Mbit/s) and every P/B frame real
motion. ``--seconds 3600`` gives the issue's 1-hour file; its encoding time is printed first
(on the 2-core VM ~30 frames/s: an hour of 1080p takes about an hour to encode, so the
default is a minute). ``--seconds 60 --repeat 60`` makes the hour in a minute: the minute
encoded once, then copied 60 times over without re-encoding (the same GOPs, bit rate and
B-frames; each copy starts on a keyframe).
A seek's cost is set by the GOP (how many frames are decoded from the keyframe) and the
bit rate, not by the file's length: the keyframe index is a binary search (ours) or the
container's own index (PyAV), so a longer file changes the figures by the index lookup
only. The probe (one demux of the whole file, once per file version) is timed apart.

Per round (cases interleaved, order rotated, fresh caches each round, the same seeded
frame numbers for every case):

* random frame, ours: ``FrameReader.frame(path, n)`` (a decoded frame) and the media
  source's ``read_bytes`` (the frame as the JPEG the image route serves);
* random frame, the reference: PyAV seek-and-decode in a plain loop (one open container,
  ``seek(pts, backward=True)``, decode until the frame's pts), taking turns with ours on
  each frame (who goes first alternates), so that both see the same moments of the
  machine's load (a 40-seek p95 is the round's second slowest seek: measured in separate
  blocks, a burst of load in one block moved the ratio from 1.00x to 0.62x between runs);
* next / previous frame: ``--steps`` forward then back from a random frame, ours vs the
  plain loop (which seeks for every frame);
* ours under each ``thread_type`` (NONE, SLICE, FRAME, AUTO) for random seeks;
* end to end (unless ``--no-server``): a ``jupyter server`` with one sample per frame (rows
  written straight into its catalog, as the media benchmark does), GET of a random frame's
  original (JPEG) and uncached 256 px thumbnail, and of originals stepping next/previous.

``--gcs`` measures instead random frames of the video from ``gs://`` (a GCS emulator on
loopback) beside the same file read locally, and through the image route's version cache
(per video file, and per frame as before) (:mod:`video_gcs`), in its own section.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    environment,
    header,
    load_average,
    run_locked,
    summary,
    table,
    write_section,
)
from media_support import API, Server, insert_dataset  # noqa: E402
from video_gcs import measure as measure_gcs  # noqa: E402
from video_gcs import report as report_gcs  # noqa: E402

from visionlens_jlab.media import sources  # noqa: E402
from visionlens_jlab.media.video_source import VideoFrameSource  # noqa: E402
from visionlens_jlab.video.frame_index import load_index  # noqa: E402
from visionlens_jlab.video.frames import FrameReader  # noqa: E402
from visionlens_jlab.video.locator import frame_location  # noqa: E402

W, H, FPS, GOP = 1920, 1080, 30, 60
THREAD_TYPES = ("NONE", "SLICE", "FRAME", "AUTO")


def write_video(path: Path, seconds: float) -> float:
    """Encode the panning test video; returns the encoding seconds."""
    rng = np.random.default_rng(0)

    def plane(h: int, w: int, scale: int) -> np.ndarray:
        small = rng.integers(0, 255, (h // scale + 8, w // scale + 16), dtype=np.uint8)
        size = ((w // scale + 16) * scale, (h // scale + 8) * scale)
        big = np.asarray(Image.fromarray(small).resize(size, Image.Resampling.BICUBIC))
        noise = rng.integers(-6, 6, big.shape, dtype=np.int16)
        return np.asarray((big.astype(np.int16) + noise).clip(0, 255), np.uint8)

    y_plane, u_plane, v_plane = (
        plane(H + 64, W + 256, 6),
        *(plane(H // 2 + 32, W // 2 + 128, 12) for _ in range(2)),
    )
    t0 = time.perf_counter()
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.codec_context.options = {
            "preset": "veryfast",
            "crf": "23",
            "bf": "3",
            "g": str(GOP),
            "keyint_min": str(GOP),
            "sc_threshold": "0",
        }
        for i in range(int(seconds * FPS)):
            x, y = (i * 2) % 256, (i // 2) % 64
            yuv = np.concatenate(
                [
                    y_plane[y : y + H, x : x + W].ravel(),
                    u_plane[y // 2 : y // 2 + H // 2, x // 2 : x // 2 + W // 2].ravel(),
                    v_plane[y // 2 : y // 2 + H // 2, x // 2 : x // 2 + W // 2].ravel(),
                ]
            ).reshape(H * 3 // 2, W)
            for packet in stream.encode(av.VideoFrame.from_ndarray(yuv, format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return time.perf_counter() - t0


def repeat_video(src: Path, dst: Path, times: int) -> float:
    """Write ``src``'s video stream ``times`` times over into ``dst`` (stream copy, each
    copy's timestamps after the last's); returns the seconds it took. Each copy starts on a
    keyframe, so the GOPs, bit rate and B-frames are the encoded ones: a long file for the
    seek figures without encoding an hour of 1080p (only the picture repeats)."""
    t0 = time.perf_counter()
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        stream_in = inp.streams.video[0]
        stream_out = out.add_stream_from_template(stream_in)
        packets, stamps = [], []
        for p in inp.demux(stream_in):
            if p.size > 0 and p.pts is not None:
                packets.append(p)
                stamps.append((p.pts, p.pts if p.dts is None else p.dts))
        step = max(int(p.duration or 0) for p in packets) or 1
        span = max(pts for pts, _ in stamps) - min(pts for pts, _ in stamps) + step
        for copy in range(times):
            for packet, (pts, dts) in zip(packets, stamps, strict=True):
                packet.pts, packet.dts = pts + copy * span, dts + copy * span
                packet.stream = stream_out
                out.mux(packet)
    return time.perf_counter() - t0


class PlainLoop:
    """The reference: PyAV seek-and-decode, one open container, no cache."""

    def __init__(self, path: str, pts: np.ndarray) -> None:
        self.container: Any = av.open(path)
        self.stream = self.container.streams.video[0]
        self.pts = pts

    def frame(self, number: int) -> Any:
        target = int(self.pts[number - 1])
        self.container.seek(target, stream=self.stream, backward=True)
        for frame in self.container.decode(self.stream):
            if frame.pts is not None and frame.pts >= target:
                return frame
        raise RuntimeError(f"frame {number} not found")

    def close(self) -> None:
        self.container.close()


def latencies(read: Callable[[int], Any], numbers: list[int]) -> list[float]:
    """Milliseconds of each ``read(n)``."""
    out = []
    for n in numbers:
        t0 = time.perf_counter()
        read(n)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1), linear between samples."""
    return float(np.quantile(np.asarray(values), q))


class ServerCases:
    """The same reads end to end: a ``jupyter server`` with a dataset of every frame."""

    def __init__(self, path: Path, num_frames: int, tmp: Path) -> None:
        frames = [Path(frame_location(str(path), n)) for n in range(1, num_frames + 1)]
        insert_dataset(tmp / "data", "video", frames)
        self.server = Server(tmp / "data", tmp, log_path=tmp / "server.log")
        self.first_id = 1  # ids from 1 in a fresh catalog, in frame order

    def get(self, number: int, query: str = "") -> None:
        sid = self.first_id + number - 1
        status, body = self.server.get(f"{API}/datasets/video/samples/{sid}/image{query}")
        assert status == 200 and body, status

    def stop(self) -> None:
        self.server.stop()


def one_round(
    path: str, index: Any, args: argparse.Namespace, rnd: int, server: ServerCases | None
) -> dict[str, list[float]]:
    """Every case once (order rotated by ``rnd``); raw latencies in ms by case."""
    rng = random.Random(rnd)
    total = index.num_frames
    seeks = [rng.randint(1, total) for _ in range(args.seeks)]
    start = rng.randint(args.steps + 1, total - args.steps - 1)
    steps = list(range(start + 1, start + args.steps + 1))
    steps += list(range(start + args.steps - 1, start - 1, -1))
    results: dict[str, list[float]] = {}

    def random_paired() -> None:
        # ours and the plain loop take turns on each frame (who goes first alternates), so
        # both see the same moments of the machine's load: their ratio is paired per seek
        reader = FrameReader()
        reader.index(path)  # the probe is timed apart
        plain = PlainLoop(path, index.pts)
        ms: dict[str, list[float]] = {"ours": [], "plain": []}
        for i, n in enumerate(seeks):
            for who in ("ours", "plain") if i % 2 == 0 else ("plain", "ours"):
                t0 = time.perf_counter()
                reader.frame(path, n) if who == "ours" else plain.frame(n)
                ms[who].append((time.perf_counter() - t0) * 1000)
        results["random: ours (decoded frame)"] = ms["ours"]
        results["random: PyAV plain loop"] = ms["plain"]
        reader.close()
        plain.close()

    def ours_jpeg() -> None:
        reader = FrameReader()
        reader.index(path)
        source = VideoFrameSource(sources.source_for, lambda: reader)
        results["random: ours (JPEG, the image route's bytes)"] = latencies(
            lambda n: source.read_bytes(frame_location(path, n)), seeks
        )
        reader.close()

    def ours_steps() -> None:
        reader = FrameReader()
        reader.index(path)
        reader.frame(path, start)  # land first: stepping is what is timed
        results["next/prev: ours"] = latencies(lambda n: reader.frame(path, n), steps)
        reader.close()

    def plain_steps() -> None:
        plain = PlainLoop(path, index.pts)
        plain.frame(start)
        results["next/prev: PyAV plain loop"] = latencies(plain.frame, steps)
        plain.close()

    def threads(kind: str) -> Callable[[], None]:
        def run() -> None:
            reader = FrameReader(thread_type=kind)
            reader.index(path)
            few = seeks[: max(5, args.seeks // 2)]
            results[f"random, thread_type={kind}"] = latencies(lambda n: reader.frame(path, n), few)
            reader.close()

        return run

    def served() -> None:
        assert server is not None
        # Frames no other case of any round asks the server for: its thumbnail cache misses.
        fresh = [min(total, n + 1 + rnd) for n in seeks]
        results["server: original of a random frame"] = latencies(server.get, fresh)
        results["server: 256 px thumbnail of a random frame"] = latencies(
            lambda n: server.get(max(1, n - 2 - rnd), "?size=256"), seeks
        )
        server.get(start)
        results["server: original, next/prev"] = latencies(server.get, steps)

    cases = [random_paired, ours_jpeg, ours_steps, plain_steps]
    cases += [served] if server is not None else []
    cases += [threads(kind) for kind in THREAD_TYPES]
    shift = rnd % len(cases)
    for case in cases[shift:] + cases[:shift]:
        case()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="video length (3600: 1 h)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seeks", type=int, default=40, help="random frames per round")
    parser.add_argument("--steps", type=int, default=30, help="frames stepped each way")
    parser.add_argument("--video", type=Path, help="reuse this file instead of encoding one")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure the encoded video copied this many times over (60 x 60 s: an hour)",
    )
    parser.add_argument(
        "--no-server", dest="server", action="store_false", help="skip the end-to-end cases"
    )
    parser.add_argument(
        "--gcs",
        action="store_true",
        help="only random frames from gs:// (a GCS emulator on loopback) beside the local file",
    )
    parser.add_argument("--gcs-frames", type=int, default=25, help="random frames per run")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/video.md")
    args = parser.parse_args()
    load_start = load_average()
    with tempfile.TemporaryDirectory(prefix="vl-video-") as tmp:
        path = args.video or Path(tmp) / "pan1080.mp4"
        encode_s = None if args.video else write_video(path, args.seconds)
        repeat_s = None
        if args.repeat > 1:
            longer = Path(tmp) / f"pan1080x{args.repeat}.mp4"
            repeat_s = repeat_video(path, longer, args.repeat)
            path = longer
        if args.gcs:
            return gcs_case(path, args, load_start)
        t0 = time.perf_counter()
        index = load_index(str(path))
        probe_s = time.perf_counter() - t0
        server = ServerCases(path, index.num_frames, Path(tmp)) if args.server else None
        try:
            rounds = [one_round(str(path), index, args, r, server) for r in range(args.rounds)]
        finally:
            if server is not None:
                server.stop()
        size_mb = path.stat().st_size / 1e6
    lines = [
        header("Video seek (1080p h264, 2-second GOP)", environment(), load_start, load_average())
    ]
    mbps = size_mb * 8 / (index.num_frames / FPS)
    encoded = f"encoded in {encode_s:.0f} s" if encode_s is not None else "given with --video"
    if repeat_s is not None:
        encoded += (
            f", then copied {args.repeat} times over by stream copy in {repeat_s:.1f} s "
            "(the same GOPs and bit rate; the picture repeats)"
        )
    lines.append(
        f"Video: {index.num_frames} frames ({index.num_frames / FPS:.0f} s) at {W}x{H}, "
        f"{len(index.keyframes)} keyframes, {mbps:.1f} Mbit/s, {encoded}; probe (full "
        f"demux, once per file version) {probe_s * 1000:.0f} ms. {args.rounds} rounds, "
        f"{args.seeks} random frames and {args.steps} steps each way per round; figures "
        "are the median (min–max) over rounds of each round's percentile, in ms.\n"
    )
    rows = []
    for case in rounds[0]:
        p50 = [pct(r[case], 0.5) for r in rounds]
        p95 = [pct(r[case], 0.95) for r in rounds]
        rows.append([case, summary(p50).fmt(1), summary(p95).fmt(1)])
    lines.append(table(["case", "p50 ms", "p95 ms"], rows))
    for ours, ref in (
        ("random: ours (decoded frame)", "random: PyAV plain loop"),
        ("next/prev: ours", "next/prev: PyAV plain loop"),
    ):
        speedups = [pct(r[ref], 0.95) / pct(r[ours], 0.95) for r in rounds]
        lines.append(f"\np95 speed-up, {ours} vs the plain loop: {summary(speedups).fmt(2)}x")
    per_seek = [
        float(
            np.median(np.asarray(r["random: PyAV plain loop"]) / r["random: ours (decoded frame)"])
        )
        for r in rounds
    ]
    lines.append(
        "\nRandom seeks paired (ours and the plain loop take turns on each frame): the median "
        f"per-seek speed-up {summary(per_seek).fmt(2)}x"
    )
    lines.append(
        "\nReproduce: `flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_video_seek.py "
        f"--seconds {args.seconds:g} --repeat {args.repeat} --rounds {args.rounds}` "
        "(1 hour: `--seconds 60 --repeat 60`, or encode it whole: `--seconds 3600`)."
    )
    text = "\n".join(lines) + "\n"
    write_section(args.out, "## Video seek", text)  # the other benchmarks' sections stay
    print(text)


def gcs_case(path: Path, args: argparse.Namespace, load_start: str) -> None:
    """``--gcs``: the gs:// comparison (:mod:`video_gcs`), in its own section on top."""
    num_frames = load_index(str(path)).num_frames
    results, route = measure_gcs(path, num_frames, args.rounds, args.gcs_frames)
    title = f"Video frames from gs:// beside the local file ({H}p h264, 2-second GOP)"
    text = header(title, environment(), load_start, load_average())
    text += (
        f"\nVideo: {num_frames} frames at {W}x{H}, 3 B-frames, a keyframe every {GOP} frames; "
        "the emulator is `gcp-storage-emulator` (in memory) on 127.0.0.1, so the gs:// "
        "figures are the reader's own cost and the HTTP round trips on loopback, not a real "
        "network's latency. "
        + report_gcs(results, route, path.stat().st_size / 1e6, args.gcs_frames)
        + "\nReproduce: `flock /tmp/vl-bench.lock .venv/bin/python benchmarks/bench_video_seek.py "
        f"--gcs --seconds {args.seconds:g} --rounds {args.rounds} --gcs-frames {args.gcs_frames}`.\n"
    )
    write_section(args.out, "## Video frames from gs://", text, top=True)
    print(text)


if __name__ == "__main__":
    run_locked(main)
