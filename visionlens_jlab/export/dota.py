"""DOTA: ``labelTxt/<stem>.txt`` beside ``images/``, one object per line as
``x1 y1 x2 y2 x3 y3 x4 y4 class difficult`` in pixels.

A rotated box is written with its corners as stored (DOTA's order kept); any other object
with its box's corners (top-left first, clockwise), so that every object of the view has a
line and a re-ingest gives the same quadrilaterals back (one hook per kind of label,
:data:`KINDS`). Samples of one split (or none) are
one DOTA root; a view with several splits is written a root per split (``train/images``,
``train/labelTxt``, ...), as DOTA itself ships. Masks and keypoints have no place in DOTA's
lines and are left out; a class name with white space cannot be a DOTA class and is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ExportError
from .kind_hooks import KindHooks
from .staging import background_writes, unique_names
from .view import ExportView

_COLUMNS = ("label", "x", "y", "w", "h", "difficult", "obb")
UNSPLIT = "default"
"""The folder of samples without a split when the view has several splits."""


def check_dota_names(names: list[str]) -> None:
    """Refuse class names a DOTA line cannot hold (empty, or holding white space)."""
    for name in names:
        if not name or any(c.isspace() for c in name):
            raise ExportError(
                f"class {name!r} cannot be a DOTA class (a line's fields are separated by "
                "spaces): rename it or leave it out with --classes"
            )


def _rotated_corners(cols: dict[str, list[Any]], j: int) -> list[float] | None:
    """A rotated box's four corners as stored; None for an object without one."""
    obb = cols["obb"][j]
    return [float(v) for v in obb] if obb is not None and len(obb) == 8 else None


def _box_corners(cols: dict[str, list[Any]], j: int) -> list[float] | None:
    """The box's corners, top-left first, clockwise (every object has a box)."""
    x, y, w, h = cols["x"][j], cols["y"][j], cols["w"][j], cols["h"][j]
    return [x, y, x + w, y, x + w, y + h, x, y + h]


KINDS: KindHooks[Callable[[dict[str, list[Any]], int], list[float] | None]] = KindHooks(
    "dota",
    {"rotated_box": _rotated_corners, "box": _box_corners},
    left_out=("polyline", "mask", "keypoints"),
)
"""A DOTA line's corners per kind of label: ``hook(columns, row)``, None where the object
has no label of that kind."""

_PRECEDENCE = (KINDS.hook("rotated_box"), KINDS.hook("box"))
"""An object's corners: its rotated box's where it has one, else its box's."""


def _corners(cols: dict[str, list[Any]], j: int) -> list[float]:
    return next(c for corners in _PRECEDENCE if (c := corners(cols, j)) is not None)


def _line(cols: dict[str, list[Any]], j: int) -> str:
    corners = " ".join(repr(v) for v in _corners(cols, j))
    return f"{corners} {cols['label'][j]} {int(bool(cols['difficult'][j]))}\n"


def write_dota(
    view: ExportView, root: Path, splits: dict[int, str | None]
) -> tuple[int, list[tuple[str, Path]]]:
    """Lay out DOTA under ``root``, a batch of samples at a time; returns the object count
    and the images to place."""
    s = view.samples
    base = [f.replace("\\", "/").rsplit("/", 1)[-1] for f in s["file_name"]]
    stems = [b.rsplit(".", 1)[0] if "." in b else b for b in base]
    unique_names(stems, "DOTA label")
    o = view.objects
    check_dota_names(o.labels())
    named = {splits.get(sid) for sid in s["sample_id"]}
    folders: dict[str | None, Path] = {}

    def folder(split: str | None) -> Path:
        if split not in folders:
            if len(named) > 1:
                name = split or UNSPLIT
                if "/" in name or name in ("", ".", ".."):
                    raise ExportError(f"split {name!r} cannot be a folder name")
                top = root / name
            else:
                top = root
            (top / "labelTxt").mkdir(parents=True)
            (top / "images").mkdir()
            folders[split] = top
        return folders[split]

    pairs: list[tuple[str, Path]] = []
    with background_writes() as write:
        for begin, end, labels in o.batches(_COLUMNS):
            cols = {n: labels.column(n) for n in _COLUMNS}
            files: list[tuple[str, bytes]] = []
            for i in range(begin, end):
                sid = s["sample_id"][i]
                first, last = labels.starts.get(sid, (0, 0))
                text = "".join(_line(cols, j) for j in range(first, last))
                top = folder(splits.get(sid))
                files.append((f"{top}/labelTxt/{stems[i]}.txt", text.encode()))
                pairs.append((s["location"][i], top / "images" / base[i]))
            write(files)
    return len(o), pairs
