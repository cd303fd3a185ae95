"""A checkpoint that is on disk but broken (a malformed ``config.json``, truncated weights)
is refused with a sentence naming the model and what to do, for every transformers loader,
instead of the library's traceback; the CLI says it as an error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from visionlens_jlab.predict.base import PredictError
from visionlens_jlab.predict.loading import load_detector, load_segmenter

from .predict_fixtures import cartucho_subset, save_tiny_detr
from .segment_fixtures import save_tiny_sam


def truncated(folder: Path) -> Path:
    weights = next(folder.glob("*.safetensors"))
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])  # a copy cut short
    return folder


@pytest.mark.parametrize("config", ['{"model_type": "sam", "vision_config": 7}', "{not json"])
def test_a_malformed_configuration_is_a_sentence(tmp_path: Path, config: str) -> None:
    folder = save_tiny_sam(tmp_path / "sam")
    (folder / "config.json").write_text(config)
    with pytest.raises(PredictError, match=r"cannot read the configuration of .*config\.json"):
        load_segmenter(str(folder))


def test_truncated_weights_are_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(PredictError, match="looks incomplete or corrupt: copy it again whole"):
        load_segmenter(str(truncated(save_tiny_sam(tmp_path / "sam"))))
    with pytest.raises(PredictError, match=r"detr.* from .*incomplete or corrupt"):
        load_detector(str(truncated(save_tiny_detr(tmp_path / "detr"))))


def test_the_cli_says_it_without_a_traceback(tmp_path: Path) -> None:
    photos = cartucho_subset(tmp_path / "photos", 4)
    data = ["--data-dir", str(tmp_path / "data")]
    cli = [sys.executable, "-m", "visionlens_jlab.cli"]
    subprocess.run(
        [*cli, "ingest", str(photos / "ground-truth"), "--format", "txt", "--images",
         str(photos / "images"), "--name", "photos", *data],
        check=True, capture_output=True,
    )  # fmt: skip
    model = truncated(save_tiny_sam(tmp_path / "sam"))
    done = subprocess.run(
        [*cli, "segment-boxes", "photos", "--model", str(model), *data],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "incomplete or corrupt" in done.stderr
