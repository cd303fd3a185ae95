"""The wheel carries the built lab extension and the server config, so installing the wheel
alone (no Node) gives a working JupyterLab extension."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_labextension_and_server_config(tmp_path: Path) -> None:
    # The lab extension is already built by `make setup`; the build hook skips rebuilding it.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-build-isolation",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("visionlens_jlab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    data = "visionlens_jlab-0.1.0.data/data/"
    assert f"{data}etc/jupyter/jupyter_server_config.d/visionlens_jlab.json" in names
    ext = f"{data}share/jupyter/labextensions/visionlens_jlab/"
    assert f"{ext}package.json" in names and f"{ext}install.json" in names
    assert any(n.startswith(f"{ext}static/remoteEntry.") for n in names)
    assert any(n.startswith(f"{ext}schemas/visionlens_jlab/") for n in names)
    assert (
        "visionlens_jlab/app.py" in names
        and "visionlens_jlab/labextension/package.json" not in names
    )
    # The comm protocol's description: the kernel side validates against it at run time.
    assert "visionlens_jlab/notebook/comm_messages.json" in names
    # The label kinds' description: parsers, catalog and filters read it at import.
    assert "visionlens_jlab/records/label_kinds.json" in names
