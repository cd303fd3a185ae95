"""Where an export may write: its ``out`` resolved once, to the folder the export then uses,
and checked against what the server allows (its allowed roots) and what no export may
replace or fill (the server's own folders, the datasets' image folders).

The server checks a request's ``out`` when it arrives and the job checks it again when it
starts: a folder swapped for a symlink in between resolves elsewhere and is refused then.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..ingest.allowed_roots import SourceNotAllowedError, check_allowed_source
from ..media.names import NAME_MAX, PATH_MAX
from .errors import ExportError


class OutNotAllowedError(ExportError):
    """``out`` lies outside the folders this server may write to (HTTP 403)."""


def resolve_out(
    out: str | Path,
    *,
    roots: Sequence[str] = (),
    protected: Sequence[str] = (),
    media_roots: Sequence[str] = (),
) -> Path:
    """``out`` with every symlink and ``..`` resolved: the folder the export writes.

    Refused (:class:`OutNotAllowedError`) outside ``roots`` when there are any; refused
    (:class:`ExportError`) when it is, or holds, a ``protected`` folder or one of
    ``media_roots`` (with ``overwrite`` the export would replace it whole), and when it is
    not a path a file system can hold (a NUL byte, a name too long). A folder of its own
    inside a dataset's image folder is allowed (an export beside the data it comes from).
    """
    text = os.fspath(out)
    check_path_text(text)
    path = os.path.abspath(os.path.expanduser(text))
    if roots:
        try:
            check_allowed_source(path, roots)
        except SourceNotAllowedError:
            raise OutNotAllowedError(
                f"{text!r} is outside the folders this server may write to "
                f"({', '.join(roots)}): export under one of them, or ask the administrator "
                "to add its folder to c.VisionLensApp.allowed_roots"
            ) from None
    try:
        real = os.path.realpath(path)
    except OSError as exc:  # a symlink loop, a path too long for the system
        raise ExportError(f"{text!r} cannot be an export folder: {exc.strerror}") from exc
    for folder in protected:
        if _holds(real, _real(folder)):
            raise ExportError(
                f"{text!r} holds {_real(folder)!r} (the server's root, an allowed root or its "
                "data folder): export to a folder of its own inside it"
            )
    for folder in media_roots:
        if _local(folder) and _holds(real, _real(folder)):
            raise ExportError(
                f"{text!r} holds the images of a dataset ({_real(folder)!r}): export to a "
                "folder of its own elsewhere"
            )
    return Path(real)


def check_path_text(text: str) -> None:
    """Refuse an ``out`` no file system can hold (each OS call would fail, or raise
    ``ValueError``): a NUL byte, a name (one path component) longer than ``NAME_MAX`` bytes,
    a path longer than ``PATH_MAX``."""
    if "\0" in text:
        raise ExportError(f"{text!r} holds a NUL byte: no folder can be named that")
    try:
        raw = os.fsencode(text)
    except UnicodeEncodeError:  # a lone surrogate, which JSON can carry
        raise ExportError(f"{text!r} cannot be a folder name on this file system") from None
    if len(raw) > PATH_MAX:
        raise ExportError(
            f"the export folder's path is longer than a file system allows ({PATH_MAX} bytes)"
        )
    for part in raw.split(b"/"):
        if len(part) > NAME_MAX:
            raise ExportError(
                f"the name {os.fsdecode(part[:40])!r}... in the export folder is {len(part)} "
                f"bytes long: a file system allows {NAME_MAX} at most"
            )


def _holds(outer: str, inner: str) -> bool:
    """Whether the resolved folder ``outer`` is ``inner`` or one of its ancestors."""
    return inner == outer or inner.startswith(outer.rstrip(os.sep) + os.sep)


def _real(folder: str) -> str:
    return os.path.realpath(os.path.expanduser(folder))


def _local(folder: str) -> bool:
    """A folder on this machine's disk (a dataset's media root may be ``gs://...``)."""
    return bool(folder) and "://" not in folder and os.path.isabs(folder)
