"""Jupyter server configuration for the VisionLens UI tests (Galata).

Never use this configuration in production: it disables authentication.
"""

import os
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

HERE = Path(__file__).parent.resolve()

# VisionLens keeps its catalog in a folder of the test tree (ignored by git);
# global-setup.js fills it with the CLI before the tests run.
os.environ["VISIONLENS_DATA_DIR"] = os.environ.get(
    "VISIONLENS_DATA_DIR", str(HERE / ".jupyter-data" / "visionlens")
)
os.environ.setdefault("JUPYTERLAB_GALATA_ROOT_DIR", str(HERE / ".jupyter-data" / "root"))
Path(os.environ["VISIONLENS_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
Path(os.environ["JUPYTERLAB_GALATA_ROOT_DIR"]).mkdir(parents=True, exist_ok=True)

configure_jupyter_server(c)  # noqa: F821 - `c` is provided by the config loader

# Logs at info level show the VisionLens API calls when a test fails.
c.ServerApp.log_level = "INFO"  # noqa: F821
# Another port lets two test runs share a machine (give each its own data dir too).
c.ServerApp.port = int(os.environ.get("VISIONLENS_UI_PORT", "8888"))  # noqa: F821

# Containers and CI machines often run the tests as root.
c.ServerApp.allow_root = True  # noqa: F821

# The map tests need embeddings of the demo; vectors can only be written before this
# server owns the store (see map_test_data.py).
import sys  # noqa: E402

sys.path.insert(0, str(HERE))
from map_test_data import demo as _demo_with_vectors  # noqa: E402

_demo_with_vectors(Path(os.environ["VISIONLENS_DATA_DIR"]))
