"""Tracker evaluation: CLEAR MOT, Identity and HOTA as TrackEval computes them on MOT
Challenge data (``MotChallenge2DBox``), from flat per-box arrays or MOT text files."""

from .engine import evaluate_tracking
from .mot_files import read_mot_folders, read_mot_sequence
from .report import SequenceDetails, TrackingReport
from .sequences import SequenceData

__all__ = [
    "SequenceData",
    "SequenceDetails",
    "TrackingReport",
    "evaluate_tracking",
    "read_mot_folders",
    "read_mot_sequence",
]
