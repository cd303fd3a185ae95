"""Frame indexes kept on disk (``video/frame_index.py``): a video version probed by one reader
(one server process) is read back by the next without a probe, frame-accurately; a changed
file, an unreadable entry and a full store are handled; the server keeps them in its data
folder; a location keeps the entry of its newest version only, which a slow probe of a
replaced version neither drops nor joins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.config import VIDEO_INDEX_DIR
from visionlens_jlab.video import frames as frames_module
from visionlens_jlab.video.files import file_version
from visionlens_jlab.video.frame_index import IndexStore, load_index
from visionlens_jlab.video.frames import FrameReader
from visionlens_jlab.video.locator import frame_location

from .media_fixtures import add_dataset
from .video_fixtures import (
    decode_all,
    probes,  # noqa: F401 - a fixture
    read_number,
    write_video,
)


def now(version: str) -> Callable[[], str]:
    """A file whose current version is ``version`` (what ``IndexStore.put`` asks)."""
    return lambda: version


def unreachable() -> str:
    """A remote file whose version cannot be asked now (its store's own error)."""
    raise RuntimeError("store unreachable")


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    write_video(path, 48, gop=12, bframes=3)
    return path


def test_the_next_reader_reads_the_index_back_without_a_probe(
    video: Path,
    tmp_path: Path,
    probes: list[str],  # noqa: F811 - the fixture
) -> None:
    store = IndexStore(tmp_path / "indexes")
    first = FrameReader(index_store=store)
    probed = first.index(str(video))
    assert probes == [str(video)] and len(list(store.directory.glob("*.npz"))) == 1
    # another process: a fresh reader over the same folder
    second = FrameReader(index_store=IndexStore(tmp_path / "indexes"))
    stored = second.index(str(video))
    assert probes == [str(video)]  # no second probe
    assert np.array_equal(stored.pts, probed.pts)
    assert np.array_equal(stored.keyframes, probed.keyframes)
    assert (stored.width, stored.height, stored.rotation) == (
        probed.width, probed.height, probed.rotation,
    )  # fmt: skip
    # frames read at the stored index are exactly the file's, in any order
    sequential = decode_all(video)
    for number in (37, 2, 48, 13, 14, 1):
        got = second.frame(str(video), number).to_ndarray(format="rgb24")
        assert read_number(got) == number
        assert np.array_equal(got, sequential[number - 1])


def test_a_changed_file_is_probed_again(
    video: Path,
    tmp_path: Path,
    probes: list[str],  # noqa: F811 - the fixture
) -> None:
    store = IndexStore(tmp_path / "indexes")
    assert FrameReader(index_store=store).index(str(video)).num_frames == 48
    write_video(video, 30, gop=10, bframes=2)  # replaced: another size and mtime
    again = FrameReader(index_store=store)
    assert again.index(str(video)).num_frames == 30
    assert probes == [str(video), str(video)]
    assert read_number(again.frame(str(video), 30).to_ndarray(format="rgb24")) == 30
    assert len(list(store.directory.glob("*.npz"))) == 1  # the old version's entry went


def test_a_slow_probe_of_a_replaced_version_leaves_the_newer_entry(
    video: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    probes: list[str],  # noqa: F811 - the fixture
) -> None:
    # The first probe (of the 48-frame version) is held after it read the file until the
    # file was replaced and a second reader probed and stored the new version.
    counted = frames_module.load_index
    probing, release = threading.Event(), threading.Event()

    def held(path: str, file: Any = None) -> Any:
        index = counted(path, file)
        if not probing.is_set():
            probing.set()
            assert release.wait(30)
        return index

    monkeypatch.setattr(frames_module, "load_index", held)
    store = IndexStore(tmp_path / "indexes")
    old: list[int] = []
    slow = threading.Thread(
        target=lambda: old.append(FrameReader(index_store=store).index(str(video)).num_frames)
    )
    slow.start()
    assert probing.wait(30)
    write_video(video, 30, gop=10, bframes=2)  # replaced while the old version's probe runs
    assert FrameReader(index_store=store).index(str(video)).num_frames == 30
    release.set()
    slow.join(30)
    assert old == [48] and probes == [str(video), str(video)]
    # the old version's result neither dropped the newer entry nor joined it
    (entry,) = store.directory.glob("*.npz")
    assert entry == store.entry_path(str(video), file_version(str(video), None))
    assert FrameReader(index_store=store).index(str(video)).num_frames == 30
    assert len(probes) == 2  # the newer entry was read back, not probed again


def test_an_unreadable_entry_is_probed_and_written_again(
    video: Path,
    tmp_path: Path,
    probes: list[str],  # noqa: F811 - the fixture
) -> None:
    store = IndexStore(tmp_path / "indexes")
    FrameReader(index_store=store).index(str(video))
    (entry,) = store.directory.glob("*.npz")
    entry.write_bytes(entry.read_bytes()[:100])  # cut short (a crash mid-copy, a full disk)
    assert FrameReader(index_store=store).index(str(video)).num_frames == 48
    assert len(probes) == 2
    assert FrameReader(index_store=store).index(str(video)).num_frames == 48
    assert len(probes) == 2  # rewritten whole by the second probe


def test_an_entry_of_another_key_is_not_used(video: Path, tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "indexes")
    store.put("a.mp4", "1-1", load_index(str(video)), now("1-1"))
    # found where another key's would be (a hash collision, a folder copied by hand)
    store.entry_path("a.mp4", "1-1").rename(store.entry_path("a.mp4", "2-2"))
    assert store.get("a.mp4", "2-2") is None
    assert store.get("a.mp4", "1-1") is None


def test_the_store_keeps_the_newest_entries(video: Path, tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "indexes", max_entries=3)
    index = load_index(str(video))
    for k in range(5):
        store.put(f"{video}.{k}", "v", index, now("v"))
    assert len(list(store.directory.glob("*.npz"))) == 3
    assert store.get(f"{video}.0", "v") is None and store.get(f"{video}.1", "v") is None
    assert all(store.get(f"{video}.{k}", "v") is not None for k in (2, 3, 4))
    assert not list(store.directory.glob("*.tmp"))


def test_writing_a_version_drops_the_other_versions_of_its_location(
    video: Path, tmp_path: Path
) -> None:
    store = IndexStore(tmp_path / "indexes", max_entries=3)
    index = load_index(str(video))
    store.put("other.mp4", "1-1", index, now("1-1"))
    for k in range(4):
        store.put(str(video), f"v{k}", index, now(f"v{k}"))
        # the replaced versions went at once, not when the bound was reached
        assert len(list(store.directory.glob("*.npz"))) == 2
        assert [store.get(str(video), f"v{j}") is not None for j in range(k + 1)] == [
            j == k for j in range(k + 1)
        ]
    # a version no longer the file's (a slow probe of it) neither replaces the current
    # version's entry nor joins it, nor does one whose file cannot be read now
    store.put(str(video), "v1", index, now("v3"))
    store.put(str(video), "v1", index, lambda: None)
    store.put(str(video), "v1", index, unreachable)
    assert store.get(str(video), "v1") is None and store.get(str(video), "v3") is not None
    assert store.get("other.mp4", "1-1") is not None  # another location's entry stays
    for k in range(3):  # the bound still holds over locations
        store.put(f"more{k}.mp4", "1-1", index, now("1-1"))
    assert len(list(store.directory.glob("*.npz"))) == 3
    assert store.get("other.mp4", "1-1") is None and store.get(str(video), "v3") is None


def test_a_store_that_cannot_be_written_only_costs_a_probe(video: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    reader = FrameReader(index_store=IndexStore(blocked / "indexes"))
    assert read_number(reader.frame(str(video), 5).to_ndarray(format="rgb24")) == 5


async def test_the_server_keeps_the_indexes_in_its_data_folder(
    jp_fetch: Any, vl_app: Any, tmp_path: Path
) -> None:
    root = tmp_path / "media"
    root.mkdir()
    path = root / "clip.mp4"
    write_video(path, 20, gop=10, bframes=2)
    (sample,) = add_dataset(vl_app.catalog, "clips", str(root), [frame_location(str(path), 7)])
    response = await jp_fetch(
        "visionlens", "api", "datasets", "clips", "samples", str(sample), "image"
    )
    assert response.code == 200
    stored = list((vl_app.resolved_data_dir / VIDEO_INDEX_DIR).glob("*.npz"))
    assert len(stored) == 1
