"""Which places a server may ingest from (``VisionLensApp.allowed_roots``).

On a laptop the server runs as its user and may read whatever that user can: no roots, no
restriction. On a shared hub an administrator may confine ingests (annotation files and
image folders) to, say, the user's home and a shared datasets volume. Media are later served
only from inside a dataset's media root, so confining the ingest confines the media too.
A request's checkpoint or model path follows the same rule (:func:`confine_local_path`), and
so does every file an ingest's parse worker opens, whatever named it (:func:`confine_reads`).
"""

from __future__ import annotations

import json
import os
import posixpath
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REMOTE_READ_EVENT = "visionlens.remote_read"
"""The audit event a reader raises (``sys.audit``) before it reads a ``gs://`` object, so
:func:`confine_reads` sees remote reads as it sees local ones."""
_READ_EVENTS = frozenset(
    {"open", "os.listdir", "os.scandir", "glob.glob", "glob.glob/2", REMOTE_READ_EVENT}
)


class SourceNotAllowedError(Exception):
    """An ingest source lies outside the configured allowed roots (HTTP 403)."""


def check_allowed_source(location: str, roots: Sequence[str]) -> None:
    """Raise :class:`SourceNotAllowedError` unless ``location`` lies inside one of ``roots``.

    Local paths are compared after resolving symlinks and ``..`` (a link out of a root is
    refused); ``gs://bucket/prefix`` roots match whole path segments of ``gs://`` locations.
    An empty ``roots`` allows everything.
    """
    if not roots:
        return
    if any(_inside(location, root) for root in roots):
        return
    raise SourceNotAllowedError(
        f"{location!r} is outside the folders this server may ingest from "
        f"({', '.join(roots)}): copy the data under one of them, or ask the administrator "
        "to add its folder to c.VisionLensApp.allowed_roots"
    )


def confine_local_path(value: str, bases: Sequence[str], roots: Sequence[str]) -> str | None:
    """The absolute path a request's ``value`` names on this machine, inside ``roots``
    (:func:`check_allowed_source`); None when it names no local path (a hub id).

    A relative ``value`` is read under the first of ``bases`` (the server's root folder)
    when it is written as a path (``/``, ``~``, ``.`` first, or a ``..`` part): checked
    before anything looks at it, so a refusal never tells whether it exists. Any other
    string is a local path only where it exists, under the first of ``bases`` that holds
    it (the working folder, where worker processes start, comes next). The answer is what
    the job must load: the very path checked, whichever runner's folder it starts in.
    """
    expanded = os.path.expanduser(value)
    places = [os.path.normpath(os.path.join(base, expanded)) for base in bases]
    if value.startswith(("/", "~", ".")) or ".." in expanded.replace("\\", "/").split("/"):
        found: str | None = places[0]
    else:
        found = next((place for place in places if os.path.lexists(place)), None)
    if found is not None:
        check_allowed_source(found, roots)
    return found


def confine_reads(roots: Sequence[str], own: Sequence[str] = ()) -> None:
    """From now on, this process refuses (:class:`SourceNotAllowedError`) to open or list
    anything outside ``roots``: a check at the moment each file is used, whatever named it
    (a data.yaml's ``path``/``train``, an image list's lines, a COCO ``file_name``, a VOC
    mask, a symlink on the way). Nothing changes when ``roots`` is empty.

    It is an audit hook (:func:`sys.addaudithook`), which cannot be removed: call it only in
    a worker process spawned for one ingest. The interpreter's and this package's folders
    stay readable (imports happen late), and temporary files go to a private folder of its
    own. Readers announce ``gs://`` reads with :data:`REMOTE_READ_EVENT`. ``own``: folders
    of the server's own that the worker writes for it (the frame indexes of the videos it
    probes), usable too.
    """
    if not roots:
        return
    roots = list(roots)
    tempfile.tempdir = tempfile.mkdtemp(prefix="visionlens-ingest-")
    package = Path(__file__).resolve().parents[1]  # visionlens_jlab itself
    folders = [tempfile.tempdir, str(package), sys.prefix, sys.base_prefix, sys.exec_prefix]
    folders += own
    # sys.path may hold the working or home folder (python -m, PYTHONPATH): not code
    data = [os.path.realpath(p) + os.sep for p in (os.getcwd(), os.path.expanduser("~"))]
    for entry in sys.path:
        real = os.path.realpath(entry) + os.sep if entry and os.path.isabs(entry) else ""
        if real and not any(d.startswith(real) for d in data):
            folders.append(real)
    code = [os.path.realpath(f).rstrip(os.sep) + os.sep for f in folders]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event not in _READ_EVENTS or not args or isinstance(args[0], int):
            return
        location = os.fsdecode(args[0]) if args[0] is not None else "."
        if not location.startswith("gs://"):
            real = os.path.realpath(os.path.expanduser(location)) + os.sep
            if any(real.startswith(folder) for folder in code):
                return
        check_allowed_source(location, roots)

    sys.addaudithook(hook)


def read_allowed_roots(roots: Sequence[str]) -> tuple[list[str], list[str]]:
    """The configured roots as a list, and a warning for each item that looks like a list.

    A JSON config file holding ``"allowed_roots": "[\"/a\", \"/b\"]"`` (a string, not a
    list) reaches the server as one item ``'["/a", "/b"]'``. Read literally it would allow a
    folder of that odd name only: the server would fail closed, silently. A Jupyter user
    meant the list, so an item that parses as a JSON list of strings is read as those roots;
    one that only looks like a list is kept as written. Both are named in a warning.
    """
    out: list[str] = []
    notes: list[str] = []
    for root in roots:
        text = root.strip()
        if not (text.startswith("[") and text.endswith("]")):
            out.append(root)
            continue
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and parsed and all(isinstance(p, str) for p in parsed):
            out.extend(parsed)
            notes.append(
                f"allowed_roots item {root!r} is a JSON list written as a string: read as the "
                f"roots {parsed!r}; configure a list instead"
            )
        else:
            out.append(root)
            notes.append(
                f"allowed_roots item {root!r} looks like a list but is not a JSON list of "
                "strings: read as one folder of that literal name, so ingests elsewhere are "
                "refused; configure a list of folders instead"
            )
    return out, notes


def _inside(location: str, root: str) -> bool:
    if location.startswith("gs://") or root.startswith("gs://"):
        if not (location.startswith("gs://") and root.startswith("gs://")):
            return False
        loc, top = _gcs_norm(location), _gcs_norm(root)
        return loc == top or loc.startswith(top + "/")
    real = os.path.realpath(os.path.expanduser(location))
    top = os.path.realpath(os.path.expanduser(root))
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def _gcs_norm(location: str) -> str:
    """``gs://b/a/../c/`` → ``b/c`` (``..`` cannot climb out of the bucket)."""
    bucket, _, key = location[len("gs://") :].partition("/")
    key = posixpath.normpath("/" + key).lstrip("/") if key else ""
    return f"{bucket}/{key}" if key else bucket
