"""The file formats, declared once (``visionlens_jlab/formats.py``): every declared format is
one the parsers or the export open, the CLI and the routes take exactly these, and
``GET /formats`` lists them with the plugins' ingest formats for the lab's forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from visionlens_jlab import formats
from visionlens_jlab.cli import build_parser
from visionlens_jlab.export.check import check_options
from visionlens_jlab.export.errors import ExportError
from visionlens_jlab.formats import names
from visionlens_jlab.ingest.open import open_dataset, open_predictions
from visionlens_jlab.records.report import IngestError

TEST_PLUGIN = """
from visionlens_jlab.plugins.api import IngestFormat


class TestBoxes:
    name = "testboxes"
    version = "0.1"
    api_version = "1.0"

    def ingest_formats(self, *, context):
        def refuse(*, context):
            raise ValueError("not in this test")

        return [IngestFormat("test-boxes", lambda path: False, refuse, "Boxes as test rows")]


plugin = TestBoxes()
"""


def _opens(open_source: Any, source: str, fmt: str) -> None:
    """Opening ``source`` as ``fmt`` may fail on its content, never as an unknown format."""
    try:
        open_source(source, fmt)
    except IngestError as exc:
        assert "unknown" not in str(exc), (fmt, str(exc))


@pytest.mark.parametrize("fmt", names(formats.DATASET_FORMATS))
def test_every_dataset_format_has_a_parser(tmp_path: Path, fmt: str) -> None:
    _opens(open_dataset, str(tmp_path), fmt)


@pytest.mark.parametrize("fmt", names(formats.PREDICTION_FORMATS))
def test_every_prediction_format_has_a_parser(tmp_path: Path, fmt: str) -> None:
    _opens(open_predictions, str(tmp_path), fmt)


def test_every_export_format_is_written_and_no_other() -> None:
    for fmt in names(formats.EXPORT_FORMATS):
        assert check_options(fmt, "none", None) == (None, None)
    with pytest.raises(ExportError, match="unknown export format 'tfrecord'"):
        check_options("tfrecord", "none", None)


def test_the_cli_takes_the_declared_formats() -> None:
    parser = build_parser()
    for fmt in ("auto", *names(formats.PREDICTION_FORMATS)):
        args = parser.parse_args(["predictions", "d", "p.json", "--model", "m", "--format", fmt])
        assert args.format == fmt
    for fmt in names(formats.EXPORT_FORMATS):
        args = parser.parse_args(["export", "d", "--format", fmt, "--out", "o"])
        assert args.format == fmt
    with pytest.raises(SystemExit):
        parser.parse_args(["export", "d", "--format", "tfrecord", "--out", "o"])


@pytest.fixture
def vl_settings(vl_data_dir: Path) -> dict[str, Any]:
    (vl_data_dir / "plugins").mkdir(parents=True)
    (vl_data_dir / "plugins" / "testboxes.py").write_text(TEST_PLUGIN)
    return {"plugin_folder": "on"}


async def test_formats_route_lists_declared_and_plugin_formats(api: Any) -> None:
    status, answer = await api("GET", "formats")
    assert status == 200
    assert answer["auto"] == "auto"
    assert [f["name"] for f in answer["predictions"]] == list(names(formats.PREDICTION_FORMATS))
    assert [f["name"] for f in answer["exports"]] == list(names(formats.EXPORT_FORMATS))
    assert answer["datasets"][: len(formats.DATASET_FORMATS)] == [
        {"name": f.name, "title": f.title} for f in formats.DATASET_FORMATS
    ]
    # The plugins' formats follow (this folder plugin's, and those installed in the venv).
    plugin_formats = answer["datasets"][len(formats.DATASET_FORMATS) :]
    assert {"name": "test-boxes", "title": "Boxes as test rows", "plugin": "testboxes"} in (
        plugin_formats
    )
    assert all("plugin" in f for f in plugin_formats)
    # The ingest route takes every listed format (txt-xywh was missing from it) and no other.
    for fmt in ("txt-xywh", "test-boxes"):
        status, answer = await api(
            "POST", "datasets", {"source": "/nowhere", "name": "x", "format": fmt}
        )
        assert "unknown format" not in str(answer), (fmt, answer)
    status, answer = await api(
        "POST", "datasets", {"source": "/nowhere", "name": "x", "format": "nope"}
    )
    assert status == 400 and "unknown format 'nope'" in answer["message"]
