"""MOT Challenge datasets: sequences ``<seq>/seqinfo.ini``, ``<seq>/img1/*.jpg`` and
``<seq>/gt/gt.txt`` (MOT15-MOT20, DanceTrack, SportsMOT), as a folder of sequences, one
sequence, or ``train/``, ``val/`` and ``test/`` folders of them (their split), there or one
folder down (SportsMOT's ``sportsmot_publish/dataset/``).

Each sequence is one video of ``kind`` ``sequence`` and each of its frame images one sample;
every ``gt.txt`` row one object whose ``track_id`` is the row's identity made unique in the
dataset (the source's id stays in ``source_ann_id``). The 7th column, "consider" (0: an
object evaluation ignores, as TrackEval does), and the visibility are attributes
(``consider``, ``visibility``); the class id is MOT17's (:data:`.mot_rows.MOT17_CLASSES`). A
sequence without ``gt/`` ingests its frames only; one whose ``gt.txt`` numbers frames from 0
ingests its frames and one report error, not its boxes (each would be a frame early).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..records.batches import (
    ANNOTATION_SCHEMA,
    TRACK_ID_FIELD,
    Batch,
    as_checked_json,
    coalesced,
)
from ..records.report import IngestError, IngestReport
from .base import SPLIT_FOLDERS, ParsedBase
from .images import image_size, list_images
from .mot_checks import counts_from_zero, dense_tracks, drop_out_of_range, drop_repeated_boxes
from .mot_rows import MOT17_CLASSES, NO_TRACK, MotRows, read_mot_rows
from .mot_seqinfo import IMAGE_FOLDER, SEQINFO, frames_folder, read_seqinfo
from .prefetch import prefetch
from .video_rows import SEQUENCE, Video, VideoRows, natural_key, sorted_frames

FORMAT = "mot"


@dataclass(frozen=True)
class Sequence:
    """One MOT sequence folder and the split its parent folder names."""

    path: str
    split: str | None


def is_sequence(path: str) -> bool:
    """Whether ``path`` is a MOT sequence folder (``seqinfo.ini`` or ``img1/``)."""
    return os.path.isfile(os.path.join(path, SEQINFO)) or os.path.isdir(
        os.path.join(path, IMAGE_FOLDER)
    )


def find_sequences(path: str) -> list[Sequence]:
    """The sequences of a MOT folder: itself, its subfolders, or those of its split folders;
    else those of the split folders one folder down (SportsMOT's release,
    ``sportsmot_publish/dataset/{train,val,test}/``, beside its ``splits_txt/``)."""
    if is_sequence(path):
        return [Sequence(path, None)]
    found: list[Sequence] = []
    subfolders = [
        (name, os.path.join(path, name))
        for name in sorted(os.listdir(path), key=natural_key)
        if os.path.isdir(os.path.join(path, name))
    ]
    for name, sub in subfolders:
        if is_sequence(sub):
            found.append(Sequence(sub, None))
        elif name.lower() in SPLIT_FOLDERS:
            found += _split_sequences(sub, SPLIT_FOLDERS[name.lower()])
    if found:
        return found
    # a few stats a subfolder (not a listing): this runs for every folder auto detects
    for _, sub in subfolders:
        for split_name, split in SPLIT_FOLDERS.items():
            if os.path.isdir(os.path.join(sub, split_name)):
                found += _split_sequences(os.path.join(sub, split_name), split)
    return found


def _split_sequences(folder: str, split: str) -> list[Sequence]:
    """The sequences of split folder ``folder``."""
    return [
        Sequence(os.path.join(folder, s), split)
        for s in sorted(os.listdir(folder), key=natural_key)
        if is_sequence(os.path.join(folder, s))
    ]


class MotDataset(ParsedBase):
    """A MOT Challenge folder as a :class:`~visionlens_jlab.records.parsed.ParsedSource`."""

    json_checked = True  # its samples' fields and objects' attributes: JSON it wrote itself

    def __init__(self, path: str, split: str | None = None) -> None:
        path = os.path.abspath(path)
        if not os.path.isdir(path):
            raise IngestError(f"{path} is not a folder: give the MOT folder of sequences")
        super().__init__(FORMAT, path, path)
        self.sequences = find_sequences(path)
        if split is not None:
            self.sequences = [s for s in self.sequences if s.split in (None, split)]
        if not self.sequences:
            raise IngestError(
                f"{path} holds no MOT sequence (a folder with seqinfo.ini or img1/, "
                "optionally under train/ or test/)"
            )
        self.split = split
        self.rows = VideoRows()
        self.tracks = 0
        self._classes_seen: set[int] = set()
        self._names: set[str] = set()

    def batches(self) -> Iterator[Batch]:
        return prefetch(self._batches)

    def _batches(self) -> Iterator[Batch]:
        # a sequence's batch is small (300 frames, a few thousand objects): coalesced, so
        # the writer appends them in a few statements rather than two per sequence
        sequences = (self._sequence(s) for s in self.sequences)
        yield from coalesced(b for b in sequences if b is not None)
        for cls in sorted(self._classes_seen):
            self.add_class(MOT17_CLASSES.get(cls, f"class_{cls}"), source_id=cls)
        self.rows.count(self.report.counts, self.tracks)

    def _sequence(self, sequence: Sequence) -> Batch | None:
        info = read_seqinfo(sequence.path, self.report)
        name = self._unique_name(info.get("name") or os.path.basename(sequence.path), sequence)
        images = frames_folder(sequence.path, info, self.report)
        frames = sorted_frames(list_images(images, self.report))
        if not frames:
            self.report.error(
                "mot_no_frames", "MOT sequences without frame images (in the folder named)", images
            )
            return None
        numbers, num_frames = self._frame_numbers(name, frames, _int(info.get("seqlength")))
        width, height = _int(info.get("imwidth")), _int(info.get("imheight"))
        if width is None or height is None:
            size = image_size(os.path.join(images, frames[0]), self.report)
            width, height = size if size else (None, None)
        fps = _float(info.get("framerate"))
        video = Video(name, sequence.path, SEQUENCE, num_frames, fps, None, width, height)
        video_id, first = self.rows.add(video, numbers)
        relative = os.path.relpath(images, self.source)
        split = sequence.split or self.split
        samples = as_checked_json(
            self.rows.samples(video_id, frames, images, relative, split), ("fields",)
        )
        gt = os.path.join(sequence.path, "gt", "gt.txt")
        if not os.path.isfile(gt):
            return Batch(samples=samples)
        rows = read_mot_rows(gt, self.report, with_class=True)
        if rows is None:
            return Batch(samples=samples)
        if counts_from_zero(rows, num_frames):
            # every other box would sit a frame early: shifting it would guess, so the
            # frames ingest without it and the report says what to do
            i = int(np.argmin(rows.frame))
            self.report.error(
                "mot_gt_frame_zero",
                "MOT gt.txt files numbering frames from 0 (not ingested: MOT counts frames "
                "from 1, so every box would be a frame early; add 1 to each row's frame)",
                f"{name}: frame {rows.frame[i]}{rows.at(i)}",
            )
            return Batch(samples=samples)
        drop_out_of_range(rows, num_frames, name, self.report)
        drop_without_image(rows, numbers, name, self.report)
        drop_repeated_boxes(rows, name, self.report)
        return Batch(samples=samples, annotations=self._objects(rows, first, numbers))

    def _frame_numbers(
        self, name: str, frames: list[str], length: int | None
    ) -> tuple[np.ndarray, int]:
        """The frame number of each of a sequence's images (:func:`image_numbers`, else
        their order) and its length: ``seqLength`` where numbered images leave frames out
        (an export of every K-th or the labelled frames), else the images'; a
        ``seqLength`` that contradicts them is a warning."""
        numbered = image_numbers(frames)
        numbers = numbered if numbered is not None else np.arange(1, len(frames) + 1)
        last = int(numbers[-1])
        if length is not None and (length < last if numbered is not None else length != last):
            self.report.warn(
                "mot_length_mismatch",
                "sequences whose seqinfo.ini seqLength differs from their frame images "
                "(the images count)",
                f"{name}: seqLength {length}, {len(frames)} images"
                + (f" to frame {last}" if numbered is not None else ""),
            )
        return numbers, max(last, length or 0) if numbered is not None else last

    def _unique_name(self, name: str, sequence: Sequence) -> str:
        """``name``, or where another sequence has it (``train/`` and ``test/`` both holding
        ``S``, a ``seqinfo.ini`` copied with its name), the folder's name, else ``name (N)``:
        a frame is named ``<video>/<N>``, which is how results find it, so two videos of
        one name would mix their frames' predictions."""
        if name in self._names:
            taken = name
            folder = os.path.basename(sequence.path)
            name = folder if folder not in self._names else taken
            number = 1
            while name in self._names:
                number += 1
                name = f"{taken} ({number})"
            self.report.warn(
                "mot_duplicate_name",
                "sequences named as another sequence (renamed: results name them so)",
                f"{sequence.path}: {taken} is {name}",
            )
        self._names.add(name)
        return name

    def _objects(self, rows: MotRows, first: int, numbers: np.ndarray) -> pa.Table | None:
        if not len(rows):
            return None
        tracks, count = dense_tracks(rows.track, self.tracks + 1)
        self.tracks += count
        classes = np.unique(rows.cls)
        self._classes_seen.update(int(c) for c in classes)
        names = pa.array([MOT17_CLASSES.get(int(c), f"class_{int(c)}") for c in classes])
        labels = pc.take(names, pa.array(np.searchsorted(classes, rows.cls)))
        index = first + np.searchsorted(numbers, rows.frame)  # frame numbers[i]: sample i
        return object_table(rows, labels, tracks, sample_index=index)

    def feature_rows(self) -> dict[str, pa.Table]:
        """The ``videos`` and ``video_frames`` rows (once the batches are done)."""
        return self.rows.feature_rows()


def object_table(
    rows: MotRows,
    labels: pa.Array,
    tracks: np.ndarray,
    *,
    sample_index: np.ndarray | None = None,
    image_refs: pa.Array | None = None,
    score: bool = False,
) -> pa.Table:
    """An annotation batch of MOT rows: ground truth by ``sample_index`` (with the consider
    flag and visibility as attributes), or predictions by ``image_refs`` with their score;
    ``tracks`` the rows' identities (:data:`NO_TRACK`: none)."""
    n = len(rows)
    consider = pc.if_else(pa.array(rows.conf != 0), "true", "false")
    attributes = None
    if not score:
        shown = np.where(np.isfinite(rows.visibility), np.round(rows.visibility, 6), np.nan)
        visibility = pc.cast(pa.array(shown, from_pandas=True), pa.string())  # NaN, inf: null
        attributes = pc.binary_join_element_wise(
            '{"consider":',
            consider,
            pc.if_else(
                pc.is_null(visibility),
                "}",
                pc.binary_join_element_wise(',"visibility":', visibility, "}", ""),
            ),
            "",
        )
    columns = {
        "sample_index": pa.array(sample_index, pa.int64())
        if sample_index is not None
        else pa.nulls(n, pa.int64()),
        "image_ref": image_refs if image_refs is not None else pa.nulls(n, pa.string()),
        "label": labels,
        "x": pa.array(rows.x),
        "y": pa.array(rows.y),
        "w": pa.array(rows.w),
        "h": pa.array(rows.h),
        "score": pa.array(rows.conf) if score else pa.nulls(n, pa.float64()),
        "area": pa.array(rows.w * rows.h),
        "iscrowd": pa.array(np.zeros(n, dtype=bool)),
        "difficult": pa.array(np.zeros(n, dtype=bool)),
        "source_ann_id": pc.cast(pa.array(rows.track), pa.string()),
        "segmentation": pa.nulls(n, pa.string()),
        "attributes": attributes if attributes is not None else pa.nulls(n, pa.string()),
        "normalized": pa.array(np.zeros(n, dtype=bool)),
    }
    schema = ANNOTATION_SCHEMA.append(TRACK_ID_FIELD)
    track_ids = pa.array(tracks, pa.int64(), mask=tracks == NO_TRACK)
    arrays = [*(columns[f.name] for f in ANNOTATION_SCHEMA), track_ids]
    return as_checked_json(pa.Table.from_arrays(arrays, schema=schema), ("attributes",))


def image_numbers(frames: list[str]) -> np.ndarray | None:
    """The frame numbers of a sequence's images (sorted in natural order) when each is
    named by a distinct number from 1 (MOT's ``000001.jpg``, an export's ``<N>.jpg``), as
    TrackEval and the MOT devkit read frame N as image N: a folder missing frames (an export
    of every K-th frame) keeps each box on its image. None for other names (the N-th image
    is then frame N)."""
    stems = [os.path.splitext(f)[0] for f in frames]
    if not all(stem.isdecimal() for stem in stems):
        return None
    numbers = np.array([int(stem) for stem in stems], dtype=np.int64)
    if numbers[0] < 1 or (np.diff(numbers) <= 0).any():  # frame 0, one number twice
        return None
    return numbers


def drop_without_image(
    rows: MotRows, numbers: np.ndarray, where: str, report: IngestReport
) -> None:
    """Drop (and report) the rows naming a frame the sequence has no image of (its
    images' frame ``numbers``, ascending)."""
    at = np.minimum(np.searchsorted(numbers, rows.frame), len(numbers) - 1)
    bad = numbers[at] != rows.frame
    if bad.any():
        report.error(
            "mot_frame_without_image",
            "MOT rows naming a frame the sequence has no image of (not ingested)",
            count=int(bad.sum()),
            examples=[
                f"{where}: frame {rows.frame[i]}{rows.at(i)}" for i in np.flatnonzero(bad)[:3]
            ],
        )
        rows.keep(~bad)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
