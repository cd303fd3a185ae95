"""Where VisionLens keeps its data and who runs it, shared by the CLI, the server extension and
the notebook API."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

DATA_DIR_ENV = "VISIONLENS_DATA_DIR"
CATALOG_FILE = "catalog.duckdb"
SERVER_INFO_FILE = "server.json"
VIDEO_INDEX_DIR = "video_index"
"""Frame indexes of the videos shown, under the data folder (:mod:`.video.frame_index`)."""


def default_data_dir() -> Path:
    """Return the data directory: ``$VISIONLENS_DATA_DIR`` or ``$XDG_DATA_HOME/visionlens``.

    Under JupyterHub every user has their own home, so the XDG default keeps users apart
    without any configuration.
    """
    explicit = os.environ.get(DATA_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser().resolve()
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(xdg, "visionlens").resolve()


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Resolve an explicit ``--data-dir`` (if any) or fall back to :func:`default_data_dir`."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    return default_data_dir()


def os_user() -> str:
    """The login name of whoever runs this process (the CLI's and a token server's edits
    are logged under it)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return f"uid {os.getuid()}"
