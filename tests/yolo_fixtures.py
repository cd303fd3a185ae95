"""Helpers for the YOLO tests: label trees, rows as stored, and Ultralytics run as an oracle
in a child process."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ingest_fixtures import tiny_jpeg
from visionlens_jlab.catalog import Catalog

W, H = 200, 100


def yolo_dataset(root: Path, yaml_text: str, labels: dict[str, str]) -> Path:
    """An Ultralytics tree under ``root``: ``images/train/<stem>.jpg`` (W x H) and
    ``labels/train/<stem>.txt`` for each of ``labels``, and ``data.yaml``."""
    for stem, text in labels.items():
        (root / "images" / "train").mkdir(parents=True, exist_ok=True)
        (root / "labels" / "train").mkdir(parents=True, exist_ok=True)
        (root / "images" / "train" / f"{stem}.jpg").write_bytes(tiny_jpeg(W, H))
        (root / "labels" / "train" / f"{stem}.txt").write_text(text)
    (root / "data.yaml").write_text(yaml_text)
    return root


def yolo_row(values: list[float], cls: int = 0) -> str:
    """A label row: the class, then the values with 6 decimals."""
    return " ".join([str(cls), *(f"{v:.6f}" for v in values)])


def stored_rows(
    catalog: Catalog, dataset: str, stem: str, source: str = "ground_truth"
) -> list[dict[str, Any]]:
    """The objects of ``source`` on the image ``stem``, as stored, in insertion order."""
    with catalog.cursor() as cur:
        cur.execute(
            "SELECT a.label, a.x, a.y, a.w, a.h, a.score, a.segmentation, a.mask_area, "
            "a.keypoints, a.num_keypoints FROM annotations a JOIN samples s USING (sample_id) "
            "JOIN datasets d ON d.dataset_id = s.dataset_id "
            "WHERE d.name = ? AND s.source_image_id = ? AND a.source = ? ORDER BY a.ann_id",
            [dataset, stem, source],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def run_ultralytics(tmp_path: Path, script: str, payload: Any) -> Any:
    """Run ``script`` (reading ``payload`` as JSON on stdin, printing JSON last) in a child
    process: importing Ultralytics patches ``PIL.Image.open`` process-wide (and may try to
    install pi-heif on a file PIL cannot read), which must not leak into the other tests."""
    if importlib.util.find_spec("ultralytics") is None:  # found, never imported here
        pytest.skip("ultralytics is not installed (the test extra installs it)")
    env = {
        **os.environ,
        "YOLO_OFFLINE": "1",  # read when Ultralytics is imported: offline, settings here
        "YOLO_CONFIG_DIR": str(tmp_path / "ultralytics"),
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])
