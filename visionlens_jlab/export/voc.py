"""Pascal VOC: ``Annotations/<stem>.xml``, ``JPEGImages/`` and ``ImageSets/Main/<split>.txt``.

Corners are written as ``xmin = x``, ``xmax = x + w`` with every float digit (no "+1 pixel"
shift, as VisionLens reads them), so a re-ingest gives x and y back exactly and w and h to
float rounding. ``difficult``, ``truncated``, ``occluded`` and ``pose`` are elements; the
other attributes go in ``<attributes>`` name/value pairs (which VisionLens and CVAT read).
Masks, keypoints, rotated boxes and polylines have no place in the XML and are left out (one
hook per kind of label, :data:`KINDS`). Samples without a split are
listed in ``ImageSets/Main/default.txt`` (and come back with the split ``default``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import orjson

from .errors import ExportError
from .kind_hooks import KindHooks
from .staging import background_writes, unique_names
from .view import ExportView

_FLAGS = ("truncated", "occluded")
LABELMAP = "labelmap.txt"
"""The class list of a custom VOC dataset as datumaro and CVAT read it (``name:color:parts:
actions``, colours left to the reader): without it they refuse non-PASCAL class names. A
name holding ``:`` cannot be listed there."""
UNSPLIT = "default"
"""The ImageSets/Main list of the samples without a split: VOC readers such as datumaro find
a dataset by its lists (datumaro names an unnamed subset ``default`` too)."""
_INVALID_XML = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"}


def check_xml_names(names: list[str]) -> None:
    """Refuse class names XML 1.0 cannot hold (control characters)."""
    for name in names:
        if not name.strip() or any(c in _INVALID_XML for c in name):
            raise ExportError(
                f"class {name!r} cannot be a VOC <name> (empty, or control characters XML "
                "cannot hold): rename it or leave it out with --classes"
            )


def write_voc(
    view: ExportView, root: Path, splits: dict[int, str | None]
) -> tuple[int, list[tuple[str, Path]], list[tuple[Path, str]]]:
    """Lay out a VOC root under ``root``, its XMLs written a batch of samples at a time;
    returns the object count, the images to place and the other files to write (the
    labelmap and split lists)."""
    s = view.samples
    base = [f.replace("\\", "/").rsplit("/", 1)[-1] for f in s["file_name"]]
    stems = [b.rsplit(".", 1)[0] if "." in b else b for b in base]
    unique_names(stems, "VOC annotation")
    o = view.objects
    check_xml_names(o.labels())
    lists: dict[str, list[str]] = {}
    annotations = root / "Annotations"
    annotations.mkdir()
    with background_writes() as write:
        for begin, end, labels in o.batches(_COLUMNS):
            cols = {n: labels.column(n) for n in _COLUMNS}
            xmls: list[tuple[str, bytes]] = []
            for i in range(begin, end):
                sid = s["sample_id"][i]
                first, last = labels.starts.get(sid, (0, 0))
                objects = "".join(_object(cols, j) for j in range(first, last))
                xml = (
                    f"<annotation><folder>JPEGImages</folder><filename>{escape(base[i])}"
                    f"</filename><size><width>{s['width'][i] or 0}</width><height>"
                    f"{s['height'][i] or 0}</height><depth>3</depth></size><segmented>0"
                    f"</segmented>{objects}</annotation>\n"
                )
                xmls.append((f"{annotations}/{stems[i]}.xml", xml.encode()))
                lists.setdefault(splits.get(sid) or UNSPLIT, []).append(stems[i])
            write(xmls)
    files: list[tuple[Path, str]] = []
    labelmap = "".join(f"{name}:::\n" for name in view.class_names if ":" not in name)
    files.append((root / LABELMAP, "# label:color_rgb:parts:actions\n" + labelmap))
    for split, members in lists.items():
        if "/" in split or split in ("", ".", ".."):
            raise ExportError(f"split {split!r} cannot be an ImageSets/Main file name")
        files.append((root / "ImageSets" / "Main" / f"{split}.txt", "\n".join(members) + "\n"))
    (root / "JPEGImages").mkdir()
    pairs = [(loc, root / "JPEGImages" / b) for loc, b in zip(s["location"], base, strict=True)]
    return len(o), pairs, files


_COLUMNS = ("label", "x", "y", "w", "h", "difficult", "attributes")


def _bndbox(cols: dict[str, list[Any]], j: int) -> str:
    """The box's corners (``xmax = x + w``, every float digit)."""
    x, y, w, h = cols["x"][j], cols["y"][j], cols["w"][j], cols["h"][j]
    return (
        f"<bndbox><xmin>{x!r}</xmin><ymin>{y!r}</ymin><xmax>{x + w!r}</xmax>"
        f"<ymax>{y + h!r}</ymax></bndbox>"
    )


KINDS: KindHooks[Callable[[dict[str, list[Any]], int], str]] = KindHooks(
    "voc", {"box": _bndbox}, left_out=("rotated_box", "polyline", "mask", "keypoints")
)
"""What a VOC ``<object>`` holds of each kind of label: ``hook(columns, row)`` → XML."""

_WRITERS = KINDS.in_order()


def _object(cols: dict[str, list[Any]], j: int) -> str:
    attrs: dict[str, Any] = orjson.loads(cols["attributes"][j]) if cols["attributes"][j] else {}
    parts = [f"<object><name>{escape(cols['label'][j])}</name>"]
    pose = attrs.pop("pose", None)
    if pose is not None:
        parts.append(f"<pose>{escape(str(pose))}</pose>")
    for flag in _FLAGS:
        value = attrs.pop(flag, None)
        if value is not None:
            parts.append(f"<{flag}>{int(bool(value))}</{flag}>")
    parts.append(f"<difficult>{int(bool(cols['difficult'][j]))}</difficult>")
    parts.extend(write(cols, j) for write in _WRITERS)
    if attrs:
        pairs = "".join(
            f"<attribute><name>{escape(str(k))}</name><value>{escape(_text(v))}</value></attribute>"
            for k, v in attrs.items()
        )
        parts.append(f"<attributes>{pairs}</attributes>")
    parts.append("</object>")
    return "".join(parts)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()
