"""Where the tests find the shared reference datasets."""

import os
from pathlib import Path

SHARED = Path(os.environ.get("VISIONLENS_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATASETS = SHARED / "datasets"
