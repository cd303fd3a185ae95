"""Jupyter server configuration for the VisionLens UI tests (Galata).

Never use this configuration in production: it disables authentication.
"""

import os
import sys
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

HERE = Path(__file__).parent.resolve()

# playwright.config.js gives every run its own data folder and port (never 8888), and
# global-setup.js fills the folder with the CLI: a test never sees another run's data.
for _name in ("VISIONLENS_DATA_DIR", "JUPYTERLAB_GALATA_ROOT_DIR", "VISIONLENS_UI_PORT"):
    if not os.environ.get(_name):
        raise SystemExit(f"{_name} is not set: start the UI tests with `jlpm test` (Playwright)")
Path(os.environ["VISIONLENS_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
Path(os.environ["JUPYTERLAB_GALATA_ROOT_DIR"]).mkdir(parents=True, exist_ok=True)

configure_jupyter_server(c)  # noqa: F821 - `c` is provided by the config loader

# Logs at info level show the VisionLens API calls when a test fails.
c.ServerApp.log_level = "INFO"  # noqa: F821
# The run's own port; never a neighbour's: another port number would be another server.
c.ServerApp.port = int(os.environ["VISIONLENS_UI_PORT"])  # noqa: F821
c.ServerApp.port_retries = 0  # noqa: F821

# The embedding model of the search tests: a tiny random open_clip checkpoint written by
# global-setup.js (a text tower, no download), the default model of this server.
c.VisionLensApp.embedding_checkpoint = os.environ.get("VISIONLENS_UI_CHECKPOINT", "")  # noqa: F821

# Containers and CI machines often run the tests as root.
c.ServerApp.allow_root = True  # noqa: F821

# The map tests need embeddings of the demo; vectors can only be written before this
# server owns the store (see map_test_data.py).
sys.path.insert(0, str(HERE))
from map_test_data import demo as _demo_with_vectors  # noqa: E402

_demo_with_vectors(Path(os.environ["VISIONLENS_DATA_DIR"]))
