"""Which places a server may ingest from (``VisionLensApp.allowed_roots``).

On a laptop the server runs as its user and may read whatever that user can: no roots, no
restriction. On a shared hub an administrator may confine ingests (annotation files and
image folders) to, say, the user's home and a shared datasets volume. Media are later served
only from inside a dataset's media root, so confining the ingest confines the media too.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence


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
