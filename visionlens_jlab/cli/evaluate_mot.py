"""``visionlens evaluate-mot GT_DIR RESULTS_DIR``: evaluate a tracker on MOT Challenge files.

No catalog: the ground truth is a MOT split folder (``<seq>/seqinfo.ini``, ``<seq>/gt/gt.txt``)
and the results a folder of ``<seq>.txt``. Prints CLEAR, Identity and HOTA as TrackEval's
``MotChallenge2DBox`` computes them, combined and per sequence.
"""

from __future__ import annotations

import argparse
from typing import Any

from .common import CliError, add_common_options


def add_parser(subparsers: Any) -> None:
    """Register the ``evaluate-mot`` subcommand."""
    p = subparsers.add_parser(
        "evaluate-mot",
        help="evaluate MOT Challenge tracker results (CLEAR, Identity, HOTA as TrackEval)",
    )
    p.add_argument("gt_dir", help="MOT split folder: <seq>/seqinfo.ini and <seq>/gt/gt.txt")
    p.add_argument("results_dir", help="folder of <seq>.txt tracker results (or its data/)")
    add_common_options(
        p,
        json_help='print one JSON object: {"tracking": combined, "sequences": per sequence, '
        '"trackeval": every TrackEval field}',
    )
    p.set_defaults(func=cmd_evaluate_mot)


def cmd_evaluate_mot(args: argparse.Namespace) -> dict[str, Any]:
    """Read the files, evaluate, return the report dict (with a text summary unless --json)."""
    from ..evaluate.tracking import evaluate_tracking, read_mot_folders

    try:
        report = evaluate_tracking(read_mot_folders(args.gt_dir, args.results_dir))
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    out = report.to_dict()
    if not args.json:
        out = {"text": report.summary_text(), **out}
    return out
