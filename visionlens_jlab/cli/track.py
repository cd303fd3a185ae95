"""``visionlens track``: tracks from a detector's boxes on a dataset's videos."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_common_options, job_result, run_local_or_remote


def add_parser(subparsers: Any) -> None:
    """Register ``track`` on the ``visionlens`` CLI."""
    p = subparsers.add_parser(
        "track",
        help="link a detector's boxes on each video into tracks (ByteTrack) as a new set",
        description="Run a tracker over the boxes of the prediction set --model on each video "
        "of the dataset, frame by frame in order, and store the tracked boxes with their "
        "track ids as a new prediction set (evaluate it with `visionlens evaluate NAME "
        "--model NEW --tracking`). The detector's boxes, labels and scores are kept.",
    )
    p.add_argument("dataset")
    p.add_argument("--model", required=True, help="the prediction set holding the detections")
    p.add_argument("--tracker", default="bytetrack", choices=["bytetrack"])
    p.add_argument(
        "--as",
        dest="name",
        metavar="NEW_MODEL",
        help="the new prediction set's name (default: MODEL-TRACKER)",
    )
    add_common_options(p)
    p.set_defaults(func=cmd_track)


def cmd_track(args: argparse.Namespace) -> dict[str, Any]:
    """Track on the catalog, or through the server that owns it (a job)."""

    def local(catalog: Any) -> dict[str, Any]:
        from ..predict.tracking import track_detections

        return track_detections(
            catalog, args.dataset, args.model, tracker=args.tracker, name=args.name
        )

    def remote(client: Any) -> dict[str, Any]:
        body = {"model": args.model, "tracker": args.tracker, "name": args.name}
        answer = client.post_json(
            f"datasets/{args.dataset}/track", {k: v for k, v in body.items() if v is not None}
        )
        return job_result(client, answer, "the tracking job was")

    result = run_local_or_remote(args, local, remote)
    if not args.json:
        result["text"] = (
            f"{result['dataset']}: {result['tracks']} tracks, {result['predictions']} boxes "
            f"from {result['detections']} ({result['tracker']}) -> {result['model']}"
        )
    return result
