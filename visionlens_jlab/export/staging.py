"""Where an export writes: a temporary folder beside ``--out``, renamed to it at the end, so
a failure or Ctrl-C leaves nothing behind; and the images, copied, symlinked or left out.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from ..media.errors import MediaAccessError, MediaError
from .errors import ExportError

IMAGE_MODES = ("copy", "symlink", "none")
WRITE_THREADS = 8
"""Threads copying images and writing label files: the work waits on the disk, not Python."""
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
    pairs: list[tuple[str, Path]],
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
    for parent in {dest.parent for _, dest in pairs}:
        parent.mkdir(parents=True, exist_ok=True)

    def one(pair: tuple[str, Path]) -> None:
        location, dest = pair
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
    """Write many small text files (label files, XMLs) from a thread pool, each thread a
    slice of them (a task per file costs more than the file's own write)."""
    for parent in {os.path.dirname(path) for path, _ in files}:
        os.makedirs(parent, exist_ok=True)

    def some(part: Sequence[tuple[str | Path, str]]) -> None:
        for path, text in part:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)

    step = -(-len(files) // WRITE_THREADS) or 1
    with ThreadPoolExecutor(WRITE_THREADS) as pool:
        for _ in pool.map(some, [files[i : i + step] for i in range(0, len(files), step)]):
            pass


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
