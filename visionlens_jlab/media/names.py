"""Stored file names no file system can hold, refused before any system call.

Used by :func:`.sources.resolve_within` (the one confinement rule) and by the ingests, whose
report flags such names. Import-light: no Pillow, no storage clients.
"""

from __future__ import annotations

import os

from .errors import MediaNameError

NAME_MAX = 255
"""Bytes in one path component on the file systems in use (ext4, XFS, APFS, NTFS)."""
PATH_MAX = 4096
"""Bytes in a whole local path (Linux); past it ``open`` fails with ENAMETOOLONG."""


def check_name(location: str) -> None:
    """Raise :class:`MediaNameError` for a location no file system can hold.

    A NUL byte makes every OS call raise ``ValueError``; an over-long name or component
    makes it fail with ``ENAMETOOLONG``. Both are refused here, before any system call, so
    each caller sees one error type and never a traceback.
    """
    if "\x00" in location:
        raise MediaNameError("the file name holds a NUL byte")
    if location.startswith("gs://"):
        return  # object names: the storage checks its own limits
    try:
        raw = os.fsencode(location)
    except UnicodeEncodeError:
        raise MediaNameError("the file name cannot be encoded for this file system") from None
    if len(raw) > PATH_MAX or any(len(part) > NAME_MAX for part in raw.split(b"/")):
        raise MediaNameError("the file name is longer than the file system allows")
