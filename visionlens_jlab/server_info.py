"""The ``server.json`` a running server leaves in the data dir, so the CLI can reach it.

DuckDB lets one process write the catalog file. While JupyterLab with VisionLens runs, the CLI
sends its work to that server over REST instead of opening the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .config import SERVER_INFO_FILE


def write_server_info(data_dir: Path, url: str, token: str) -> Path:
    """Record this process as the owner of ``data_dir`` (readable by the owner only)."""
    path = data_dir / SERVER_INFO_FILE
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"url": url, "token": token, "pid": os.getpid()}, f)
    os.replace(tmp, path)
    return path


def remove_server_info(data_dir: Path) -> None:
    """Remove ``server.json`` if this process wrote it."""
    info = read_server_info(data_dir)
    if info is not None and info.get("pid") == os.getpid():
        (data_dir / SERVER_INFO_FILE).unlink(missing_ok=True)


def read_server_info(data_dir: Path) -> dict[str, Any] | None:
    """The recorded server of ``data_dir`` if its process is still alive, else ``None``."""
    path = data_dir / SERVER_INFO_FILE
    try:
        info = json.loads(path.read_text())
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by someone else
    return info
