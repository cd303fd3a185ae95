"""Frame-accurate reads: frame N is the N-th frame in display order of files with B-frames and
a variable frame rate, in any access order, stepping without seeks, from several threads, in
bounded memory; a truncated file is a clear error."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from visionlens_jlab.media import sources
from visionlens_jlab.media.errors import MediaError
from visionlens_jlab.video.frames import FrameNotFoundError, FrameReader, shown_image
from visionlens_jlab.video.locator import frame_location
from visionlens_jlab.video.probe import VideoError

from .video_fixtures import decode_all, read_number, write_video

VFR_STEPS = [40, 17, 90, 33, 5, 61]


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("videos")
    paths = {"bframes": root / "bframes.mp4", "vfr": root / "vfr.mkv"}
    write_video(paths["bframes"], 150, gop=30, bframes=3)
    write_video(paths["vfr"], 120, gop=20, bframes=2, vfr_steps=VFR_STEPS)
    return paths


def rgb(frame: object) -> np.ndarray:
    return frame.to_ndarray(format="rgb24")  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["bframes", "vfr"])
def test_random_order_reads_equal_sequential_decoding(videos: dict[str, Path], kind: str) -> None:
    path = videos[kind]
    sequential = decode_all(path)
    # The oracle itself: the drawn numbers are 1..N in display order.
    assert [read_number(f) for f in sequential] == list(range(1, len(sequential) + 1))
    reader = FrameReader(window=4)  # a small window: most reads really seek
    order = list(range(1, len(sequential) + 1))
    random.Random(kind).shuffle(order)
    for number in order:
        got = rgb(reader.frame(str(path), number))
        assert read_number(got) == number
        assert np.array_equal(got, sequential[number - 1])
    assert reader.seeks > 10


def test_the_variable_frame_rate_file_really_varies(videos: dict[str, Path]) -> None:
    index = FrameReader().index(str(videos["vfr"]))
    steps = set(np.diff(index.pts).tolist())
    assert len(steps) > 3  # the encoder kept the irregular timestamps


def test_stepping_forward_and_back_does_not_seek(videos: dict[str, Path]) -> None:
    path = str(videos["bframes"])
    reader = FrameReader(window=32)
    assert read_number(rgb(reader.frame(path, 100))) == 100
    seeks = reader.seeks
    for number in range(101, 121):  # next frame: the decoder goes on
        assert read_number(rgb(reader.frame(path, number))) == number
    for number in range(119, 95, -1):  # previous frame: the frames kept around
        assert read_number(rgb(reader.frame(path, number))) == number
    assert reader.seeks == seeks


def test_frames_past_the_end_and_truncated_files_are_clear_errors(
    videos: dict[str, Path], tmp_path: Path
) -> None:
    reader = FrameReader()
    with pytest.raises(FrameNotFoundError, match="has 150 frames; there is no frame 151"):
        reader.frame(str(videos["bframes"]), 151)
    truncated = tmp_path / "truncated.mp4"  # MP4's index (moov) is written last: gone
    data = videos["bframes"].read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError, match="truncated.mp4"):
        reader.frame(str(truncated), 1)
    # Through the media sources: the media error codes, never a traceback.
    with pytest.raises(MediaError) as corrupt:
        sources.read_bytes(frame_location(str(truncated), 1))
    assert corrupt.value.code == "corrupt"
    with pytest.raises(MediaError) as missing:
        sources.read_bytes(frame_location(str(videos["bframes"]), 999))
    assert missing.value.code == "missing"


def test_a_truncated_matroska_file_reads_up_to_its_end(
    videos: dict[str, Path], tmp_path: Path
) -> None:
    # Matroska has no index at the end: the frames before the cut still read.
    data = videos["vfr"].read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) * 2 // 3])
    reader = FrameReader()
    count = reader.index(str(cut)).num_frames
    assert 0 < count < 120
    last = count - 3  # the very last counted packets may not decode (cut mid-packet)
    assert read_number(rgb(reader.frame(str(cut), last))) == last


def test_concurrent_reads_from_threads_are_exact(videos: dict[str, Path]) -> None:
    reader = FrameReader(window=2, max_open=1)  # one container, contended
    jobs = [(str(videos[k]), n) for k in ("bframes", "vfr") for n in range(1, 121, 7)]
    random.Random(3).shuffle(jobs)
    with ThreadPoolExecutor(4) as pool:
        numbers = list(pool.map(lambda job: read_number(rgb(reader.frame(*job))), jobs))
    assert numbers == [n for _, n in jobs]


def test_memory_is_bounded_by_the_frame_budget(videos: dict[str, Path]) -> None:
    frame_bytes = 192 * 112 * 3 // 2  # one yuv420p frame
    reader = FrameReader(cache_bytes=10 * frame_bytes, window=64)
    for number in range(1, 151, 3):
        reader.frame(str(videos["bframes"]), number)
        assert reader.cached_bytes() <= 11 * frame_bytes * 1.1  # plane padding


def test_a_changed_file_is_indexed_again(videos: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "changing.mp4"
    write_video(path, 30, gop=10)
    reader = FrameReader()
    assert reader.index(str(path)).num_frames == 30
    write_video(path, 45, gop=10)
    assert reader.index(str(path)).num_frames == 45
    assert read_number(rgb(reader.frame(str(path), 45))) == 45


def test_the_media_source_serves_a_frame_as_a_jpeg_of_its_size(videos: dict[str, Path]) -> None:
    location = frame_location(str(videos["vfr"]), 77)
    assert sources.image_size(location) == (192, 112)
    data = sources.read_bytes(location)
    assert data[:3] == b"\xff\xd8\xff"
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        assert read_number(np.asarray(im.convert("RGB"))) == 77
    root = str(videos["vfr"].parent)
    assert sources.resolve_within(location, root) == frame_location(
        str(videos["vfr"].resolve()), 77
    )


def test_the_embedding_decoder_reads_confined_frames(videos: dict[str, Path]) -> None:
    # What embed/predict jobs do with a view's locations: confine, then read on threads.
    from visionlens_jlab.embed.decode import InputSpec, iter_batches
    from visionlens_jlab.media.confine import confine

    path = videos["vfr"]
    numbers = [5, 90, 1, 47, 120, 46, 3]
    items = [(n, frame_location(str(path), n)) for n in numbers]
    items.append((999, frame_location(str(path.parent / ".." / "x" / "vfr.mkv"), 2)))
    confined = confine(items, str(path.parent))
    assert confined.refused == 1
    spec = InputSpec(192, "square")  # the width kept: the number blocks keep their size
    read: dict[int, np.ndarray] = {}
    for batch in iter_batches(confined.items, spec, batch_size=3, threads=3):
        assert not batch.failed
        read.update(zip(batch.ids, batch.pixels, strict=True))
    assert {sid: read_number(rgb, scale=192 / 112) for sid, rgb in read.items()} == {
        n: n for n in numbers
    }


@pytest.mark.parametrize("fmt", ["yuv420p", "yuvj420p", "yuv444p", "yuv420p10le", "nv12", "gray"])
@pytest.mark.parametrize("size", [(192, 112), (101, 75)])
def test_a_frame_is_shown_with_the_pixels_pyav_gives(fmt: str, size: tuple[int, int]) -> None:
    width, height = size
    rgb = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=fmt)
    for rotation, turn in [(0, None), (90, Image.Transpose.ROTATE_90)]:
        expected = frame.to_image()
        expected = expected.transpose(turn) if turn is not None else expected
        shown = shown_image(frame, rotation)
        assert shown.mode == "RGB" and shown.size == expected.size
        assert np.array_equal(np.asarray(shown), np.asarray(expected))
