"""``visionlens label-quality NAME --model M``: which labels are likely wrong, and how.

Through the running server's REST API (a job, then the stored result) when one owns the
data directory, else in this process. ``--json`` prints ``{"model", "boxes": [{"annotation_id",
"sample_id", "source", "issue", "score"}], "images": [{"sample_id", "score"}]}``, every
object once with its most likely issue, worst first.
"""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_common_options

SHOWN = 20
ISSUE_NAMES = ("overlooked", "swapped", "badly_located", "spurious")


def add_parser(subparsers: Any) -> None:
    """Register the ``label-quality`` subcommand."""
    p = subparsers.add_parser(
        "label-quality",
        help="score every label against a model's predictions: overlooked, swapped, badly "
        "located, spurious boxes (or masks); semantic masks per image and region; stores "
        "lq_* fields",
    )
    p.add_argument("dataset", help="dataset name")
    p.add_argument("--model", required=True, help="the prediction set to judge the labels by")
    p.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="ISSUE=VALUE",
        help="flag an issue type below this score (repeatable; defaults from the benchmark)",
    )
    p.add_argument(
        "--iou",
        choices=("auto", "mask", "box"),
        default="auto",
        help="overlap of a prediction and a label: mask IoU, box IoU, or auto (mask when "
        "the labels and the model both have masks; the default)",
    )
    add_common_options(p)
    p.set_defaults(func=cmd_label_quality)


def parse_thresholds(items: list[str]) -> dict[str, float]:
    """``["swapped=0.3", ...]`` as ``{"swapped": 0.3}``; ValueError naming what is wrong."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in ISSUE_NAMES:
            raise ValueError(
                f"--threshold takes ISSUE=VALUE with ISSUE one of {', '.join(ISSUE_NAMES)}, "
                f"not {item!r}"
            )
        try:
            out[name] = float(value)
        except ValueError:
            raise ValueError(f"--threshold {name}: {value!r} is not a number") from None
    return out


def cmd_label_quality(args: argparse.Namespace) -> dict[str, Any]:
    """Run locally or through the server's REST job; returns the result dict."""
    from .common import job_result, run_local_or_remote, usage_errors

    with usage_errors():
        thresholds = parse_thresholds(args.threshold)
        from ..label_quality.scores import check_thresholds

        check_thresholds(thresholds)

    def local(catalog: Any) -> dict[str, Any]:
        from ..label_quality.job import run_label_quality

        return run_label_quality(
            catalog, args.dataset, args.model, thresholds=thresholds, iou=args.iou
        )

    def remote(client: Any) -> dict[str, Any]:
        path = f"datasets/{args.dataset}/label-quality"
        body = {"model": args.model, "thresholds": thresholds, "iou": args.iou}
        done = job_result(client, client.post_json(path, body))
        regions = {"regions": done["regions"]} if "regions" in done else {}
        return {**client.get_json(path, model=args.model), "summary": done["summary"], **regions}

    out = run_local_or_remote(args, local, remote)
    if args.json:
        regions = {"regions": out["regions"]} if "regions" in out else {}
        return {"model": out["model"], "boxes": out["boxes"], "images": out["images"], **regions}
    return {"text": summary_text(args.dataset, out), **out}


def summary_text(dataset: str, result: dict[str, Any]) -> str:
    """A few lines for a terminal: flagged objects per issue, then the worst objects."""
    summary = result["summary"]
    if "regions" in result:
        return semantic_text(dataset, result)
    counts = ", ".join(f"{n} {name}" for name, n in summary["flagged"].items())
    lines = [
        f"{dataset} / {result['model']}: {summary['objects']:,} objects scored; flagged: "
        f"{counts}; {summary['images_flagged']:,} of {summary['images']:,} images have one"
        + (f" (overlap: {summary['iou']} IoU)" if summary.get("iou") else ""),
        *(f"  warning: {w}" for w in summary.get("warnings", [])),
    ]
    for box in result["boxes"][:SHOWN]:
        lines.append(
            f"  {box['score']:.3f} {box['issue']:<13} annotation {box['annotation_id']} "
            f"(sample {box['sample_id']}, {box['source']})"
        )
    if len(result["boxes"]) > SHOWN:
        lines.append(f"  ... {len(result['boxes']) - SHOWN:,} more objects (--json for all)")
    return "\n".join(lines)


def semantic_text(dataset: str, result: dict[str, Any]) -> str:
    """A semantic-mask run for a terminal: flagged regions, then the worst of them."""
    summary = result["summary"]
    lines = [
        f"{dataset} / {result['model']}: {summary['images']:,} semantic masks scored; "
        f"{summary['flagged']['regions']:,} regions flagged in {summary['images_flagged']:,} "
        "images (most of their pixels predicted as another class)"
    ]
    for r in result["regions"][:SHOWN]:
        lines.append(
            f"  {r['score']:.3f} {r['class']!r} predicted {r['predicted']!r}: {r['pixels']:,} px "
            f"at ({r['x']}, {r['y']}, {r['w']}, {r['h']}) (sample {r['sample_id']})"
        )
    if len(result["regions"]) > SHOWN:
        lines.append(f"  ... {len(result['regions']) - SHOWN:,} more regions (--json for all)")
    return "\n".join(lines)
