"""An ingest through the CLI never imports pandas (pyarrow would, for ~50 MB of RSS), nor the
other areas' engines (vector-store clients, scipy: ~2 s of start), and Arrow's pandas output
still works once the ingest is over."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.ingest_fixtures import write_coco
from tests.video_fixtures import write_mot

REPO = Path(__file__).resolve().parents[1]

INGEST_THEN_REPORT = """
import json, sys
from visionlens_jlab.cli import main
# the blind-spot finder's engine, not its package: its manifest loads with the catalog
HEAVY = ["visionlens_jlab.vectors", "visionlens_jlab.blindspots.engine",
         "visionlens_jlab.blindspots.api", "qdrant_client", "scipy", "requests",
         "visionlens_jlab.demo"]
code = main(["ingest", sys.argv[1], "--name", "n", "--data-dir", sys.argv[2], "--json"])
during = "pandas" in sys.modules
areas = sorted(m for m in HEAVY if m in sys.modules)
import pyarrow as pa
frame = pa.table({"a": [1, 2]}).to_pandas()  # pyarrow tries pandas again when asked
print(json.dumps({"code": code, "pandas_during": during, "areas": areas,
                  "rows_after": len(frame)}))
"""


def test_cli_ingest_keeps_pandas_out(tmp_path: Path) -> None:
    source = tmp_path / "coco.json"
    boxes = write_coco(source, 60, 3)
    report, result = run_script(INGEST_THEN_REPORT, source, tmp_path / "data")
    assert report["annotations"] == boxes and report["samples"] == 60
    assert result == {"code": 0, "pandas_during": False, "areas": [], "rows_after": 2}


def run_script(script: str, *args: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run ``script`` in a fresh interpreter: the ingest's ``--json`` report and the
    script's own JSON line, its last two lines of output."""
    proc = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    lines = proc.stdout.strip().splitlines()
    return json.loads(lines[-2]), json.loads(lines[-1])


MOT_INGEST = """
import json, sys
from visionlens_jlab.cli import main
# another format's reader, the detection of formats, the evaluation's protocols and report:
# none is needed by an ingest of a given format, each costs the start of every such command
OTHERS = ["visionlens_jlab.ingest.detect", "visionlens_jlab.ingest.coco.dataset",
          "visionlens_jlab.ingest.cvat", "visionlens_jlab.ingest.cvat_video",
          "visionlens_jlab.ingest.vis", "visionlens_jlab.ingest.yolo",
          "visionlens_jlab.ingest.voc", "visionlens_jlab.ingest.video_folder",
          "visionlens_jlab.evaluate.api", "visionlens_jlab.evaluate.report",
          "xml.etree.ElementTree", "ijson", "pycocotools",
          # Pillow (seqinfo.ini gives the frames' size), semantic / panoptic evaluation and
          # the media's image sources (their manifests need names and a table's DDL only)
          "PIL", "visionlens_jlab.semantic.evaluate", "visionlens_jlab.semantic.panoptic",
          "visionlens_jlab.media.lookup", "visionlens_jlab.media.sources"]
code = main(["ingest", sys.argv[1], "--name", "n", "--format", "mot",
             "--data-dir", sys.argv[2], "--json"])
print(json.dumps({"code": code, "imported": sorted(m for m in OTHERS if m in sys.modules)}))
"""


def test_cli_ingest_of_one_format_imports_its_reader_only(tmp_path: Path) -> None:
    write_mot(tmp_path / "mot", {"SEQ-01": 4})
    report, result = run_script(MOT_INGEST, tmp_path / "mot", tmp_path / "data")
    assert report["samples"] == 4 and report["tracks"] > 0
    assert result == {"code": 0, "imported": []}


def test_cli_ingest_error_still_reported(tmp_path: Path) -> None:
    """An ingest error (its class looked up lazily) is one line with exit code 1."""
    source = tmp_path / "broken.json"
    source.write_text('{"images": [1, 2')
    proc = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.cli", "ingest", str(source), "--name", "n"]
        + ["--data-dir", str(tmp_path / "data"), "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("visionlens: error: ") and "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["errors"][0]["code"] == "failed"
