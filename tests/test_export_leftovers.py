"""Staging folders of an export killed with ``kill -9`` (issue #46): the next export into the
same folder removes them, and so does the next server start-up; a live export's staging
folder and a user's folder of a look-alike name are never touched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.export_fixtures import coco_source, ingest_source
from visionlens_jlab.catalog import Catalog
from visionlens_jlab.export import export_view
from visionlens_jlab.export.leftovers import LEDGER

REPO = Path(__file__).resolve().parents[1]
# an export in a process of its own: staging made, half written, then waiting to be killed
EXPORTING = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from visionlens_jlab.export.staging import staged
    with staged(Path(sys.argv[1]), False, Path(sys.argv[2])) as root:
        (root / "labels.json").write_text("{half written")
        print(root, flush=True)
        time.sleep(120)
    """
)


class Exporting:
    """An export process holding its staging folder ``staging``."""

    def __init__(self, out: Path, data_dir: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", EXPORTING, str(out), str(data_dir)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        self.staging = Path(self.proc.stdout.readline().strip())
        assert self.staging.name.startswith(f".{out.name}.export-"), self.staging

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)


@pytest.fixture
def exporting() -> Iterator[list[Exporting]]:
    """The export processes a test starts; killed at its end."""
    started: list[Exporting] = []
    yield started
    for one in started:
        if one.proc.poll() is None:
            one.kill9()


def test_the_next_export_into_the_folder_removes_a_killed_exports_staging(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, exporting: list[Exporting]
) -> None:
    data_dir = ingest_source(capsys, _source(tmp_path), tmp_path / "data")
    parent = tmp_path / "exports"
    killed = Exporting(parent / "a", data_dir)
    live = Exporting(parent / "b", data_dir)
    exporting += [killed, live]
    killed.kill9()
    assert (killed.staging / "labels.json").is_file()  # what kill -9 leaves
    mine = parent / ".c.export-abc"  # a user's folder of the same form, without the marker
    mine.mkdir()
    catalog = Catalog(data_dir)
    try:
        export_view(catalog, "src", "coco", parent / "new", images="none")
    finally:
        catalog.close()
    assert not killed.staging.exists()
    assert live.staging.is_dir() and mine.is_dir()
    assert (parent / "new" / "labels.json").is_file()
    assert not (parent / "new" / ".visionlens-staging").exists()  # the marker stays out


@pytest.fixture
def killed_before_start(tmp_path: Path, vl_data_dir: Path, exporting: list[Exporting]) -> Exporting:
    """An export of the server's data directory killed before the server starts."""
    killed = Exporting(tmp_path / "exports" / "a", vl_data_dir)
    exporting.append(killed)
    killed.kill9()
    assert killed.staging.is_dir() and list((vl_data_dir / LEDGER).iterdir())
    return killed


@pytest.fixture
def vl_settings(killed_before_start: Exporting) -> dict[str, Any]:
    return {}  # the server starts after the kill


def test_server_start_up_removes_a_killed_exports_staging(
    killed_before_start: Exporting, vl_app: Any, vl_data_dir: Path
) -> None:
    assert not killed_before_start.staging.exists()
    assert list((vl_data_dir / LEDGER).iterdir()) == []
    assert killed_before_start.staging.parent.is_dir()  # its parent (and the rest) stay


def _source(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    coco_source(root, "segm")
    return root
