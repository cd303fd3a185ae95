"""Images and masks paired by their key (the path below their folder without the
extension): what each semantic layout (:mod:`.layouts`) finds, and what is left over on
either side for the ingest's report."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class MaskPair:
    """One labelled image."""

    file_name: str  # the image, relative to the dataset root
    image: str  # absolute paths
    mask: str
    split: str | None


@dataclass(frozen=True)
class Matched:
    """A layout's images and masks, paired by their key; the rest on either side."""

    pairs: list[MaskPair]
    lone_masks: list[str]
    lone_images: list[str]
    clashes: list[str]


def first_folder(key: str) -> str | None:
    """The first folder of ``key`` (its split), None where it has none."""
    return key.split("/")[0] if "/" in key else None


def keyed(folder: Path, found: Iterable[Path], suffix: str = "") -> list[tuple[str, Path]]:
    """Each of ``found`` by its path below ``folder`` without the extension and
    ``suffix``."""
    return [
        (p.relative_to(folder).with_suffix("").as_posix().removesuffix(suffix), p) for p in found
    ]


def pair_up(
    root: Path,
    images: Iterable[tuple[str, Path]],
    masks: Iterable[tuple[str, Path]],
    split_of: Callable[[str], str | None],
    image_root: Path,
) -> Matched:
    """The masks paired with the image of the same key (in the masks' order), and the
    masks and images left over, relative to ``root`` (the images to ``image_root``). A key that two images (``a.jpg``,
    ``a.png``) or two masks share is no pair but a clash naming them all: keeping either
    would be a silent guess."""
    by_image, by_mask = _grouped(images), _grouped(masks)
    pairs, lone_masks, clashes = [], [], []
    for key, found in by_mask.items():
        named = [os.path.relpath(m, root) for m in found]
        image = by_image.get(key, [])
        if not image:
            lone_masks.extend(named)
        elif len(image) == 1 and len(found) == 1:
            where = os.path.relpath(image[0], image_root)
            pairs.append(MaskPair(where, str(image[0]), str(found[0]), split_of(key)))
        else:
            clashes.append(
                f"{' and '.join(os.path.relpath(p, image_root) for p in image)} with "
                f"{' and '.join(named)}"
            )
    lone_images = sorted(
        os.path.relpath(p, image_root) for key, found in by_image.items() if key not in by_mask
        for p in found
    )  # fmt: skip
    return Matched(pairs, lone_masks, lone_images, clashes)


def _grouped(found: Iterable[tuple[str, Path]]) -> dict[str, list[Path]]:
    """The paths of each key, in their order."""
    groups: dict[str, list[Path]] = {}
    for key, path in found:
        groups.setdefault(key, []).append(path)
    return groups


def image_files(folder: Path, recursive: bool) -> list[Path]:
    """The image files in ``folder`` (and below it when ``recursive``), sorted."""
    found = folder.rglob("*") if recursive else folder.glob("*")
    return sorted(p for p in found if p.suffix.lower() in IMAGE_SUFFIXES)
