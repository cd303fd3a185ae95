"""The fast path of the MOT text reader (:func:`.mot_rows.read_mot_rows`): a well-formed
file (comma-separated numbers, every row as wide as the first, no header, no blank line, no
empty or non-finite value) parsed straight to floats by pyarrow's CSV reader, checked with
array operations.

The tolerant reader reads every column as text so that each bad line becomes a report row
with its line number; on a well-formed file that costs about five times the parse. Any file
this path refuses goes to the tolerant reader, which reports its lines as before, so both
paths give the same rows and the same report.
"""

from __future__ import annotations

import codecs
import io
import os
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
MAX_COLUMNS = 64
"""Columns typed as floats (as many as the tolerant reader reads)."""

_READ = pacsv.ReadOptions(autogenerate_column_names=True, use_threads=False)
# blank lines kept as rows of nulls, refused below: the tolerant reader reports them
_PARSE = pacsv.ParseOptions(delimiter=",", quote_char=False, ignore_empty_lines=False)
_CONVERT = pacsv.ConvertOptions(column_types={f"f{i}": pa.float64() for i in range(MAX_COLUMNS)})
_TAIL_CHUNK = 1 << 16


def trailing_nuls(path: str) -> int:
    """How many NUL bytes pad the end of ``path`` (0 for none, or for a file that cannot be
    read): what a writer that crashed, or a file preallocated and then not filled, leaves
    after the last row. In a UTF-16 file the last character's zero byte is text, not
    padding. Only the file's tail is read."""
    try:
        with open(path, "rb") as file:
            utf16 = file.read(2).startswith(UTF16_BOMS)
            end = pos = file.seek(0, io.SEEK_END)
            while pos > 0:
                step = min(_TAIL_CHUNK, pos)
                file.seek(pos - step)
                kept = len(file.read(step).rstrip(b"\x00"))
                pos -= step - kept
                if kept:
                    break
    except OSError:
        return 0
    return end - (pos + pos % 2 if utf16 else pos)


def open_rows(path: str) -> BinaryIO:
    """MOT text file ``path`` opened for reading as UTF-8 bytes: a file saved as UTF-16 (a
    tracker's output redirected by Windows PowerShell, ``> results.txt``) is transcoded in
    memory, as Arrow's reader reads UTF-8 only, and a file's trailing NUL padding
    (:func:`trailing_nuls`) is left out, as it holds no rows. Opened by Python, not by
    Arrow's C++: the parse worker's audit hook confines it to the server's allowed roots
    (allowed_roots.confine_reads)."""
    padding = trailing_nuls(path)
    file = open(path, "rb")  # the caller closes it
    utf16 = file.read(2).startswith(UTF16_BOMS)
    file.seek(0)
    if not utf16 and not padding:
        return file
    with file:
        data = file.read(os.fstat(file.fileno()).st_size - padding)
    return io.BytesIO(data.decode("utf-16", errors="replace").encode() if utf16 else data)


def read_well_formed(path: str) -> list[np.ndarray] | None:
    """The columns of MOT text file ``path`` as float arrays when every value of it is a
    finite number, comma-separated, in rows of one width (at least 6); else None (the
    file is for the tolerant reader: a header, a blank line, a row of another width, a
    value that is empty or no number, other separators, an unreadable or empty file)."""
    try:
        with open_rows(path) as file:
            table = pacsv.read_csv(
                file, read_options=_READ, parse_options=_PARSE, convert_options=_CONVERT
            )
    except (ValueError, OSError):  # ArrowInvalid among them: the tolerant reader says why
        return None
    if table.num_columns < 6:
        return None
    # a null (an empty value, a blank line, a text Arrow reads as one: NA, nan) is NaN here;
    # the tolerant reader reports it, or an infinite frame, id or box, by line
    columns = [c.to_numpy() for c in table.columns]
    return columns if all(np.isfinite(c).all() for c in columns) else None
