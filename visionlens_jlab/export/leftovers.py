"""Staging folders a killed export left behind, and how they are recognised and removed.

An export writes into a hidden folder beside ``out`` (``.NAME.export-XXXX``, see
:mod:`.staging`) and a replaced ``out`` waits in ``.NAME.old-XXXX`` until it is removed. A
``kill -9`` (or a power cut) leaves them. Each carries a marker file naming the process that
made it (host, pid and a token of that process's life, so a new server that was given the
dead one's pid, as in a container, does not take the folder for its own); one whose process
is gone is removed:

* by the next export into the same parent folder (:func:`sweep_parent`);
* at server start-up, from the list of staging folders the data directory keeps
  (:func:`record` / :func:`forget` / :func:`sweep_recorded`): an export that never runs
  again into that folder does not leave its staging behind for ever.

A folder without the marker, a symlink, or one made by a live process is never touched.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import socket
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MARKER = ".visionlens-staging"
"""The file inside a staging folder naming its process (removed before the folder becomes
``out``)."""
LEDGER = "export-staging"
"""The data directory's folder with one small file per staging folder in use."""
STAGING_NAME = re.compile(r"^\..+\.(export|old)-[A-Za-z0-9_]+$")
"""The names :mod:`.staging` gives its folders (``tempfile`` suffixes included)."""
PROCESS_TOKEN = secrets.token_hex(8)
"""This process's life: a pid alone is reused (a restarted container's server)."""


def mark(folder: Path, dir_fd: int | None = None) -> None:
    """Write the marker naming this process into the new staging ``folder`` (a name
    relative to ``dir_fd`` when given)."""
    owner = {"host": socket.gethostname(), "pid": os.getpid(), "token": PROCESS_TOKEN}
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(os.path.join(folder, MARKER), flags, 0o600, dir_fd=dir_fd)
    try:
        os.write(fd, json.dumps(owner).encode())
    finally:
        os.close(fd)


def unmark(folder: Path, dir_fd: int | None = None) -> None:
    """Remove the marker: ``folder`` is about to become the export (its files only)."""
    os.unlink(os.path.join(folder, MARKER), dir_fd=dir_fd)


def abandoned(folder: Path) -> bool:
    """Whether ``folder`` is a VisionLens staging folder whose process is gone: its name has
    the staging form, it is a real folder (not a link) holding the marker, and the marker's
    process runs on this host no longer."""
    if not STAGING_NAME.match(folder.name) or folder.is_symlink() or not folder.is_dir():
        return False
    try:
        owner = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return False  # not recognisably ours, or another user's: left alone
    if not isinstance(owner, dict) or owner.get("host") != socket.gethostname():
        return False  # a shared disk: its process may run on the other machine
    return not _alive(owner)


def sweep_parent(parent: Path) -> list[Path]:
    """Remove the abandoned staging folders in ``parent``; returns those removed."""
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return []
    for entry in entries:
        if abandoned(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
            log.info("removed %s, left by an export that was killed", entry)
    return removed


def record(data_dir: Path, folder: Path) -> Path:
    """Note in ``data_dir`` that ``folder`` is a staging folder in use; returns the note."""
    ledger = Path(data_dir) / LEDGER
    ledger.mkdir(parents=True, exist_ok=True)
    note = ledger / f"{os.getpid()}-{secrets.token_hex(8)}.json"
    note.write_text(json.dumps({"folder": str(folder)}))
    return note


def forget(note: Path) -> None:
    """The staging folder of ``note`` is gone (renamed to ``out`` or removed)."""
    note.unlink(missing_ok=True)


def sweep_recorded(data_dir: Path) -> list[Path]:
    """At start-up: remove the abandoned staging folders ``data_dir`` has notes of, and the
    notes of folders that are gone; returns the folders removed."""
    ledger = Path(data_dir) / LEDGER
    removed: list[Path] = []
    if not ledger.is_dir():
        return removed
    for note in ledger.glob("*.json"):
        try:
            folder = Path(json.loads(note.read_text())["folder"])
        except (OSError, ValueError, KeyError, TypeError):
            forget(note)  # unreadable: nothing to act on
            continue
        if abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        if not folder.exists() or folder in removed:
            forget(note)
    return removed


def _alive(owner: dict[str, Any]) -> bool:
    """Whether the marker's process still runs (this process: only with its token)."""
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    if pid == os.getpid():
        return owner.get("token") == PROCESS_TOKEN
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive
    return True
