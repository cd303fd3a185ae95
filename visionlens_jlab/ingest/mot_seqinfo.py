"""A MOT sequence's ``seqinfo.ini`` (``[Sequence]``: ``name``, ``imDir``, ``frameRate``,
``seqLength``, ``imWidth``, ``imHeight``, ``imExt``) read as other tools write it, and the
folder its frame images are in.

A converter's file may lack the ``[Sequence]`` line, spell it in lower case, or hold a line
that is no ``key=value``; Python's configparser refuses such a file whole, which lost the
frame rate and the name with it. Here the keys that read are kept, and a line that does not
is a warning.
"""

from __future__ import annotations

import configparser
import os

from ..records.report import IngestReport

SEQINFO = "seqinfo.ini"
IMAGE_FOLDER = "img1"
SECTION = "sequence"


def read_seqinfo(path: str, report: IngestReport) -> dict[str, str]:
    """Sequence folder ``path``'s ``seqinfo.ini`` keys, lower-cased (none when it is missing
    or unreadable). A byte-order mark (Windows editors), a key given twice (the last
    counts), a missing or lower-case ``[Sequence]`` line are read; lines that are no
    ``key=value`` are skipped and reported (``mot_seqinfo_bad_line``)."""
    try:
        with open(os.path.join(path, SEQINFO), encoding="utf-8-sig", errors="replace") as f:
            text = f.read()
    except OSError:
        return {}
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    added = 0 if first.startswith("[") else 1  # keys without the section line: the sequence's
    text = "[Sequence]\n" * added + text
    lines = text.split("\n")  # as configparser counts them
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.ParsingError as exc:  # the other lines were read
        report.warn(
            "mot_seqinfo_bad_line",
            "seqinfo.ini lines that are no key=value (skipped; the other keys are read)",
            count=len(exc.errors),
            examples=[f"{os.path.join(path, SEQINFO)} line {n - added}: {lines[n - 1].strip()}"
                      for n, _ in exc.errors[:3]],
        )  # fmt: skip
    except configparser.Error as exc:
        report.warn(
            "mot_seqinfo_bad_line",
            "seqinfo.ini lines that are no key=value (skipped; the other keys are read)",
            f"{os.path.join(path, SEQINFO)}: {exc}",
        )
        return {}
    section = next((s for s in parser.sections() if s.strip().lower() == SECTION), None)
    return dict(parser[section]) if section is not None else {}


def frames_folder(path: str, info: dict[str, str], report: IngestReport) -> str:
    """The folder of sequence ``path``'s frame images: ``seqinfo.ini``'s ``imDir``, else
    ``img1``; an ``imDir`` that is no folder there while ``img1`` is one (a ``seqinfo.ini``
    copied from another dataset) gives ``img1`` and a warning."""
    named = info.get("imdir")
    folder = os.path.join(path, named or IMAGE_FOLDER)
    fallback = os.path.join(path, IMAGE_FOLDER)
    if named and not os.path.isdir(folder) and os.path.isdir(fallback):
        report.warn(
            "mot_imdir_missing",
            "sequences whose seqinfo.ini imDir is no folder (their img1/ read instead)",
            f"{path}: imDir={named}",
        )
        return fallback
    return folder
