"""MOT Challenge text rows (``gt/gt.txt``, a tracker's results) read into Arrow at C speed.

A row is ``frame, id, x, y, w, h, conf[, class, visibility]`` (MOT16/17/20), or
``frame, id, x, y, w, h, conf, x, y, z`` (MOT15, whose last three are world coordinates,
-1). Frames and ids are 1-based. pyarrow's CSV reader parses the file (no Python object per
value): a well-formed file straight to floats (:mod:`.mot_fast`), any other as text, so that
each bad line is a report row; what checks the rows read (frames past the sequence's end, a
track with two boxes on one frame: :mod:`.mot_checks`) works on whole columns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..records.report import IngestReport
from .mot_fast import MAX_COLUMNS, open_rows, read_well_formed, trailing_nuls

NO_TRACK = -1
"""A row's identity when it has none: MOT's id -1, a detection (``det.txt``, a detector's
results) rather than an object of a track."""

MOT17_CLASSES = {
    1: "pedestrian",
    2: "person_on_vehicle",
    3: "car",
    4: "bicycle",
    5: "motorbike",
    6: "non_mot_vehicle",
    7: "static_person",
    8: "distractor",
    9: "occluder",
    10: "occluder_on_ground",
    11: "occluder_full",
    12: "reflection",
    13: "crowd",
}
"""MOT17's class ids (its ``gt.txt`` 8th column) and names, as TrackEval's MOTChallenge
reader names them."""

DEFAULT_CLASS = 1
"""The class of a row without one (MOT15, tracker results): pedestrian."""


class MotRows:
    """One MOT text file's rows as numpy columns (``frame``, ``track``, ``x``, ``y``, ``w``,
    ``h``, ``conf``, ``cls``, ``visibility``), in file order; read from a file, its ``path``
    and each row's ``line`` (from 1), which the checks after the parse name."""

    def __init__(self, columns: dict[str, np.ndarray], path: str = "") -> None:
        self.path = path
        self.line: np.ndarray | None = columns.get("line")
        self.frame = columns["frame"]
        self.track = columns["track"]
        self.x, self.y, self.w, self.h = (columns[k] for k in ("x", "y", "w", "h"))
        self.conf = columns["conf"]
        self.cls = columns["cls"]
        self.visibility = columns["visibility"]

    def __len__(self) -> int:
        return len(self.frame)

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the rows where ``mask`` is true."""
        for name in ("frame", "track", "x", "y", "w", "h", "conf", "cls", "visibility"):
            setattr(self, name, getattr(self, name)[mask])
        if self.line is not None:
            self.line = self.line[mask]

    def at(self, i: int) -> str:
        """Where row ``i`` is: `` (<path> line <N>)``, or nothing for rows of no file."""
        return f" ({self.path} line {self.line[i]})" if self.line is not None else ""


BAD_ROW = "MOT rows that are not a frame, id and box of numbers (not ingested)"
NUL_ROW = (
    "NUL bytes, not values: the file was cut off or overwritten here (a writer that "
    "crashed); write the file again, or delete the NUL bytes to keep the rows around them"
)


def read_mot_rows(path: str, report: IngestReport, *, with_class: bool) -> MotRows | None:
    """The rows of MOT text file ``path``; ``with_class``: its 8th and 9th columns are class
    and visibility (ground truth of MOT16 and later, 8 or 9 columns) rather than MOT15's
    world coordinates (10 columns). A file that is not MOT rows is a report error and None.
    Values may be separated by commas (with spaces or not), tabs or single spaces, and a
    first line that is a header (``frame,id,bb_left,...``, as pandas writes it) is skipped;
    a file saved as UTF-16 is read (:func:`.mot_fast.open_rows`).
    A row that is not one (too few or many values, a value that is not a number, no frame,
    id or box, a frame or id that is not whole, a box with no area) is a report row with its
    line number; the others are read. NUL bytes padding the file's end (a writer that
    crashed, a preallocated file) are a report warning and no rows; NUL bytes among the rows
    are bad rows, by line. A well-formed file is parsed by the fast path
    (:func:`.mot_fast.read_well_formed`), any other by the tolerant reader."""
    padding = trailing_nuls(path)
    if padding:
        report.warn(
            "mot_nul_padding",
            "MOT files ending in NUL bytes (a writer that crashed, or a file preallocated and "
            "not filled): the padding holds no rows and was left out; the rows before it read",
            f"{path}: {padding} NUL bytes at the end",
        )
    fast = read_well_formed(path)
    if fast is not None:  # line i + 1 is row i: no header, blank line or invalid row
        cols, checks = fast, _RowChecks(path, np.arange(1, len(fast[0]) + 1), report)
    else:
        read = _read_tolerant(path, report)
        if read is None or isinstance(read, MotRows):
            return read
        cols, checks = read
    width = len(cols)
    # truncated, 1.5 would be id 1: two identities merged into one track
    checks.drop(
        (cols[0] != np.floor(cols[0])) | (cols[1] != np.floor(cols[1])),
        "mot_fractional_frame_or_id",
        "MOT rows whose frame or id is not a whole number (not ingested)",
        lambda i: f"frame {cols[0][i]:g}, id {cols[1][i]:g}",
    )
    # as the YOLO and DOTA ingests skip theirs (yolo_empty_box): a negative area otherwise
    checks.drop(
        (cols[4] <= 0) | (cols[5] <= 0),
        "mot_empty_box",
        "box with no area (zero or negative width or height): skipped",
        lambda i: f"w {cols[4][i]:g}, h {cols[5][i]:g}",
        warn=True,
    )
    cols = [c[checks.keep] for c in cols]
    n = len(cols[0])
    lines = checks.lines[checks.keep]
    # 10 columns is MOT15's layout, whose 8th to 10th are world coordinates (-1), not a
    # class and a visibility: its rows are pedestrians, as TrackEval reads them
    extra = with_class and 8 <= width <= 9
    return MotRows(
        {
            "frame": cols[0].astype(np.int64),
            "track": cols[1].astype(np.int64),
            "x": cols[2],
            "y": cols[3],
            "w": cols[4],
            "h": cols[5],
            "conf": cols[6] if width > 6 else np.ones(n),
            "cls": cols[7].astype(np.int64) if extra else np.full(n, DEFAULT_CLASS, np.int64),
            "visibility": cols[8] if extra and width > 8 else np.full(n, np.nan),
            "line": lines,
        },
        path,
    )


def _read_tolerant(
    path: str, report: IngestReport
) -> tuple[list[np.ndarray], _RowChecks] | MotRows | None:
    """A MOT file that the fast path refused, read as text: its float columns (trailing
    empty ones left out) and the row checks with the rows it reported as no MOT rows
    already dropped; an empty file's no rows; None for a file that is no MOT rows (a
    report error)."""
    invalid: list[tuple[int | None, str]] = []

    def skip_invalid(row: pacsv.InvalidRow) -> str:
        width = f"{row.actual_columns} values, not {row.expected_columns}"
        invalid.append((row.number, NUL_ROW if "\x00" in row.text else width))
        return "skip"

    try:
        with open_rows(path) as file:
            skip, delimiter, header = _layout(file)
            if header is not None:
                report.warn(
                    "mot_header_skipped",
                    "MOT files whose first line is a header, not a row (skipped)",
                    f"{path}: {header[:80]}",
                )
            file.seek(0)
            table = pacsv.read_csv(
                file,
                # one thread: the invalid rows' line numbers are known
                read_options=pacsv.ReadOptions(
                    autogenerate_column_names=True, skip_rows=skip, use_threads=False
                ),
                # blank lines are rows of nulls (dropped below) rather than left out, so
                # that every line is a row or an invalid row: each row's line is known
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter,
                    quote_char=False,
                    ignore_empty_lines=False,
                    invalid_row_handler=skip_invalid,
                ),
                # text, converted below: Arrow infers a column's type from its first block,
                # so an "8.5" after a block of "8"s, or one "x", would fail the whole file
                convert_options=pacsv.ConvertOptions(
                    column_types={f"f{i}": pa.string() for i in range(MAX_COLUMNS)},
                    strings_can_be_null=True,
                ),
            )
    except (ValueError, OSError) as exc:  # ArrowInvalid and UnicodeDecodeError among them
        if "Empty CSV file" in str(exc):
            return MotRows(_empty(), path)
        report.error("mot_unreadable", "MOT text files that could not be read", f"{path}: {exc}")
        return None
    if table.num_columns < 6:
        report.error(
            "mot_unreadable",
            "MOT text files that could not be read",
            f"{path}: fewer than 6 columns",
        )
        return None
    if invalid:
        report.error(
            "mot_bad_row",
            BAD_ROW,
            count=len(invalid),
            examples=[f"{path}: line {number}: {why}" for number, why in invalid[:3]],
        )
    lines = _line_numbers(table.num_rows, skip, [number for number, _ in invalid])
    blank = np.all([pc.is_null(c).to_numpy(zero_copy_only=False) for c in table.columns], 0)
    table, lines = table.filter(pa.array(~blank)), lines[~blank]
    n = table.num_rows
    width = table.num_columns
    while width > 6 and table.column(width - 1).null_count == n:
        width -= 1  # a trailing comma on every row: an empty column, not MOT15's layout
    parsed = [_floats(table.column(i)) for i in range(width)]
    cols = [values for values, _ in parsed]
    text = np.any([not_number for _, not_number in parsed], axis=0)
    checks = _RowChecks(path, lines, report)
    # an empty frame or id would become -2**63: an id of its own, no track
    missing = ~np.all(np.isfinite(cols[:6]), axis=0)
    checks.drop(text | missing, "mot_bad_row", BAD_ROW, lambda i: _why_bad(table, parsed, i))
    return cols, checks


class _RowChecks:
    """The rows a file keeps, as checks drop (and report) others: a row is reported by the
    first check it fails."""

    def __init__(self, path: str, lines: np.ndarray, report: IngestReport) -> None:
        self.path, self.lines, self.report = path, lines, report
        self.keep = np.ones(len(lines), dtype=bool)

    def drop(
        self, bad: np.ndarray, code: str, message: str, why: Callable[[int], str],
        *, warn: bool = False,
    ) -> None:  # fmt: skip
        """Drop the kept rows where ``bad``, reported as ``code`` with line and ``why``."""
        bad = bad & self.keep
        if not bad.any():
            return
        add = self.report.warn if warn else self.report.error
        add(
            code,
            message,
            count=int(bad.sum()),
            examples=[
                f"{self.path}: line {self.lines[i]}: {why(i)}" for i in np.flatnonzero(bad)[:3]
            ],
        )
        self.keep &= ~bad


def _layout(file: BinaryIO) -> tuple[int, str, str | None]:
    """The lines before a MOT file's rows (blank ones, and a header: a first line whose first
    value is not a number), the rows' delimiter (a comma, else a tab, else a space) and the
    header. Values aligned by runs of spaces are refused (a ValueError): Arrow's reader
    would read the runs as empty values."""
    skip, header = 0, None
    for raw in iter(file.readline, b""):
        # a header in another encoding (Latin-1) is skipped as any header is
        line = raw.decode("utf-8-sig", errors="replace").rstrip("\r\n")
        if not line.strip():
            skip += 1
            continue
        delimiter = "," if "," in line else "\t" if "\t" in line else " "
        first = line.split(delimiter, 1)[0].strip()
        if header is None and first and not _is_number(first):
            header, skip = line.strip(), skip + 1
            continue
        if delimiter != "," and "" in line.rstrip().split(delimiter):
            runs = "tabs" if delimiter == "\t" else "spaces"
            raise ValueError(
                f"line {skip + 1} starts with {runs} or has runs of them between values: "
                "write one comma, tab or space between values, as MOT's gt.txt does"
            )
        return skip, delimiter, header
    return skip, ",", header


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _line_numbers(rows: int, skip: int, invalid: list[int | None]) -> np.ndarray:
    """The line number (from 1) of each of ``rows`` read after ``skip`` lines, with the
    ``invalid`` lines (left out by the reader) among them."""
    known = [number for number in invalid if number is not None]
    lines = np.arange(skip + 1, skip + rows + len(known) + 1)
    return np.setdiff1d(lines, known)[:rows] if known else lines


NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^[+-]?(inf|infinity)$"
"""A value Arrow casts to a float (case aside): what the fast cast failed on is tested so."""


def _floats(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """A text column as floats (NaN where empty), and where its text is not a number."""
    text = pc.utf8_trim_whitespace(column)
    try:
        values = pc.cast(text, pa.float64())
        not_number = np.zeros(len(column), dtype=bool)
    except pa.ArrowInvalid:
        number = pc.match_substring_regex(text, NUMBER, ignore_case=True)
        values = pc.cast(pc.if_else(number, text, None), pa.float64())
        not_number = pc.fill_null(pc.invert(number), False).to_numpy(zero_copy_only=False)
    return pc.fill_null(values, np.nan).to_numpy(), not_number


def _why_bad(table: pa.Table, parsed: list[tuple[np.ndarray, np.ndarray]], i: int) -> str:
    """Why row ``i`` is no MOT row: its first value that is not a number, or a missing one."""
    for c, (_, not_number) in enumerate(parsed):
        if not_number[i]:
            value = table.column(c)[i].as_py()
            return NUL_ROW if "\x00" in value else f"{value!r} is not a number"
    return "no frame, id or box value"


def _empty() -> dict[str, np.ndarray]:
    ints = ("frame", "track", "cls")
    names = ("frame", "track", "x", "y", "w", "h", "conf", "cls", "visibility")
    return {k: np.zeros(0, np.int64 if k in ints else np.float64) for k in names}
