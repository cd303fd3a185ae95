"""``visionlens evaluate`` imports only what it needs: not pandas (pyarrow would, for ~50 MB
of RSS and ~0.4 s: the report's tables are built on first use), not the other commands'
modules and engines, not the job machinery nor prometheus_client; the report's tables still
come as DataFrames to whoever asks."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.evaluate_fixtures import ingest, ingest_predictions
from tests.evaluate_label_fixtures import synthetic_segm
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.cli import EXTENSION_COMMAND_MODULES, build_parser
from visionlens_jlab.evaluate.report import EvaluationReport

REPO = Path(__file__).resolve().parents[1]

EVALUATE_THEN_REPORT = """
import json, sys
from visionlens_jlab.cli import main
HEAVY = ["pandas", "visionlens_jlab.demo", "visionlens_jlab.cli.demo",
         "visionlens_jlab.cli.dedup", "visionlens_jlab.dedup.near", "scipy",
         # what only a job, an edit, a server or an image reader needs (the feature
         # manifests are imported to open the catalog, not these)
         "prometheus_client", "visionlens_jlab.metrics", "visionlens_jlab.jobs",
         "visionlens_jlab.edits.engine", "visionlens_jlab.embed.base", "PIL",
         # semantic / panoptic evaluations (asked first whether the model has masks), the
         # media's image sources (its manifest needs a table's DDL only), ctypes.util (runs
         # ldconfig in a subprocess to find the C library the interpreter already links)
         "visionlens_jlab.semantic.evaluate", "visionlens_jlab.semantic.panoptic",
         "visionlens_jlab.media.lookup", "visionlens_jlab.media.sources", "ctypes.util",
         "subprocess"]
if sys.argv[2] == "bbox":  # pycocotools and the mask IoU are for segm only
    HEAVY += ["pycocotools", "visionlens_jlab.evaluate.masks"]
code = main(["evaluate", "d", "--model", "m", "--iou-type", sys.argv[2],
             "--data-dir", sys.argv[1], "--json"])
print(json.dumps({"code": code, "imported": sorted(m for m in HEAVY if m in sys.modules)}))
"""


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    """The subcommands ``parser`` knows."""
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    return set(sub.choices or {})


def test_cli_evaluate_keeps_pandas_and_other_areas_out(tmp_path: Path) -> None:
    gt, dets = synthetic_segm(2)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dets))
    data = tmp_path / "data"
    with Catalog(data) as catalog:
        ingest(catalog, "d", tmp_path / "gt.json", "coco")
        ingest_predictions(catalog, "d", "m", tmp_path / "dt.json", "coco")
    for iou_type in ("bbox", "segm"):
        proc = subprocess.run(
            [sys.executable, "-c", EVALUATE_THEN_REPORT, str(data), iou_type],
            capture_output=True, text=True, cwd=REPO, check=True,
        )  # fmt: skip
        lines = proc.stdout.strip().splitlines()
        report, result = json.loads(lines[-2]), json.loads(lines[-1])
        assert result == {"code": 0, "imported": []}, proc.stderr
        assert report["iou_type"] == iou_type and 0 < report["stats"]["AP"] < 1
        tables = EvaluationReport.from_dict(report)  # in this process: pandas on demand
        assert tables.per_class["class"].tolist() == [r["class"] for r in report["per_class"]]
        labels = report["confusion"]["labels"]
        assert tables.confusion.shape == (len(labels), len(labels))
        assert tables.confusion.to_numpy().tolist() == report["confusion"]["matrix"]


def test_every_command_parses_with_only_its_modules_imported() -> None:
    """A command's parser (its own module's, else every area's) knows the command."""
    every = _subcommands(build_parser())
    assert "evaluate" in every and len(every) > len(EXTENSION_COMMAND_MODULES)
    for command in sorted(every):
        assert command in _subcommands(build_parser(command)), command
    assert _subcommands(build_parser("evaluate")) == {
        "ingest", "predictions", "datasets", "delete", "evaluate"}  # fmt: skip


def test_numpy_is_imported_with_one_blas_thread_and_the_environment_kept(monkeypatch) -> None:
    """``visionlens evaluate`` imports numpy with OpenBLAS on one thread (no evaluation
    calls BLAS; its threads' start costs CPU), unless numpy is already loaded or the user
    chose a count, and leaves the environment as it found it."""
    from visionlens_jlab.cli.evaluate import BLAS_THREADS, one_blas_thread

    monkeypatch.delenv(BLAS_THREADS, raising=False)
    monkeypatch.delitem(sys.modules, "numpy")  # as in a fresh ``visionlens`` process
    with one_blas_thread():
        assert os.environ[BLAS_THREADS] == "1"
    assert BLAS_THREADS not in os.environ
    monkeypatch.setenv(BLAS_THREADS, "4")  # the user's count
    with one_blas_thread():
        assert os.environ[BLAS_THREADS] == "4"
    monkeypatch.undo()  # numpy loaded: nothing to set
    monkeypatch.delenv(BLAS_THREADS, raising=False)
    with one_blas_thread():
        assert BLAS_THREADS not in os.environ
