"""A model for the Ray pool's tests, imported by the cluster's workers (only light imports
here): each batch is slow and counted."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np


class SlowModel:
    """Each batch takes ``seconds``; the first one writes the file ``started``."""

    def __init__(self, seconds: float, started: str) -> None:
        self.seconds = seconds
        self.started = Path(started)
        self.batches = 0

    def describe(self) -> dict[str, Any]:
        return {"batches": self.batches}

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.batches == 0:
            self.started.write_text("started")
        time.sleep(self.seconds)
        self.batches += 1
        return {"sample_id": batch["sample_id"]}


def as_is(block: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A pipeline's prepare step that prepares nothing: the block's ids go to the model."""
    return {"sample_id": block["sample_id"]}
