"""File names as other tools write them, matched to a dataset's relative file names.

A dataset stores each image's name relative to its root (``train/x.jpg``). Files made
elsewhere spell it ``./train/x.jpg``, ``train\\x.jpg`` (Windows), with the absolute path of
the machine that made them (FiftyOne's ``filepath``: ``/data/coco/train/x.jpg``,
``C:\\data\\train\\x.jpg``), as a URL (``gs://bucket/coco/train/x.jpg``) or relative to a
folder above the dataset's root (``coco/train/x.jpg``). :func:`normalize_name` undoes the
first two; :class:`NameIndex` matches the others (:func:`matched_by_suffix`) by their path's
suffix. Predictions, image labels and imported embeddings all match their names through
here, so a name means the same sample to each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

AMBIGUOUS = -2
"""What :meth:`NameIndex.resolve` answers for a name that fits two samples equally."""

URL_PATTERN = r"^[A-Za-z][A-Za-z0-9+.-]*://"
"""A name this matches is a URL (its scheme's syntax); the same in Python's ``re`` and RE2,
so SQL finds the URLs among many names without a call per name."""
_URL = re.compile(URL_PATTERN)


def normalize_name(name: str) -> str:
    """``name`` with ``/`` for ``\\`` and without ``./`` segments (a leading one included):
    the spelling a dataset stores. A URL is left as it is."""
    if _URL.match(name):
        return name
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return name.replace("/./", "/")


def matched_by_suffix(name: str) -> bool:
    """Whether ``name`` (normalized), when no file name of the dataset is spelled as it is,
    is matched by its path's suffix (:class:`NameIndex`): an absolute path (POSIX, Windows
    drive or share), a URL, or a relative name with folders (``coco/train/x.jpg``, written
    against a root above the dataset's). A bare base name is not: it is matched as a base
    name, or not at all."""
    return "/" in name


def path_parts(name: str) -> list[str]:
    """The path components :class:`NameIndex` matches ``name`` by (normalized; a URL's
    path, decoded, without its host)."""
    return _parts(normalize_name(name))


def _parts(name: str) -> list[str]:
    """The path components of a name (a URL's path, decoded, without its host: a
    bucket is no folder of the dataset)."""
    if _URL.match(name):
        name = unquote(urlsplit(name).path)
    return [p for p in name.split("/") if p and p != "."]


class NameIndex:
    """The dataset's file names (with their sample ids), to resolve located names and
    relative ones with folders (:func:`matched_by_suffix`).

    Such a name means the sample whose whole file name its path ends with, the longest
    such name first (``/data/coco/train/x.jpg``: ``train/x.jpg`` over a root ``x.jpg``): the
    dataset root was the rest of the path. When no file name fits whole (another layout on
    another machine), the sample sharing the longest path suffix with it. Two samples that
    fit equally well make the name ambiguous (:data:`AMBIGUOUS`): never a guess.
    """

    def __init__(self, names: Iterable[tuple[str, int]]) -> None:
        # by base name: the candidates of a name are the files that end as it does
        self._by_base: dict[str, list[tuple[list[str], int]]] = {}
        for name, sample_id in names:
            parts = path_parts(name)
            if parts:
                self._by_base.setdefault(parts[-1], []).append((parts, int(sample_id)))

    def resolve(self, name: str) -> int | None:
        """The sample id ``name`` (located, or relative with folders) means,
        :data:`AMBIGUOUS`, or None (no file of the dataset has its base name)."""
        parts = path_parts(name)
        candidates = self._by_base.get(parts[-1], []) if parts else []
        if not candidates:
            return None
        whole = [(len(p), s) for p, s in candidates
                 if len(p) <= len(parts) and p == parts[len(parts) - len(p) :]]  # fmt: skip
        if whole:
            return _best(whole)
        return _best([(_common_suffix(p, parts), s) for p, s in candidates])


def _common_suffix(a: list[str], b: list[str]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _best(scored: list[tuple[int, int]]) -> int:
    """The sample of the highest score, :data:`AMBIGUOUS` when two samples share it."""
    top = max(score for score, _ in scored)
    samples = {sample for score, sample in scored if score == top}
    return samples.pop() if len(samples) == 1 else AMBIGUOUS
