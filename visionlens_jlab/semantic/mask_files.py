"""Which files of a folder are semantic masks: its PNGs, whatever the case of their
extension; a JPEG where masks are expected is refused (its compression changes the class
ids along every edge)."""

from __future__ import annotations

from pathlib import Path


class LayoutError(ValueError):
    """The folder is not a semantic dataset of the layout asked for (the message says why):
    here, a mask folder holding JPEGs."""


LOSSY_SUFFIXES = (".jpg", ".jpeg")
"""Mask files refused by name: JPEG's compression changes the values along every edge, so
the pixels are no longer the class ids they were saved as."""


def jpeg_files(folder: Path) -> list[Path]:
    """The JPEGs under ``folder``, sorted (masks that cannot be read as masks)."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in LOSSY_SUFFIXES)


def jpeg_masks_error(folder: Path, lossy: list[Path]) -> str:
    """What is wrong with the JPEG masks ``lossy`` under ``folder``, naming the first."""
    return (
        f"{folder}: {len(lossy)} mask(s) saved as JPEG (first: {lossy[0].relative_to(folder)}); "
        "JPEG's compression changes the class ids along every edge: save the masks as PNG "
        "(lossless) from their source"
    )


def mask_files(folder: Path, recursive: bool = False) -> list[Path]:
    """:func:`png_files` of a dataset's mask folder; a :class:`LayoutError` where it holds
    JPEGs: only PNGs are read as masks, so a JPEG mask would otherwise make its image one
    "without a mask", and it is no label map anyway (:func:`jpeg_masks_error`)."""
    lossy = [p for p in jpeg_files(folder) if recursive or p.parent == folder]
    if lossy:
        raise LayoutError(jpeg_masks_error(folder, lossy))
    return png_files(folder, recursive)


def png_files(folder: Path, recursive: bool = False) -> list[Path]:
    """The PNGs in ``folder`` (and below it with ``recursive``), sorted, whatever the case
    of their extension: ``.PNG`` masks, as Windows tools write them, are masks too."""
    found = folder.rglob("*") if recursive else folder.glob("*")
    return sorted(p for p in found if p.suffix.lower() == ".png")
