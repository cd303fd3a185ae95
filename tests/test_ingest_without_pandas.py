"""An ingest through the CLI never imports pandas (pyarrow would, for ~50 MB of RSS), and
Arrow's pandas output still works once the ingest is over."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.ingest_fixtures import write_coco

REPO = Path(__file__).resolve().parents[1]

INGEST_THEN_REPORT = """
import json, sys
from visionlens_jlab.cli import main
code = main(["ingest", sys.argv[1], "--name", "n", "--data-dir", sys.argv[2], "--json"])
during = "pandas" in sys.modules
import pyarrow as pa
frame = pa.table({"a": [1, 2]}).to_pandas()  # pyarrow tries pandas again when asked
print(json.dumps({"code": code, "pandas_during": during, "rows_after": len(frame)}))
"""


def test_cli_ingest_keeps_pandas_out(tmp_path: Path) -> None:
    source = tmp_path / "coco.json"
    boxes = write_coco(source, 60, 3)
    proc = subprocess.run(
        [sys.executable, "-c", INGEST_THEN_REPORT, str(source), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    lines = proc.stdout.strip().splitlines()
    report, result = json.loads(lines[-2]), json.loads(lines[-1])
    assert report["annotations"] == boxes and report["samples"] == 60
    assert result == {"code": 0, "pandas_during": False, "rows_after": 2}
