"""Where a top-level JSON array lies in a COCO file, and a copy of its bytes as a file of its
own (DuckDB reads files, not byte ranges)."""

from __future__ import annotations

import os

from .jsonstream import JsonLayout


def array_region(layout: JsonLayout, key: str | None) -> tuple[int, int] | None:
    """``(start, end)`` byte offsets of top-level array ``key`` (None: the file is the
    array): ``start`` at ``[`` and ``end`` just past the last ``]`` before the next known key
    (or the end of the file).

    Unknown keys between the array and the next known one make the region too long; DuckDB
    then rejects it as invalid JSON and the caller falls back, so a wrong guess costs time,
    never correctness.
    """
    if key is None:
        if layout.kind != "array":
            return None
        start, end = layout.start, os.path.getsize(layout.path)
    elif key in layout.ambiguous or key not in layout.offsets:
        return None
    else:
        start = layout.offsets[key]
        later = [o for o in layout.offsets.values() if o > start]
        end = min(later) if later else os.path.getsize(layout.path)
    with open(layout.path, "rb") as f:
        pos = end
        while pos > start:
            block = min(1 << 16, pos - start)
            f.seek(pos - block)
            found = f.read(block).rfind(b"]")
            if found >= 0:
                return start, pos - block + found + 1
            pos -= block
    return None


def copy_region(src: str, dst: str, start: int, end: int) -> None:
    """Write ``[`` + bytes ``[start, end)`` of ``src`` + ``]`` to a new file ``dst``, copying
    in the kernel where the platform can (the bytes never enter this process)."""
    copy_range = getattr(os, "copy_file_range", None)  # Linux; elsewhere read and write
    # unbuffered files: the kernel copy moves the output's position under Python's feet
    with open(src, "rb", buffering=0) as fin, open(dst, "wb", buffering=0) as fout:
        fout.write(b"[")
        offset, left = start, end - start
        while left > 0:
            if copy_range is not None:
                try:
                    done = copy_range(fin.fileno(), fout.fileno(), left, offset)
                except OSError:  # e.g. not supported between these file systems
                    copy_range = None
                    continue
            else:
                fin.seek(offset)
                done = fout.write(fin.read(min(8 << 20, left)) or b"")
            if done <= 0:
                raise OSError(f"{src} shrank while it was read")
            offset += done
            left -= done
        fout.write(b"]")
