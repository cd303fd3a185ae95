"""Where an export writes: a temporary folder beside ``--out``, renamed to it at the end, so
a failure or Ctrl-C leaves nothing behind; and the images, copied, symlinked or left out.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from ..media.errors import MediaAccessError, MediaError
from .errors import ExportError

IMAGE_MODES = ("copy", "symlink", "none")
WRITE_THREADS = 8
"""Threads copying images: the work waits on the disk (or GCS), not Python."""
PROGRESS_STEPS = 200
"""How many times at most the images' progress is reported (a callback per file of 100K
costs more than it tells)."""


def check_out(out: Path, overwrite: bool) -> None:
    """Refuse an existing ``out`` that is a file, or a non-empty folder without
    ``overwrite``, before anything is read or written."""
    if out.is_file() or out.is_symlink():
        raise ExportError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ExportError(
            f"{out} exists and is not empty: pass --overwrite (overwrite=True in the notebook "
            "and the REST API) to replace it"
        )


@contextmanager
def staged(out: Path, overwrite: bool) -> Iterator[Path]:
    """A fresh folder beside ``out`` to write into; on success it replaces ``out`` (the old
    contents go only then), on any failure it is removed and ``out`` stays as it was."""
    out = out.expanduser().resolve()
    check_out(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.export-", dir=out.parent))
    try:
        yield tmp
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / "x")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:  # KeyboardInterrupt included: nothing half written stays
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def place_images(
    pairs: Sequence[tuple[str, str | Path]],
    mode: str,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Copy or symlink each ``(location, destination)`` image (``mode`` ``none``: nothing);
    returns how many files were written. Images on GCS are read through the media layer and
    can be copied, not linked. ``progress(done, total)`` hears about every
    :data:`PROGRESS_STEPS`-th of the images; what it raises stops the copies still queued."""
    if mode == "none" or not pairs:
        return 0
    if mode not in IMAGE_MODES:
        raise ExportError(f"--images takes {', '.join(IMAGE_MODES)}, not {mode!r}")
    remote = any("://" in loc for loc, _ in pairs)
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
    pool = ThreadPoolExecutor(WRITE_THREADS)
    try:
        for done, _ in enumerate(pool.map(one, pairs), start=1):
            if progress is not None and (done % step == 0 or done == total):
                progress(done, total)
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
