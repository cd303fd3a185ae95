"""``dtype auto`` keeps a reduced dtype only where its first batch matches float32
(visionlens_jlab/predict/reduced_check.py): the comparison's tolerances (boxes IoU ≥ 0.99,
scores to 1e-3, same labels, no extra box), and a real torchvision detector whose ``auto``
tries bfloat16 on the CPU (bf16 autocast runs there for real; ``auto`` picks it only on a
GPU, so the test makes it pick it here): the job runs in the dtype the check chose and its
boxes equal an explicit run in that dtype."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from visionlens_jlab.predict import loading as loading_module
from visionlens_jlab.predict.reduced_check import boxes_match
from visionlens_jlab.predict.stream import predict_stream

from .test_accelerator import detect_items, detect_request, photos, weights  # noqa: F401

REF = [(1, "cat", 10.0, 10.0, 100.0, 50.0, 0.9), (1, "dog", 0.0, 0.0, 20.0, 20.0, 0.6)]


def test_boxes_match_within_the_tolerances_only() -> None:
    assert boxes_match(REF, list(reversed(REF)))
    nudged = [(1, "cat", 10.2, 10.0, 100.0, 50.0, 0.9004), REF[1]]  # IoU 0.996
    assert boxes_match(REF, nudged)
    moved = [(1, "cat", 12.0, 10.0, 100.0, 50.0, 0.9), REF[1]]  # IoU 0.96
    assert not boxes_match(REF, moved)
    rescored = [(1, "cat", 10.0, 10.0, 100.0, 50.0, 0.902), REF[1]]
    assert not boxes_match(REF, rescored)
    relabelled = [(1, "cow", 10.0, 10.0, 100.0, 50.0, 0.9), REF[1]]
    assert not boxes_match(REF, relabelled)
    other_image = [(2, "cat", 10.0, 10.0, 100.0, 50.0, 0.9), REF[1]]
    assert not boxes_match(REF, other_image)
    assert not boxes_match(REF, [*REF, (1, "dog", 50.0, 50.0, 5.0, 5.0, 0.55)])
    assert boxes_match([], [])


def run(request: dict[str, Any], items: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    messages = list(predict_stream(request, items))
    boxes = [m for m in messages if m[0] == "boxes"]
    return boxes, next(m[1] for m in messages if m[0] == "done")


def test_auto_keeps_bfloat16_only_if_the_first_batch_matches_float32(
    photos: Path,  # noqa: F811
    weights: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = detect_items(photos)
    full, full_done = run(detect_request(weights, dtype="float32"), items)
    low, low_done = run(detect_request(weights, dtype="bfloat16"), items)
    assert (full_done["dtype"], low_done["dtype"]) == ("float32", "bfloat16")
    assert "reduced_check" not in full_done and "reduced_check" not in low_done  # as asked
    expected_kept = boxes_match(full[0][2], low[0][2])

    real = loading_module.resolve_dtype
    # what auto resolves to on a bf16 GPU, here on the CPU
    monkeypatch.setattr(
        loading_module,
        "resolve_dtype",
        lambda asked, device: torch.bfloat16 if asked == "auto" else real(asked, device),
    )
    auto, auto_done = run(detect_request(weights, dtype="auto"), items)
    assert auto_done["reduced_check"] == {"tried": "bfloat16", "kept": expected_kept}
    assert auto_done["dtype"] == ("bfloat16" if expected_kept else "float32")
    assert auto == (low if expected_kept else full)
    assert any(m[2] for m in auto)  # there were boxes to compare
