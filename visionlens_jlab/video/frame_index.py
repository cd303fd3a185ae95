"""What a seek in one version of a video file needs (:class:`FrameIndex`), from a probe of
the file, and a store of these indexes on disk (:class:`IndexStore`).

A probe demuxes every packet of the file (:func:`.probe.probe_video`): 32 ms for a 16 MB
file on a local disk, 0.56 s for an hour of 1080p, and for a ``gs://`` object a read of the
whole object (17 MB in 18 requests for a 16 MB file; gigabytes for an hour). Without the
store every server process paid it again for every video it showed; with it the first
process to show a version of a file probes it, and every later one reads the index back
(~0.9 MB for an hour at 30 fps). Entries are keyed by the file's location and version
token, so a changed file is probed again and never read at an old index; writing a version
drops the entries of the location's other versions (a replaced file's index is never read
again) while it is still the file's current version (a slow probe of a replaced version
must not drop the newer version's entry), and past :data:`MAX_STORED` entries the least
recently written go.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .probe import VideoProbe, probe_video

MAX_STORED = 4096
"""Indexes kept on disk; past it the least recently written go first."""


@dataclass(frozen=True)
class FrameIndex:
    """Where each frame of one file version is: what a seek needs."""

    pts: np.ndarray
    """Presentation timestamps in display order: frame N is ``pts[N - 1]``."""
    keyframes: np.ndarray
    """Positions (0-based, display order) of the keyframes, ascending."""
    width: int
    height: int
    rotation: int
    """Degrees the picture is turned counterclockwise for display (0, 90, 180, 270)."""

    @property
    def num_frames(self) -> int:
        """Frames in the file."""
        return len(self.pts)

    def display_size(self) -> tuple[int, int]:
        """``(width, height)`` of the frames as shown (rotation applied)."""
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height

    def keyframe_before(self, position: int) -> int:
        """Position of the keyframe at or before ``position`` (0 when none is)."""
        k = int(np.searchsorted(self.keyframes, position, side="right")) - 1
        return int(self.keyframes[k]) if k >= 0 else 0

    def position(self, pts: int) -> int | None:
        """Position of the frame with timestamp ``pts``, None when no frame has it."""
        i = int(np.searchsorted(self.pts, pts))
        return i if i < len(self.pts) and int(self.pts[i]) == pts else None


def load_index(path: str, file: BinaryIO | None = None) -> FrameIndex:
    """Probe ``path`` (a full demux, no decode) into a :class:`FrameIndex`; ``file``: read
    from this file object instead (a remote file)."""
    return index_of_probe(probe_video(path, file))


def index_of_probe(probe: VideoProbe) -> FrameIndex:
    """The :class:`FrameIndex` of what a probe found (an ingest keeps its probes' indexes)."""
    pts = np.asarray(probe.frame_pts, dtype=np.int64)
    keyframes = np.unique(np.searchsorted(pts, np.asarray(probe.keyframe_pts, dtype=np.int64)))
    return FrameIndex(
        pts, keyframes[keyframes < len(pts)], probe.width, probe.height, probe.rotation
    )


class IndexStore:
    """Frame indexes on disk, one ``.npz`` per (location, version), in ``directory``.

    A write goes to a temporary file renamed into place, so a reader never sees half of
    one; an entry that cannot be read (cut short, another format, another key under the
    same hash) is treated as absent and written again after the probe.
    """

    def __init__(self, directory: str | Path, max_entries: int = MAX_STORED) -> None:
        self.directory = Path(directory)
        self.max_entries = max_entries

    def get(self, location: str, version: str) -> FrameIndex | None:
        """The stored index of that version of ``location``, or None."""
        try:
            with np.load(self.entry_path(location, version), allow_pickle=False) as data:
                if data["key"].tolist() != [location, version]:
                    return None
                width, height, rotation = (int(v) for v in data["shape"])
                return FrameIndex(data["pts"], data["keyframes"], width, height, rotation)
        except (
            OSError,
            ValueError,
            KeyError,
            EOFError,
            zipfile.BadZipFile,
        ):  # absent, cut, foreign
            return None

    def put(
        self,
        location: str,
        version: str,
        index: FrameIndex,
        current_version: Callable[[], str | None],
    ) -> None:
        """Store ``index`` as that version's and drop the location's other versions' entries,
        unless the location holds another version's entry and ``version`` is no longer the
        file's current one (``current_version``, asked only then; an error asking it counts
        as no longer): then nothing is written or dropped, since that entry may be of a
        newer version stored by a faster probe (best effort: a full or read-only disk only
        means the next process probes again)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.entry_path(location, version)
            place = path.name.split("-", 1)[0]
            others = [p for p in self.directory.glob(f"{place}-*.npz") if p != path]
            # Listed before the file's version is asked, so no lock is needed: each entry
            # listed was written for a version read from the file before the listing, so
            # when ``version`` is the file's after it, every one listed is older and may go;
            # an entry written after the listing (by another thread or process) is never
            # dropped here.
            if others and not self._is_current(version, current_version):
                return
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    np.savez(
                        out,
                        key=np.array([location, version]),
                        pts=index.pts,
                        keyframes=index.keyframes,
                        shape=np.array([index.width, index.height, index.rotation]),
                    )
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            # A location holds one version at a time: the others' entries would only wait
            # for the bound (thousands of writes away) to go.
            for other in others:
                other.unlink(missing_ok=True)
            self._prune()
        except OSError:
            return

    def entry_path(self, location: str, version: str) -> Path:
        """The file that version's index is kept in: named by a hash of the location, then
        of the version, so the entries of one location are found by name."""
        place = hashlib.sha256(location.encode()).hexdigest()[:32]
        digest = hashlib.sha256(f"{location}\0{version}".encode()).hexdigest()[:16]
        return self.directory / f"{place}-{digest}.npz"

    @staticmethod
    def _is_current(version: str, current_version: Callable[[], str | None]) -> bool:
        try:
            return current_version() == version
        except Exception:  # gone, unreachable: a remote store raises its own errors
            return False

    def _prune(self) -> None:
        entries = list(self.directory.glob("*.npz"))
        if len(entries) <= self.max_entries:
            return
        entries.sort(key=lambda p: p.stat().st_mtime_ns)
        for old in entries[: len(entries) - self.max_entries]:
            old.unlink(missing_ok=True)
