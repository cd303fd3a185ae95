"""Where an export writes: a temporary folder beside ``--out``, renamed to it at the end, so
a failure or Ctrl-C leaves nothing behind; and the images, copied, symlinked or left out.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from ..media.errors import MediaAccessError, MediaError
from . import leftovers
from .errors import ExportError
from .frame_images import frame_of, write_frames

IMAGE_MODES = ("copy", "symlink", "none")
WRITE_THREADS = 8
"""Threads copying images: the work waits on the disk (or GCS), not Python."""
PROGRESS_STEPS = 200
"""How many times at most the images' progress is reported (a callback per file of 100K
costs more than it tells)."""
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def check_out(out: Path, overwrite: bool) -> None:
    """Refuse an existing ``out`` that is a file, or a non-empty folder without
    ``overwrite``, before anything is read or written."""
    try:
        if out.is_file() or out.is_symlink():
            raise ExportError(f"{out} exists and is not a folder")
        if out.is_dir() and any(out.iterdir()) and not overwrite:
            raise ExportError(
                f"{out} exists and is not empty: pass --overwrite (overwrite=True in the "
                "notebook and the REST API) to replace it"
            )
    except OSError as exc:  # a path too long, a folder we may not list
        raise ExportError(f"cannot export to {out}: {_reason(exc)}") from exc


@contextmanager
def staged(out: Path, overwrite: bool, data_dir: Path | None = None) -> Iterator[Path]:
    """A fresh folder beside ``out`` to write into; on success it replaces ``out`` (the old
    contents go only then), on any failure it is removed and ``out`` stays as it was.

    ``out`` is resolved (no symlink in it, :func:`~.destination.resolve_out`). Its parent
    is opened once and held: the staging folder is made in it, and the final renames are
    made in it, after checking that the path still leads to it. A folder swapped for a
    symlink meanwhile makes the export fail; nothing is written or replaced through the
    link. Abandoned staging folders of killed exports in the parent are removed first
    (:mod:`.leftovers`); ``data_dir`` keeps a note of this one while it is in use, so a
    server start-up removes it if this process is killed.
    """
    check_out(out, overwrite)
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        dir_fd = os.open(parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW)
    except OSError as exc:
        raise ExportError(f"cannot create the export folder {out}: {_reason(exc)}") from exc
    try:
        _check_parent(parent, dir_fd)
        leftovers.sweep_parent(parent)
        tmp_name = _make_folder(f".{out.name}.export-", dir_fd)
        note = None if data_dir is None else leftovers.record(data_dir, parent / tmp_name)
        try:
            yield parent / tmp_name
            leftovers.unmark(Path(tmp_name), dir_fd)
            _check_parent(parent, dir_fd)  # the place of the rename, just before it
            _replace(parent, out.name, tmp_name, overwrite, dir_fd)
        except BaseException as exc:  # KeyboardInterrupt included: nothing half written stays
            _remove(parent, tmp_name, dir_fd)
            if isinstance(exc, OSError | ExportError) and not _intact(parent, dir_fd):
                # a write failed as the folder went away: say why, not which file failed
                raise ExportError(_MOVED.format(parent=parent)) from exc
            raise
        finally:
            if note is not None:
                leftovers.forget(note)
    finally:
        os.close(dir_fd)


def _check_parent(parent: Path, dir_fd: int) -> None:
    """Refuse to go on when ``parent`` no longer leads to the folder held open: one of its
    folders was replaced (by a symlink, or moved) since the export resolved it."""
    if not _intact(parent, dir_fd):
        raise ExportError(_MOVED.format(parent=parent))


def _intact(parent: Path, dir_fd: int) -> bool:
    """Whether the path ``parent`` still leads to the folder held open, through no symlink."""
    try:
        held, now = os.fstat(dir_fd), os.stat(parent, follow_symlinks=False)
        return os.path.realpath(parent) == str(parent) and (held.st_dev, held.st_ino) == (
            now.st_dev,
            now.st_ino,
        )
    except OSError:
        return False


_MOVED = (
    "the folder {parent} was replaced or moved while the export ran (a symlink put in its "
    "place?): nothing was written there; run the export again"
)


def _make_folder(prefix: str, dir_fd: int) -> str:
    """A new folder named ``prefix`` + a random suffix in the held folder, with the marker
    of :mod:`.leftovers`; returns its name."""
    for _ in range(100):
        name = prefix + secrets.token_hex(6)
        try:
            os.mkdir(name, 0o700, dir_fd=dir_fd)
        except FileExistsError:
            continue
        leftovers.mark(Path(name), dir_fd)
        return name
    raise ExportError(f"cannot create a staging folder {prefix}XXXX: every name is taken")


def _replace(parent: Path, out_name: str, tmp_name: str, overwrite: bool, dir_fd: int) -> None:
    """Rename the staging folder to ``out_name`` in the held folder; an existing ``out``
    (empty, or any with ``overwrite``, checked again here) is moved aside first and removed
    only once the new one is in place."""
    try:
        st = os.stat(out_name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        os.rename(tmp_name, out_name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        return
    if not stat.S_ISDIR(st.st_mode):  # a symlink or a file appeared meanwhile
        raise ExportError(f"{out_name} appeared as something other than a folder meanwhile")
    if not overwrite and not _empty(out_name, dir_fd):
        raise ExportError(f"{out_name} was filled meanwhile: pass --overwrite to replace it")
    old_name = _make_folder(f".{out_name}.old-", dir_fd)
    os.rename(out_name, f"{old_name}/x", src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    os.rename(tmp_name, out_name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    _remove(parent, old_name, dir_fd)


def _remove(parent: Path, name: str, dir_fd: int) -> None:
    """Remove the folder ``name`` of the held folder ``parent``, whatever it holds."""
    if sys.version_info >= (3, 11):
        shutil.rmtree(name, ignore_errors=True, dir_fd=dir_fd)
    else:  # no dir_fd before 3.11: by path, through the folder checked just before
        shutil.rmtree(parent / name, ignore_errors=True)


def _empty(name: str, dir_fd: int) -> bool:
    """Whether the folder ``name`` in the held folder (not a symlink) is empty."""
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW, dir_fd=dir_fd)
    try:
        return not os.listdir(fd)
    finally:
        os.close(fd)


def count_files(root: Path) -> int:
    """The files written under the staging folder ``root`` (its marker is not one of them:
    it goes before ``root`` becomes the export)."""
    files = sum(len(names) for _, _, names in os.walk(root))
    return files - (root / leftovers.MARKER).is_file()


def place_images(
    pairs: Sequence[tuple[str, str | Path]],
    mode: str,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Copy or symlink each ``(location, destination)`` image (``mode`` ``none``: nothing);
    returns how many files were written. Images on GCS are read through the media layer and
    can be copied, not linked; a frame of a video file (``<video>#frame=N``) is decoded and
    written as a JPEG (:mod:`.frame_images`), never linked. ``progress(done, total)`` hears
    about every :data:`PROGRESS_STEPS`-th of the images; what it raises stops the copies
    still queued."""
    if mode == "none" or not pairs:
        return 0
    if mode not in IMAGE_MODES:
        raise ExportError(f"--images takes {', '.join(IMAGE_MODES)}, not {mode!r}")
    frames = [pair for pair in pairs if frame_of(str(pair[0])) is not None]
    files = [pair for pair in pairs if frame_of(str(pair[0])) is None] if frames else pairs
    if mode == "symlink" and frames:
        raise ExportError(
            "frames of a video file are decoded, not files: they cannot be symlinked (use "
            "--images copy or none)"
        )
    remote = any("://" in loc for loc, _ in files)
    if mode == "symlink" and remote:
        raise ExportError("images on GCS cannot be symlinked: use --images copy or none")
    for parent in {os.path.dirname(dest) for _, dest in pairs}:
        os.makedirs(parent, exist_ok=True)

    def one(pair: tuple[str, str | Path]) -> None:
        location, dest = pair[0], Path(pair[1])
        try:
            if mode == "symlink":
                os.symlink(location, dest)
            elif "://" in location:
                from ..media.sources import read_bytes

                dest.write_bytes(read_bytes(location))
            else:
                shutil.copyfile(location, dest)
        except (OSError, MediaError, MediaAccessError) as exc:
            raise ExportError(
                f"cannot {mode} the image {location}: {_reason(exc)} (export "
                "without images with --images none)"
            ) from exc

    total, step = len(pairs), max(1, len(pairs) // PROGRESS_STEPS)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None and (done % step == 0 or done == total):
            progress(done, total)

    pool = ThreadPoolExecutor(WRITE_THREADS)
    try:
        for _ in pool.map(one, files):
            tick()
        if frames:
            write_frames(frames, pool, tick)
    finally:
        # a failure or a cancelled job: the copies not started yet never start
        pool.shutdown(wait=True, cancel_futures=True)
    return total


def write_texts(files: Sequence[tuple[str | Path, str]]) -> None:
    """Write a few text files (a VOC export's labelmap and split lists), making their
    folders; the many label files are written batch by batch (:func:`background_writes`)."""
    for parent in {os.path.dirname(path) for path, _ in files}:
        os.makedirs(parent, exist_ok=True)
    write_files([(str(path), text.encode()) for path, text in files])


@contextmanager
def background_writes() -> Iterator[Callable[[Sequence[tuple[str, bytes | memoryview]]], None]]:
    """A ``write(files)`` that writes a batch of small files (path, bytes) on a thread of its
    own while the caller prepares the next batch; at most two batches wait, so their bytes
    are never all held at once. Leaving the block waits for every write (a failure too:
    no thread writes into a staging folder being removed) and raises a write's error."""
    pending: deque[Future[None]] = deque()
    with ThreadPoolExecutor(1) as pool:

        def write(files: Sequence[tuple[str, bytes | memoryview]]) -> None:
            while len(pending) >= 2:
                pending.popleft().result()
            pending.append(pool.submit(write_files, files))

        yield write
        while pending:
            pending.popleft().result()


def write_files(files: Sequence[tuple[str, bytes | memoryview]]) -> None:
    """Create each file (its folder exists) with its bytes: an ``os.open`` and one write,
    about half the system calls of ``open()`` (which also checks for a terminal and seeks),
    from one thread: on this project's machines more threads creating files in one folder
    made it slower, not faster (the folder's lock)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    for path, data in files:
        fd = os.open(path, flags, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)


def image_name(file_name: str) -> str:
    """The relative path an image keeps in an export: its file name as the catalog holds it
    when that is a plain relative path, else its base name."""
    parts = file_name.replace("\\", "/").split("/")
    if file_name.startswith("/") or "://" in file_name or any(p in ("", ".", "..") for p in parts):
        return parts[-1]
    return "/".join(parts)


def unique_names(names: list[str], what: str) -> None:
    """Refuse two samples that would write the same file (``what`` says where)."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise ExportError(
                f"two samples would both be written as {what} {name!r}: the format keeps one "
                "file per name (filter one of them out, or use --format coco / parquet)"
            )
        seen[name] = i


def check_folder_names(names: list[str], fmt: str) -> None:
    """Refuse class names that cannot be a folder or file name (a classification tree)."""
    for name in names:
        if not name or name in (".", "..") or any(c in name for c in "/\\\0"):
            raise ExportError(
                f"class {name!r} cannot be a folder name in a {fmt} export (it is empty, "
                "'.' / '..', or holds '/', '\\\\' or NUL): rename it or leave it out with --classes"
            )


def _reason(exc: Exception) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
