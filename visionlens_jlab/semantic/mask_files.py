"""Which files of a folder are semantic masks: its PNGs, whatever the case of their
extension; a mask in another image format is refused naming it: a JPEG's compression
changes the class ids along every edge, and a TIFF, BMP or GIF mask (as medical and
remote-sensing sets ship them) would otherwise leave its image "without a mask"."""

from __future__ import annotations

from pathlib import Path


class LayoutError(ValueError):
    """The folder is not a semantic dataset of the layout asked for (the message says why):
    here, a mask folder holding masks that are not PNGs."""


LOSSY_SUFFIXES = (".jpg", ".jpeg")
"""Mask files refused by name: JPEG's compression changes the values along every edge, so
the pixels are no longer the class ids they were saved as."""
OTHER_FORMATS = {".tif": "TIFF", ".tiff": "TIFF", ".bmp": "BMP", ".gif": "GIF", ".webp": "WebP"}
"""Image formats whose masks are not read (only PNGs are), by suffix: refused by name
with the fix (convert them to PNG) rather than left unpaired."""


def unread_files(folder: Path) -> list[Path]:
    """The masks under ``folder`` that are not read as masks, sorted: its JPEGs and its
    images of :data:`OTHER_FORMATS`."""
    unread = (*LOSSY_SUFFIXES, *OTHER_FORMATS)
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in unread)


def unread_masks_error(folder: Path, lossy: list[Path]) -> str:
    """What is wrong with the masks ``lossy`` under ``folder`` (:func:`unread_files`),
    naming the first and the fix: JPEGs saved again from their source, the other formats
    converted."""
    first = lossy[0]
    if first.suffix.lower() in LOSSY_SUFFIXES:
        return (
            f"{folder}: {len(lossy)} mask(s) saved as JPEG (first: {first.relative_to(folder)}); "
            "JPEG's compression changes the class ids along every edge: save the masks as "
            "PNG (lossless) from their source"
        )
    kinds = ", ".join(sorted({OTHER_FORMATS[p.suffix.lower()] for p in lossy}))
    return (
        f"{folder}: {len(lossy)} mask(s) saved as {kinds} (first: {first.relative_to(folder)});"
        " masks are read from PNGs only: convert them to PNG (a lossless copy keeps each "
        "pixel's class id)"
    )


def mask_files(folder: Path, recursive: bool = False) -> list[Path]:
    """:func:`png_files` of a dataset's mask folder; a :class:`LayoutError` where it holds
    masks of another format (:func:`unread_masks_error`): only PNGs are read as masks, so
    such a mask would otherwise make its image one "without a mask", and a JPEG is no label
    map anyway. JPEGs are named first, their fix being another."""
    lossy = [p for p in unread_files(folder) if recursive or p.parent == folder]
    if lossy:
        jpegs = [p for p in lossy if p.suffix.lower() in LOSSY_SUFFIXES]
        raise LayoutError(unread_masks_error(folder, jpegs or lossy))
    return png_files(folder, recursive)


def png_files(folder: Path, recursive: bool = False) -> list[Path]:
    """The PNGs in ``folder`` (and below it with ``recursive``), sorted, whatever the case
    of their extension: ``.PNG`` masks, as Windows tools write them, are masks too."""
    found = folder.rglob("*") if recursive else folder.glob("*")
    return sorted(p for p in found if p.suffix.lower() == ".png")
