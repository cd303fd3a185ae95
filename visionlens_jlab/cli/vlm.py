"""``visionlens vlm-calibration NAME``: per VLM question, its kappas and whether it counts."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_common_options


def add_parser(subparsers: Any) -> None:
    """Register the ``vlm-calibration`` subcommand."""
    p = subparsers.add_parser(
        "vlm-calibration",
        help="Cohen's kappa of each VLM question against the measured attributes and the "
        "user's labels, and whether the blind-spot finder may use it",
    )
    p.add_argument("dataset", help="dataset name")
    add_common_options(p)
    p.set_defaults(func=cmd_vlm_calibration)


def cmd_vlm_calibration(args: argparse.Namespace) -> dict[str, Any]:
    """The calibration through the server (its threshold setting) or in this process
    (the default threshold)."""
    from .common import run_local_or_remote

    def local(catalog: Any) -> dict[str, Any]:
        from ..predict.calibration import calibration

        return calibration(catalog, args.dataset)

    def remote(client: Any) -> dict[str, Any]:
        return dict(client.get_json(f"datasets/{args.dataset}/vlm/calibration"))

    out = run_local_or_remote(args, local, remote)
    if not args.json:
        out = {"text": summary_text(out), **out}
    return out


def _kappa(value: float | None, n: int) -> str:
    return f"{value:.3f} (n={n})" if value is not None else f"- (n={n})"


def summary_text(result: dict[str, Any]) -> str:
    """One line per question: both kappas and the verdict."""
    lines = [f"{result['dataset']}: VLM attributes, kappa threshold {result['threshold']}"]
    if not result["questions"]:
        lines.append("  no VLM answers yet: visionlens predict NAME --model PATH --task vlm")
    for q in result["questions"]:
        lines.append(
            f"  {q['question']:<12} measured {_kappa(q['kappa_measured'], q['n_measured']):<16}"
            f" labels {_kappa(q['kappa_labels'], q['n_labels']):<16} {q['reason']}"
        )
    return "\n".join(lines)
