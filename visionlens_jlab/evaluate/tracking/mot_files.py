"""Read MOT Challenge text files into :class:`SequenceData` (plain files, no catalog).

Layout: ``GT_DIR/<seq>/seqinfo.ini`` (``[Sequence] seqLength``) and ``GT_DIR/<seq>/gt/gt.txt``
(``frame, id, x, y, w, h, conf, class, visibility``); results ``RESULTS_DIR/<seq>.txt``
(``frame, id, x, y, w, h, score[, ...]``), as TrackEval reads them. Columns are separated by
commas or by whitespace.
"""

from __future__ import annotations

import configparser
import io
from pathlib import Path

import numpy as np

from .sequences import SequenceData


def read_table(path: Path, min_columns: int, what: str) -> np.ndarray:
    """A MOT text file as a float matrix (rows x columns); an empty file has no rows."""
    import pandas as pd

    text = path.read_text()
    if not text.strip():
        return np.zeros((0, min_columns))
    first = text.lstrip().split("\n", 1)[0]
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            header=None,
            sep="," if "," in first else r"\s+",
            skipinitialspace=True,
            dtype=float,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise ValueError(f"{path}: not a MOT {what} file ({exc})") from None
    values = frame.dropna(axis=1, how="all").to_numpy(dtype=float)
    if values.shape[1] < min_columns or np.isnan(values[:, :min_columns]).any():
        raise ValueError(
            f"{path}: a MOT {what} row needs {min_columns} numeric columns "
            f"(frame, id, x, y, w, h, ...)"
        )
    return values


def read_seq_length(seqinfo: Path) -> int:
    """``seqLength`` of a ``seqinfo.ini``."""
    parser = configparser.ConfigParser()
    try:
        parser.read_string(seqinfo.read_text())
        return int(parser["Sequence"]["seqLength"])
    except (KeyError, ValueError, configparser.Error) as exc:
        raise ValueError(f"{seqinfo}: no [Sequence] seqLength ({exc})") from None


def read_mot_sequence(seq_dir: str | Path, results_file: str | Path) -> SequenceData:
    """One sequence: its folder (``seqinfo.ini``, ``gt/gt.txt``) and a tracker results file."""
    seq_dir, results_file = Path(seq_dir), Path(results_file)
    seqinfo = seq_dir / "seqinfo.ini"
    if not seqinfo.is_file():
        raise ValueError(f"{seq_dir}: no seqinfo.ini (it gives the sequence length)")
    gt = read_table(seq_dir / "gt" / "gt.txt", 8, "ground-truth")
    tr = read_table(results_file, 7, "results")
    if tr.shape[1] >= 8 and len(tr) and tr[:, 7].max() > 1:
        # TrackEval refuses classes other than pedestrian in results, so does this reader.
        raise ValueError(
            f"{results_file}: results name class {int(tr[:, 7].max())}; only "
            "pedestrians (1, or -1 for none) are evaluated"
        )
    visibility = gt[:, 8] if gt.shape[1] > 8 else np.ones(len(gt))
    return SequenceData(
        name=seq_dir.name,
        num_frames=read_seq_length(seqinfo),
        gt_frame=gt[:, 0].astype(np.int64),
        gt_id=gt[:, 1].astype(np.int64),
        gt_box=gt[:, 2:6],
        gt_class=gt[:, 7].astype(np.int64),
        gt_conf=gt[:, 6],
        gt_visibility=visibility,
        tr_frame=tr[:, 0].astype(np.int64),
        tr_id=tr[:, 1].astype(np.int64),
        tr_box=tr[:, 2:6],
        tr_score=tr[:, 6],
    )


def sequence_dirs(gt_dir: Path) -> list[Path]:
    """The sequence folders of a MOT split: those with ``gt/gt.txt``, sorted by name."""
    found = sorted(p.parent.parent for p in gt_dir.glob("*/gt/gt.txt"))
    if not found:
        raise ValueError(f"{gt_dir}: no <sequence>/gt/gt.txt (a MOT Challenge split folder)")
    return found


def read_mot_folders(gt_dir: str | Path, results_dir: str | Path) -> list[SequenceData]:
    """Every sequence of a MOT split with the tracker's ``<seq>.txt`` from ``results_dir``
    (or from its ``data/`` folder, TrackEval's tracker layout). A sequence without a results
    file is an error, as in TrackEval: an empty file says that the tracker found nothing."""
    gt_dir, results_dir = Path(gt_dir), Path(results_dir)
    if not results_dir.is_dir():
        raise ValueError(f"{results_dir}: not a folder of <sequence>.txt results")
    if not any(results_dir.glob("*.txt")) and (results_dir / "data").is_dir():
        results_dir = results_dir / "data"
    sequences = []
    for seq_dir in sequence_dirs(gt_dir):
        results_file = results_dir / f"{seq_dir.name}.txt"
        if not results_file.is_file():
            raise ValueError(f"{results_file}: no results for sequence {seq_dir.name}")
        sequences.append(read_mot_sequence(seq_dir, results_file))
    return sequences
