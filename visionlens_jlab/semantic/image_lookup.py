"""Where the images a COCO panoptic JSON names are: at ``images/<file_name>``, or, where
its ``file_name`` leaves out a folder, the one file of that name below the images folder.

Cityscapes' panoptic JSON (cityscapesScripts' ``createPanopticImgs``) names
``frankfurt_000000_000294_leftImg8bit.png`` while the image is at
``leftImg8bit/val/frankfurt/...``: joined as written, every sample would point at no file.
"""

from __future__ import annotations

from pathlib import Path

from ..records.report import IngestReport


def locate_images(root: Path, names: list[str], report: IngestReport) -> list[str]:
    """Each of ``names``' location: ``root / name`` where that file is, else the only file
    of its base name below ``root``; else ``root / name`` as written, counted in
    ``report`` (``panoptic_image_not_found``, or ``panoptic_image_ambiguous`` where several
    files have the name: which one is meant would be a guess)."""
    direct = [root / name for name in names]
    if all(path.is_file() for path in direct):
        return [str(path) for path in direct]
    below: dict[str, list[Path]] = {}
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        below.setdefault(path.name, []).append(path)
    located, missing, ambiguous = [], [], []
    for name, path in zip(names, direct, strict=True):
        found = below.get(Path(name).name, [])
        if path.is_file() or not found:
            if not path.is_file():
                missing.append(name)
            located.append(str(path))
        elif len(found) > 1:
            ambiguous.append(
                f"{name}: {', '.join(p.relative_to(root).as_posix() for p in found[:3])}"
            )
            located.append(str(path))
        else:
            located.append(str(found[0]))
    if missing:
        report.warn(
            "panoptic_image_not_found",
            f"images not found under {root} (give their folder with --images)",
            count=len(missing),
            examples=missing,
        )
    if ambiguous:
        report.warn(
            "panoptic_image_ambiguous",
            "images whose name is found in several folders (not located: name their folder "
            "in the JSON's file_name or give it with --images)",
            count=len(ambiguous),
            examples=ambiguous,
        )
    return located
