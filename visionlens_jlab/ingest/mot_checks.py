"""Checks of MOT rows once read (:mod:`.mot_rows`), each on whole columns: frames counted
from 0, frames the sequence does not have, a track with two boxes on one frame; and the
source's track ids made dataset-wide identities."""

from __future__ import annotations

import numpy as np

from ..records.report import IngestReport
from .mot_rows import NO_TRACK, MotRows


def counts_from_zero(rows: MotRows, num_frames: int) -> bool:
    """Whether a MOT file of a ``num_frames`` sequence numbers its frames from 0 (a tool
    counting as Python does; MOT counts from 1), so that its every box is a frame early:
    its smallest frame is 0, its largest before the sequence's last, and frame 0 holds as
    many rows as its frames typically do. A stray frame-0 row among rows counted from 1
    is not that (a report row of its own, :func:`drop_out_of_range`)."""
    if not len(rows) or int(rows.frame.min()) != 0 or int(rows.frame.max()) >= num_frames:
        return False
    _, per_frame = np.unique(rows.frame, return_counts=True)  # frame 0's first
    return bool(per_frame[0] >= np.median(per_frame))


def drop_out_of_range(rows: MotRows, num_frames: int, where: str, report: IngestReport) -> None:
    """Drop (and report) the rows naming a frame below 1 or past the sequence's last."""
    bad = (rows.frame < 1) | (rows.frame > num_frames)
    if bad.any():
        report.error(
            "mot_frame_out_of_range",
            "MOT rows naming a frame the sequence does not have (not ingested; MOT counts "
            "frames from 1, to the sequence's seqLength or last image)",
            count=int(bad.sum()),
            examples=[
                f"{where}: frame {rows.frame[i]} of {num_frames}{rows.at(i)}"
                for i in np.flatnonzero(bad)[:3]
            ],
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
                f"{where}: track {rows.track[i]} on frame {rows.frame[i]}{rows.at(i)}"
                for i in np.flatnonzero(repeated)[:3]
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
