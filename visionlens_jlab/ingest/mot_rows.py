"""MOT Challenge text rows (``gt/gt.txt``, a tracker's results) read into Arrow at C speed.

A row is ``frame, id, x, y, w, h, conf[, class, visibility]`` (MOT16/17/20), or
``frame, id, x, y, w, h, conf, x, y, z`` (MOT15, whose last three are world coordinates,
-1). Frames and ids are 1-based. pyarrow's CSV reader parses the file (no Python object per
value); what checks rows (frames past the sequence's end, a track with two boxes on one
frame) works on whole columns.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..records.report import IngestReport

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
    ``h``, ``conf``, ``cls``, ``visibility``), in file order."""

    def __init__(self, columns: dict[str, np.ndarray]) -> None:
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


def read_mot_rows(path: str, report: IngestReport, *, with_class: bool) -> MotRows | None:
    """The rows of MOT text file ``path``; ``with_class``: its 8th and 9th columns are class
    and visibility (ground truth of MOT16 and later, 8 or 9 columns) rather than MOT15's
    world coordinates (10 columns). A file that is not MOT rows is a report error and None."""
    try:
        # opened by Python, not by Arrow's C++: the parse worker's audit hook confines it
        # to the server's allowed roots (allowed_roots.confine_reads)
        with open(path, "rb") as file:
            table = pacsv.read_csv(
                file,
                read_options=pacsv.ReadOptions(autogenerate_column_names=True),
                parse_options=pacsv.ParseOptions(delimiter=","),
                convert_options=pacsv.ConvertOptions(column_types={"f0": pa.float64()}),
            )
    except (pa.ArrowInvalid, OSError) as exc:
        if "Empty CSV file" in str(exc):
            return MotRows(_empty())
        report.error("mot_unreadable", "MOT text files that could not be read", f"{path}: {exc}")
        return None
    if table.num_columns < 6:
        report.error(
            "mot_unreadable",
            "MOT text files that could not be read",
            f"{path}: fewer than 6 columns",
        )
        return None
    n = table.num_rows
    width = table.num_columns
    while width > 6 and table.column(width - 1).null_count == n:
        width -= 1  # a trailing comma on every row: an empty column, not MOT15's layout
    cols = [_floats(table.column(i)) for i in range(width)]
    bad = ~(np.isfinite(cols[0]) & np.isfinite(cols[1]))
    if bad.any():  # an empty frame or id would become -2**63: an id of its own, no track
        report.error(
            "mot_bad_row",
            "MOT rows without a frame or id number (not ingested)",
            count=int(bad.sum()),
            examples=[f"{path}: row {i + 1}" for i in np.flatnonzero(bad)[:3]],
        )
        cols = [c[~bad] for c in cols]
        n = len(cols[0])
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
        }
    )


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(pc.cast(column, pa.float64()), np.nan).to_numpy()


def _empty() -> dict[str, np.ndarray]:
    ints = ("frame", "track", "cls")
    names = ("frame", "track", "x", "y", "w", "h", "conf", "cls", "visibility")
    return {k: np.zeros(0, np.int64 if k in ints else np.float64) for k in names}


def drop_out_of_range(rows: MotRows, num_frames: int, where: str, report: IngestReport) -> None:
    """Drop (and report) the rows naming a frame below 1 or past the sequence's last."""
    bad = (rows.frame < 1) | (rows.frame > num_frames)
    if bad.any():
        report.error(
            "mot_frame_out_of_range",
            "MOT rows naming a frame the sequence does not have (not ingested)",
            count=int(bad.sum()),
            examples=[f"{where}: frame {f} of {num_frames}" for f in rows.frame[bad][:3]],
        )
        rows.keep(~bad)


def drop_repeated_boxes(rows: MotRows, where: str, report: IngestReport) -> None:
    """Keep a track's first box on a frame; drop (and report) its others there (an identity
    is at most one object per frame, which evaluation relies on). Rows of id -1 (MOT's
    detections, no identity) are all kept."""
    tracked = np.flatnonzero(rows.track >= 0)
    if not len(tracked):
        return
    track, frame = rows.track[tracked], rows.frame[tracked]
    pairs = frame * (int(track.max()) - int(track.min()) + 1) + (track - track.min())
    _, first = np.unique(pairs, return_index=True)
    keep = np.ones(len(rows), dtype=bool)
    keep[tracked] = False
    keep[tracked[first]] = True
    if not keep.all():
        repeated = ~keep
        report.error(
            "mot_track_repeated_on_frame",
            "boxes of a track on a frame that already has one of that track (not ingested)",
            count=int(repeated.sum()),
            examples=[
                f"{where}: track {t} on frame {f}"
                for t, f in zip(rows.track[repeated][:3], rows.frame[repeated][:3], strict=True)
            ],
        )
        rows.keep(keep)


def dense_tracks(tracks: np.ndarray, first: int) -> tuple[np.ndarray, int]:
    """The source's track ids as dataset-wide identities from ``first`` (dense, in id
    order; :data:`NO_TRACK` for id -1, MOT's detection without identity), and how many
    distinct ones there are."""
    out = np.full(len(tracks), NO_TRACK, dtype=np.int64)
    tracked = tracks >= 0
    ids, inverse = np.unique(tracks[tracked], return_inverse=True)
    out[tracked] = inverse.astype(np.int64) + first
    return out, len(ids)
