"""Class lists as datasets write them: a names file (``classes.txt``, darknet's ``obj.names``
...: one class per line, its line number the class id) or a yaml ``names`` (a list, or a
``{id: name}`` mapping). YOLO, txt and both classification layouts read them here."""

from __future__ import annotations

import os

NAME_FILES = ("classes.txt", "obj.names", "names.txt", "classes.names", "labels.txt")


def read_names(path: str) -> list[str]:
    """Class names from a names file (one per line; blank lines ignored)."""
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        return [line.strip() for line in f.read().splitlines() if line.strip()]


def names_beside(*folders: str) -> list[str] | None:
    """The class names of the first names file found in ``folders`` (in that order, each in
    the order of :data:`NAME_FILES`), or None."""
    for folder in folders:
        for name in NAME_FILES:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                return read_names(path)
    return None


def yaml_names(value: object) -> list[str] | None:
    """A yaml ``names`` value as a list by class id, or None when it is neither a list nor
    an ``{int: name}`` mapping."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, dict):
        try:
            ordered = sorted((int(k), str(v)) for k, v in value.items())
        except (TypeError, ValueError):
            return None
        return [v for _, v in ordered]
    return None
