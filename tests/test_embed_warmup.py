"""The embedding job's batch size (issue #50): ``auto`` (or none) grows an open_clip model's
batches on the job's first batches while images/s improves, as the detectors' warm-up; a
number is kept. The real stream on a tiny random open_clip model and real photos, on the
CPU: every image embedded once, in order, with the vectors of a fixed batch size; the
batches cut follow the size the warm-up reached; the CLI takes ``--batch-size auto``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visionlens_jlab.cli import build_parser
from visionlens_jlab.embed.base import EmbedError
from visionlens_jlab.embed.models import parse_model
from visionlens_jlab.embed.stream import DEFAULT_BATCH_SIZE, check_batch_size, embed_stream
from visionlens_jlab.jobs.batch_warmup import GROWTH

from .embed_fixtures import photos, save_tiny_clip

N = 256
"""Samples (the photos over again): two full batches of the CPU default (32) to measure,
two more it may have cut ahead, and enough after them for a grown batch."""


def _run(clip: dict[str, Any], batch_size: int | str | None) -> dict[str, Any]:
    files = photos()
    pairs = [(i, str(files[i % len(files)])) for i in range(N)]
    got: dict[str, Any] = {"ids": [], "vectors": [], "batches": []}
    for message in embed_stream(clip, pairs, "cpu", batch_size):
        if message[0] == "meta":
            got["meta"] = message[1]
        elif message[0] == "vectors":
            got["ids"] += message[1].tolist()
            got["vectors"].append(message[2])
            got["batches"].append(len(message[1]))
        elif message[0] == "done":
            got["done"] = message[1]
    return got


def test_auto_grows_the_batches_from_the_default_and_loses_no_image(tmp_path: Path) -> None:
    clip = parse_model(None, str(save_tiny_clip(tmp_path / "clip"))).to_json()
    default = DEFAULT_BATCH_SIZE["cpu"]
    fixed = _run(clip, default)
    assert "warm_up" not in fixed["done"] and fixed["done"]["batch_size"] == default
    assert fixed["batches"] == [default] * (N // default)
    for asked in (None, "auto"):
        auto = _run(clip, asked)
        assert auto["meta"]["batch_size"] == default
        warm_up, chosen = auto["done"]["warm_up"], auto["done"]["batch_size"]
        # the default's rate is measured on its second full batch (the first pays set-up)
        assert str(default) in warm_up["images_per_second"]
        assert auto["batches"][:2] == [default, default]
        tried = {int(size) for size in warm_up["images_per_second"]}
        assert chosen in tried | {2 * max(tried)} and chosen <= GROWTH * default
        # batches are cut at the size the warm-up has reached (after the default's two
        # measured ones it always tries the double), never past the largest it tried
        assert max(auto["batches"]) >= 2 * default
        assert all(n <= 2 * max(tried) for n in auto["batches"])
        assert auto["ids"] == fixed["ids"] == list(range(N))  # each once, in order
        np.testing.assert_allclose(
            np.concatenate(auto["vectors"]), np.concatenate(fixed["vectors"]), atol=1e-5
        )


def test_the_batch_size_takes_a_number_or_auto_and_the_cli_passes_it() -> None:
    assert check_batch_size("auto") is None and check_batch_size(None) is None
    assert check_batch_size(8) == 8
    for bad in ("big", 0, 5000, True):
        with pytest.raises(EmbedError, match="batch size must be"):
            check_batch_size(bad)
    parser = build_parser()
    assert parser.parse_args(["embed", "ds", "--batch-size", "auto"]).batch_size == "auto"
    assert parser.parse_args(["embed", "ds", "--batch-size", "16"]).batch_size == 16
    with pytest.raises(SystemExit):
        parser.parse_args(["embed", "ds", "--batch-size", "0"])
