"""A tracker's MOT Challenge results as a prediction set: a folder of ``<sequence>.txt``
files (TrackEval's layout: the tracker's ``data/`` or the tracker's folder holding it) or
one such file (a sequence's ``det/det.txt``, MOT's public detections, is of that sequence),
rows ``frame, id, x, y, w, h, conf, ...``.

A row's frame is named ``<sequence>/<frame>``, the ``source_image_id`` of that frame of the
dataset's video of that name (:mod:`.video_rows`); rows of frames the dataset lacks are
counted by the writer. Each (sequence, id) is one track identity of the set; a row of id
-1 (MOT's detections, ``det.txt``) is a box without one: a detector's results. A file
naming a frame below 1 (a tracker counting from 0) is refused whole, as TrackEval refuses
it: its other boxes would each be a frame early.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..records.batches import Batch
from ..records.report import IngestError
from .base import ParsedBase
from .mot import FORMAT, object_table
from .mot_checks import dense_tracks, drop_repeated_boxes
from .mot_rows import DEFAULT_CLASS, MOT17_CLASSES, read_mot_rows
from .video_rows import natural_key


def sequence_name(path: str) -> str:
    """The sequence a results file is of: its stem (TrackEval's ``<sequence>.txt``), or the
    sequence folder of MOT's public detections (``<sequence>/det/det.txt``)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    folder = os.path.dirname(path)
    if stem == "det" and os.path.basename(folder) == "det":
        return os.path.basename(os.path.dirname(folder)) or stem
    return stem


def result_files(path: str) -> list[str]:
    """The ``.txt`` result files of ``path`` (itself when it is a file), in natural order: a
    tracker's folder in TrackEval's layout holds them in ``data/``
    (``trackers/mot_challenge/<benchmark>/<tracker>/data/<sequence>.txt``)."""
    if os.path.isfile(path):
        return [path]
    names = sorted((n for n in os.listdir(path) if n.lower().endswith(".txt")), key=natural_key)
    data = os.path.join(path, "data")
    if not names and os.path.isdir(data):
        return result_files(data)
    return [os.path.join(path, n) for n in names]


class MotPredictions(ParsedBase):
    """MOT results as a :class:`~visionlens_jlab.records.parsed.ParsedSource` of
    predictions (boxes with a score and a ``track_id``)."""

    def __init__(self, path: str) -> None:
        path = os.path.abspath(path)
        super().__init__(FORMAT, path, os.path.dirname(path))
        self.files = result_files(path)
        if not self.files:
            raise IngestError(f"{path} holds no MOT results (<sequence>.txt files)")
        self.tracks = 0

    def batches(self) -> Iterator[Batch]:
        label = MOT17_CLASSES[DEFAULT_CLASS]
        self.add_class(label, source_id=DEFAULT_CLASS)
        for path in self.files:
            sequence = sequence_name(path)
            rows = read_mot_rows(path, self.report, with_class=False)
            if rows is None or not len(rows):
                continue
            if (rows.frame < 1).any():  # TrackEval refuses such a file as well
                i = int(np.argmax(rows.frame < 1))
                self.report.error(
                    "mot_results_frame_below_one",
                    "MOT results files naming frame 0 or below (not ingested: MOT counts "
                    "frames from 1, so a file counting from 0 has every box a frame early; "
                    "add 1 to each row's frame)",
                    f"{sequence}: frame {rows.frame[i]}{rows.at(i)}",
                )
                continue
            drop_repeated_boxes(rows, sequence, self.report)
            refs = pc.binary_join_element_wise(
                f"{sequence}/", pc.cast(pa.array(rows.frame), pa.string()), ""
            )
            tracks, count = dense_tracks(rows.track, self.tracks + 1)
            self.tracks += count
            labels = pa.array(np.full(len(rows), label, dtype=object), pa.string())
            yield Batch(annotations=object_table(rows, labels, tracks, image_refs=refs, score=True))
        self.report.counts["tracks"] = self.tracks
